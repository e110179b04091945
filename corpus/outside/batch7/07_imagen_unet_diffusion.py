"""DDPM training of a tiny time-conditioned UNet (Imagen / denoising-diffusion-pytorch
style ResnetBlocks with scale-shift time conditioning) on synthetic 8x8 blob images."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


def exists(x):
    return x is not None


class SinusoidalPosEmb(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, t):
        half = self.dim // 2
        freqs = torch.exp(torch.arange(half, device=t.device) * -(math.log(10000) / (half - 1)))
        args = t[:, None].float() * freqs[None]
        return torch.cat([args.sin(), args.cos()], dim=-1)


class Block(nn.Module):
    def __init__(self, dim, dim_out, groups=4):
        super().__init__()
        self.proj = nn.Conv2d(dim, dim_out, 3, padding=1)
        self.norm = nn.GroupNorm(groups, dim_out)

    def forward(self, x, scale_shift=None):
        x = self.norm(self.proj(x))
        if exists(scale_shift):
            scale, shift = scale_shift
            x = x * (scale + 1) + shift
        return F.silu(x)


class ResnetBlock(nn.Module):
    def __init__(self, dim, dim_out, time_cond_dim=None):
        super().__init__()
        self.time_mlp = nn.Sequential(nn.SiLU(), nn.Linear(time_cond_dim, dim_out * 2)) if exists(time_cond_dim) else None
        self.block1 = Block(dim, dim_out)
        self.block2 = Block(dim_out, dim_out)
        self.res_conv = nn.Conv2d(dim, dim_out, 1) if dim != dim_out else nn.Identity()

    def forward(self, x, time_emb=None):
        scale_shift = None
        if exists(self.time_mlp) and exists(time_emb):
            scale_shift = self.time_mlp(time_emb)[:, :, None, None].chunk(2, dim=1)
        h = self.block1(x, scale_shift=scale_shift)
        h = self.block2(h)
        return h + self.res_conv(x)


class Unet(nn.Module):
    def __init__(self, dim=16, channels=1):
        super().__init__()
        tdim = dim * 4
        self.time_mlp = nn.Sequential(SinusoidalPosEmb(dim), nn.Linear(dim, tdim), nn.SiLU(), nn.Linear(tdim, tdim))
        self.init_conv = nn.Conv2d(channels, dim, 3, padding=1)
        self.down = ResnetBlock(dim, dim * 2, time_cond_dim=tdim)
        self.downsample = nn.Conv2d(dim * 2, dim * 2, 4, 2, 1)
        self.mid = ResnetBlock(dim * 2, dim * 2, time_cond_dim=tdim)
        self.upsample = nn.ConvTranspose2d(dim * 2, dim * 2, 4, 2, 1)
        self.up = ResnetBlock(dim * 4, dim, time_cond_dim=tdim)
        self.final_res_block = ResnetBlock(dim * 2, dim, time_cond_dim=tdim)
        self.final_conv = nn.Conv2d(dim, channels, 1)

    def forward(self, x, time):
        t = self.time_mlp(time)
        x = self.init_conv(x)
        r = x.clone()
        h = self.down(x, t)
        x = self.mid(self.downsample(h), t)
        x = self.up(torch.cat([self.upsample(x), h], 1), t)
        x = torch.cat([x, r], dim=1)
        x = self.final_res_block(x)
        return self.final_conv(x)


class GaussianDiffusion(nn.Module):
    def __init__(self, model, timesteps=100):
        super().__init__()
        self.model = model
        self.num_timesteps = timesteps
        betas = torch.linspace(1e-4, 0.02, timesteps)
        alphas_cumprod = torch.cumprod(1 - betas, 0)
        self.register_buffer("sqrt_ac", alphas_cumprod.sqrt())
        self.register_buffer("sqrt_1mac", (1 - alphas_cumprod).sqrt())

    def forward(self, x0):
        b = x0.shape[0]
        t = torch.randint(0, self.num_timesteps, (b,), device=x0.device)
        noise = torch.randn_like(x0)
        x_t = self.sqrt_ac[t][:, None, None, None] * x0 + self.sqrt_1mac[t][:, None, None, None] * noise
        return F.mse_loss(self.model(x_t, t), noise)


def sample_images(n=16):
    yy, xx = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
    c = torch.randint(2, 6, (n, 2)).float()
    d = (yy[None] - c[:, 0, None, None]) ** 2 + (xx[None] - c[:, 1, None, None]) ** 2
    return (torch.exp(-d / 3.0) * 2 - 1)[:, None].to(device)


model = Unet().to(device)
diffusion = GaussianDiffusion(model).to(device)
optimizer = torch.optim.Adam(diffusion.parameters(), lr=2e-4, betas=(0.9, 0.99))
for step in range(40):
    loss = diffusion(sample_images())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step:3d}  loss {loss.item():.4f}")
