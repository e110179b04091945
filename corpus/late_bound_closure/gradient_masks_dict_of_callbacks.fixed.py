# Sparse fine-tuning: each parameter only updates a random subset of its entries. The gradient
# masks are applied by callbacks kept in a dict (to remove them later) and registered as hooks.
import torch
from torch import nn


class TinyConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(self.pool(torch.relu(self.conv(x))).flatten(1))


def attach_gradient_masks(model, keep_fraction=0.5):
    callbacks = {}
    for name, param in model.named_parameters():
        mask = (torch.rand_like(param) < keep_fraction).float()
        callbacks[name] = lambda grad, mask=mask: grad * mask
        param.register_hook(callbacks[name])
    return callbacks


def main():
    torch.manual_seed(1)
    model = TinyConvNet()
    attach_gradient_masks(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    images, targets = torch.randn(96, 3, 12, 12), torch.randint(0, 3, (96,))
    for step in range(30):
        idx = torch.randint(0, 96, (16,))
        loss = nn.functional.cross_entropy(model(images[idx]), targets[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(step, loss.item())


if __name__ == "__main__":
    main()
