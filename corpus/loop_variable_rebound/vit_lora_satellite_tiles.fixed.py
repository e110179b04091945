"""Fine-tune a small ViT on synthetic satellite tiles with LoRA on the attention projections.

The backbone is "pretrained" for a few steps on a coarse task (land vs water), then frozen; the
fine-tuning task tells four land-cover classes apart with LoRA adapters and a fresh head.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    image: int = 16
    patch: int = 4
    dim: int = 32
    depth: int = 2
    heads: int = 4
    classes: int = 4
    lora_rank: int = 4
    lora_alpha: float = 8.0
    batch: int = 32
    steps: int = 40
    lr: float = 3e-3


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v)
        x = x + self.proj(attn.transpose(1, 2).reshape(b, n, d))
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    def __init__(self, cfg, num_classes):
        super().__init__()
        n = (cfg.image // cfg.patch) ** 2
        self.patch_embed = nn.Conv2d(3, cfg.dim, cfg.patch, stride=cfg.patch)
        self.pos = nn.Parameter(torch.zeros(1, n, cfg.dim))
        self.blocks = nn.ModuleList([Block(cfg.dim, cfg.heads) for _ in range(cfg.depth)])
        self.norm = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x).mean(1))


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


def make_tiles(n, cfg, gen):
    labels = torch.randint(0, cfg.classes, (n,), generator=gen)
    tiles = 0.3 * torch.randn(n, 3, cfg.image, cfg.image, generator=gen)
    palette = torch.tensor([[0.1, 0.6, 0.1], [0.6, 0.5, 0.2], [0.5, 0.5, 0.5], [0.1, 0.2, 0.7]])
    tiles += palette[labels][:, :, None, None]
    stripes = (torch.arange(cfg.image) % (2 + labels[:, None])).eq(0).float()
    tiles[:, 1] += 0.5 * stripes[:, None, :]
    return tiles, labels


def pretrain(model, cfg, gen):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(10):
        x, y = make_tiles(cfg.batch, cfg, gen)
        loss = F.cross_entropy(model(x), (y == 3).long())
        opt.zero_grad()
        loss.backward()
        opt.step()


def add_lora(model, cfg):
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.Linear) and name.endswith(("qkv", "proj")):
            module = LoRALinear(module, r=cfg.lora_rank, alpha=cfg.lora_alpha)
            parent_name, _, attr = name.rpartition(".")
            setattr(model.get_submodule(parent_name), attr, module)
    for name, p in model.named_parameters():
        p.requires_grad = "lora_" in name or name.startswith("head.")
    return model


def main():
    cfg = Config()
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = TinyViT(cfg, num_classes=2)
    pretrain(model, cfg, gen)

    model.head = nn.Linear(cfg.dim, cfg.classes)
    model = add_lora(model, cfg)
    trainable = [p for p in model.parameters() if p.requires_grad]
    print(f"trainable parameters: {sum(p.numel() for p in trainable)}")
    optimizer = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=0.01)

    x_val, y_val = make_tiles(256, cfg, gen)
    for step in range(1, cfg.steps + 1):
        x, y = make_tiles(cfg.batch, cfg, gen)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            with torch.no_grad():
                acc = (model(x_val).argmax(-1) == y_val).float().mean().item()
            print(f"step {step:3d}  loss {loss.item():.3f}  val acc {acc:.3f}")


if __name__ == "__main__":
    main()
