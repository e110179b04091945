"""A 10-block residual MLP where block 1 is a fixed random projection kept out of training;
`"blocks.1" in name` cannot reach another block, as there is no blocks.10."""
import torch
import torch.nn as nn

FIXED = ["blocks.1"]


class ResMLP(nn.Module):
    def __init__(self, dim=24, depth=10):
        super().__init__()
        self.inp = nn.Linear(6, dim)
        self.blocks = nn.ModuleList([nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU()) for _ in range(depth)])
        self.out = nn.Linear(dim, 1)

    def forward(self, x):
        x = self.inp(x)
        for block in self.blocks:
            x = x + block(x)
        return self.out(x)


torch.manual_seed(0)
model = ResMLP()
for name, param in model.named_parameters():
    if any(key in name for key in FIXED):
        param.requires_grad = False
optimizer = torch.optim.Adam((p for p in model.parameters() if p.requires_grad), lr=1e-3)
x = torch.randn(128, 6)
y = (x ** 2).sum(dim=1, keepdim=True)
for step in range(40):
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
