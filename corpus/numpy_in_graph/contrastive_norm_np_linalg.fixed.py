"""SimCLR-style contrastive pretraining of a tiny encoder on two noisy views."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, dim_in=32, dim_out=16):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(dim_in, 64), nn.ReLU(), nn.Linear(64, 64))
        self.projector = nn.Linear(64, dim_out)

    def forward(self, x):
        z = self.projector(F.relu(self.backbone(x)))
        return z / torch.linalg.norm(z, dim=1, keepdim=True)


def nt_xent(z1, z2, temperature=0.2):
    z = torch.cat([z1, z2])
    sim = z @ z.t() / temperature
    sim.fill_diagonal_(float("-inf"))
    n = z1.shape[0]
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, targets)


class Pretrainer:
    def __init__(self):
        self.encoder = Encoder()
        self.optimizer = torch.optim.Adam(self.encoder.parameters(), lr=1e-3)

    def step(self, x):
        v1 = x + 0.1 * torch.randn_like(x)
        v2 = x + 0.1 * torch.randn_like(x)
        loss = nt_xent(self.encoder(v1), self.encoder(v2))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


if __name__ == "__main__":
    torch.manual_seed(1)
    data = torch.randn(256, 32)
    trainer = Pretrainer()
    for epoch in range(5):
        for i in range(0, 256, 32):
            loss = trainer.step(data[i:i + 32])
        print(f"epoch {epoch}: {loss:.3f}")
