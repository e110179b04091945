"""Synthetic accelerometer windows for the activity recogniser: three-axis signals whose dominant
frequency depends on the activity, split into training and validation loaders."""
import math

import torch
from torch.utils.data import DataLoader, TensorDataset

ACTIVITIES = ["sitting", "walking", "running", "cycling"]


def synthetic_windows(n_windows, length=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(len(ACTIVITIES), (n_windows,), generator=g)
    t = torch.arange(length) / 32.0
    freq = 0.5 + 1.5 * labels.float()
    phase = 2 * math.pi * torch.rand(n_windows, 3, 1, generator=g)
    signal = torch.sin(2 * math.pi * freq[:, None, None] * t + phase)
    return signal + 0.3 * torch.randn(n_windows, 3, length, generator=g), labels


def make_loaders(batch_size=32, n_train=385, n_val=96):
    x, y = synthetic_windows(n_train + n_val)
    train = TensorDataset(x[:n_train], y[:n_train])
    val = TensorDataset(x[n_train:], y[n_train:])
    train_loader = DataLoader(train, batch_size=batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val, batch_size=batch_size)
    return train_loader, val_loader
