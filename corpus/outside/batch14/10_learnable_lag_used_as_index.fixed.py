# Report: https://github.com/pytorch/pytorch/issues/44944
# "some gradients of parameters in pytorch is None": a learnable tensor is used as an index
# (a[b]); indexing is not differentiable w.r.t. the index, so the parameter gets no gradient.
# Here a forecasting model learns a per-channel time lag that is rounded to an integer index.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

SETTINGS = {"channels": 4, "window": 32, "horizon": 1, "hidden": 32, "lr": 5e-2, "epochs": 40}


class LaggedInput(nn.Module):
    """Reads each channel `lag` steps back from the end of the window."""

    def __init__(self, channels, window, init_lag=3.0):
        super().__init__()
        self.window = window
        self.lag = nn.Parameter(torch.full((channels,), init_lag))

    def forward(self, x):  # x: (batch, channels, window)
        pos = (self.window - 1 - self.lag).clamp(0, self.window - 1)
        lo = pos.floor().long()
        hi = (lo + 1).clamp(max=self.window - 1)
        frac = pos - lo.to(pos.dtype)  # linear interpolation keeps the lag differentiable
        take = lambda i: x.gather(2, i.view(1, -1, 1).expand(x.size(0), -1, 1)).squeeze(2)
        return (1 - frac) * take(lo) + frac * take(hi)


class LagForecaster(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.lagged = LaggedInput(s["channels"], s["window"])
        self.mlp = nn.Sequential(nn.Linear(s["channels"], s["hidden"]), nn.Tanh(), nn.Linear(s["hidden"], 1))

    def forward(self, x):
        return self.mlp(self.lagged(x)).squeeze(-1)


def make_series(n=256, s=SETTINGS):
    t = np.arange(s["window"] + 1)
    phase = np.random.rand(n, s["channels"], 1) * 6.28
    series = np.sin(0.3 * t[None, None, :] + phase).astype(np.float32)
    x = torch.from_numpy(series[:, :, :-1])
    y = torch.from_numpy(series[:, 0, -9])  # target: channel 0, eight steps before the end
    return x, y


def fit(model, x, y, s=SETTINGS):
    opt = torch.optim.Adam(model.parameters(), lr=s["lr"])
    for epoch in range(s["epochs"]):
        pred = model(x.to(device))
        loss = F.mse_loss(pred, y.to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch % 10 == 0:
            print(f"epoch {epoch} loss {loss.item():.4f} lags {model.lagged.lag.detach().cpu().numpy().round(2)}")


x, y = make_series()
model = LagForecaster(SETTINGS).to(device)
fit(model, x, y)
