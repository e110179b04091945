# Visual prompt tuning (shallow VPT) of a frozen ViT on a small synthetic texture task.
# Only the prompt tokens and the linear head are trained; the backbone stays as "pretrained".
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class VPTConfig:
    image_size: int = 16
    patch: int = 4
    dim: int = 48
    depth: int = 2
    heads: int = 4
    num_prompts: int = 8
    num_classes: int = 4
    lr: float = 3e-2
    epochs: int = 4
    batch_size: int = 64
    seed: int = 3
    betas: tuple = field(default=(0.9, 0.99))


def make_textures(n, cfg, gen):
    """Oriented gratings (0, 45, 90, 135 degrees) with random phase and noise."""
    ys, xs = torch.meshgrid(torch.arange(cfg.image_size), torch.arange(cfg.image_size), indexing="ij")
    labels = torch.randint(0, cfg.num_classes, (n,), generator=gen)
    angles = labels.float() * torch.pi / cfg.num_classes
    phase = torch.rand(n, generator=gen) * 2 * torch.pi
    proj = xs[None] * torch.cos(angles)[:, None, None] + ys[None] * torch.sin(angles)[:, None, None]
    imgs = torch.sin(0.9 * proj + phase[:, None, None]) + 0.7 * torch.randn(n, cfg.image_size, cfg.image_size, generator=gen)
    return imgs.unsqueeze(1), labels


class PatchEmbed(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.proj = nn.Conv2d(1, cfg.dim, cfg.patch, stride=cfg.patch)
        n = (cfg.image_size // cfg.patch) ** 2
        self.pos = nn.Parameter(torch.randn(1, n + 1, cfg.dim) * 0.02)
        self.cls = nn.Parameter(torch.zeros(1, 1, cfg.dim))

    def forward(self, x):
        x = self.proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        return x + self.pos


class PromptTuner(nn.Module):
    """Inserts learned prompt tokens right after [CLS], before the first encoder layer."""

    def __init__(self, num_prompts, dim):
        super().__init__()
        self.prompts = nn.Parameter(torch.empty(1, num_prompts, dim).uniform_(-0.1, 0.1))

    def attach(self, encoder):
        return encoder.register_forward_pre_hook(self.insert_prompts)

    def insert_prompts(self, module, args):
        tokens = args[0]
        prompts = self.prompts.expand(tokens.shape[0], -1, -1)
        return (torch.cat([tokens[:, :1], prompts, tokens[:, 1:]], dim=1),) + args[1:]


class PromptedViT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed = PatchEmbed(cfg)
        layer = nn.TransformerEncoderLayer(cfg.dim, cfg.heads, dim_feedforward=2 * cfg.dim, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.dim)
        self.tuner = PromptTuner(cfg.num_prompts, cfg.dim)
        self.tuner.attach(self.encoder)
        self.head = nn.Linear(cfg.dim, cfg.num_classes)

    def forward(self, images):
        tokens = self.embed(images)
        tokens = self.encoder(tokens, is_causal=False)
        return self.head(self.norm(tokens[:, 0]))


def freeze_backbone(model):
    for name, p in model.named_parameters():
        p.requires_grad = name.startswith(("tuner.", "head."))


def run():
    cfg = VPTConfig()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    x_train, y_train = make_textures(768, cfg, gen)
    x_val, y_val = make_textures(256, cfg, gen)

    model = PromptedViT(cfg)
    freeze_backbone(model)
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(trainable, lr=cfg.lr, betas=cfg.betas)
    print("trainable parameters:", sum(p.numel() for p in trainable))

    for epoch in range(cfg.epochs):
        model.train()
        perm = torch.randperm(len(x_train), generator=gen)
        for i in range(0, len(perm), cfg.batch_size):
            b = perm[i:i + cfg.batch_size]
            loss = F.cross_entropy(model(x_train[b]), y_train[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(x_val).argmax(1) == y_val).float().mean()
        print(f"[{epoch + 1}/{cfg.epochs}] loss={loss.item():.4f} val_acc={acc.item():.3f}")


if __name__ == "__main__":
    run()
