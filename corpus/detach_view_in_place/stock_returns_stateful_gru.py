"""Next-day return forecasting for a basket of synthetic equities. The GRU reads the price history
window by window in calendar order and keeps its state between windows, so the model sees the
whole history while each backward pass only spans one window."""
from dataclasses import dataclass

import torch
from torch import nn, optim


@dataclass
class Config:
    n_tickers: int = 32
    n_days: int = 640
    window: int = 20
    hidden_size: int = 48
    lr: float = 1e-3
    epochs: int = 4
    weight_decay: float = 1e-5
    seed: int = 11


def simulate_market(cfg: Config) -> tuple[torch.Tensor, torch.Tensor]:
    """Log returns with a shared market factor, sector momentum and volume spikes."""
    g = torch.Generator().manual_seed(cfg.seed)
    market = 0.01 * torch.randn(cfg.n_days, generator=g)
    sector = torch.randint(0, 4, (cfg.n_tickers,), generator=g)
    beta = 0.5 + torch.rand(cfg.n_tickers, generator=g)
    returns = torch.zeros(cfg.n_tickers, cfg.n_days)
    for t in range(1, cfg.n_days):
        momentum = 0.15 * returns[:, t - 1] + 0.002 * (sector.float() - 1.5)
        noise = 0.012 * torch.randn(cfg.n_tickers, generator=g)
        returns[:, t] = beta * market[t] + momentum + noise
    volume = torch.log1p(returns.abs() * 80 + 0.3 * torch.rand(cfg.n_tickers, cfg.n_days, generator=g))
    volume = (volume - volume.mean(dim=1, keepdim=True)) / volume.std(dim=1, keepdim=True)
    features = torch.stack([returns * 50, volume], dim=-1)
    return features, returns * 50


class StatefulStockGRU(nn.Module):
    def __init__(self, n_features: int, hidden_size: int):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden_size, batch_first=True)
        self.head = nn.Sequential(nn.LayerNorm(hidden_size), nn.Linear(hidden_size, 1))
        self.hidden = None

    def reset_state(self):
        self.hidden = None

    def detach_state(self):
        if self.hidden is not None:
            self.hidden.detach_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, h_n = self.gru(x, self.hidden)
        self.hidden = h_n[-1:]
        return self.head(out).squeeze(-1)


def windows(features, target, size):
    for start in range(0, features.shape[1] - size - 1, size):
        yield features[:, start:start + size], target[:, start + 1:start + size + 1]


def train(cfg: Config):
    torch.manual_seed(cfg.seed)
    features, target = simulate_market(cfg)
    split = int(cfg.n_days * 0.8)
    train_x, train_y = features[:, :split], target[:, :split]
    test_x, test_y = features[:, split:], target[:, split:]

    model = StatefulStockGRU(features.shape[-1], cfg.hidden_size)
    opt = optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    criterion = nn.HuberLoss(delta=1.0)

    for epoch in range(cfg.epochs):
        model.train()
        model.reset_state()
        running = []
        for x, y in windows(train_x, train_y, cfg.window):
            model.detach_state()
            pred = model(x)
            loss = criterion(pred, y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
            opt.step()
            running.append(loss.item())

        model.eval()
        model.reset_state()
        hits, total = 0, 0
        with torch.no_grad():
            for x, y in windows(test_x, test_y, cfg.window):
                pred = model(x)
                hits += ((pred > 0) == (y > 0)).sum().item()
                total += y.numel()
        print(f"epoch {epoch}: train huber {sum(running) / len(running):.4f}  "
              f"directional accuracy {hits / max(total, 1):.3f}")
    return model


if __name__ == "__main__":
    train(Config())
