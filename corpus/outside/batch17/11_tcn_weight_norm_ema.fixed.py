# Report: https://github.com/pytorch/pytorch/issues/28594
# A TCN forecaster built with torch.nn.utils.weight_norm keeps an EMA copy of its weights for
# evaluation. copy.deepcopy of a module with the old weight_norm hook fails: the computed
# `weight` is not a graph leaf ("Only Tensors created explicitly by the user ... deepcopy").
import copy

import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import weight_norm

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class Chomp1d(nn.Module):
    def __init__(self, chomp_size):
        super().__init__()
        self.chomp_size = chomp_size

    def forward(self, x):
        return x[:, :, :-self.chomp_size].contiguous()


class TemporalBlock(nn.Module):
    def __init__(self, n_inputs, n_outputs, kernel_size, stride, dilation, padding, dropout=0.2):
        super().__init__()
        self.conv1 = weight_norm(nn.Conv1d(n_inputs, n_outputs, kernel_size, stride=stride,
                                           padding=padding, dilation=dilation))
        self.chomp1 = Chomp1d(padding)
        self.relu1 = nn.ReLU()
        self.dropout1 = nn.Dropout(dropout)
        self.conv2 = weight_norm(nn.Conv1d(n_outputs, n_outputs, kernel_size, stride=stride,
                                           padding=padding, dilation=dilation))
        self.chomp2 = Chomp1d(padding)
        self.relu2 = nn.ReLU()
        self.dropout2 = nn.Dropout(dropout)
        self.net = nn.Sequential(self.conv1, self.chomp1, self.relu1, self.dropout1,
                                 self.conv2, self.chomp2, self.relu2, self.dropout2)
        self.downsample = nn.Conv1d(n_inputs, n_outputs, 1) if n_inputs != n_outputs else None
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.net(x)
        res = x if self.downsample is None else self.downsample(x)
        return self.relu(out + res)


class TCNForecaster(nn.Module):
    def __init__(self, input_size, num_channels, kernel_size=3, dropout=0.1):
        super().__init__()
        layers = []
        for i, ch in enumerate(num_channels):
            dilation = 2 ** i
            in_ch = input_size if i == 0 else num_channels[i - 1]
            layers.append(TemporalBlock(in_ch, ch, kernel_size, 1, dilation,
                                        (kernel_size - 1) * dilation, dropout))
        self.tcn = nn.Sequential(*layers)
        self.linear = nn.Linear(num_channels[-1], input_size)

    def forward(self, x):                     # x: [B, C, T]
        return self.linear(self.tcn(x)[:, :, -1])


class EMA:
    def __init__(self, model, decay=0.99):
        self.decay = decay
        self.ema_model = copy.deepcopy(model).eval()
        for p in self.ema_model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        for e, p in zip(self.ema_model.parameters(), model.parameters()):
            e.mul_(self.decay).add_(p.detach(), alpha=1 - self.decay)


def make_batch(batch=32, channels=3, length=48):
    t = torch.arange(length + 1).float()
    phase = torch.rand(batch, channels, 1) * 6.28
    series = torch.sin(0.3 * t + phase) + 0.05 * torch.randn(batch, channels, length + 1)
    return series[:, :, :-1], series[:, :, -1]


model = TCNForecaster(input_size=3, num_channels=[16, 16, 16]).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
criterion = nn.MSELoss()
ema = EMA(model)
ema_model = ema.ema_model

for epoch in range(4):
    model.train()
    for _ in range(10):
        x, y = make_batch()
        x, y = x.to(device), y.to(device)
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema.update(model)
    with torch.no_grad():
        xv, yv = make_batch()
        val = criterion(ema_model(xv.to(device)), yv.to(device)).item()
    print(f"epoch {epoch}  train {loss.item():.4f}  ema val {val:.4f}")
