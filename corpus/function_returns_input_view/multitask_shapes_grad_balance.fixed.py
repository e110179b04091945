"""Multi-task learning on synthetic shape images: one shared conv trunk, a shape classifier, a
size regressor and a mask decoder. The two vector heads read the trunk through a Function that
rescales each task's gradient to a fixed norm, so neither task dominates the trunk's update."""
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIG = {
    "seed": 21,
    "image_size": 16,
    "channels": 16,
    "batch_size": 32,
    "iterations": 40,
    "lr": 2e-3,
    "task_grad_norm": {"shape": 1.0, "size": 0.5},
    "mask_weight": 1.0,
}


class GradBalance(torch.autograd.Function):
    @staticmethod
    def forward(ctx, feat, target_norm):
        ctx.target_norm = target_norm
        ctx.shape = feat.shape
        return feat.reshape(feat.size(0), -1).clone()

    @staticmethod
    def backward(ctx, grad):
        scaled = grad * (ctx.target_norm / (grad.norm() + 1e-8))
        return scaled.reshape(ctx.shape), None


def sample_shapes(n, size, generator):
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    centre = torch.randint(4, size - 4, (n, 2), generator=generator)
    radius = torch.randint(2, 5, (n,), generator=generator)
    is_square = torch.randint(0, 2, (n,), generator=generator)
    dy = (yy[None] - centre[:, 0, None, None]).abs()
    dx = (xx[None] - centre[:, 1, None, None]).abs()
    r = radius[:, None, None]
    square = (dy <= r) & (dx <= r)
    disc = dy ** 2 + dx ** 2 <= r ** 2
    mask = torch.where(is_square[:, None, None].bool(), square, disc).float()
    images = mask + 0.3 * torch.randn(n, size, size, generator=generator)
    area = mask.sum((1, 2)) / (size * size)
    return images.unsqueeze(1), is_square, area, mask.unsqueeze(1)


class MultiTaskNet(nn.Module):
    def __init__(self, channels, image_size, task_grad_norm):
        super().__init__()
        self.task_grad_norm = task_grad_norm
        self.trunk = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
        )
        flat = channels * image_size * image_size
        self.heads = nn.ModuleDict({
            "shape": nn.Linear(flat, 2),
            "size": nn.Sequential(nn.Linear(flat, 32), nn.ReLU(), nn.Linear(32, 1)),
        })
        self.mask_decoder = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, 1, 1),
        )

    def forward(self, images):
        shared = self.trunk(images)
        outputs = {}
        for task, head in self.heads.items():
            outputs[task] = head(GradBalance.apply(shared, self.task_grad_norm[task]))
        outputs["mask"] = self.mask_decoder(shared)
        return outputs


def run(cfg):
    torch.manual_seed(cfg["seed"])
    gen = torch.Generator().manual_seed(cfg["seed"])
    model = MultiTaskNet(
        channels=cfg["channels"],
        image_size=cfg["image_size"],
        task_grad_norm=cfg["task_grad_norm"],
    )
    optimizer = torch.optim.Adam(
        model.parameters(),
        lr=cfg["lr"],
        betas=(0.9, 0.99),
    )
    for it in range(1, cfg["iterations"] + 1):
        images, is_square, area, mask = sample_shapes(cfg["batch_size"], cfg["image_size"], gen)
        out = model(images)
        losses = {
            "shape": F.cross_entropy(out["shape"], is_square),
            "size": F.mse_loss(out["size"].squeeze(1), area),
            "mask": cfg["mask_weight"] * F.binary_cross_entropy_with_logits(out["mask"], mask),
        }
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        if it % 10 == 0:
            shown = ", ".join(f"{k} {v.item():.3f}" for k, v in losses.items())
            print(f"iter {it}: {shown}")


if __name__ == "__main__":
    run(CONFIG)
