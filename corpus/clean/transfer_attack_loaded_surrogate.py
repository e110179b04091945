"""Adversarial training with transfer attacks: PGD examples are crafted on a fixed, pretrained surrogate
(loaded from a checkpoint, kept in eval mode) and the target model is trained on them."""
import io

import torch
import torch.nn as nn
import torch.nn.functional as F


def make_net():
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(32, 10))


def load_surrogate():
    buf = io.BytesIO()
    torch.save(make_net().state_dict(), buf)  # stand-in for a checkpoint on disk
    buf.seek(0)
    net = make_net()
    net.load_state_dict(torch.load(buf))
    return net.eval()


def pgd(model, x, y, eps=0.1, alpha=0.025, steps=3):
    x_adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(model(x_adv), y)
        loss.backward()
        with torch.no_grad():
            x_adv = x_adv + alpha * x_adv.grad.sign()
            x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0, 1)
    return x_adv.detach()


def main():
    torch.manual_seed(0)
    surrogate = load_surrogate()
    model = make_net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    X, Y = torch.rand(256, 1, 16, 16), torch.randint(0, 10, (256,))
    for epoch in range(2):
        for i in range(0, 256, 32):
            x, y = X[i:i + 32], Y[i:i + 32]
            x_adv = pgd(surrogate, x, y)
            loss = 0.5 * F.cross_entropy(model(x), y) + 0.5 * F.cross_entropy(model(x_adv), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    main()
