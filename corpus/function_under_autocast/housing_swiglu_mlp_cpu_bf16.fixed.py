"""Tabular regression (synthetic housing prices) with a SwiGLU MLP. The gate is a hand-written
autograd Function so the projection and the gating share one saved input; training runs in
bfloat16 autocast on the CPU."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Function


@dataclass
class Config:
    n_features: int = 12
    hidden: int = 48
    n_blocks: int = 2
    batch_size: int = 64
    epochs: int = 6
    lr: float = 2e-3
    seed: int = 0


def make_housing(n: int, n_features: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, n_features, generator=gen)
    coef = torch.linspace(-1.0, 1.5, n_features)
    price = X @ coef + 0.8 * torch.sin(2 * X[:, 0]) * X[:, 1] + 0.1 * torch.randn(n, generator=gen)
    return X, price.unsqueeze(1)


class SwiGLUProjection(Function):
    @staticmethod
    @torch.amp.custom_fwd(device_type="cpu")
    def forward(ctx, x, weight, bias):
        proj = F.linear(x, weight, bias)
        value, gate = proj.chunk(2, dim=-1)
        ctx.save_for_backward(x, weight, value, gate)
        return value * F.silu(gate)

    @staticmethod
    @torch.amp.custom_bwd(device_type="cpu")
    def backward(ctx, grad_output):
        x, weight, value, gate = ctx.saved_tensors
        sig = torch.sigmoid(gate)
        grad_value = grad_output * gate * sig
        grad_gate = grad_output * value * (sig + gate * sig * (1 - sig))
        grad_proj = torch.cat([grad_value, grad_gate], dim=-1)
        grad_x = grad_proj @ weight
        grad_weight = grad_proj.t() @ x
        return grad_x, grad_weight, grad_proj.sum(0)


class SwiGLUBlock(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.w_in = nn.Parameter(torch.empty(2 * hidden, dim))
        self.b_in = nn.Parameter(torch.zeros(2 * hidden))
        self.out = nn.Linear(hidden, dim)
        nn.init.xavier_uniform_(self.w_in)

    def forward(self, x):
        return x + self.out(SwiGLUProjection.apply(self.norm(x), self.w_in, self.b_in))


class PriceModel(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.embed = nn.Linear(cfg.n_features, cfg.hidden)
        self.blocks = nn.Sequential(*[SwiGLUBlock(cfg.hidden, cfg.hidden) for _ in range(cfg.n_blocks)])
        self.head = nn.Linear(cfg.hidden, 1)

    def forward(self, x):
        return self.head(self.blocks(self.embed(x)))


def train(cfg: Config) -> PriceModel:
    torch.manual_seed(cfg.seed)
    X, y = make_housing(1024, cfg.n_features, cfg.seed)
    X_val, y_val = make_housing(256, cfg.n_features, cfg.seed + 1)
    model = PriceModel(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)

    for epoch in range(cfg.epochs):
        order = torch.randperm(len(X))
        for start in range(0, len(X), cfg.batch_size):
            batch = order[start:start + cfg.batch_size]
            with torch.autocast("cpu", dtype=torch.bfloat16):
                pred = model(X[batch])
            loss = F.mse_loss(pred.float(), y[batch])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        with torch.no_grad():
            val = F.mse_loss(model(X_val), y_val).item()
        print(f"epoch {epoch + 1}/{cfg.epochs}  train mse {loss.item():.4f}  val mse {val:.4f}")
    return model


if __name__ == "__main__":
    train(Config())
