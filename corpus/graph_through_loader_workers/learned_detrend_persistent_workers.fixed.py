# Forecasts the next 12 steps of noisy seasonal sensor series with an MLP. Each window is first
# detrended by a learnable smoothing kernel (trained with the forecaster) inside the Dataset.
# The loader keeps its workers alive between epochs and prefetches, to keep the CPU busy.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

WINDOW, HORIZON = 48, 12


class LearnedDetrend(nn.Module):
    def __init__(self, width=9):
        super().__init__()
        self.kernel = nn.Parameter(torch.full((1, 1, width), 1.0 / width))

    def forward(self, series):
        trend = F.conv1d(series.view(1, 1, -1), self.kernel, padding=self.kernel.shape[-1] // 2).view(-1)
        return series - trend


class SensorWindows(Dataset):
    def __init__(self, n_series, length, detrend):
        g = torch.Generator().manual_seed(3)
        t = torch.arange(length, dtype=torch.float32)
        phase = torch.rand(n_series, 1, generator=g) * 6.28
        slope = 0.02 * torch.randn(n_series, 1, generator=g)
        self.series = torch.sin(t / 6 + phase) + slope * t + 0.1 * torch.randn(n_series, length, generator=g)
        self.starts = [(s, i) for s in range(n_series) for i in range(0, length - WINDOW - HORIZON, 8)]
        self.detrend = detrend

    def __len__(self):
        return len(self.starts)

    def __getitem__(self, k):
        s, i = self.starts[k]
        chunk = self.detrend(self.series[s, i:i + WINDOW + HORIZON])
        return chunk[:WINDOW], chunk[WINDOW:]


def main():
    torch.manual_seed(0)
    detrend = LearnedDetrend()
    windows = SensorWindows(24, 200, detrend)
    loader = DataLoader(
        windows,
        batch_size=64,
        shuffle=True,
        num_workers=0,
        persistent_workers=False,
        prefetch_factor=None,
    )
    forecaster = nn.Sequential(nn.Linear(WINDOW, 64), nn.ReLU(), nn.Linear(64, HORIZON))
    optimizer = torch.optim.Adam([*forecaster.parameters(), *detrend.parameters()], lr=2e-3)
    for epoch in range(4):
        total = 0.0
        for history, future in loader:
            loss = F.mse_loss(forecaster(history), future)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(history)
        print(f"epoch {epoch}: mse {total / len(windows):.4f}")


if __name__ == "__main__":
    main()
