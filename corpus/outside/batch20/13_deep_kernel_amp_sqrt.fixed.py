# Report: https://github.com/cornellius-gp/gpytorch/pull/869
# Deep-kernel GP regression for a sensor time series (lag windows -> MLP features -> RBF kernel),
# trained on mini-batch marginal likelihood with autocast + GradScaler. The kernel builds the
# Euclidean distance (sqrt of the summed squares) and then squares it. On the diagonal of K(x, x)
# the distance is exactly 0, and the derivative of sqrt at 0 is inf, times a zero difference:
# every backward pass puts NaN into the feature extractor's gradients. GradScaler sees the
# non-finite gradients and silently skips optimizer.step() on every iteration, so no parameter
# (feature extractor, lengthscale, outputscale, noise) ever changes; the loss just repeats.
import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

cfg = {"window": 24, "feat_dim": 4, "batch_size": 64, "epochs": 6, "lr": 5e-3, "seed": 5, "n_steps": 1400}
torch.manual_seed(cfg["seed"])
device = "cuda" if torch.cuda.is_available() else "cpu"
amp_dtype = torch.float16 if device == "cuda" else torch.bfloat16


def make_series(n):
    t = torch.arange(n, dtype=torch.float32)
    return torch.sin(2 * math.pi * t / 48) + 0.5 * torch.sin(2 * math.pi * t / 168) + 0.1 * torch.randn(n)


class LagWindows(Dataset):
    def __init__(self, series, window):
        self.s, self.w = series, window

    def __len__(self):
        return len(self.s) - self.w

    def __getitem__(self, i):
        return self.s[i:i + self.w], self.s[i + self.w]


class RBFKernel(nn.Module):
    def __init__(self):
        super().__init__()
        self.raw_lengthscale = nn.Parameter(torch.zeros(1))
        self.raw_outputscale = nn.Parameter(torch.zeros(1))

    def forward(self, x1, x2):
        ls = nn.functional.softplus(self.raw_lengthscale)
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        sq_dist = diff.pow(2).sum(-1)
        return nn.functional.softplus(self.raw_outputscale) * torch.exp(-0.5 * sq_dist / ls ** 2)


class DeepKernelGP(nn.Module):
    def __init__(self):
        super().__init__()
        self.feature_extractor = nn.Sequential(nn.Linear(cfg["window"], 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                                               nn.Linear(32, cfg["feat_dim"]))
        self.kernel = RBFKernel()
        self.raw_noise = nn.Parameter(torch.tensor([-2.0]))
        self.mean_const = nn.Parameter(torch.zeros(1))

    def nll(self, x, y):
        with torch.autocast(device_type=device, dtype=amp_dtype):
            z = self.feature_extractor(x)
        with torch.autocast(device_type=device, enabled=False):
            z = z.float()
            K = self.kernel(z, z) + (nn.functional.softplus(self.raw_noise) + 1e-4) * torch.eye(len(x), device=x.device)
            L = torch.linalg.cholesky(K)
            r = (y - self.mean_const).unsqueeze(-1)
            alpha = torch.cholesky_solve(r, L)
            return 0.5 * (r * alpha).sum() / len(x) + torch.log(torch.diagonal(L)).sum() / len(x) + 0.5 * math.log(2 * math.pi)


series = make_series(cfg["n_steps"])
series = (series - series[:1000].mean()) / series[:1000].std()
train_loader = DataLoader(LagWindows(series[:1000], cfg["window"]), batch_size=cfg["batch_size"], shuffle=True, drop_last=True)
test_loader = DataLoader(LagWindows(series[1000 - cfg["window"]:], cfg["window"]), batch_size=cfg["batch_size"], drop_last=True)

model = DeepKernelGP().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
scaler = torch.amp.GradScaler(device)

for epoch in range(cfg["epochs"]):
    model.train()
    losses = []
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = model.nll(x, y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        test_nll = sum(model.nll(x.to(device), y.to(device)).item() for x, y in test_loader) / len(test_loader)
    print(f"epoch {epoch}: train nll {sum(losses) / len(losses):.4f} test nll {test_nll:.4f} "
          f"lengthscale {nn.functional.softplus(model.kernel.raw_lengthscale).item():.3f} scale {scaler.get_scale():.3g}")
