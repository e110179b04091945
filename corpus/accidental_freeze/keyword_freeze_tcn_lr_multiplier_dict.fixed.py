"""Temporal convolutional network for a toy forecasting task, fine-tuned with per-layer learning
rates: the stem and the first two residual layers are held (multiplier 0), the rest adapt."""
import torch
import torch.nn as nn

BASE_LR = 3e-3
LR_MULT = {
    "stem": 0.0,
    "layers.0.": 0.0,
    "layers.1.": 0.0,
    "head": 2.0,
}


class Residual(nn.Module):
    def __init__(self, channels, dilation):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.norm = nn.BatchNorm1d(channels)

    def forward(self, x):
        return x + torch.relu(self.norm(self.conv(x)))


class TCN(nn.Module):
    def __init__(self, channels=16, depth=12):
        super().__init__()
        self.stem = nn.Conv1d(1, channels, 1)
        self.layers = nn.ModuleList([Residual(channels, 2 ** (i % 4)) for i in range(depth)])
        self.head = nn.Linear(channels, 1)

    def forward(self, x):
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x)
        return self.head(x[:, :, -1])


def param_groups(model, base_lr, mult):
    groups = {}
    for name, param in model.named_parameters():
        scale = 1.0
        for prefix, value in mult.items():
            if name.startswith(prefix):
                scale = value
                break
        if scale == 0:  # a multiplier of 0 holds the layer: no need to keep it in the optimizer
            param.requires_grad = False
            continue
        groups.setdefault(scale, []).append(param)
    return [{"params": params, "lr": base_lr * scale} for scale, params in groups.items()]


def series(batch=32, length=48):
    t = torch.linspace(0, 6.28, length + 1)
    phase = torch.rand(batch, 1) * 6.28
    wave = torch.sin(t + phase)
    return wave[:, None, :-1], wave[:, -1:]


model = TCN()
optimizer = torch.optim.Adam(param_groups(model, BASE_LR, LR_MULT))
for step in range(50):
    inputs, target = series()
    loss = nn.functional.mse_loss(model(inputs), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("mse", loss.item())
