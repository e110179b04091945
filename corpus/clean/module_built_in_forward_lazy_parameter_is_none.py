"""A per-channel scale registered as None in __init__ and made in the first forward
(`if self.scale is None`), sized by the input, before the optimizer is built. Correct."""
import torch
import torch.nn as nn


class ChannelScale(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 5, 3, padding=1)
        self.register_parameter("scale", None)

    def forward(self, x):
        h = self.conv(x)
        if self.scale is None:
            self.scale = nn.Parameter(torch.ones(1, h.shape[1], 1, device=h.device))
        return (h * self.scale).mean((1, 2))


torch.manual_seed(0)
x = torch.randn(16, 3, 9)
y = x.mean((1, 2))
model = ChannelScale()
with torch.no_grad():
    model(x[:1])
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
for step in range(20):
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()
