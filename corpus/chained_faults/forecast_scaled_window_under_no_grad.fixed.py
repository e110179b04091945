# One-step-ahead load forecasting: each window is standardised, then a GRU predicts the next value.
import torch
import torch.nn as nn
import torch.nn.functional as F


class LoadForecaster(nn.Module):
    def __init__(self, hidden=24):
        super().__init__()
        self.gru = nn.GRU(input_size=1, hidden_size=hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, window):
        _, h = self.gru(window.unsqueeze(-1))
        return self.out(h[-1])


def daily_load(days=60, per_day=24):
    t = torch.arange(days * per_day, dtype=torch.float32)
    return 50 + 10 * torch.sin(2 * torch.pi * t / per_day) + 2 * torch.randn_like(t)


torch.manual_seed(0)
series = daily_load()
model = LoadForecaster()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(8):
    starts = torch.randint(0, len(series) - 49, (64,))
    window = torch.stack([series[s:s + 48] for s in starts.tolist()])
    target = torch.stack([series[s + 48] for s in starts.tolist()]).unsqueeze(-1)
    mean = window.mean(dim=1, keepdim=True)
    std = window.std(dim=1, keepdim=True) + 1e-5
    with torch.no_grad():
        naive_mae = (window[:, -1:] - target).abs().mean()
    forecast = model((window - mean) / std)
    loss = F.l1_loss(forecast, (target - mean) / std)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: scaled mae {loss.item():.4f} (persistence baseline {naive_mae.item():.2f})")
