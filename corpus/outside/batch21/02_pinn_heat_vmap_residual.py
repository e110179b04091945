# Source: https://github.com/pytorch/pytorch/issues/158610
# A physics-informed network for the 1-D heat equation u_t = k u_xx. To vectorise the PDE
# residual over the collocation points, the per-point residual is wrapped in torch.vmap, but that
# per-point function takes u_t and u_xx with torch.autograd.grad. Inside vmap the per-point input
# is a batched tensor that does not require grad, so the first residual evaluation fails with
# "element 0 of tensors does not require grad and does not have a grad_fn" and the network never
# trains. (torch.func.grad / torch.func.hessian are the transforms that compose with vmap.)
import math
import time

import torch
import torch.nn as nn

CONFIG = {
    "kappa": 0.1,
    "hidden": 32,
    "depth": 3,
    "n_collocation": 256,
    "n_initial": 128,
    "n_boundary": 128,
    "steps": 400,
    "lr": 2e-3,
    "w_pde": 1.0,
    "w_ic": 10.0,
    "w_bc": 10.0,
    "log_every": 100,
    "seed": 0,
}


class MLP(nn.Module):
    def __init__(self, in_dim, hidden, depth, out_dim=1):
        super().__init__()
        layers = [nn.Linear(in_dim, hidden), nn.Tanh()]
        for _ in range(depth - 1):
            layers += [nn.Linear(hidden, hidden), nn.Tanh()]
        layers.append(nn.Linear(hidden, out_dim))
        self.net = nn.Sequential(*layers)
        for m in self.net:
            if isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, xt):
        return self.net(xt)


def exact_solution(xt, kappa):
    x, t = xt[..., 0], xt[..., 1]
    return torch.sin(math.pi * x) * torch.exp(-kappa * math.pi ** 2 * t)


class HeatProblem:
    """Domain x in [0, 1], t in [0, 1]; u(x, 0) = sin(pi x); u(0, t) = u(1, t) = 0."""

    def __init__(self, cfg, gen):
        self.cfg = cfg
        self.gen = gen

    def collocation(self):
        return torch.rand(self.cfg["n_collocation"], 2, generator=self.gen)

    def initial(self):
        x = torch.rand(self.cfg["n_initial"], 1, generator=self.gen)
        xt = torch.cat([x, torch.zeros_like(x)], dim=1)
        return xt, torch.sin(math.pi * x).squeeze(1)

    def boundary(self):
        t = torch.rand(self.cfg["n_boundary"], 1, generator=self.gen)
        side = (torch.rand(self.cfg["n_boundary"], 1, generator=self.gen) > 0.5).float()
        return torch.cat([side, t], dim=1), torch.zeros(self.cfg["n_boundary"])


def make_residual_fn(model, kappa):
    def u_point(xt):
        return model(xt.unsqueeze(0)).squeeze()

    def residual_point(xt):
        u = u_point(xt)
        du = torch.autograd.grad(u, xt, create_graph=True)[0]
        d2u = torch.autograd.grad(du[0], xt, create_graph=True)[0]
        return du[1] - kappa * d2u[0]

    return torch.vmap(residual_point)


def train():
    cfg = CONFIG
    torch.manual_seed(cfg["seed"])
    gen = torch.Generator().manual_seed(cfg["seed"])
    problem = HeatProblem(cfg, gen)
    model = MLP(2, cfg["hidden"], cfg["depth"])
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=200, gamma=0.5)
    residual = make_residual_fn(model, cfg["kappa"])

    t0 = time.time()
    for step in range(1, cfg["steps"] + 1):
        xt_c = problem.collocation()
        xt_i, u_i = problem.initial()
        xt_b, u_b = problem.boundary()

        r = residual(xt_c)
        loss_pde = (r ** 2).mean()
        loss_ic = ((model(xt_i).squeeze(1) - u_i) ** 2).mean()
        loss_bc = ((model(xt_b).squeeze(1) - u_b) ** 2).mean()
        loss = cfg["w_pde"] * loss_pde + cfg["w_ic"] * loss_ic + cfg["w_bc"] * loss_bc

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()

        if step % cfg["log_every"] == 0 or step == 1:
            print(f"step {step:4d} loss {loss.item():.5f} pde {loss_pde.item():.5f} "
                  f"ic {loss_ic.item():.5f} bc {loss_bc.item():.5f}")

    model.eval()
    with torch.no_grad():
        g = torch.linspace(0, 1, 41)
        xx, tt = torch.meshgrid(g, g, indexing="ij")
        grid = torch.stack([xx.reshape(-1), tt.reshape(-1)], dim=1)
        err = model(grid).squeeze(1) - exact_solution(grid, cfg["kappa"])
        rel_l2 = err.norm() / exact_solution(grid, cfg["kappa"]).norm()
    print(f"relative L2 error {rel_l2.item():.4f} ({time.time() - t0:.1f}s)")
    return model


if __name__ == "__main__":
    train()
