# Report: https://github.com/pytorch/pytorch/issues/83510
# torch.cdist (without the matmul path) raises "the derivative for '_cdist_backward' is not
# implemented" when a loss built from a create_graph=True gradient through it is back-propagated.
"""Denoising score matching with an RBF-feature energy model on a 2-D ring mixture.

The score is the negative input-gradient of the energy, so each training step differentiates
through the energy twice (once for the score, once for the parameters).
"""

import argparse
import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def make_rings(n, generator):
    radius = torch.where(torch.rand(n, generator=generator) < 0.5, 1.0, 2.0)
    theta = torch.rand(n, generator=generator) * 2 * math.pi
    pts = torch.stack([radius * theta.cos(), radius * theta.sin()], 1)
    return pts + 0.05 * torch.randn(n, 2, generator=generator)


class RBFEnergy(nn.Module):
    def __init__(self, n_centers=32, hidden=64, bandwidth=0.5):
        super().__init__()
        self.centers = nn.Parameter(torch.randn(n_centers, 2) * 1.5)
        self.log_bw = nn.Parameter(torch.tensor(math.log(bandwidth)))
        self.sigma_embed = nn.Linear(1, n_centers)
        self.mlp = nn.Sequential(nn.Linear(n_centers, hidden), nn.Softplus(),
                                 nn.Linear(hidden, hidden), nn.Softplus(),
                                 nn.Linear(hidden, 1, bias=False))

    def forward(self, x, sigma):
        d = torch.cdist(x, self.centers, compute_mode="use_mm_for_euclid_dist")
        feats = torch.exp(-0.5 * (d / self.log_bw.exp()) ** 2)
        feats = feats * torch.sigmoid(self.sigma_embed(sigma.log()))
        return self.mlp(feats).squeeze(-1)

    def score(self, x, sigma, create_graph):
        with torch.enable_grad():
            if not x.requires_grad:
                x = x.requires_grad_(True)
            energy = self(x, sigma)
            (grad,) = torch.autograd.grad(energy.sum(), x, create_graph=create_graph)
        return -grad


def dsm_loss(model, x, sigmas):
    idx = torch.randint(len(sigmas), (len(x),))
    sigma = sigmas[idx].unsqueeze(-1)
    noise = torch.randn_like(x)
    x_noisy = (x + sigma * noise).requires_grad_(True)
    score = model.score(x_noisy, sigma, create_graph=True)
    target = -noise / sigma
    return 0.5 * ((sigma * (score - target)) ** 2).sum(-1).mean()


@torch.no_grad()
def validate(model, loader, sigmas):
    total, count = 0.0, 0
    for (x,) in loader:
        with torch.enable_grad():
            loss = dsm_loss(model, x, sigmas)
        total += loss.item() * len(x)
        count += len(x)
    return total / count


def langevin(model, n, sigmas, steps=10, eps=2e-3):
    x = torch.randn(n, 2) * sigmas[0]
    for s in sigmas:
        sig = torch.full((n, 1), float(s))
        step = eps * (s / sigmas[-1]) ** 2
        for _ in range(steps):
            x = x + step * model.score(x.detach(), sig, create_graph=False) \
                + torch.sqrt(2 * step) * torch.randn_like(x)
    return x.detach()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    args = parser.parse_args()

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    train = DataLoader(TensorDataset(make_rings(2048, g)), batch_size=args.batch_size, shuffle=True)
    val = DataLoader(TensorDataset(make_rings(512, g)), batch_size=256)
    sigmas = torch.exp(torch.linspace(math.log(1.0), math.log(0.05), 6))

    model = RBFEnergy()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)

    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for step, (x,) in enumerate(train):
            loss = dsm_loss(model, x, sigmas)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            running += loss.item()
        scheduler.step()
        print(f"epoch {epoch} train dsm {running / (step + 1):.4f} "
              f"val dsm {validate(model, val, sigmas):.4f} "
              f"bandwidth {model.log_bw.exp().item():.3f}")

    samples = langevin(model, 256, sigmas)
    radii = samples.norm(dim=-1)
    print(f"sample radius mean {radii.mean():.3f} std {radii.std():.3f}")


if __name__ == "__main__":
    main()
