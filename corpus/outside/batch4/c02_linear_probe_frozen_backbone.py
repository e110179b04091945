"""Linear-probe / head fine-tuning on top of a frozen feature extractor.

The backbone weights come from a checkpoint and are frozen: requires_grad=False, eval mode
(BatchNorm statistics fixed) and features computed under torch.no_grad().  Only the new
classification head is trained.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x):
        return self.features(x)


def shapes(n, gen):
    """Class 0: horizontal bar, 1: vertical bar, 2: cross."""
    y = torch.randint(0, 3, (n,), generator=gen)
    img = 0.1 * torch.randn(n, 1, 12, 12, generator=gen)
    for i in range(n):
        p = torch.randint(3, 9, (1,), generator=gen).item()
        if y[i] in (0, 2):
            img[i, 0, p, 2:10] += 1
        if y[i] in (1, 2):
            img[i, 0, 2:10, p] += 1
    return img, y


def pretrained_state_dict(backbone):
    """Stand-in for torch.load('backbone.pth'): bar/edge detectors as conv filters."""
    state = {k: v.clone() for k, v in backbone.state_dict().items()}
    bars = torch.zeros(8, 1, 3, 3)
    bars[0, 0, 1, :] = 1; bars[1, 0, :, 1] = 1; bars[2, 0, 0, :] = -1; bars[3, 0, :, 0] = -1
    bars[4, 0] = torch.eye(3); bars[5, 0] = torch.eye(3).flip(1); bars[6, 0, 1, 1] = 1; bars[7, 0, 2, :] = 1
    state["features.0.weight"] = bars
    g = torch.Generator().manual_seed(123)
    state["features.4.weight"] = torch.randn(16, 8, 3, 3, generator=g) * 0.3
    return state


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    backbone = Backbone()
    backbone.load_state_dict(pretrained_state_dict(backbone))

    # freeze the backbone, train a fresh head
    for p in backbone.parameters():
        p.requires_grad = False
    backbone.eval()
    head = nn.Linear(16, 3)
    optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, head.parameters()), lr=1e-2)

    for step in range(30):
        x, y = shapes(32, gen)
        with torch.no_grad():
            feats = backbone(x)
        logits = head(feats)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step:2d} loss {loss.item():.4f} acc {(logits.argmax(1) == y).float().mean():.2f}")


if __name__ == "__main__":
    main()
