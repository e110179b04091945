"""Normaliser-free CNN on synthetic 12x12 glyphs (bars, crosses, rings, diagonals).

Without BatchNorm the net is trained with adaptive gradient clipping (Brock et al., 2021): each
gradient is clipped unit-wise against the norm of the weight it updates.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)

CLIP_FACTOR = 0.02
EPS = 1e-3
N_CLASSES = 4


def unitwise_norm(x):
    if x.ndim <= 1:
        return x.norm(p=2)
    dims = tuple(range(1, x.ndim))
    return x.norm(p=2, dim=dims, keepdim=True)


def agc_hook(p):
    param_norm = unitwise_norm(p.detach()).clamp(min=EPS)
    grad_norm = unitwise_norm(p.grad)
    max_norm = param_norm * CLIP_FACTOR
    clipped = p.grad * (max_norm / grad_norm.clamp(min=1e-6))
    p.grad.copy_(torch.where(grad_norm > max_norm, clipped, p.grad))


def glyph(kind, size=12):
    img = torch.zeros(size, size)
    c = size // 2
    if kind == 0:
        img[:, c - 1:c + 1] = 1.0
    elif kind == 1:
        img[c - 1:c + 1, :] = 1.0
        img[:, c - 1:c + 1] = 1.0
    elif kind == 2:
        yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
        r = ((yy - c + 0.5) ** 2 + (xx - c + 0.5) ** 2).sqrt()
        img[(r > 3) & (r < 5)] = 1.0
    else:
        img = torch.eye(size) + torch.eye(size).flip(0)
    return img


def make_dataset(n):
    labels = torch.randint(0, N_CLASSES, (n,))
    images = torch.stack([glyph(int(k)) for k in labels]).unsqueeze(1)
    shifts = torch.randint(-2, 3, (n, 2))
    images = torch.stack([torch.roll(im, tuple(s.tolist()), dims=(1, 2)) for im, s in zip(images, shifts)])
    images = images + 0.3 * torch.randn_like(images)
    return images, labels


class ScaledConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu")
        self.gain = 1.0 / math.sqrt(2.0)

    def forward(self, x):
        return F.relu(self.conv(x)) * self.gain


class GlyphNet(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.stem = ScaledConv(1, width)
        self.body = nn.Sequential(ScaledConv(width, width), nn.MaxPool2d(2), ScaledConv(width, 2 * width))
        self.head = nn.Linear(2 * width, N_CLASSES)

    def forward(self, x):
        x = self.body(self.stem(x))
        return self.head(x.mean(dim=(2, 3)))


def evaluate(model, images, labels):
    model.eval()
    with torch.no_grad():
        acc = (model(images).argmax(1) == labels).float().mean().item()
    model.train()
    return acc


def main():
    train_x, train_y = make_dataset(512)
    val_x, val_y = make_dataset(128)
    model = GlyphNet()
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            for param in m.parameters():
                param.register_post_accumulate_grad_hook(agc_hook)

    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    batch = 64
    for epoch in range(4):
        perm = torch.randperm(len(train_x))
        running = 0.0
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(train_x[idx]), train_y[idx])
            loss.backward()
            opt.step()
            running += loss.item() * len(idx)
        print(f"epoch {epoch}  loss {running / len(perm):.3f}  val acc {evaluate(model, val_x, val_y):.2f}")


if __name__ == "__main__":
    main()
