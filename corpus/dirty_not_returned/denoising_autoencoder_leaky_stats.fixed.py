"""Denoising conv autoencoder for small grayscale patches (synthetic strokes + Gaussian noise).

The activations are an in-place leaky ReLU that also tallies how many units sit on the negative
side, to watch for dying units during training."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class LeakyReLUWithStats_(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, slope, tally):
        negative = x < 0
        tally[0] += negative.float().mean()
        tally[1] += 1
        ctx.slope = slope
        ctx.mark_dirty(x)
        if slope == 0.0:
            x.masked_fill_(negative, 0.0)
            ctx.save_for_backward(x)
            return x
        x.masked_scatter_(negative, x[negative] * slope)
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        scale = torch.where(y > 0, 1.0, ctx.slope) if ctx.slope else (y > 0).to(grad_out.dtype)
        return grad_out * scale, None, None


class LeakyReLUWithStats(nn.Module):
    def __init__(self, slope=0.1):
        super().__init__()
        self.slope = slope
        self.register_buffer("tally", torch.zeros(2))

    def forward(self, x):
        return LeakyReLUWithStats_.apply(x, self.slope, self.tally)

    def negative_fraction(self):
        frac = (self.tally[0] / self.tally[1].clamp_min(1)).item()
        self.tally.zero_()
        return frac


class DenoisingAE(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.enc1 = nn.Conv2d(1, width, 3, stride=2, padding=1)
        self.act1 = LeakyReLUWithStats()
        self.enc2 = nn.Conv2d(width, 2 * width, 3, stride=2, padding=1)
        self.act2 = LeakyReLUWithStats()
        self.dec1 = nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1)
        self.act3 = LeakyReLUWithStats()
        self.dec2 = nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1)

    def forward(self, noisy):
        h = self.act1(self.enc1(noisy))
        h = self.act2(self.enc2(h))
        h = self.act3(self.dec1(h))
        return torch.sigmoid(self.dec2(h))


def stroke_images(n, size=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    images = torch.zeros(n, 1, size, size)
    for i in range(n):
        for _ in range(3):
            angle = torch.rand(1, generator=g) * 3.1416
            offset = (torch.rand(1, generator=g) - 0.5) * size
            dist = (xx - size / 2) * torch.sin(angle) - (yy - size / 2) * torch.cos(angle) - offset
            images[i, 0] = torch.maximum(images[i, 0], torch.exp(-dist ** 2 / 2.0))
    return images


class Trainer:
    def __init__(self, model, lr=2e-3, noise_std=0.3):
        self.model = model
        self.noise_std = noise_std
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)

    def corrupt(self, clean):
        return (clean + self.noise_std * torch.randn_like(clean)).clamp(0, 1)

    @torch.no_grad()
    def psnr(self, clean):
        self.model.eval()
        mse = F.mse_loss(self.model(self.corrupt(clean)), clean)
        self.model.train()
        return (10 * torch.log10(1.0 / mse)).item()

    def epoch(self, loader):
        total = 0.0
        for (clean,) in loader:
            loss = F.mse_loss(self.model(self.corrupt(clean)), clean)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            total += loss.item() * len(clean)
        return total / len(loader.dataset)


if __name__ == "__main__":
    torch.manual_seed(0)
    train_set = TensorDataset(stroke_images(384, seed=1))
    val_images = stroke_images(64, seed=2)
    loader = DataLoader(train_set, batch_size=32, shuffle=True)

    model = DenoisingAE()
    trainer = Trainer(model)
    print(f"val PSNR before training: {trainer.psnr(val_images):.2f} dB")
    for epoch in range(4):
        loss = trainer.epoch(loader)
        dead = [round(act.negative_fraction(), 3) for act in (model.act1, model.act2, model.act3)]
        print(f"epoch {epoch}: mse {loss:.4f}  val PSNR {trainer.psnr(val_images):.2f} dB  negative fraction {dead}")
