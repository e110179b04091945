# Reproduction modelled on: https://github.com/ImprintLab/MedSegDiff/issues/27
# FIXED VERSION: DDP(..., find_unused_parameters=True); the dead `hwm` layer stays untrained (it is never called).
# "RuntimeError: Expected to have finished reduction in the prior iteration before starting a
# new one. This error indicates that your module has parameters that were not used in
# producing loss." -- maintainer: "it looks like you define some parameterized layer in
# __init__ but not used in the forward". Single-process gloo group on CPU.
import os

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

args = {"image_size": 16, "channels": 8, "diffusion_steps": 50, "lr": 1e-4, "batch_size": 4, "iterations": 4}


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-np.log(10000) * torch.arange(half, dtype=torch.float32) / half).to(t.device)
    args_ = t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args_), torch.sin(args_)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, ch, emb_ch):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.emb = nn.Linear(emb_ch, ch)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x, emb):
        h = F.silu(self.conv1(x)) + self.emb(emb)[:, :, None, None]
        return x + self.conv2(F.silu(h))


class SegDiffUNet(nn.Module):
    """Denoiser conditioned on the raw image (anchor) and the noisy mask."""

    def __init__(self, ch):
        super().__init__()
        self.time_embed = nn.Sequential(nn.Linear(ch, ch), nn.SiLU(), nn.Linear(ch, ch))
        self.in_mask = nn.Conv2d(1, ch, 3, padding=1)
        self.in_image = nn.Conv2d(3, ch, 3, padding=1)
        self.block1 = ResBlock(ch, ch)
        self.block2 = ResBlock(ch, ch)
        # high-frequency feature modulator (kept from an ablation, no longer called)
        self.hwm = nn.Sequential(nn.Conv2d(ch, ch, 1), nn.SiLU(), nn.Conv2d(ch, ch, 1))
        self.out = nn.Conv2d(ch, 1, 3, padding=1)

    def forward(self, noisy_mask, t, image):
        emb = self.time_embed(timestep_embedding(t, self.in_mask.out_channels))
        h = self.in_mask(noisy_mask) + self.in_image(image)
        h = self.block2(self.block1(h, emb), emb)
        return self.out(h)


class GaussianDiffusion:
    def __init__(self, steps):
        betas = torch.linspace(1e-4, 0.02, steps)
        self.alphas_cumprod = torch.cumprod(1 - betas, 0)

    def training_losses(self, model, mask, image, t):
        noise = torch.randn_like(mask)
        a = self.alphas_cumprod.to(mask.device)[t][:, None, None, None]
        noisy = a.sqrt() * mask + (1 - a).sqrt() * noise
        return F.mse_loss(model(noisy, t, image), noise)


def setup_dist():
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29517")
    dist.init_process_group("gloo", rank=0, world_size=1)


class TrainLoop:
    def __init__(self, model, diffusion, cfg):
        self.ddp_model = DDP(model, find_unused_parameters=True)
        self.diffusion, self.cfg = diffusion, cfg
        self.opt = torch.optim.AdamW(self.ddp_model.parameters(), lr=cfg["lr"])

    def run_step(self, image, mask):
        self.opt.zero_grad()
        t = torch.randint(0, self.cfg["diffusion_steps"], (image.shape[0],), device=image.device)
        loss = self.diffusion.training_losses(self.ddp_model, mask, image, t)
        loss.backward()
        self.opt.step()
        return loss.item()

    def run_loop(self):
        for step in range(self.cfg["iterations"]):
            image = torch.rand(self.cfg["batch_size"], 3, self.cfg["image_size"], self.cfg["image_size"], device=device)
            mask = (image.mean(1, keepdim=True) > 0.5).float() * 2 - 1
            print(f"step {step} loss {self.run_step(image, mask):.4f}")


setup_dist()
model = SegDiffUNet(args["channels"]).to(device)
loop = TrainLoop(model, GaussianDiffusion(args["diffusion_steps"]), args)
loop.run_loop()
dist.destroy_process_group()
