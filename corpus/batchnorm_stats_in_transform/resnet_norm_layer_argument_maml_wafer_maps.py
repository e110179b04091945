"""MAML on few-shot wafer-map defect patterns (centre, edge ring, scratch, donut, ...).

The backbone is a small residual network written the torchvision way: each block takes a
``norm_layer`` factory, BatchNorm2d unless told otherwise. Adaptation uses torch.func.
"""
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad

N_WAY, K_SHOT, K_QUERY = 5, 2, 4
INNER_LR, INNER_STEPS = 0.1, 1
META_BATCH, META_ITERS = 2, 20
SIDE = 16


def wafer_maps(pattern, n):
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, SIDE), torch.linspace(-1, 1, SIDE), indexing="ij")
    r, theta = torch.sqrt(xx ** 2 + yy ** 2), torch.atan2(yy, xx)
    centre, width, arc, angle = pattern
    rot = torch.rand(n, 1, 1) * 6.283
    fails = torch.exp(-((r - centre) ** 2) / (0.02 + 0.1 * width))
    fails = fails * torch.sigmoid(8 * (torch.cos(theta - rot - angle) - (1 - 2 * arc)))
    fails = fails * (r < 1).float()
    noisy = torch.bernoulli((0.05 + 0.8 * fails).clamp(0, 1))
    return noisy.unsqueeze(1)


def conv3x3(c_in, c_out, stride=1):
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1, norm_layer: Optional[Callable[..., nn.Module]] = None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self.conv1 = conv3x3(c_in, c_out, stride)
        self.bn1 = norm_layer(c_out)
        self.conv2 = conv3x3(c_out, c_out)
        self.bn2 = norm_layer(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), norm_layer(c_out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class WaferResNet(nn.Module):
    def __init__(self, n_way, widths=(8, 16, 32), norm_layer=None):
        super().__init__()
        layers, c_in = [], 1
        for i, w in enumerate(widths):
            layers.append(BasicBlock(c_in, w, stride=1 if i == 0 else 2, norm_layer=norm_layer))
            c_in = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(c_in, n_way)

    def forward(self, x):
        return self.fc(self.layers(x).mean(dim=(2, 3)))


torch.manual_seed(9)
patterns = torch.rand(50, 4)
model = WaferResNet(N_WAY)
meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def task(pool):
    chosen = pool[torch.randperm(len(pool))[:N_WAY]].tolist()
    support = torch.cat([wafer_maps(patterns[c], K_SHOT) for c in chosen])
    query = torch.cat([wafer_maps(patterns[c], K_QUERY) for c in chosen])
    return support, torch.arange(N_WAY).repeat_interleave(K_SHOT), query, torch.arange(N_WAY).repeat_interleave(K_QUERY)


def inner_loss(params, x, y):
    return F.cross_entropy(functional_call(model, params, (x,)), y)


def maml_loss(params, episode):
    xs, ys, xq, yq = episode
    for _ in range(INNER_STEPS):
        g = grad(inner_loss)(params, xs, ys)
        params = {k: p - INNER_LR * g[k] for k, p in params.items()}
    logits = functional_call(model, params, (xq,))
    return F.cross_entropy(logits, yq), (logits.argmax(1) == yq).float().mean().item()


model.train()
for it in range(1, META_ITERS + 1):
    params = dict(model.named_parameters())
    outs = [maml_loss(params, task(torch.arange(40))) for _ in range(META_BATCH)]
    loss = sum(o[0] for o in outs) / META_BATCH
    meta_opt.zero_grad()
    loss.backward()
    meta_opt.step()
    if it % 5 == 0:
        print(f"iter {it}: meta-loss {loss.item():.3f}  query acc {sum(o[1] for o in outs) / META_BATCH:.2f}")
