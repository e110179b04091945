"""Style-based decoder (AdaIN, StyleGAN-like synthesis on toy data): a mapping network turns a code
into a style vector, and each decoder layer re-normalises its features with a scale and bias
predicted from that style. Trained as an auto-encoder of small textured patches."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class AdaINConv(nn.Module):
    """A 3x3 conv whose instance-normalised output is restyled when a style is given."""

    def __init__(self, in_ch, out_ch, style_dim):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.norm = nn.InstanceNorm2d(out_ch)
        self.style_scale = nn.Linear(style_dim, out_ch)
        self.style_bias = nn.Linear(style_dim, out_ch)

    def forward(self, x, *, style=None):
        h = self.norm(self.conv(x))
        if style is not None:
            scale = self.style_scale(style)[:, :, None, None]
            bias = self.style_bias(style)[:, :, None, None]
            h = (1 + scale) * h + bias
        return F.leaky_relu(h, 0.2)


class StyleAutoencoder(nn.Module):
    def __init__(self, style_dim=32):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 16, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(16, 32, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, style_dim),
        )
        self.mapping = nn.Sequential(nn.Linear(style_dim, style_dim), nn.LeakyReLU(0.2), nn.Linear(style_dim, style_dim))
        self.const = nn.Parameter(torch.randn(1, 32, 4, 4))
        self.layer1 = AdaINConv(32, 32, style_dim)
        self.layer2 = AdaINConv(32, 16, style_dim)
        self.layer3 = AdaINConv(16, 16, style_dim)
        self.to_rgb = nn.Conv2d(16, 3, 1)

    def forward(self, img):
        w = self.mapping(self.encoder(img))
        x = self.const.expand(img.shape[0], -1, -1, -1)
        x = self.layer1(x, style=w)
        x = F.interpolate(x, scale_factor=2)
        x = self.layer2(x, style=w)
        x = F.interpolate(x, scale_factor=2)
        x = self.layer3(x, style=w)
        return torch.tanh(self.to_rgb(x))


def patches(n):
    freq = torch.rand(n, 1, 1, 1) * 3 + 1
    phase = torch.rand(n, 3, 1, 1) * 6.28
    grid = torch.linspace(0, 3.14, 16)
    return torch.sin(freq * grid[None, None, :, None] + phase) * torch.cos(freq * grid[None, None, None, :])


torch.manual_seed(0)
autoencoder = StyleAutoencoder()
opt = torch.optim.Adam(autoencoder.parameters(), lr=1e-3)
for epoch in range(3):
    for _ in range(20):
        batch = patches(24)
        recon = autoencoder(batch)
        loss = F.mse_loss(recon, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: mse {loss.item():.4f}")
