# Class-conditional latent-diffusion fine-tuning (LDM / stable-diffusion code base
# layout: ResBlocks + SpatialTransformer with CrossAttention, LDM's own
# gradient-checkpoint helper), with the cross-attention layers frozen.
#
# Reproduces: https://github.com/CompVis/stable-diffusion/issues/784
#   The LDM checkpoint() helper passes every parameter of the block to its
#   CheckpointFunction and, in backward, calls torch.autograd.grad with respect to
#   all of them.  After the CrossAttention modules are frozen (requires_grad=False)
#   that list contains tensors that do not require grad, and the first
#   loss.backward() fails with
#   "RuntimeError: One of the differentiated Tensors does not require grad".
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


def checkpoint(func, inputs, params, flag):
    if flag:
        args = tuple(inputs) + tuple(params)
        return CheckpointFunction.apply(func, len(inputs), *args)
    return func(*inputs)


class CheckpointFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, run_function, length, *args):
        ctx.run_function = run_function
        ctx.input_tensors = list(args[:length])
        ctx.input_params = list(args[length:])
        with torch.no_grad():
            output_tensors = ctx.run_function(*ctx.input_tensors)
        return output_tensors

    @staticmethod
    def backward(ctx, *output_grads):
        ctx.input_tensors = [x.detach().requires_grad_(True) for x in ctx.input_tensors]
        with torch.enable_grad():
            shallow_copies = [x.view_as(x) for x in ctx.input_tensors]
            output_tensors = ctx.run_function(*shallow_copies)
        input_grads = torch.autograd.grad(output_tensors, ctx.input_tensors + ctx.input_params,
                                          output_grads, allow_unused=True)
        del ctx.input_tensors, ctx.input_params, output_tensors
        return (None, None) + input_grads


def timestep_embedding(t, dim, max_period=10000):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class CrossAttention(nn.Module):
    def __init__(self, query_dim, context_dim=None, heads=4, dim_head=16):
        super().__init__()
        inner, context_dim = heads * dim_head, context_dim or query_dim
        self.heads, self.scale = heads, dim_head ** -0.5
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim, inner, bias=False)
        self.to_out = nn.Linear(inner, query_dim)

    def forward(self, x, context=None):
        context = x if context is None else context
        b, n, _ = x.shape
        q, k, v = self.to_q(x), self.to_k(context), self.to_v(context)
        q, k, v = (t.reshape(b, -1, self.heads, t.shape[-1] // self.heads).transpose(1, 2) for t in (q, k, v))
        attn = (q @ k.transpose(-1, -2) * self.scale).softmax(-1)
        return self.to_out((attn @ v).transpose(1, 2).reshape(b, n, -1))


class FeedForward(nn.Module):
    def __init__(self, dim, mult=2):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, dim * mult), nn.GELU(), nn.Linear(dim * mult, dim))

    def forward(self, x):
        return self.net(x)


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, context_dim, use_checkpoint=True):
        super().__init__()
        self.attn1 = CrossAttention(dim)                 # self-attention
        self.attn2 = CrossAttention(dim, context_dim)    # attends to the class context
        self.ff = FeedForward(dim)
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.checkpoint = use_checkpoint

    def forward(self, x, context):
        params = [p for p in self.parameters() if p.requires_grad]  # frozen weights need no grad
        return checkpoint(self._forward, (x, context), params, self.checkpoint)

    def _forward(self, x, context):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context=context) + x
        return self.ff(self.norm3(x)) + x


class ResBlock(nn.Module):
    def __init__(self, ch, emb_dim):
        super().__init__()
        self.in_layers = nn.Sequential(nn.GroupNorm(8, ch), nn.SiLU(), nn.Conv2d(ch, ch, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, ch))
        self.out_layers = nn.Sequential(nn.GroupNorm(8, ch), nn.SiLU(), nn.Conv2d(ch, ch, 3, padding=1))

    def forward(self, x, emb):
        h = self.in_layers(x) + self.emb_layers(emb)[:, :, None, None]
        return x + self.out_layers(h)


class TinyLDMUNet(nn.Module):
    def __init__(self, in_ch=4, ch=32, n_classes=10, context_dim=32):
        super().__init__()
        self.time_embed = nn.Sequential(nn.Linear(ch, 4 * ch), nn.SiLU(), nn.Linear(4 * ch, 4 * ch))
        self.class_embed = nn.Embedding(n_classes, context_dim)
        self.conv_in = nn.Conv2d(in_ch, ch, 3, padding=1)
        self.res1 = ResBlock(ch, 4 * ch)
        self.transformer = BasicTransformerBlock(ch, context_dim)
        self.res2 = ResBlock(ch, 4 * ch)
        self.conv_out = nn.Sequential(nn.GroupNorm(8, ch), nn.SiLU(), nn.Conv2d(ch, in_ch, 3, padding=1))

    def forward(self, x, t, y):
        emb = self.time_embed(timestep_embedding(t, self.conv_in.out_channels))
        context = self.class_embed(y)[:, None, :]
        h = self.res1(self.conv_in(x), emb)
        b, c, hh, ww = h.shape
        tokens = self.transformer(h.flatten(2).transpose(1, 2), context)
        h = tokens.transpose(1, 2).reshape(b, c, hh, ww)
        return self.conv_out(self.res2(h, emb))


def synthetic_latents(n, n_classes, g):
    y = torch.randint(0, n_classes, (n,), generator=g)
    freq = (y.float() + 1)[:, None, None, None]
    grid = torch.linspace(0, math.pi, 8)
    base = torch.sin(freq * grid[None, None, :, None]) * torch.cos(freq * grid[None, None, None, :])
    return base.repeat(1, 4, 1, 1) + 0.05 * torch.randn(n, 4, 8, 8, generator=g), y


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch_size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--without_crossattn", type=int, default=1, help="keep the cross-attention weights fixed")
    args = ap.parse_args()
    cfg = {"timesteps": 200, "n_train": 256, "n_classes": 10, "seed": 0}
    torch.manual_seed(cfg["seed"])
    g = torch.Generator().manual_seed(cfg["seed"])

    betas = torch.linspace(1e-4, 2e-2, cfg["timesteps"])
    alphas_cumprod = torch.cumprod(1 - betas, 0)
    x0, labels = synthetic_latents(cfg["n_train"], cfg["n_classes"], g)
    loader = DataLoader(TensorDataset(x0, labels), batch_size=args.batch_size, shuffle=True)

    model = TinyLDMUNet(n_classes=cfg["n_classes"])
    # (the "pretrained" weights would be loaded here)
    if args.without_crossattn:
        for m in model.modules():
            if isinstance(m, CrossAttention):
                for para in m.parameters():
                    para.requires_grad = False
    trainable = [p for p in model.parameters() if p.requires_grad]
    print(f"trainable params: {sum(p.numel() for p in trainable)} / {sum(p.numel() for p in model.parameters())}")
    optimizer = torch.optim.AdamW(trainable, lr=args.lr)

    for epoch in range(args.epochs):
        running = 0.0
        for x, y in loader:
            t = torch.randint(0, cfg["timesteps"], (x.shape[0],))
            noise = torch.randn_like(x)
            a = alphas_cumprod[t].view(-1, 1, 1, 1)
            x_t = a.sqrt() * x + (1 - a).sqrt() * noise
            loss = F.mse_loss(model(x_t, t, y), noise)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        print(f"epoch {epoch}: eps-mse {running / len(loader):.4f}")
