# Reproduces: https://github.com/huggingface/diffusers/issues/5330
# A class-conditional DDPM on 16x16 synthetic shapes. The UNet follows diffusers'
# UNet2DModel interface: forward(sample, timestep, class_labels=None). It only adds a class
# embedding when the config sets class_embed_type; otherwise class_labels is silently
# ignored, as the issue reports. This script computes its own label embedding (a small
# LabelEncoder MLP) and passes it as class_labels, meaning to use the "identity" class
# embedding. The UNet config never sets class_embed_type, so the UNet drops the labels.
# The LabelEncoder gets no gradient and never changes. The denoiser trains as an
# unconditional model, and the conditional loss equals the unconditional one.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

train_cfg = dict(num_classes=4, image_size=16, n_images=384, batch_size=32, epochs=4,
                 lr=2e-3, timesteps=100, seed=21)
unet_cfg = dict(in_channels=1, base_channels=24, temb_dim=64, class_embed_type=None, num_class_embeds=None)
torch.manual_seed(train_cfg["seed"])
device = "cuda" if torch.cuda.is_available() else "cpu"


class Shapes(Dataset):
    def __init__(self, n, size, seed):
        g = torch.Generator().manual_seed(seed)
        yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
        self.x, self.y = [], torch.randint(0, train_cfg["num_classes"], (n,), generator=g)
        for label in self.y.tolist():
            cx, cy = (torch.rand(2, generator=g) - 0.5) * 0.6
            if label == 0:
                img = ((xx - cx) ** 2 + (yy - cy) ** 2 < 0.25).float()
            elif label == 1:
                img = (((xx - cx).abs() < 0.45) & ((yy - cy).abs() < 0.45)).float()
            elif label == 2:
                img = ((yy - cy).abs() < 0.15).float()
            else:
                img = ((xx - cx).abs() < 0.15).float()
            self.x.append(img[None] * 2 - 1)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb_dim):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(8, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb_dim, cout)
        self.norm2, self.conv2 = nn.GroupNorm(8, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class TinyUNet2D(nn.Module):
    def __init__(self, in_channels, base_channels, temb_dim, class_embed_type=None, num_class_embeds=None):
        super().__init__()
        c = base_channels
        self.temb_dim = temb_dim
        self.time_mlp = nn.Sequential(nn.Linear(temb_dim, temb_dim), nn.SiLU(), nn.Linear(temb_dim, temb_dim))
        if class_embed_type is None and num_class_embeds is not None:
            self.class_embedding = nn.Embedding(num_class_embeds, temb_dim)
        elif class_embed_type == "identity":
            self.class_embedding = nn.Identity()
        else:
            self.class_embedding = None
        self.conv_in = nn.Conv2d(in_channels, c, 3, padding=1)
        self.down1 = ResBlock(c, c, temb_dim)
        self.down2 = ResBlock(c, 2 * c, temb_dim)
        self.mid = ResBlock(2 * c, 2 * c, temb_dim)
        self.up1 = ResBlock(4 * c, c, temb_dim)
        self.up2 = ResBlock(2 * c, c, temb_dim)
        self.conv_out = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, in_channels, 3, padding=1))

    def forward(self, sample, timestep, class_labels=None):
        emb = self.time_mlp(timestep_embedding(timestep, self.temb_dim))
        if self.class_embedding is not None:
            if class_labels is None:
                raise ValueError("class_labels should be provided when doing class conditioning")
            emb = emb + self.class_embedding(class_labels)
        h0 = self.conv_in(sample)
        h1 = self.down1(h0, emb)
        h2 = self.down2(F.avg_pool2d(h1, 2), emb)
        h = self.mid(h2, emb)
        h = self.up1(torch.cat([h, h2], 1), emb)
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = self.up2(torch.cat([h, h1], 1), emb)
        return self.conv_out(h)


class LabelEncoder(nn.Module):
    def __init__(self, num_classes, dim):
        super().__init__()
        self.table = nn.Embedding(num_classes, dim)
        self.proj = nn.Sequential(nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, y):
        return self.proj(self.table(y))


T = train_cfg["timesteps"]
betas = torch.linspace(1e-4, 0.05, T)
alphas_cumprod = torch.cumprod(1 - betas, 0).to(device)


def q_sample(x0, t, noise):
    a = alphas_cumprod[t].sqrt()[:, None, None, None]
    s = (1 - alphas_cumprod[t]).sqrt()[:, None, None, None]
    return a * x0 + s * noise


unet = TinyUNet2D(**unet_cfg).to(device)
label_encoder = LabelEncoder(train_cfg["num_classes"], unet_cfg["temb_dim"]).to(device)
params = list(unet.parameters()) + list(label_encoder.parameters())
optimizer = torch.optim.AdamW(params, lr=train_cfg["lr"], weight_decay=0.0)

data = Shapes(train_cfg["n_images"], train_cfg["image_size"], seed=1)
val = Shapes(128, train_cfg["image_size"], seed=2)
loader = DataLoader(data, batch_size=train_cfg["batch_size"], shuffle=True)
val_loader = DataLoader(val, batch_size=128)


@torch.no_grad()
def val_loss(conditional):
    unet.eval()
    g = torch.Generator().manual_seed(0)
    x0, y = next(iter(val_loader))
    x0, y = x0.to(device), y.to(device)
    t = torch.randint(0, T, (len(y),), generator=g).to(device)
    noise = torch.randn(x0.shape, generator=g).to(device)
    cond = label_encoder(y) if conditional else torch.zeros(len(y), unet_cfg["temb_dim"], device=device)
    out = F.mse_loss(unet(q_sample(x0, t, noise), t, class_labels=cond), noise).item()
    unet.train()
    return out


for epoch in range(train_cfg["epochs"]):
    total = 0.0
    for x0, y in loader:
        x0, y = x0.to(device), y.to(device)
        t = torch.randint(0, T, (len(y),), device=device)
        noise = torch.randn_like(x0)
        pred = unet(q_sample(x0, t, noise), t, class_labels=label_encoder(y))
        loss = F.mse_loss(pred, noise)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        total += loss.item() * len(y)
    print(f"epoch {epoch + 1}: train mse {total / len(data):.4f}  "
          f"val mse cond {val_loss(True):.4f} / uncond {val_loss(False):.4f}")
