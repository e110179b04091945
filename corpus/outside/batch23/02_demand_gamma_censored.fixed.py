# Report: https://github.com/pytorch/pytorch/pull/130782
# The PR (for issue #80025) says torch.igamma / torch.special.gammainc, and so Gamma.cdf, have no
# backward with respect to the first argument (the concentration): backward raises
# "the derivative for 'igamma: input' is not implemented".
"""Probabilistic daily demand forecast for fresh produce with stock-out censoring.

Sales are only a lower bound of demand on days the shelf ran empty. A GRU reads the last four
weeks of sales and calendar features and outputs a Gamma distribution over tomorrow's demand.
Uncensored days use the Gamma log-density; stock-out days use the log survival function
log P(D >= sales) = log(1 - F(sales)), as in censored (Tobit-style) likelihoods.
"""
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Gamma
from torch.utils.data import DataLoader, Dataset

CONTEXT = 28
N_STORES = 16
N_DAYS = 220


def simulate_store(rng, n_days):
    """Demand in kg with weekly seasonality, a trend and a finite daily stock."""
    base = rng.uniform(20, 60)
    trend = rng.uniform(-0.02, 0.05)
    weekly = [rng.uniform(0.8, 1.3) for _ in range(7)]
    shape = rng.uniform(4, 10)
    demand, sales, stock_out = [], [], []
    for d in range(n_days):
        mean = (base + trend * d) * weekly[d % 7]
        dem = rng.gammavariate(shape, mean / shape)
        stock = mean * rng.uniform(0.9, 1.6)
        s = min(dem, stock)
        demand.append(dem)
        sales.append(s)
        stock_out.append(1.0 if dem >= stock else 0.0)
    return demand, sales, stock_out


class DemandWindows(Dataset):
    def __init__(self, series, start, end):
        self.items = []
        for sales, stock_out in series:
            scale = sum(sales[:CONTEXT]) / CONTEXT
            for t in range(max(start, CONTEXT), end):
                past = torch.tensor(sales[t - CONTEXT:t]) / scale
                dow = torch.tensor([(t - CONTEXT + k) % 7 for k in range(CONTEXT + 1)])
                self.items.append((past, dow, sales[t] / scale, stock_out[t], scale))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        past, dow, y, cens, scale = self.items[i]
        return past, dow, torch.tensor(y), torch.tensor(cens), torch.tensor(scale)


class GammaForecaster(nn.Module):
    def __init__(self, hidden=48):
        super().__init__()
        self.dow_emb = nn.Embedding(7, 4)
        self.gru = nn.GRU(1 + 4, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden + 4, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, past, dow):
        x = torch.cat([past.unsqueeze(-1), self.dow_emb(dow[:, :-1])], dim=-1)
        _, h = self.gru(x)
        z = torch.cat([h[-1], self.dow_emb(dow[:, -1])], dim=-1)
        raw = self.head(z)
        concentration = F.softplus(raw[:, 0]) + 0.5
        rate = F.softplus(raw[:, 1]) + 1e-3
        return concentration, rate


def censored_nll(concentration, rate, y, censored):
    dist = Gamma(concentration, rate)
    y = y.clamp_min(1e-3)
    log_pdf = dist.log_prob(y)
    # igamma has no derivative w.r.t. the concentration: the survival term trains the rate only
    log_surv = torch.log1p(-Gamma(concentration.detach(), rate).cdf(y).clamp(max=1 - 1e-6))
    ll = torch.where(censored > 0.5, log_surv, log_pdf)
    return -ll.mean()


def evaluate(model, loader):
    model.eval()
    nll, crps_proxy, n = 0.0, 0.0, 0
    with torch.no_grad():
        for past, dow, y, cens, scale in loader:
            c, r = model(past, dow)
            nll += Gamma(c, r).log_prob(y.clamp_min(1e-3)).neg().sum().item()
            crps_proxy += ((c / r - y).abs() * scale).sum().item()
            n += len(y)
    model.train()
    return nll / n, crps_proxy / n


def main():
    rng = random.Random(0)
    torch.manual_seed(0)
    series = []
    for _ in range(N_STORES):
        _, sales, stock_out = simulate_store(rng, N_DAYS)
        series.append((sales, stock_out))
    print("stock-out rate:", sum(sum(s) for _, s in series) / (N_STORES * N_DAYS))

    train_ds = DemandWindows(series, 0, 180)
    val_ds = DemandWindows(series, 180, N_DAYS)
    train_loader = DataLoader(train_ds, batch_size=128, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=256)

    model = GammaForecaster()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    total_steps = 4 * len(train_loader)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=total_steps)

    step = 0
    for epoch in range(4):
        for past, dow, y, cens, _ in train_loader:
            concentration, rate = model(past, dow)
            loss = censored_nll(concentration, rate, y, cens)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            if step % 20 == 0:
                print(f"step {step}: censored NLL {loss.item():.4f}")
        val_nll, val_mae = evaluate(model, val_loader)
        print(f"epoch {epoch}: val NLL {val_nll:.4f}  val MAE (kg) {val_mae:.2f}")


if __name__ == "__main__":
    main()
