"""x2 single-image super-resolution with L1 + perceptual loss (correct look-alike).

An EDSR-style network (head conv, residual body, pixel-shuffle tail) predicts a residual on top
of the bicubic upsampling. The perceptual loss compares features from a fixed feature extractor
(stand-in for a pretrained VGG: frozen, eval mode, outside the optimizer). Looks suspicious but
is all intended:
  * the feature extractor is frozen with requires_grad_(False) and never trained;
  * target features are computed under torch.no_grad();
  * the bicubic base image is computed under torch.no_grad() and then used out of place;
  * the last conv of every residual block is zero-initialised (identity blocks at start);
  * the tail adds the residual with an in-place += on a fresh conv output, which is legal.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

SCALE = 2
HR = 32


class Textures(Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        yy, xx = torch.meshgrid(torch.linspace(0, 1, HR), torch.linspace(0, 1, HR), indexing="ij")
        self.hr = []
        for _ in range(n):
            f = 2 + 10 * torch.rand(3, 2, generator=g)
            ph = 6.28 * torch.rand(3, generator=g)
            img = torch.stack([0.5 + 0.4 * torch.sin(6.28 * (f[c, 0] * xx + f[c, 1] * yy) + ph[c])
                               for c in range(3)])
            self.hr.append(img.clamp(0, 1))

    def __len__(self):
        return len(self.hr)

    def __getitem__(self, i):
        hr = self.hr[i]
        lr = F.avg_pool2d(hr[None], SCALE)[0]
        return lr, hr


class ResBlock(nn.Module):
    def __init__(self, c, res_scale=1.0):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.res_scale = res_scale

    def forward(self, x):
        return x + self.res_scale * self.conv2(F.relu(self.conv1(x)))


class EDSRLite(nn.Module):
    def __init__(self, c=32, n_blocks=4):
        super().__init__()
        self.head = nn.Conv2d(3, c, 3, padding=1)
        self.body = nn.Sequential(*[ResBlock(c) for _ in range(n_blocks)])
        self.body_tail = nn.Conv2d(c, c, 3, padding=1)
        self.tail = nn.Sequential(nn.Conv2d(c, 3 * SCALE ** 2, 3, padding=1), nn.PixelShuffle(SCALE))

    def forward(self, lr):
        with torch.no_grad():
            base = F.interpolate(lr, scale_factor=SCALE, mode="bicubic", align_corners=False)
        feat = self.head(lr)
        res = self.body_tail(self.body(feat))
        res += feat
        return base + self.tail(res)


class FrozenFeatures(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(123)
        self.layers = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU())

    def forward(self, x):
        return self.layers(x)


def psnr(a, b):
    return (10 * torch.log10(1.0 / F.mse_loss(a.clamp(0, 1), b))).item()


def main():
    torch.manual_seed(0)
    train_loader = DataLoader(Textures(128, seed=1), batch_size=16, shuffle=True)
    val_loader = DataLoader(Textures(32, seed=2), batch_size=32)

    model = EDSRLite()
    feats = FrozenFeatures().eval()
    feats.requires_grad_(False)

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[4], gamma=0.5)

    for epoch in range(6):
        total = 0.0
        for lr, hr in train_loader:
            sr = model(lr)
            with torch.no_grad():
                target_feats = feats(hr)
            loss = F.l1_loss(sr, hr) + 0.05 * F.l1_loss(feats(sr), target_feats)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        scheduler.step()
        with torch.no_grad():
            lr, hr = next(iter(val_loader))
            bicubic = F.interpolate(lr, scale_factor=SCALE, mode="bicubic", align_corners=False)
            print(f"epoch {epoch}: loss {total / len(train_loader):.4f}  "
                  f"PSNR {psnr(model(lr), hr):.2f} dB (bicubic {psnr(bicubic, hr):.2f} dB)")


if __name__ == "__main__":
    main()
