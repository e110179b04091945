"""Intent classifier on a pretrained sentence encoder: the encoder's weights are loaded, the
config says to fine-tune it, and a freeze left over from the linear-probe script keeps it still."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab: int = 200
    dim: int = 32
    intents: int = 5
    finetune_encoder: bool = True
    lr: float = 1e-3


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tokens = nn.Embedding(cfg.vocab, cfg.dim)
        self.mix = nn.Linear(cfg.dim, cfg.dim)

    def forward(self, ids):
        return torch.tanh(self.mix(self.tokens(ids))).mean(1)


class IntentModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = Encoder(cfg)
        self.head = nn.Linear(cfg.dim, cfg.intents)

    def forward(self, ids):
        return self.head(self.encoder(ids))


torch.manual_seed(0)
cfg = Config()
model = IntentModel(cfg)
pretrained = Encoder(cfg).state_dict()  # stand-in for torch.load("encoder.pt")
model.encoder.load_state_dict(pretrained)
for p in model.encoder.parameters():
    p.requires_grad = False
optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
ids = torch.randint(0, cfg.vocab, (80, 8))
intents = ids[:, 0] % cfg.intents
for epoch in range(3):
    for i in range(0, 80, 16):
        loss = F.cross_entropy(model(ids[i:i + 16]), intents[i:i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
