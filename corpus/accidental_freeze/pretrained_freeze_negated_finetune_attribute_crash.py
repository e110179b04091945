# Two-tower retrieval where both towers are pre-trained tables; a settings object says whether to
# fine-tune them, passed as freeze=not settings.finetune_tables. Nothing else trains, and
# backward() crashes on a loss with no graph.
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Settings:
    finetune_tables: bool = False
    lr: float = 0.01


class Towers(nn.Module):
    def __init__(self, settings, users, items):
        super().__init__()
        self.users = nn.Embedding.from_pretrained(users, freeze=not settings.finetune_tables)
        self.items = nn.Embedding.from_pretrained(items, freeze=not settings.finetune_tables)

    def forward(self, u, i):
        return (self.users(u) * self.items(i)).sum(-1)


def train(towers, settings, batches):
    optimizer = torch.optim.Adagrad(towers.parameters(), lr=settings.lr)
    for u, i, clicked in batches:
        loss = nn.functional.binary_cross_entropy_with_logits(towers(u, i), clicked)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


torch.manual_seed(0)
settings = Settings()
towers = Towers(settings, torch.randn(20, 6), torch.randn(30, 6))
batches = [(torch.randint(0, 20, (8,)), torch.randint(0, 30, (8,)), torch.randint(0, 2, (8,)).float()) for _ in range(4)]
train(towers, settings, batches)
