# Report: https://github.com/ccarliu/m3ae/issues/15
# Training the missing-modality segmentation model stops in forward() at the line that writes the
# learnable fill image into the dropped modalities of x:
# "RuntimeError: A view was created in no_grad mode and is being modified inplace with grad mode enabled".
"""Brain-tumour-style segmentation from four MRI modalities with missing-modality training.

At training time each sample loses a random subset of its modalities; the missing channels are
replaced by a learnable "fill" image (as in M3AE), so the network learns to segment from any
subset. Random crops are taken on the fly in the training loop.
Synthetic data: four 2-D channels (T1, T1ce, T2, FLAIR-like) and three tissue classes.
"""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

IMG = 48
CROP = 32
N_MOD = 4
N_CLS = 3


class SyntheticMRI(Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        yy, xx = torch.meshgrid(torch.arange(IMG), torch.arange(IMG), indexing="ij")
        self.images, self.masks = [], []
        for _ in range(n):
            cy, cx = (12 + 24 * torch.rand(2, generator=g)).tolist()
            r_edema = 6 + 6 * torch.rand(1, generator=g).item()
            r_core = r_edema * (0.3 + 0.3 * torch.rand(1, generator=g).item())
            d = ((yy - cy) ** 2 + (xx - cx) ** 2).float().sqrt()
            mask = torch.zeros(IMG, IMG, dtype=torch.long)
            mask[d < r_edema] = 1
            mask[d < r_core] = 2
            contrast = torch.tensor([[0.2, 0.6], [0.3, 1.0], [0.8, 0.5], [1.0, 0.4]])
            img = torch.stack([0.1 + c[0] * (mask == 1) + c[1] * (mask == 2) for c in contrast]).float()
            img = img + 0.15 * torch.randn(img.shape, generator=g)
            self.images.append(img)
            self.masks.append(mask)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i], self.masks[i]


@torch.no_grad()
def random_crop(images, masks, size):
    top = random.randint(0, IMG - size)
    left = random.randint(0, IMG - size)
    return (images[:, :, top:top + size, left:left + size],
            masks[:, top:top + size, left:left + size], (top, left))


def conv_block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.InstanceNorm2d(cout, affine=True), nn.LeakyReLU(0.01),
        nn.Conv2d(cout, cout, 3, padding=1), nn.InstanceNorm2d(cout, affine=True), nn.LeakyReLU(0.01),
    )


class SmallUNet(nn.Module):
    def __init__(self, cin=N_MOD, ncls=N_CLS, w=16):
        super().__init__()
        self.enc1 = conv_block(cin, w)
        self.enc2 = conv_block(w, 2 * w)
        self.bott = conv_block(2 * w, 4 * w)
        self.up2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
        self.dec2 = conv_block(4 * w, 2 * w)
        self.up1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.dec1 = conv_block(2 * w, w)
        self.out = nn.Conv2d(w, ncls, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        b = self.bott(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(b), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.out(d1)


class MissingModalitySegNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.unet = SmallUNet()
        self.fill = nn.Parameter(0.1 * torch.randn(1, N_MOD, IMG, IMG))

    def forward(self, x, missing=None, location=(0, 0)):
        if missing is not None:
            top, left = location
            h, w = x.shape[-2:]
            patch = self.fill[0, :, top:top + h, left:left + w]
            x = x.clone()
            for b, mods in enumerate(missing):
                for m in mods:
                    x[b, m] = patch[m]
        return self.unet(x)


def soft_dice_loss(logits, target, eps=1.0):
    probs = logits.softmax(1)
    onehot = F.one_hot(target, N_CLS).permute(0, 3, 1, 2).float()
    inter = (probs * onehot).sum((0, 2, 3))
    denom = probs.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
    return 1 - ((2 * inter + eps) / (denom + eps))[1:].mean()


def sample_missing(batch, max_missing=2):
    return [random.sample(range(N_MOD), random.randint(0, max_missing)) for _ in range(batch)]


def dice_scores(model, loader):
    model.eval()
    inter = torch.zeros(N_CLS)
    denom = torch.zeros(N_CLS)
    with torch.no_grad():
        for img, mask in loader:
            pred = model(img).argmax(1)
            for c in range(1, N_CLS):
                inter[c] += ((pred == c) & (mask == c)).sum()
                denom[c] += (pred == c).sum() + (mask == c).sum()
    model.train()
    return (2 * inter[1:] / denom[1:].clamp_min(1)).tolist()


def main():
    random.seed(0)
    torch.manual_seed(0)
    train_loader = DataLoader(SyntheticMRI(96, seed=1), batch_size=8, shuffle=True)
    val_loader = DataLoader(SyntheticMRI(24, seed=2), batch_size=12)

    model = MissingModalitySegNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=5, power=0.9)

    for epoch in range(5):
        running = 0.0
        for img, mask in train_loader:
            img, mask, loc = random_crop(img, mask, CROP)
            logits = model(img, missing=sample_missing(img.shape[0]), location=loc)
            loss = F.cross_entropy(logits, mask) + soft_dice_loss(logits, mask)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        scheduler.step()
        d_edema, d_core = dice_scores(model, val_loader)
        print(f"epoch {epoch}: loss {running / len(train_loader):.4f}  "
              f"dice edema {d_edema:.3f}  dice core {d_core:.3f}")


if __name__ == "__main__":
    main()
