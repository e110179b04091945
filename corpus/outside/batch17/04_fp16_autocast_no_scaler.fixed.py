# Report: https://github.com/engichang1467/Open-Rig3R/issues/35
# Training runs under float16 autocast with no GradScaler. The ray-direction loss is small and
# averaged over every pixel, so its gradient per output element is below float16's smallest
# subnormal: at the float16 head output it rounds to exactly 0 and the ray head never learns.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.amp import autocast

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

config = {
    "image_size": 64,
    "batch_size": 4,
    "lr": 2e-4,
    "steps": 24,
    "pointmap_weight": 1.0,
    "raymap_weight": 1e-3,
}


def patchify(x, p):
    b, c, h, w = x.shape
    x = x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
    return x.reshape(b, (h // p) * (w // p), c * p * p)


def unpatchify(t, p, c, size):
    b, n, _ = t.shape
    g = size // p
    t = t.reshape(b, g, g, c, p, p).permute(0, 3, 1, 4, 2, 5)
    return t.reshape(b, c, size, size)


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        return x + self.mlp(self.norm(x))


class Rig3RLite(nn.Module):
    def __init__(self, dim=64, patch=16, size=64):
        super().__init__()
        self.patch, self.size = patch, size
        self.patch_embed = nn.Linear(3 * patch * patch, dim)
        self.meta_embed = nn.Linear(4, dim)
        self.encoder = nn.Sequential(Block(dim), Block(dim))
        self.point_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 3 * patch * patch))
        self.ray_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 3 * patch * patch))

    def forward(self, images, metadata):
        tokens = self.patch_embed(patchify(images, self.patch)) + self.meta_embed(metadata)[:, None, :]
        feats = self.encoder(tokens)
        pointmap = unpatchify(self.point_head(feats), self.patch, 3, self.size)
        raymap = unpatchify(self.ray_head(feats), self.patch, 3, self.size)
        return {"pointmap": pointmap, "raymap": raymap}


class MultiTaskLoss(nn.Module):
    def __init__(self, pointmap_weight, raymap_weight):
        super().__init__()
        self.pointmap_weight = pointmap_weight
        self.raymap_weight = raymap_weight

    def forward(self, outputs, targets):
        point_loss = F.l1_loss(outputs["pointmap"].float(), targets["pointmap"])
        ray_loss = F.l1_loss(outputs["raymap"].float(), targets["raymap"])
        total = self.pointmap_weight * point_loss + self.raymap_weight * ray_loss
        return total, {"point": point_loss.item(), "ray": ray_loss.item()}


def synthetic_batch(n, size):
    images = torch.rand(n, 3, size, size)
    metadata = torch.randn(n, 4)
    depth = 2.0 + 8.0 * images.mean(1, keepdim=True)
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    rays = F.normalize(torch.stack([xs, ys, torch.ones_like(xs)]), dim=0).expand(n, -1, -1, -1)
    pointmap = rays * depth
    return images, metadata, {"pointmap": pointmap, "raymap": rays.contiguous()}


def train():
    model = Rig3RLite().to(device)
    criterion = MultiTaskLoss(config["pointmap_weight"], config["raymap_weight"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=config["lr"], weight_decay=0.0)
    for step in range(config["steps"]):
        images, metadata, targets = synthetic_batch(config["batch_size"], config["image_size"])
        images, metadata = images.to(device), metadata.to(device)
        targets = {k: v.to(device) for k, v in targets.items()}
        with autocast(device_type=str(device), dtype=torch.bfloat16):
            outputs = model(images, metadata)
        loss, parts = criterion(outputs, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step}: loss {loss.item():.4f} point {parts['point']:.4f} ray {parts['ray']:.4f}")
    return model


if __name__ == "__main__":
    model = train()
