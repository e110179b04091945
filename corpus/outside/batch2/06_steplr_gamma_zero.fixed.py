# Report: https://github.com/LINCellularNeuroscience/VAME/issues/26
# What goes wrong: when the LR schedule is switched off in the config, the code still builds a
# StepLR but with gamma=0, so the learning rate becomes 0 at the first scheduler step and the
# weights never move.
# Repaired version: use gamma=1 (constant LR) when the scheduler is switched off.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "learning_rate": 5e-3,
    "epochs": 8,
    "batch_size": 32,
    "optimizer_scheduler": False,   # keep a constant learning rate for this run
    "scheduler_step_size": 1,
    "scheduler_gamma": 0.2,
}


class SeqAutoencoder(nn.Module):
    def __init__(self, n_feat=12, latent=4):
        super().__init__()
        self.encoder = nn.GRU(n_feat, 32, batch_first=True)
        self.to_latent = nn.Linear(32, latent)
        self.decoder = nn.Linear(latent, n_feat)

    def forward(self, x):
        _, h = self.encoder(x)
        z = self.to_latent(h[-1])
        return self.decoder(z).unsqueeze(1).expand_as(x)


def make_scheduler(optimizer, cfg):
    if cfg["optimizer_scheduler"]:
        return StepLR(optimizer, step_size=cfg["scheduler_step_size"], gamma=cfg["scheduler_gamma"])
    return StepLR(optimizer, step_size=cfg["scheduler_step_size"], gamma=1, last_epoch=-1)


def train(model, loader, cfg):
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["learning_rate"])
    scheduler = make_scheduler(optimizer, cfg)
    for epoch in range(cfg["epochs"]):
        scheduler.step()
        total = 0.0
        for (xb,) in loader:
            optimizer.zero_grad()
            loss = F.mse_loss(model(xb), xb)
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}  lr {optimizer.param_groups[0]['lr']:.2e}  loss {total / len(loader):.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    base = torch.randn(256, 1, 12)
    seqs = base + 0.1 * torch.randn(256, 10, 12)
    loader = DataLoader(TensorDataset(seqs), batch_size=CONFIG["batch_size"], shuffle=True)
    train(SeqAutoencoder(), loader, CONFIG)
