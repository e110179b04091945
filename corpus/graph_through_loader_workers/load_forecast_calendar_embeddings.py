# Next-day electricity load forecasting on a synthetic hourly series with daily and weekly cycles.
# Each sample is a 48-hour window; the Dataset appends learned weekday and hour-of-day embeddings
# to the window before it is batched, and the embeddings are trained with the forecaster.
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils import data


@dataclass
class Settings:
    window: int = 48
    horizon: int = 24
    batch_size: int = 16
    loader_workers: int = 2
    epochs: int = 3


class CalendarFeatures(nn.Module):
    def __init__(self, dim=4):
        super().__init__()
        self.weekday = nn.Embedding(7, dim)
        self.hour = nn.Embedding(24, dim)

    def forward(self, start_hour):
        return torch.cat([self.weekday.weight[(start_hour // 24) % 7], self.hour.weight[start_hour % 24]])


class LoadWindows(data.Dataset):
    def __init__(self, hours, cfg, calendar):
        g = torch.Generator().manual_seed(4)
        t = torch.arange(hours, dtype=torch.float32)
        weekend = ((t // 24) % 7 >= 5).float()
        self.series = 1 + 0.4 * torch.sin(2 * torch.pi * t / 24) - 0.3 * weekend + 0.05 * torch.randn(hours, generator=g)
        self.cfg = cfg
        self.calendar = calendar

    def __len__(self):
        return len(self.series) - self.cfg.window - self.cfg.horizon

    def __getitem__(self, i):
        past = self.series[i:i + self.cfg.window]
        future = self.series[i + self.cfg.window:i + self.cfg.window + self.cfg.horizon]
        return torch.cat([past, self.calendar(i + self.cfg.window)]), future


def build_loader(dataset, cfg):
    return data.DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True, drop_last=True, num_workers=cfg.loader_workers)


def main(cfg):
    torch.manual_seed(0)
    calendar = CalendarFeatures()
    loader = build_loader(LoadWindows(24 * 14, cfg, calendar), cfg)
    forecaster = nn.Sequential(nn.Linear(cfg.window + 8, 64), nn.ReLU(), nn.Linear(64, cfg.horizon))
    optimizer = torch.optim.Adam([*forecaster.parameters(), *calendar.parameters()], lr=3e-3)
    for epoch in range(cfg.epochs):
        for inputs, targets in loader:
            loss = nn.functional.mse_loss(forecaster(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: mse {loss.item():.4f}")


if __name__ == "__main__":
    main(Settings())
