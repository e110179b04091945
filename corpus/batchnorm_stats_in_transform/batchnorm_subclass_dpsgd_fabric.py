"""Fabric-defect classifier trained with DP-SGD: the images come from customers' looms, so each
example's gradient (torch.func per-sample gradients) is clipped to CLIP, and Gaussian noise of
std SIGMA * CLIP is added to their sum before the optimizer step.

The network's normalisation layer is the team's BatchNorm2d subclass, which can be frozen for
fine-tuning (statistics and affine parameters) with a single call.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

BATCH, STEPS = 64, 40
CLIP, SIGMA = 1.0, 0.8
DEFECTS = ["clean", "hole", "stain", "broken_thread"]


class FreezableBatchNorm2d(nn.BatchNorm2d):
    def freeze(self):
        self.eval()
        self.weight.requires_grad_(False)
        self.bias.requires_grad_(False)
        return self

    def train(self, mode=True):
        if not self.weight.requires_grad:
            mode = False  # a frozen layer stays in eval mode
        return super().train(mode)


def fabric(n, gen):
    label = torch.randint(0, len(DEFECTS), (n,), generator=gen)
    yy, xx = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    weave = 0.5 * torch.sin(xx * 1.6) * torch.sin(yy * 1.6)
    img = weave.expand(n, 16, 16).clone() + 0.25 * torch.randn(n, 16, 16, generator=gen)
    cx, cy = torch.randint(4, 12, (2, n), generator=gen).float()
    spot = torch.exp(-((xx - cx.view(-1, 1, 1)) ** 2 + (yy - cy.view(-1, 1, 1)) ** 2) / 4)
    img[label == 1] -= 1.5 * spot[label == 1]
    img[label == 2] += 0.8 * spot[label == 2] * 3
    img[label == 3] += 1.2 * (xx - cx.view(-1, 1, 1)).abs().lt(0.6).float()[label == 3]
    return img.unsqueeze(1), label


class DefectNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.n1 = FreezableBatchNorm2d(16)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.n2 = FreezableBatchNorm2d(32)
        self.out = nn.Linear(32 * 8 * 8, len(DEFECTS))

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.n1(self.c1(x))), 2)
        x = F.relu(self.n2(self.c2(x)))
        return self.out(x.flatten(1))


def private_gradients(model, x, y):
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = dict(model.named_buffers())

    def loss_of_one(p, xi, yi):
        return F.cross_entropy(functional_call(model, (p, buffers), (xi[None],)), yi[None])

    per_example = vmap(grad(loss_of_one), in_dims=(None, 0, 0))(params, x, y)
    norms = torch.stack([g.flatten(1).norm(dim=1) for g in per_example.values()]).norm(dim=0)
    factor = (CLIP / (norms + 1e-6)).clamp(max=1.0)
    return {
        k: (torch.tensordot(factor, g, dims=1) + SIGMA * CLIP * torch.randn(g.shape[1:])) / len(x)
        for k, g in per_example.items()
    }


def main():
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(1)
    x_all, y_all = fabric(3000, gen)
    x_test, y_test = fabric(400, gen)
    model = DefectNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    model.train()
    for step in range(1, STEPS + 1):
        idx = torch.randint(0, len(x_all), (BATCH,))
        noisy = private_gradients(model, x_all[idx], y_all[idx])
        for name, p in model.named_parameters():
            p.grad = noisy[name]
        opt.step()
        opt.zero_grad()
        if step % 10 == 0:
            model.eval()
            with torch.no_grad():
                acc = (model(x_test).argmax(1) == y_test).float().mean().item()
            model.train()
            print(f"step {step}: test accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
