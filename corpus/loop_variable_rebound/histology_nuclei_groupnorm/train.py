"""Nuclei segmentation on synthetic H&E-like tiles, two tiles per batch (large tiles in practice)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from norm_swap import batchnorm_to_groupnorm, count_norms

torch.manual_seed(5)
gen = torch.Generator().manual_seed(5)

TILE = 32
BATCH = 2
ITERATIONS = 40


def make_tile():
    """Pinkish stroma with dark purple elliptical nuclei; the mask marks the nuclei."""
    yy, xx = torch.meshgrid(torch.arange(TILE), torch.arange(TILE), indexing="ij")
    mask = torch.zeros(TILE, TILE)
    for _ in range(int(torch.randint(3, 7, (1,), generator=gen))):
        cy, cx = torch.randint(4, TILE - 4, (2,), generator=gen).tolist()
        ry, rx = (torch.rand(2, generator=gen) * 2.5 + 2).tolist()
        mask = torch.maximum(mask, ((((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2) <= 1).float())
    stroma = torch.tensor([0.9, 0.6, 0.75])[:, None, None]
    nucleus = torch.tensor([0.35, 0.2, 0.55])[:, None, None]
    image = stroma * (1 - mask) + nucleus * mask
    stain = 1 + 0.3 * torch.randn(3, 1, 1, generator=gen)
    return image * stain + 0.08 * torch.randn(3, TILE, TILE, generator=gen), mask[None]


def conv_bn(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class SmallUNet(nn.Module):
    def __init__(self, base=16):
        super().__init__()
        self.enc1 = nn.Sequential(conv_bn(3, base), conv_bn(base, base))
        self.enc2 = nn.Sequential(conv_bn(base, 2 * base), conv_bn(2 * base, 2 * base))
        self.up = nn.ConvTranspose2d(2 * base, base, 2, stride=2)
        self.dec = nn.Sequential(conv_bn(2 * base, base), conv_bn(base, base))
        self.out = nn.Conv2d(base, 1, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        return self.out(self.dec(torch.cat([self.up(e2), e1], dim=1)))


def dice(logits, target, eps=1.0):
    prob = torch.sigmoid(logits)
    inter = (prob * target).sum((1, 2, 3))
    return ((2 * inter + eps) / (prob.sum((1, 2, 3)) + target.sum((1, 2, 3)) + eps)).mean()


def batch(n):
    tiles, masks = zip(*(make_tile() for _ in range(n)))
    return torch.stack(tiles), torch.stack(masks)


model = batchnorm_to_groupnorm(SmallUNet(), preferred_groups=8)
print("norm layers:", count_norms(model))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
val_x, val_y = batch(16)

for it in range(1, ITERATIONS + 1):
    x, y = batch(BATCH)
    logits = model(x)
    loss = F.binary_cross_entropy_with_logits(logits, y) + (1 - dice(logits, y))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if it % 10 == 0:
        model.eval()
        with torch.no_grad():
            print(f"iter {it}: loss {loss.item():.3f}  val dice {dice(model(val_x), val_y).item():.3f}")
        model.train()
