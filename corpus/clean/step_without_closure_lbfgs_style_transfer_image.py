"""Optimise an image (a leaf tensor, not a module) with L-BFGS to match the Gram statistics of a
target through a frozen random feature extractor: the closure clamps, clears, computes and
backpropagates; the extractor is frozen on purpose."""
import torch
import torch.nn as nn


def gram(features):
    b, c, h, w = features.shape
    flat = features.view(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


torch.manual_seed(0)
extractor = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
for p in extractor.parameters():
    p.requires_grad_(False)

style = torch.rand(1, 3, 32, 32)
target = gram(extractor(style))
image = torch.rand(1, 3, 32, 32).requires_grad_(True)
optimizer = torch.optim.LBFGS([image], max_iter=5)

for step in range(6):

    def closure():
        with torch.no_grad():
            image.clamp_(0, 1)
        optimizer.zero_grad()
        loss = (gram(extractor(image)) - target).pow(2).sum() * 1e3
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    print(f"step {step}: style loss {loss.item():.6f}")
