"""Layer-wise learning-rate decay: later parameters get larger learning rates; no decay on biases."""
import torch
import torch.nn as nn
from torch.optim import Adam as Optimizer

BASE_LR, DECAY, WD = 1e-3, 0.8, 1e-2


def build_mlp(sizes):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.GELU()]
    return nn.Sequential(*layers[:-1])


net = build_mlp([6, 24, 24, 24, 1])
num = len(list(net.parameters()))
groups = []
for i, (weight, pname) in enumerate(net.named_parameters()):
    groups.append({
        "params": [weight],
        "lr": BASE_LR * DECAY ** (num - 1 - i),
        "weight_decay": 0.0 if "bias" in pname else WD,
    })
optimizer = Optimizer(groups)

torch.manual_seed(0)
xs = torch.linspace(-2, 2, 60).unsqueeze(1).repeat(1, 6)
ys = torch.sin(xs[:, :1]) + 0.1 * xs[:, 1:2] ** 2
for step in range(10):
    pred = net(xs)
    loss = ((pred - ys) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("final loss", loss.item())
