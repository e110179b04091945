"""A learned per-channel lag read by linear interpolation: the floor of the position indexes the
time axis with gather, and the fractional part weights the two neighbouring samples, so the lag
trains through the weights."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(31)
CHANNELS, WINDOW = 3, 20


class InterpolatedLag(nn.Module):
    def __init__(self):
        super().__init__()
        self.lag = nn.Parameter(torch.full((CHANNELS,), 2.5))
        self.mix = nn.Linear(CHANNELS, 1)

    def forward(self, x):  # x: (batch, channels, window)
        pos = (WINDOW - 1 - self.lag).clamp(0, WINDOW - 1)
        lo = pos.floor().long()
        hi = (lo + 1).clamp(max=WINDOW - 1)
        frac = pos - lo.to(pos.dtype)
        take = lambda i: x.gather(2, i.view(1, -1, 1).expand(x.size(0), -1, 1)).squeeze(2)
        return self.mix((1 - frac) * take(lo) + frac * take(hi)).squeeze(-1)


x = torch.randn(48, CHANNELS, WINDOW)
y = x[:, 0, -6]
model = InterpolatedLag()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(15):
    loss = F.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
