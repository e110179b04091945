# Multivariate sensor forecasting with a GRU encoder-decoder, RevIN normalisation, calendar
# embeddings and scheduled sampling.
#
# Look-alike (correct script). RevIN reference implementation:
# https://github.com/ts-kim/RevIN/blob/master/RevIN.py
#
# Things that look wrong but are right:
#  - RevIN stores the instance mean/std on the module with .detach() (exactly as the reference
#    code does); only the statistics are constants, the affine weight/bias still train through
#    both the 'norm' and the 'denorm' calls;
#  - the decoder feeds back its own prediction with .detach() when it does not teacher-force
#    (scheduled sampling), and the teacher-forcing ratio decays to 0;
#  - the hour-of-day embedding uses padding_idx=0 for "unknown", so that row gets no gradient;
#  - evaluation is an autoregressive rollout under torch.no_grad() and model.eval().
import argparse
import math
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "channels": 3,
    "input_len": 48,
    "horizon": 12,
    "hidden": 32,
    "series_len": 1600,
    "batch_size": 64,
    "lr": 3e-3,
    "epochs": 6,
    "tf_start": 1.0,
}


class RevIN(nn.Module):
    def __init__(self, num_features, eps=1e-5, affine=True):
        super().__init__()
        self.eps, self.affine = eps, affine
        if affine:
            self.affine_weight = nn.Parameter(torch.ones(num_features))
            self.affine_bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x, mode):
        if mode == "norm":
            self.mean = x.mean(dim=1, keepdim=True).detach()
            self.stdev = torch.sqrt(x.var(dim=1, keepdim=True, unbiased=False) + self.eps).detach()
            x = (x - self.mean) / self.stdev
            return x * self.affine_weight + self.affine_bias if self.affine else x
        if mode == "denorm":
            if self.affine:
                x = (x - self.affine_bias) / (self.affine_weight + self.eps * self.eps)
            return x * self.stdev + self.mean
        raise NotImplementedError(mode)


class Seq2Seq(nn.Module):
    def __init__(self, channels, hidden, horizon):
        super().__init__()
        self.horizon = horizon
        self.revin = RevIN(channels)
        self.hour_embed = nn.Embedding(25, 4, padding_idx=0)  # 0 = unknown, 1..24 = hour
        self.encoder = nn.GRU(channels + 4, hidden, batch_first=True)
        self.decoder = nn.GRUCell(channels + 4, hidden)
        self.head = nn.Linear(hidden, channels)

    def forward(self, x, hours_in, hours_out, y=None, tf_ratio=0.0):
        x = self.revin(x, "norm")
        _, h = self.encoder(torch.cat([x, self.hour_embed(hours_in)], dim=-1))
        h = h.squeeze(0)
        y_norm = None
        if y is not None:  # targets in the same normalised space as the inputs (no grad needed)
            y_norm = (y - self.revin.mean) / self.revin.stdev * self.revin.affine_weight.detach() \
                + self.revin.affine_bias.detach()
        prev, outs = x[:, -1], []
        for step in range(self.horizon):
            h = self.decoder(torch.cat([prev, self.hour_embed(hours_out[:, step])], dim=-1), h)
            pred = self.head(h)
            outs.append(pred)
            if y_norm is not None and random.random() < tf_ratio:
                prev = y_norm[:, step]
            else:
                prev = pred.detach()
        return self.revin(torch.stack(outs, dim=1), "denorm")


def make_dataset(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(cfg["series_len"], dtype=torch.float)
    hour = (t % 24).long() + 1
    base = torch.stack([torch.sin(2 * math.pi * t / 24 + k) for k in range(cfg["channels"])], dim=1)
    level = torch.cumsum(0.05 * torch.randn(cfg["series_len"], cfg["channels"], generator=g), 0)
    series = 5.0 + 2.0 * base + level + 0.2 * torch.randn(cfg["series_len"], cfg["channels"], generator=g)
    hour[torch.rand(cfg["series_len"], generator=g) < 0.05] = 0  # missing timestamps
    L, H = cfg["input_len"], cfg["horizon"]
    idx = torch.arange(0, cfg["series_len"] - L - H, 2)
    xs = torch.stack([series[i:i + L] for i in idx])
    ys = torch.stack([series[i + L:i + L + H] for i in idx])
    hi = torch.stack([hour[i:i + L] for i in idx])
    ho = torch.stack([hour[i + L:i + L + H] for i in idx])
    return xs, hi, ho, ys


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    p.add_argument("--lr", type=float, default=CONFIG["lr"])
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


args = parse_args()
torch.manual_seed(args.seed)
random.seed(args.seed)
device = "cuda" if torch.cuda.is_available() else "cpu"

data = make_dataset(CONFIG, seed=args.seed)
n_train = int(0.8 * data[0].size(0))
train_loader = DataLoader(TensorDataset(*(d[:n_train] for d in data)), batch_size=CONFIG["batch_size"], shuffle=True)
val = [d[n_train:].to(device) for d in data]

model = Seq2Seq(CONFIG["channels"], CONFIG["hidden"], CONFIG["horizon"]).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)

for epoch in range(args.epochs):
    tf_ratio = CONFIG["tf_start"] * max(0.0, 1.0 - epoch / (args.epochs - 1))
    model.train()
    t0, total = time.time(), 0.0
    for x, hi, ho, y in train_loader:
        x, hi, ho, y = x.to(device), hi.to(device), ho.to(device), y.to(device)
        pred = model(x, hi, ho, y=y, tf_ratio=tf_ratio)
        loss = F.mse_loss(pred, y)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total += loss.item() * x.size(0)
    model.eval()
    with torch.no_grad():
        val_mae = (model(val[0], val[1], val[2]) - val[3]).abs().mean().item()
    print(f"epoch {epoch}: tf {tf_ratio:.2f} train mse {total / n_train:.4f} val mae {val_mae:.4f} "
          f"revin w {model.revin.affine_weight.detach().mean():.3f} ({time.time() - t0:.1f}s)")
