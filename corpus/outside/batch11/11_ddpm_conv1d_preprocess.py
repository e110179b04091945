"""1-D denoising diffusion (denoising-diffusion-pytorch Unet1D/GaussianDiffusion1D style) on sensor
sequences.  The raw 6-channel recordings are first mapped to the model's 2 channels with a 1x1 Conv1d."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


class SinusoidalPosEmb(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, t):
        half = self.dim // 2
        emb = torch.exp(torch.arange(half, device=t.device) * -(math.log(10000) / (half - 1)))
        emb = t[:, None].float() * emb[None]
        return torch.cat([emb.sin(), emb.cos()], -1)


class Unet1D(nn.Module):
    def __init__(self, dim=16, channels=2):
        super().__init__()
        self.time_mlp = nn.Sequential(SinusoidalPosEmb(dim), nn.Linear(dim, dim), nn.GELU())
        self.init_conv = nn.Conv1d(channels, dim, 7, padding=3)
        self.mid = nn.Conv1d(dim, dim, 3, padding=1)
        self.final_conv = nn.Conv1d(dim, channels, 1)

    def forward(self, x, t):
        h = self.init_conv(x) + self.time_mlp(t)[..., None]
        return self.final_conv(F.gelu(self.mid(F.gelu(h))))


class GaussianDiffusion1D(nn.Module):
    def __init__(self, model, seq_length, timesteps=100):
        super().__init__()
        self.model = model
        self.seq_length = seq_length
        self.num_timesteps = timesteps
        betas = torch.linspace(1e-4, 0.02, timesteps)
        alphas_cumprod = torch.cumprod(1 - betas, 0)
        self.register_buffer("sqrt_alphas_cumprod", alphas_cumprod.sqrt())
        self.register_buffer("sqrt_one_minus_alphas_cumprod", (1 - alphas_cumprod).sqrt())

    def forward(self, img):
        b = img.shape[0]
        t = torch.randint(0, self.num_timesteps, (b,), device=img.device)
        noise = torch.randn_like(img)
        x = self.sqrt_alphas_cumprod[t, None, None] * img + self.sqrt_one_minus_alphas_cumprod[t, None, None] * noise
        return F.mse_loss(self.model(x, t), noise)


torch.manual_seed(0)
model = Unet1D(dim=16, channels=2)
diffusion = GaussianDiffusion1D(model, seq_length=64, timesteps=100).to(device)

raw = torch.randn(32, 6, 64)
to_channels = nn.Conv1d(6, 2, kernel_size=1)
training_seq = to_channels(raw)

optimizer = torch.optim.Adam(diffusion.parameters(), lr=8e-5, betas=(0.9, 0.99))
for step in range(10):
    idx = torch.randint(0, 32, (8,))
    loss = diffusion(training_seq[idx].to(device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step} loss {loss.item():.4f}")
