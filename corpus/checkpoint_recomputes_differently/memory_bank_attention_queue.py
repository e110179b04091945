"""Contrastive video encoder whose attention block reads a queue of earlier clip features
(a memory bank it pushes to on every call); checkpointed through a helper with keyword options."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils import checkpoint as ckpt

CONFIG = {"dim": 24, "queue": 64, "lr": 1e-3, "steps": 6}


class BankAttention(nn.Module):
    def __init__(self, dim, size):
        super().__init__()
        self.query = nn.Linear(dim, dim)
        self.size = size
        self.bank = torch.zeros(0, dim)

    def forward(self, feats):
        q = self.query(feats)
        keys = torch.cat([self.bank, feats.detach()])[-self.size:]
        self.bank = keys
        weights = F.softmax(q @ keys.t() / keys.shape[1] ** 0.5, dim=-1)
        return feats + weights @ keys


def run_checkpointed(module, x, enabled=True):
    if enabled:
        return ckpt.checkpoint(module, x, use_reentrant=False)
    return module(x)


class ClipEncoder(nn.Module):
    def __init__(self, dim, size):
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(40, dim), nn.GELU())
        self.bank_attention = BankAttention(dim, size)
        self.head = nn.Linear(dim, 16)

    def forward(self, clips):
        return F.normalize(self.head(run_checkpointed(self.bank_attention, self.stem(clips))), dim=-1)


def main(cfg):
    torch.manual_seed(0)
    encoder = ClipEncoder(cfg["dim"], cfg["queue"])
    optimizer = torch.optim.AdamW(encoder.parameters(), lr=cfg["lr"])
    for step in range(cfg["steps"]):
        clips = torch.randn(16, 40)
        a, b = encoder(clips), encoder(clips + 0.05 * torch.randn_like(clips))
        loss = F.cross_entropy(a @ b.t() / 0.1, torch.arange(16))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step}: {loss.item():.3f}")


if __name__ == "__main__":
    main(CONFIG)
