"""Monocular depth: frozen ViT backbone + small DPT-like head trained on synthetic scenes."""
import torch
from torch import nn
import torch.nn.functional as F


class ViTBackbone(nn.Module):
    def __init__(self, img_size=32, patch=8, dim=48, depth=4, heads=4):
        super().__init__()
        self.patch = patch
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        n = (img_size // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(dim, heads, dim * 2, dropout=0.0, batch_first=True, norm_first=True)
            for _ in range(depth)
        ])
        self.norm = nn.LayerNorm(dim)

    @torch.no_grad()
    def get_intermediate_layers(self, x, n=(1, 3)):
        b, _, h, w = x.shape
        t = self.patch_embed(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls_token.expand(b, -1, -1), t], dim=1) + self.pos_embed
        outs = []
        for i, blk in enumerate(self.blocks):
            t = blk(t)
            if i in n:
                feat = self.norm(t)[:, 1:]
                outs.append(feat.transpose(1, 2).reshape(b, -1, h // self.patch, w // self.patch))
        return outs


class FusionBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.res = nn.Sequential(nn.ReLU(), nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU(), nn.Conv2d(ch, ch, 3, padding=1))
        self.out = nn.Conv2d(ch, ch, 1)

    def forward(self, x, skip=None):
        if skip is not None:
            x = x + skip
        x = x + self.res(x)
        return self.out(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False))


class DPTHead(nn.Module):
    def __init__(self, in_dim=48, ch=32, n_feats=2, min_depth=0.1, max_depth=10.0):
        super().__init__()
        self.reassemble = nn.ModuleList([nn.Conv2d(in_dim, ch, 1) for _ in range(n_feats)])
        self.fusion = nn.ModuleList([FusionBlock(ch) for _ in range(n_feats)])
        self.predict = nn.Sequential(nn.Conv2d(ch, ch // 2, 3, padding=1), nn.ReLU(),
                                     nn.Conv2d(ch // 2, 1, 1))
        self.min_depth, self.max_depth = min_depth, max_depth

    def forward(self, feats, out_size):
        x = None
        for proj, fuse, f in zip(self.reassemble[::-1], self.fusion, feats[::-1]):
            f = proj(f)
            if x is not None and x.shape[-2:] != f.shape[-2:]:
                f = F.interpolate(f, size=x.shape[-2:], mode="bilinear", align_corners=False)
            x = fuse(f if x is None else x, None if x is None else f)
        depth = torch.sigmoid(self.predict(x))
        depth = F.interpolate(depth, size=out_size, mode="bilinear", align_corners=False)
        return self.min_depth + (self.max_depth - self.min_depth) * depth


def sigloss(pred, target, eps=1e-6, lam=0.85):
    g = torch.log(pred + eps) - torch.log(target + eps)
    return torch.sqrt((g ** 2).mean() - lam * g.mean() ** 2 + eps)


def synthetic_batch(b=8, size=32):
    yy = torch.linspace(0, 1, size).view(1, 1, size, 1).expand(b, 1, size, size)
    slope = torch.rand(b, 1, 1, 1) * 5 + 1
    depth = 0.5 + slope * yy
    img = torch.cat([depth / depth.amax(dim=(2, 3), keepdim=True)] * 3, 1) + 0.05 * torch.randn(b, 3, size, size)
    return img, depth


def main():
    torch.manual_seed(0)
    backbone = ViTBackbone()
    backbone.eval()
    head = DPTHead()
    optimizer = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=1e-4)

    for step in range(20):
        img, depth = synthetic_batch()
        feats = backbone.get_intermediate_layers(img)
        pred = head(feats, depth.shape[-2:])
        loss = sigloss(pred, depth)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 5 == 0:
            print(f"step {step:02d} silog {loss.item():.4f} abs_rel {((pred - depth).abs() / depth).mean().item():.3f}")


if __name__ == "__main__":
    main()
