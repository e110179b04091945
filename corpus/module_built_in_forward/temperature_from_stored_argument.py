"""A contrastive projection whose per-head temperatures are a new nn.Parameter made on the input's
device in forward() at every call, sized by an attribute __init__ sets under another name."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Projection(nn.Module):
    def __init__(self, dim=12, heads=4):
        super().__init__()
        self.proj = nn.Linear(dim, dim * heads)
        self.n = heads

    def forward(self, x):
        self.log_temp = nn.Parameter(torch.zeros(self.n, device=x.device))
        z = self.proj(x).view(x.shape[0], self.n, -1)
        return F.normalize(z, dim=-1) * self.log_temp.exp().unsqueeze(-1)


torch.manual_seed(0)
x = torch.randn(40, 12)
target = torch.randn(40, 4, 12)
model = Projection()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(25):
    optimizer.zero_grad()
    loss = (model(x) - target).pow(2).mean()
    loss.backward()
    optimizer.step()
