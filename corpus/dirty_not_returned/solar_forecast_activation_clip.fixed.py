"""Day-ahead solar output forecasting with a GRU encoder.

The hidden features are clipped to a running activation range (an EMA of the batch abs-max, as
an int8 observer would keep) before the readout; the clip is done in place to spare a copy."""
import math

import torch as th
import torch.nn as tnn

CFG = {
    "seed": 11,
    "days": 160,
    "history": 48,
    "horizon": 12,
    "hidden": 32,
    "batch": 32,
    "epochs": 3,
    "lr": 4e-3,
    "range_decay": 0.95,
}


class EmaClip(th.autograd.Function):
    @staticmethod
    def forward(
        ctx,
        acts,
        clip_range,
        decay,
        observe,
    ):
        if observe:
            batch_max = acts.detach().abs().amax()
            if clip_range.item() == 0.0:
                clip_range.copy_(batch_max)
            else:
                clip_range.mul_(decay).add_((1.0 - decay) * batch_max)
            ctx.mark_dirty(acts)
        else:
            ctx.mark_dirty(acts)
        bound = clip_range.item()
        passed = acts.abs() <= bound
        ctx.save_for_backward(passed)
        if passed.all():
            return acts
        acts.clamp_(-bound, bound)
        return acts

    @staticmethod
    def backward(ctx, grad_out):
        (passed,) = ctx.saved_tensors
        return grad_out * passed, None, None, None


class SolarForecaster(tnn.Module):
    def __init__(self, hidden, horizon, decay):
        super().__init__()
        self.gru = tnn.GRU(input_size=3, hidden_size=hidden, batch_first=True)
        self.proj = tnn.Linear(hidden, hidden)
        self.readout = tnn.Linear(hidden, horizon)
        self.register_buffer("clip_range", th.zeros(()))
        self.decay = decay

    def forward(self, window):
        _, h_last = self.gru(window)
        feats = self.proj(h_last[-1])
        feats = EmaClip.apply(
            feats,
            self.clip_range,
            self.decay,
            self.training,
        )
        return self.readout(th.nn.functional.silu(feats))


def make_series(days, seed):
    gen = th.Generator().manual_seed(seed)
    hours = th.arange(days * 24, dtype=th.float32)
    daylight = th.clamp(th.sin((hours % 24 - 6) / 12 * math.pi), min=0.0)
    cloud = th.rand(days, generator=gen).repeat_interleave(24)
    power = daylight * (1.0 - 0.7 * cloud) + 0.02 * th.randn(len(hours), generator=gen)
    hour_sin = th.sin(2 * math.pi * hours / 24)
    hour_cos = th.cos(2 * math.pi * hours / 24)
    return th.stack([power, hour_sin, hour_cos], dim=1)


def windows(series, history, horizon):
    xs, ys = [], []
    for start in range(0, len(series) - history - horizon, 6):
        xs.append(series[start:start + history])
        ys.append(series[start + history:start + history + horizon, 0])
    return th.stack(xs), th.stack(ys)


def run():
    th.manual_seed(CFG["seed"])
    x, y = windows(make_series(CFG["days"], CFG["seed"]), CFG["history"], CFG["horizon"])
    cut = int(0.85 * len(x))
    model = SolarForecaster(CFG["hidden"], CFG["horizon"], CFG["range_decay"])
    optim = th.optim.Adam(model.parameters(), lr=CFG["lr"])
    loss_fn = tnn.MSELoss()

    model.eval()
    with th.no_grad():
        print(f"untrained val MSE: {loss_fn(model(x[cut:]), y[cut:]).item():.4f}")
    model.train()

    for epoch in range(CFG["epochs"]):
        order = th.randperm(cut)
        for i in range(0, cut, CFG["batch"]):
            idx = order[i:i + CFG["batch"]]
            loss = loss_fn(model(x[idx]), y[idx])
            optim.zero_grad()
            loss.backward()
            optim.step()
        model.eval()
        with th.no_grad():
            val = loss_fn(model(x[cut:]), y[cut:]).item()
        model.train()
        print(f"epoch {epoch}: train MSE {loss.item():.4f}  val MSE {val:.4f}  clip range {model.clip_range.item():.3f}")


if __name__ == "__main__":
    run()
