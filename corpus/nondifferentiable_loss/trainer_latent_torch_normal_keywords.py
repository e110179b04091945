"""Stochastic forecaster: a context network proposes a latent (mean and spread), a decoder forecasts."""
import torch
from torch import nn


class ContextNet(nn.Module):
    def __init__(self, window=24, latent=8):
        super().__init__()
        self.gru = nn.GRU(1, 32, batch_first=True)
        self.stats = nn.Linear(32, 2 * latent)

    def forward(self, series):
        _, h = self.gru(series.unsqueeze(-1))
        mu, raw = self.stats(h[-1]).chunk(2, dim=-1)
        return mu, nn.functional.softplus(raw) + 1e-3


class Trainer:
    def __init__(self, horizon=6, latent=8):
        self.context = ContextNet(latent=latent)
        self.decoder = nn.Sequential(nn.Linear(latent, 32), nn.ReLU(), nn.Linear(32, horizon))
        params = list(self.context.parameters()) + list(self.decoder.parameters())
        self.opt = torch.optim.Adam(params, lr=2e-3)

    def step(self, series, future):
        mu, sigma = self.context(series)
        z = torch.normal(mean=mu, std=sigma)
        loss = nn.functional.l1_loss(self.decoder(z), future)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


def make_series(n=256, window=24, horizon=6):
    t = torch.arange(window + horizon, dtype=torch.float32)
    phase = torch.rand(n, 1) * 6.28
    freq = 0.2 + 0.3 * torch.rand(n, 1)
    full = torch.sin(freq * t + phase) + 0.05 * torch.randn(n, window + horizon)
    return full[:, :window], full[:, window:]


if __name__ == "__main__":
    torch.manual_seed(1)
    series, future = make_series()
    trainer = Trainer()
    for epoch in range(3):
        for i in range(0, len(series), 32):
            last = trainer.step(series[i:i + 32], future[i:i + 32])
        print(f"epoch {epoch}: l1 {last:.4f}")
