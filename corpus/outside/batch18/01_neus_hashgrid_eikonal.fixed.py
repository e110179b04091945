# Neural SDF (NeuS / instant-NSR style) fitted to a synthetic point cloud with a
# multi-resolution grid encoding and an eikonal regulariser.
#
# Reproduces: https://github.com/NVlabs/tiny-cuda-nn/issues/50
#   The grid encoding is a "fused" custom autograd.Function ported from a CUDA
#   kernel; its backward is hand written and decorated with @once_differentiable,
#   exactly like the tcnn bindings.  The eikonal loss needs the gradient of the SDF
#   with respect to the query points (autograd.grad(..., create_graph=True)), and
#   backpropagating that first derivative into the network needs a second
#   derivative through the encoding.  loss.backward() then dies with
#   "trying to differentiate twice a function that was marked with @once_differentiable".
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd.function import once_differentiable
from torch.utils.data import DataLoader, TensorDataset

CORNERS = torch.tensor([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)])


class _GridEncodeFn(torch.autograd.Function):
    """Trilinear lookup into one dense feature grid (port of the CUDA kernel)."""

    @staticmethod
    def forward(ctx, x, table, res):
        pos = x * res
        base = pos.floor().clamp(0, res - 1)
        frac = pos - base
        out = x.new_zeros(x.shape[0], table.shape[1])
        for c in CORNERS.to(x.device):
            idx = base.long() + c
            flat = (idx[:, 0] * (res + 1) + idx[:, 1]) * (res + 1) + idx[:, 2]
            w = torch.where(c.bool(), frac, 1 - frac).prod(-1, keepdim=True)
            out = out + w * table[flat]
        ctx.save_for_backward(x, table)
        ctx.res = res
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, table = ctx.saved_tensors
        res = ctx.res
        pos = x * res
        base = pos.floor().clamp(0, res - 1)
        frac = pos - base
        grad_table = torch.zeros_like(table)
        grad_x = torch.zeros_like(x)
        for c in CORNERS.to(x.device):
            idx = base.long() + c
            flat = (idx[:, 0] * (res + 1) + idx[:, 1]) * (res + 1) + idx[:, 2]
            fac = torch.where(c.bool(), frac, 1 - frac)
            w = fac.prod(-1, keepdim=True)
            grad_table = grad_table.index_add(0, flat, w * grad_out)
            g_dot = (grad_out * table[flat]).sum(-1)
            sign = c.float() * 2 - 1
            for d in range(3):
                others = torch.cat([fac[:, :d], fac[:, d + 1:]], dim=1).prod(-1)
                grad_x[:, d] = grad_x[:, d] + g_dot * sign[d] * others * res
        return grad_x, grad_table, None


class HashGridEncoding(nn.Module):
    def __init__(self, n_levels=3, base_res=4, growth=1.6, n_feat=4):
        super().__init__()
        self.res = [int(base_res * growth ** l) for l in range(n_levels)]
        self.tables = nn.ParameterList(
            [nn.Parameter(torch.empty((r + 1) ** 3, n_feat).uniform_(-1e-2, 1e-2)) for r in self.res])
        self.out_dim = n_levels * n_feat

    def forward(self, x):
        x = x.clamp(0.0, 1.0 - 1e-6)
        return torch.cat([_GridEncodeFn.apply(x, t, r) for t, r in zip(self.tables, self.res)], dim=-1)


class SDFNetwork(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.encoding = HashGridEncoding()
        self.mlp = nn.Sequential(
            nn.Linear(self.encoding.out_dim + 3, hidden), nn.Softplus(beta=100),
            nn.Linear(hidden, hidden), nn.Softplus(beta=100),
            nn.Linear(hidden, 1))

    def forward(self, x):
        return self.mlp(torch.cat([x, self.encoding(x)], dim=-1)).squeeze(-1)


def sample_surface(n, center=0.5, radius=0.3, seed=0):
    g = torch.Generator().manual_seed(seed)
    d = F.normalize(torch.randn(n, 3, generator=g), dim=-1)
    return center + radius * d, d


def sdf_gradient(model, pts):
    pts = pts.requires_grad_(True)
    sdf = model(pts)
    (grad,) = torch.autograd.grad(sdf, pts, torch.ones_like(sdf), create_graph=True)
    return sdf, grad


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--eik_weight", type=float, default=0.1)
    args = p.parse_args()
    cfg = {"n_surface": 1024, "n_free": 192, "normal_weight": 0.05, "seed": 0}
    torch.manual_seed(cfg["seed"])
    device = "cuda" if torch.cuda.is_available() else "cpu"

    pts, normals = sample_surface(cfg["n_surface"], seed=cfg["seed"])
    loader = DataLoader(TensorDataset(pts, normals), batch_size=args.batch, shuffle=True)
    model = SDFNetwork().to(device)
    opt = torch.optim.Adam([
        {"params": model.encoding.parameters(), "lr": args.lr},
        {"params": model.mlp.parameters(), "lr": args.lr * 0.2},
    ], betas=(0.9, 0.99), eps=1e-15)

    for epoch in range(args.epochs):
        tot = 0.0
        for step, (p_surf, n_surf) in enumerate(loader):
            p_surf, n_surf = p_surf.to(device), n_surf.to(device)
            free = torch.rand(cfg["n_free"], 3, device=device)
            sdf_s, grad_s = sdf_gradient(model, p_surf.clone())
            _, grad_f = sdf_gradient(model, free)
            loss_surf = sdf_s.abs().mean()
            loss_normal = (1 - F.cosine_similarity(grad_s, n_surf, dim=-1)).mean()
            loss_eik = ((grad_f.norm(dim=-1) - 1) ** 2).mean()
            loss = loss_surf + cfg["normal_weight"] * loss_normal + args.eik_weight * loss_eik
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += loss.item()
        print(f"epoch {epoch}: loss {tot / len(loader):.5f} (surf {loss_surf.item():.4f} eik {loss_eik.item():.4f})")

    with torch.no_grad():
        probe = torch.tensor([[0.5, 0.5, 0.5], [0.5, 0.5, 0.8], [0.95, 0.5, 0.5]], device=device)
        print("sdf at centre / surface / outside:", [round(v, 3) for v in model(probe).tolist()],
              "expected ~", [-0.3, 0.0, round(0.45 - 0.3, 3)])


if __name__ == "__main__":
    main()
