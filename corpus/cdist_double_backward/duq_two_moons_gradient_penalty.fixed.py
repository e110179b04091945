"""Deterministic Uncertainty Quantification (van Amersfoort et al., 2020) on two moons: a feature
extractor, one linear map per class into a shared embedding space, an RBF kernel to each class's
centroid (kept as an exponential moving average), and the two-sided gradient penalty on the
inputs that keeps the feature map sensitive to them."""
import math

import torch as th
import torch.nn as nn
import torch.nn.functional as F

th.manual_seed(0)

N_CLASSES = 2
EMBED = 16
LENGTH_SCALE = 0.3
GAMMA = 0.99
GP_WEIGHT = 0.5
BATCH = 24
EPOCHS = 12


def two_moons(n, noise=0.1):
    t = th.rand(n) * math.pi
    upper = th.stack([th.cos(t), th.sin(t)], 1)
    lower = th.stack([1 - th.cos(t), 0.5 - th.sin(t)], 1)
    y = th.randint(0, 2, (n,))
    x = th.where(y[:, None] == 0, upper, lower) + noise * th.randn(n, 2)
    return x, y


class DUQ(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.W = nn.Parameter(th.randn(N_CLASSES, EMBED, hidden) * 0.1)
        self.register_buffer("N", th.full((N_CLASSES,), 12.0))
        self.register_buffer("m", th.randn(N_CLASSES, EMBED) * 0.6)

    def embed(self, x):
        return th.einsum("ceh,bh->cbe", self.W, self.features(x))

    def centroids(self):
        return self.m / self.N[:, None]

    def forward(self, x):
        z = self.embed(x)
        d = th.cdist(z, self.centroids()[:, None, :], compute_mode="use_mm_for_euclid_dist").squeeze(-1)
        return th.exp(-d.pow(2) / (2 * EMBED * LENGTH_SCALE ** 2)).t()

    @th.no_grad()
    def update_centroids(self, x, y):
        z = self.embed(x)
        one_hot = F.one_hot(y, N_CLASSES).float()
        self.N = GAMMA * self.N + (1 - GAMMA) * one_hot.sum(0)
        self.m = GAMMA * self.m + (1 - GAMMA) * th.einsum("cbe,bc->ce", z, one_hot)


def two_sided_penalty(x, kernels):
    g = th.autograd.grad(kernels.sum(), x, create_graph=True)[0]
    return ((g.pow(2).sum(1) - 1) ** 2).mean()


def train_epoch(model, opt, xs, ys):
    model.train()
    perm = th.randperm(len(xs))
    total = 0.0
    for i in range(0, len(xs), BATCH):
        idx = perm[i:i + BATCH]
        x = xs[idx].requires_grad_(True)
        y = ys[idx]
        kernels = model(x)
        loss = F.binary_cross_entropy(kernels, F.one_hot(y, N_CLASSES).float())
        loss = loss + GP_WEIGHT * two_sided_penalty(x, kernels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.update_centroids(xs[idx], y)
        total += loss.item() * len(idx)
    return total / len(xs)


def main():
    xs, ys = two_moons(480)
    xv, yv = two_moons(200)
    model = DUQ()
    opt = th.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    for epoch in range(EPOCHS):
        loss = train_epoch(model, opt, xs, ys)
        with th.no_grad():
            k = model(xv)
            acc = (k.argmax(1) == yv).float().mean().item()
            far = model(th.tensor([[4.0, 4.0]])).max().item()
        print(f"epoch {epoch:2d}  loss {loss:.4f}  val acc {acc:.3f}  certainty far away {far:.3f}")


if __name__ == "__main__":
    main()
