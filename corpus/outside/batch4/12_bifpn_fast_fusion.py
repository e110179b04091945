"""Heat-map detector with a two-level BiFPN-style neck using fast normalised fusion.

Synthetic task: predict the centre heat-map of bright discs in 32x32 images.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class Fusefeature(nn.Module):
    """Fast normalised fusion: w_i >= 0, out = sum(w_i * x_i) / (sum(w_i) + eps)."""

    def __init__(self, channels, n_inputs=2, e=1e-4):
        super().__init__()
        self.e = e
        self.weight = nn.Parameter(torch.ones(n_inputs, dtype=torch.float32), requires_grad=True)
        self.weight_relu = nn.ReLU(inplace=True)
        self.conv = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False),
                                  nn.Conv2d(channels, channels, 1, bias=False), nn.BatchNorm2d(channels))
        self.swish = Swish()

    def forward(self, xs):
        weight = self.weight_relu(self.weight)
        weight = weight / (torch.sum(weight, dim=0) + self.e)
        fused = sum(w * x for w, x in zip(weight, xs))
        return self.conv(self.swish(fused))


class Backbone(nn.Module):
    def __init__(self, c=16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU())  # 16x16
        self.stage2 = nn.Sequential(nn.Conv2d(c, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU())  # 8x8

    def forward(self, x):
        p3 = self.stem(x)
        return p3, self.stage2(p3)


class BiFPNDetector(nn.Module):
    def __init__(self, c=16):
        super().__init__()
        self.backbone = Backbone(c)
        self.fuse_p3_td = Fusefeature(c)
        self.fuse_p4_out = Fusefeature(c)
        self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        p3, p4 = self.backbone(x)
        p3_td = self.fuse_p3_td([p3, F.interpolate(p4, scale_factor=2, mode="nearest")])
        p4_out = self.fuse_p4_out([p4, F.max_pool2d(p3_td, 2)])
        p3_out = p3_td + F.interpolate(p4_out, scale_factor=2, mode="nearest")
        return self.head(p3_out)


def make_batch(n=16, size=32):
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    cy = torch.randint(4, size - 4, (n, 1, 1)).float()
    cx = torch.randint(4, size - 4, (n, 1, 1)).float()
    img = (((yy - cy) ** 2 + (xx - cx) ** 2) < 9).float().unsqueeze(1)
    img = img + 0.1 * torch.randn_like(img)
    hm = torch.exp(-((yy[::2, ::2] - cy / 2) ** 2 + (xx[::2, ::2] - cx / 2) ** 2) / 2.0).unsqueeze(1)
    return img, hm


def main():
    torch.manual_seed(0)
    model = BiFPNDetector()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for it in range(30):
        img, hm = make_batch()
        pred = model(img)
        loss = F.binary_cross_entropy_with_logits(pred, hm)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 10 == 0:
            w = F.relu(model.fuse_p3_td.weight.detach())
            print(f"iter {it:2d} loss {loss.item():.4f} fusion weights {w.tolist()}")


if __name__ == "__main__":
    main()
