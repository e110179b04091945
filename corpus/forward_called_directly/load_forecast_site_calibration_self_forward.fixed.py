"""Day-ahead electricity load forecasting, transferred to a new substation.

Stage 1 fits a GRU forecaster on a source substation. Stage 2 adapts it to a target substation
with little history: the encoder is frozen, the output head is re-fitted, and a per-horizon
affine calibration (scale and shift for each of the 24 forecast hours) corrects the output.
"""
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

LOOKBACK = 48
HORIZON = 24
SEED = 17


def substation_load(days, gen, base, peak_hour, noise):
    hours = torch.arange(days * 24, dtype=torch.float32)
    daily = torch.exp(-0.5 * ((hours % 24 - peak_hour) / 3.0) ** 2)
    weekly = 1.0 - 0.25 * ((hours // 24) % 7 >= 5).float()
    return base + weekly * daily + noise * torch.randn(len(hours), generator=gen)


def windows(series, stride=6):
    starts = range(0, len(series) - LOOKBACK - HORIZON, stride)
    x = torch.stack([series[s:s + LOOKBACK] for s in starts]).unsqueeze(-1)
    y = torch.stack([series[s + LOOKBACK:s + LOOKBACK + HORIZON] for s in starts])
    return x, y


class Forecaster(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.encoder = nn.GRU(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, HORIZON)

    def forward(self, x):
        _, h = self.encoder(x)
        return self.head(h[-1])

    def _shared_step(self, batch):
        x, y = batch
        return F.l1_loss(self(x), y)

    def training_step(self, batch, optimizer):
        loss = self._shared_step(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    @torch.no_grad()
    def validation_step(self, batch):
        return self._shared_step(batch).item()


def apply_calibration(module, args, output, *, scale, shift):
    return output * scale + shift


def fit(model, params, train, val, epochs, lr, tag):
    optimizer = torch.optim.Adam(params, lr=lr)
    x, y = train
    for epoch in range(epochs):
        losses = []
        for idx in torch.randperm(len(x)).split(32):
            losses.append(model.training_step((x[idx], y[idx]), optimizer))
        print(f"{tag} epoch {epoch}: train MAE {sum(losses) / len(losses):.4f}  val MAE {model.validation_step(val):.4f}")


def main():
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    source = windows(substation_load(90, gen, base=1.0, peak_hour=18, noise=0.05))
    target = windows(substation_load(30, gen, base=2.5, peak_hour=19, noise=0.08))
    n = int(0.75 * len(target[0]))
    target_train = (target[0][:n], target[1][:n])
    target_val = (target[0][n:], target[1][n:])

    model = Forecaster()
    fit(model, model.parameters(), source, target_val, epochs=3, lr=1e-2, tag="source")

    model.encoder.requires_grad_(False)
    scale = nn.Parameter(torch.ones(HORIZON))
    shift = nn.Parameter(torch.zeros(HORIZON))
    model.register_forward_hook(partial(apply_calibration, scale=scale, shift=shift))
    fit(model, [*model.head.parameters(), scale, shift], target_train, target_val, epochs=4, lr=1e-2, tag="target")


if __name__ == "__main__":
    main()
