"""Text regressor: the encoder joins the optimizer as its own parameter group, at a lower learning
rate, once the warm-up epochs are over; an auxiliary loss starts a few epochs later still."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    epochs: int = 9
    warmup_epochs: int = 5
    aux_from: int = 7
    steps_per_epoch: int = 4


class Encoder(nn.Module):
    def __init__(self, vocab=40, dim=24):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim)
        self.mix = nn.Linear(dim, dim)

    def forward(self, tokens):
        return torch.relu(self.mix(self.embed(tokens)))


def batches(cfg):
    for _ in range(cfg.steps_per_epoch):
        yield torch.randint(0, 40, (16, 6)), torch.randn(16)


def train(cfg: Config) -> None:
    encoder, head, aux = Encoder(), nn.Linear(24, 1), nn.Linear(24, 1)
    encoder.requires_grad_(False)
    optimizer = torch.optim.Adam(list(head.parameters()) + list(aux.parameters()), lr=3e-3)
    for epoch in range(cfg.epochs):
        if epoch == cfg.warmup_epochs:
            encoder.requires_grad_(True)
            optimizer.add_param_group({"params": encoder.parameters(), "lr": 3e-4})
        for tokens, target in batches(cfg):
            features = encoder(tokens)
            loss = F.mse_loss(head(features).squeeze(-1), target)
            if epoch >= cfg.aux_from:
                loss = loss + 0.1 * F.mse_loss(aux(features).squeeze(-1), target.abs())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


if __name__ == "__main__":
    torch.manual_seed(0)
    train(Config())
