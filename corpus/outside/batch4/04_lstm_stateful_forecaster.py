"""Stateful LSTM forecaster for a long multivariate sensor stream.

The stream is cut into consecutive windows; the hidden state of one window is fed
as the initial state of the next so the model can use long-range context.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F

N_FEATURES = 3
HIDDEN = 24
WINDOW = 20
BATCH = 4          # 4 parallel streams


def make_stream(length=BATCH * 400):
    t = torch.arange(length, dtype=torch.float32)
    x = torch.stack([torch.sin(t / 7.0), torch.cos(t / 13.0), torch.sin(t / 29.0) * 0.5], dim=1)
    x = x + 0.05 * torch.randn_like(x)
    # (BATCH, T, F): split the stream into BATCH contiguous chunks
    return x.view(BATCH, -1, N_FEATURES)


class Forecaster(nn.Module):
    def __init__(self, n_features, hidden):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, num_layers=2, batch_first=True, dropout=0.1)
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, n_features))

    def forward(self, x, hx=None):
        out, hx = self.lstm(x, hx)
        return self.head(out), hx

    def init_state(self, batch):
        z = torch.zeros(self.lstm.num_layers, batch, self.lstm.hidden_size)
        return (z, z.clone())


def windows(stream, size):
    n = (stream.size(1) - 1) // size
    for i in range(n):
        s = i * size
        yield stream[:, s:s + size], stream[:, s + 1:s + size + 1]


def train_epoch(model, optimizer, stream):
    model.train()
    hx = model.init_state(stream.size(0))
    total, n = 0.0, 0
    for x, y in windows(stream, WINDOW):
        pred, hx = model(x, hx)
        loss = F.mse_loss(pred, y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total += loss.item()
        n += 1
    return total / max(n, 1)


def main():
    torch.manual_seed(0)
    stream = make_stream()
    model = Forecaster(N_FEATURES, HIDDEN)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for epoch in range(2):
        avg = train_epoch(model, optimizer, stream)
        print(f"epoch {epoch}: mse {avg:.4f}  rmse {math.sqrt(avg):.4f}")


if __name__ == "__main__":
    main()
