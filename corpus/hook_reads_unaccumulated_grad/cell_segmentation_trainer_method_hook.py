"""Foreground segmentation of synthetic fluorescence-microscopy crops (bright blobs of varying
size on a noisy, unevenly lit background) with a tiny encoder-decoder, trained by a Trainer
class that clips each conv layer's gradients unit-wise (AGC)."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

SIZE = 24


@dataclass
class TrainerConfig:
    lr: float = 3e-3
    clip_factor: float = 0.05
    batch_size: int = 32
    epochs: int = 4
    seed: int = 12


def make_crops(n, gen):
    yy, xx = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    images, masks = torch.zeros(n, 1, SIZE, SIZE), torch.zeros(n, 1, SIZE, SIZE)
    for k in range(n):
        for _ in range(int(torch.randint(1, 4, (1,), generator=gen))):
            cy, cx = torch.randint(3, SIZE - 3, (2,), generator=gen).tolist()
            r = 2 + 3 * torch.rand(1, generator=gen).item()
            blob = ((yy - cy) ** 2 + (xx - cx) ** 2).float() < r ** 2
            masks[k, 0][blob] = 1.0
    light = torch.linspace(0.0, 0.6, SIZE).view(1, 1, 1, SIZE)
    images = masks * 1.0 + light + 0.35 * torch.randn(n, 1, SIZE, SIZE, generator=gen)
    return images, masks


class TinySegNet(nn.Module):
    def __init__(self, ch=16):
        super().__init__()
        self.enc1 = nn.Conv2d(1, ch, 3, padding=1)
        self.enc2 = nn.Conv2d(ch, 2 * ch, 3, padding=1)
        self.dec = nn.Conv2d(3 * ch, ch, 3, padding=1)
        self.out = nn.Conv2d(ch, 1, 1)

    def forward(self, x):
        e1 = F.relu(self.enc1(x))
        e2 = F.relu(self.enc2(F.max_pool2d(e1, 2)))
        up = F.interpolate(e2, scale_factor=2, mode="nearest")
        return self.out(F.relu(self.dec(torch.cat([up, e1], dim=1))))


class Trainer:
    def __init__(self, model, cfg):
        self.model, self.cfg = model, cfg
        self.optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        for m in self.model.modules():
            if isinstance(m, nn.Conv2d):
                m.register_full_backward_hook(self._clip_hook)

    def _clip_hook(self, module, grad_input, grad_output):
        for p in module.parameters():
            max_norm = p.detach().norm().clamp(min=1e-3) * self.cfg.clip_factor
            grad_norm = p.grad.norm()
            if grad_norm > max_norm:
                p.grad.mul_(max_norm / grad_norm)

    def fit(self, images, masks):
        for epoch in range(self.cfg.epochs):
            order = torch.randperm(len(images))
            for i in range(0, len(order), self.cfg.batch_size):
                idx = order[i:i + self.cfg.batch_size]
                self.optimizer.zero_grad()
                loss = F.binary_cross_entropy_with_logits(self.model(images[idx]), masks[idx])
                loss.backward()
                self.optimizer.step()
            print(f"epoch {epoch}: bce {loss.item():.4f}")

    @torch.no_grad()
    def dice(self, images, masks):
        pred = (self.model(images) > 0).float()
        return (2 * (pred * masks).sum() / (pred.sum() + masks.sum())).item()


if __name__ == "__main__":
    cfg = TrainerConfig()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    train_images, train_masks = make_crops(384, gen)
    test_images, test_masks = make_crops(96, gen)
    trainer = Trainer(TinySegNet(), cfg)
    trainer.fit(train_images, train_masks)
    print(f"test dice: {trainer.dice(test_images, test_masks):.3f}")
