"""Hand-written SGD with momentum for a small CNN, the update kept in a helper."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCNN(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.fc(x.flatten(1))


def sgd_momentum_step(params, velocity, lr=0.05, momentum=0.9):
    with torch.no_grad():
        for p, v in zip(params, velocity):
            v.mul_(momentum).add_(p.grad)
            p.sub_(lr * v)


def main():
    torch.manual_seed(0)
    images = torch.randn(96, 1, 16, 16)
    labels = (images.mean(dim=(1, 2, 3)) > 0).long() + (images[:, 0, 0, 0] > 1).long()
    net = SmallCNN()
    params = list(net.parameters())
    velocity = [torch.zeros_like(p) for p in params]
    for epoch in range(4):
        for i in range(0, len(images), 32):
            net.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(images[i:i + 32]), labels[i:i + 32])
            loss.backward()
            sgd_momentum_step(params, velocity)
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
