"""LoRA fine-tuning of a frozen residual MLP regressor (a molecular-energy surrogate) with
activation checkpointing on each block to keep memory flat for deep stacks.

LoRA branches are attached to each block as forward hooks that add B(A(x)) * scale to the
block's output; only the LoRA factors and the head train.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

SEED = 2
D_IN, D, DEPTH, RANK = 24, 96, 4, 4


def descriptors(n, gen, shift):
    x = torch.randn(n, D_IN, generator=gen)
    w = torch.randn(D_IN, generator=torch.Generator().manual_seed(5))
    energy = torch.tanh(x @ w / 4) + shift * (x[:, :3] ** 2).sum(1) / 3
    return x, energy


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 2 * d)
        self.fc2 = nn.Linear(2 * d, d)

    def forward(self, h):
        return h + self.fc2(F.silu(self.fc1(self.norm(h))))


class Surrogate(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(D_IN, D)
        self.blocks = nn.ModuleList(Block(D) for _ in range(DEPTH))
        self.head = nn.Linear(D, 1)

    def forward(self, x):
        h = self.inp(x)
        for block in self.blocks:
            h = checkpoint(block, h, use_reentrant=False)
        return self.head(h).squeeze(-1)


class LoRA(nn.Module):
    def __init__(self, d, rank, alpha=8.0):
        super().__init__()
        self.A = nn.Parameter(torch.randn(rank, d) / d ** 0.5)
        self.B = nn.Parameter(torch.zeros(d, rank))
        self.scale = alpha / rank

    def __call__(self, module, args, out):
        return out + (args[0] @ self.A.T @ self.B.T) * self.scale


def fit(model, params, x, y, epochs, lr):
    opt = torch.optim.AdamW(params, lr=lr)
    for _ in range(epochs):
        for i in range(0, len(x), 100):
            loss = F.mse_loss(model(x[i:i + 100]), y[i:i + 100])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return loss.item()


def main():
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    model = Surrogate()
    x, y = descriptors(2000, gen, shift=0.0)
    print(f"pretrain loss {fit(model, list(model.parameters()), x, y, 3, 2e-3):.4f}")

    model.requires_grad_(False)
    model.head.requires_grad_(True)
    loras = nn.ModuleList(LoRA(D, RANK) for _ in model.blocks)
    for block, lora in zip(model.blocks, loras):
        block.register_forward_hook(lora)
    x2, y2 = descriptors(1000, gen, shift=1.0)
    print(f"LoRA fine-tune loss {fit(model, [*loras.parameters(), *model.head.parameters()], x2, y2, 6, 1e-2):.4f}")


if __name__ == "__main__":
    main()
