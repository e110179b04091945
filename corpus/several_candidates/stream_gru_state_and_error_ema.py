# Online anomaly scoring of a sensor stream: a GRU predicts the next reading, and the loss is
# normalised by a running average of the recent prediction error.
import torch
import torch.nn as nn


class NextReading(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.cell = nn.GRUCell(3, hidden)
        self.out = nn.Linear(hidden, 3)

    def forward(self, x, h):
        h = self.cell(x, h)
        return self.out(h), h


torch.manual_seed(0)
t = torch.arange(2000, dtype=torch.float32)[:, None]
stream = torch.cat([torch.sin(t / 20), torch.cos(t / 33), torch.sin(t / 7)], dim=1) + 0.05 * torch.randn(2000, 3)

model = NextReading()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
h = torch.zeros(1, 32)
err_ema = torch.tensor(1.0)

for i in range(len(stream) - 1):
    pred, h = model(stream[i:i + 1], h)
    err = (pred - stream[i + 1:i + 2]).pow(2).mean()
    err_ema = 0.99 * err_ema + 0.01 * err
    loss = err / (err_ema + 1e-3)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if i % 500 == 0:
        print(f"t={i}: err {err.item():.4f} ema {err_ema.item():.4f}")
