"""Metric learning with a drift monitor: the model's forward trains the encoder, and a helper
decorated with no_grad runs the same encoder on a fixed anchor batch to keep running statistics of
its embedding (a buffer), read by the logging."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Embedder(nn.Module):
    def __init__(self, dim_in=16, dim=8):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim_in, 32), nn.ReLU(), nn.Linear(32, dim))
        self.register_buffer("anchor", torch.randn(8, dim_in))
        self.register_buffer("anchor_mean", torch.zeros(dim))

    @torch.no_grad()
    def track_anchor(self):
        emb = F.normalize(self.encoder(self.anchor), dim=-1)
        self.anchor_mean.lerp_(emb.mean(0), 0.1)

    def forward(self, a, p, n):
        self.track_anchor()
        za, zp, zn = (F.normalize(self.encoder(v), dim=-1) for v in (a, p, n))
        return za, zp, zn


torch.manual_seed(0)
model = Embedder()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for step in range(80):
    a = torch.randn(32, 16)
    p = a + 0.1 * torch.randn_like(a)
    n = torch.randn(32, 16)
    za, zp, zn = model(a, p, n)
    loss = F.triplet_margin_loss(za, zp, zn, margin=0.5)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(step, loss.item(), model.anchor_mean.norm().item())
