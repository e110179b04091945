"""Lazy modules (nn.LazyConv2d, nn.LazyLinear) sized by a dry run under no_grad before the
optimizer is built. Correct; the probe must not touch the parameters before they exist."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.LazyConv2d(8, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(32), nn.ReLU(), nn.LazyLinear(4))
x, y = torch.randn(64, 3, 10, 10), torch.randint(0, 4, (64,))
with torch.no_grad():
    model(x[:2])  # dry run materialises the lazy parameters
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
print(sum(p.numel() for p in model.parameters()))
for step in range(6):
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, loss.item())
