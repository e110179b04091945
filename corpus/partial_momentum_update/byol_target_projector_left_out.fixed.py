"""BYOL on tabular features: the target network is an EMA of the online encoder and projector."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(d_in, hidden, d_out):
    return nn.Sequential(nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, d_out))


class BYOL(nn.Module):
    def __init__(self, d_in=20, feat=48, proj=32, hidden=96, tau=0.99):
        super().__init__()
        self.tau = tau
        self.online_encoder = nn.Sequential(nn.Linear(d_in, feat), nn.ReLU(), nn.Linear(feat, feat))
        self.online_projector = mlp(feat, hidden, proj)
        self.predictor = mlp(proj, hidden, proj)
        self.target_encoder = copy.deepcopy(self.online_encoder)
        self.target_projector = copy.deepcopy(self.online_projector)
        for module in (self.target_encoder, self.target_projector):
            module.requires_grad_(False)

    @torch.no_grad()
    def update_target(self):
        for p_online, p_target in zip(
            list(self.online_encoder.parameters()) + list(self.online_projector.parameters()),
            list(self.target_encoder.parameters()) + list(self.target_projector.parameters()),
        ):
            p_target.mul_(self.tau).add_(p_online.detach(), alpha=1 - self.tau)

    def loss(self, v1, v2):
        p1 = self.predictor(self.online_projector(self.online_encoder(v1)))
        p2 = self.predictor(self.online_projector(self.online_encoder(v2)))
        with torch.no_grad():
            z1 = self.target_projector(self.target_encoder(v1))
            z2 = self.target_projector(self.target_encoder(v2))
        return (2 - 2 * F.cosine_similarity(p1, z2, dim=-1)).mean() + (2 - 2 * F.cosine_similarity(p2, z1, dim=-1)).mean()


def views(x):
    return x + 0.2 * torch.randn_like(x), x * (torch.rand_like(x) > 0.15).float()


torch.manual_seed(0)
data = torch.randn(512, 20)
byol = BYOL()
optimizer = torch.optim.Adam([p for p in byol.parameters() if p.requires_grad], lr=3e-3)

for epoch in range(4):
    for start in range(0, len(data), 64):
        v1, v2 = views(data[start:start + 64])
        loss = byol.loss(v1, v2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        byol.update_target()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
