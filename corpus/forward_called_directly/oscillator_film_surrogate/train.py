"""Surrogate for a family of damped driven oscillators: x(t; zeta, omega, drive).

One network predicts the displacement at time t for any physical parameters; the parameters
enter through FiLM layers, so the trunk learns a shared basis of trajectories.
"""
import math

import torch
from torch.nn import functional as F

from film import FiLMSurrogate, count_params

SEED = 7
N_SYSTEMS = 96
N_TIMES = 40
T_MAX = 6.0


def simulate(zeta, omega, drive, times):
    """Damped oscillator released from x=1, plus a weak sinusoidal drive (closed form, no solver)."""
    wd = omega * torch.sqrt(1 - zeta ** 2)
    free = torch.exp(-zeta * omega * times) * (torch.cos(wd * times) + zeta * omega / wd * torch.sin(wd * times))
    return free + drive * torch.sin(1.3 * times) / (1 + omega ** 2)


def build_dataset(gen):
    zeta = 0.05 + 0.5 * torch.rand(N_SYSTEMS, 1, generator=gen)
    omega = 1.0 + 3.0 * torch.rand(N_SYSTEMS, 1, generator=gen)
    drive = torch.rand(N_SYSTEMS, 1, generator=gen)
    times = torch.linspace(0, T_MAX, N_TIMES).expand(N_SYSTEMS, -1)
    x = simulate(zeta, omega, drive, times)
    cond = torch.cat([zeta, omega, drive], dim=1)
    cond = (cond - cond.mean(0)) / cond.std(0)
    t = (times / T_MAX).reshape(-1, 1)
    return t, cond.repeat_interleave(N_TIMES, dim=0), x.reshape(-1, 1)


def main():
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    t, cond, x = build_dataset(gen)
    n = t.shape[0]
    split = int(0.8 * n)
    perm = torch.randperm(n, generator=gen)
    tr, va = perm[:split], perm[split:]

    model = FiLMSurrogate(in_dim=1, cond_dim=3, hidden=64, n_blocks=3, out_dim=1)
    print(f"{count_params(model)} trainable parameters")
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    epochs, batch = 8, 256
    lr_at = lambda e: 0.5 * (1 + math.cos(math.pi * e / epochs))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)

    for epoch in range(epochs):
        shuffled = tr[torch.randperm(len(tr), generator=gen)]
        for i in range(0, len(shuffled), batch):
            idx = shuffled[i:i + batch]
            pred = model(t[idx], cond[idx])
            loss = F.mse_loss(pred, x[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        with torch.no_grad():
            val = F.mse_loss(model(t[va], cond[va]), x[va]).item()
        print(f"epoch {epoch:2d}  train mse {loss.item():.4f}  val mse {val:.4f}")


if __name__ == "__main__":
    main()
