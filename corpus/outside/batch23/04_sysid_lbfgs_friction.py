# Report: https://github.com/pytorch/pytorch/pull/25240
# LBFGS returns from step() as soon as max|grad| <= tolerance_grad; with tolerance_grad=1e-5
# "lots of my old codes [are] not optimizing or only optimizing for one or two steps".
"""Grey-box identification of a shaker table: mass-spring-damper plus learned friction.

    m x'' + c x' + k x + f_fric(x') = F(t)

m is known from the datasheet; stiffness k and damping c are identified together with a small
network for the friction force, from displacement measured by a laser sensor (SI units, metres)
under multisine excitation. The model is simulated with semi-implicit Euler and fitted to the
measured trajectories with full-batch L-BFGS.
"""
import math

import torch
import torch.nn as nn

torch.manual_seed(0)
DT = 1e-3
T_STEPS = 150
MASS = 1.0


def multisine(n_exp, n_steps, n_tones=6, amp=2.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(n_steps) * DT
    freqs = 2.0 + 30.0 * torch.rand(n_exp, n_tones, generator=g)
    phases = 2 * math.pi * torch.rand(n_exp, n_tones, generator=g)
    f = torch.sin(2 * math.pi * freqs[:, :, None] * t[None, None, :] + phases[:, :, None]).sum(1)
    return amp * f / math.sqrt(n_tones)


def simulate(force, k, c, friction, x0=None):
    """force: (B, T) in newtons -> displacement (B, T) in metres."""
    b = force.shape[0]
    x = torch.zeros(b) if x0 is None else x0
    v = torch.zeros(b)
    xs = []
    for i in range(force.shape[1]):
        acc = (force[:, i] - c * v - k * x - friction(v)) / MASS
        v = v + DT * acc
        x = x + DT * v
        xs.append(x)
    return torch.stack(xs, 1)


def true_friction(v):
    return 0.35 * torch.tanh(v / 0.01) + 0.8 * v


class PhysicalParams(nn.Module):
    def __init__(self, k_guess, c_guess):
        super().__init__()
        self.log_k = nn.Parameter(torch.tensor(math.log(k_guess)))
        self.log_c = nn.Parameter(torch.tensor(math.log(c_guess)))

    def forward(self):
        return self.log_k.exp(), self.log_c.exp()


class FrictionNet(nn.Module):
    def __init__(self, hidden=16, v_ref=0.05):
        super().__init__()
        self.v_ref = v_ref
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, v):
        return self.net((v / self.v_ref).unsqueeze(-1)).squeeze(-1)


class GreyBoxShaker(nn.Module):
    def __init__(self):
        super().__init__()
        self.phys = PhysicalParams(k_guess=1800.0, c_guess=10.0)
        self.friction = FrictionNet()

    def forward(self, force):
        k, c = self.phys()
        return simulate(force, k, c, self.friction)


def make_data():
    force_tr = multisine(6, T_STEPS, seed=1)
    force_va = multisine(3, T_STEPS, seed=2)
    with torch.no_grad():
        x_tr = simulate(force_tr, 2500.0, 6.0, true_friction)
        x_va = simulate(force_va, 2500.0, 6.0, true_friction)
    x_tr = x_tr + 1e-5 * torch.randn_like(x_tr)
    x_va = x_va + 1e-5 * torch.randn_like(x_va)
    return force_tr, x_tr, force_va, x_va


def main():
    force_tr, x_tr, force_va, x_va = make_data()
    print(f"peak displacement {x_tr.abs().max().item() * 1e3:.2f} mm")

    model = GreyBoxShaker()
    optimizer = torch.optim.LBFGS(
        model.parameters(), lr=1.0, max_iter=6, history_size=20,
        tolerance_grad=1e-5, tolerance_change=1e-9, line_search_fn="strong_wolfe",
    )

    def closure():
        optimizer.zero_grad()
        loss = (model(force_tr) - x_tr).pow(2).mean()
        loss.backward()
        return loss

    for outer in range(5):
        loss = optimizer.step(closure)
        with torch.no_grad():
            val = (model(force_va) - x_va).pow(2).mean().sqrt().item()
            k, c = model.phys()
        print(f"round {outer}: train MSE {loss.item():.3e} m^2  val RMSE {val * 1e3:.4f} mm  "
              f"k {k.item():.1f} N/m  c {c.item():.2f} Ns/m")


if __name__ == "__main__":
    main()
