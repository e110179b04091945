"""Aqueous solubility (logS) regression from 256-bit substructure fingerprints.

The molecules are synthetic: each fingerprint bit is a substructure with a fixed contribution to
logS (hydroxyls help, long chains and aromatic rings hurt), plus a few pairwise interactions.
"""
from dataclasses import dataclass

import torch
import torch.nn as nn

from stability import count_parameters, enable_layerwise_clipping


@dataclass
class Config:
    n_bits: int = 256
    n_molecules: int = 3000
    hidden: int = 128
    dropout: float = 0.1
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_size: int = 64
    epochs: int = 5
    seed: int = 5


def make_molecules(cfg: Config):
    gen = torch.Generator().manual_seed(cfg.seed)
    density = torch.rand(cfg.n_bits, generator=gen) * 0.15 + 0.02
    fps = (torch.rand(cfg.n_molecules, cfg.n_bits, generator=gen) < density).float()
    contribution = torch.randn(cfg.n_bits, generator=gen) * 0.4
    pairs = torch.randint(0, cfg.n_bits, (20, 2), generator=gen)
    logs = fps @ contribution - 2.0
    logs += 0.8 * (fps[:, pairs[:, 0]] * fps[:, pairs[:, 1]]).sum(1)
    logs += 0.2 * torch.randn(cfg.n_molecules, generator=gen)
    return fps, logs


class SolubilityMLP(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(cfg.n_bits, cfg.hidden),
            nn.ReLU(),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.hidden, cfg.hidden // 2),
            nn.ReLU(),
            nn.Linear(cfg.hidden // 2, 1),
        )

    def forward(self, fp):
        return self.net(fp).squeeze(-1)


def main():
    cfg = Config()
    torch.manual_seed(cfg.seed)
    fps, logs = make_molecules(cfg)
    n_val = cfg.n_molecules // 5
    train_x, train_y = fps[n_val:], logs[n_val:]
    val_x, val_y = fps[:n_val], logs[:n_val]

    model = enable_layerwise_clipping(SolubilityMLP(cfg))
    print(f"{count_parameters(model)} trainable parameters")
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    loss_fn = nn.MSELoss()

    for epoch in range(cfg.epochs):
        model.train()
        order = torch.randperm(len(train_x))
        for start in range(0, len(order), cfg.batch_size):
            idx = order[start:start + cfg.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(train_x[idx]), train_y[idx])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_rmse = loss_fn(model(val_x), val_y).sqrt().item()
        print(f"epoch {epoch}: last batch mse {loss.item():.3f}, validation rmse {val_rmse:.3f}")


if __name__ == "__main__":
    main()
