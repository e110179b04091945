"""Fine-tune a small encoder on a 3-class task: two learning rates, the head swapped for the task."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.head = nn.Linear(16, classes)

    def forward(self, x):
        return self.head(self.backbone(x))


def main():
    torch.manual_seed(0)
    model = Encoder(classes=10)
    # slow backbone, fast head
    param_groups = [
        {"params": model.backbone.parameters(), "lr": 1e-3},
        {"params": model.head.parameters(), "lr": 1e-2},
    ]
    model.head = nn.Linear(16, 3)
    param_groups[1]["params"] = model.head.parameters()
    optimizer = torch.optim.SGD(param_groups, momentum=0.9)

    x = torch.randn(64, 12)
    y = torch.randint(0, 3, (64,))
    for epoch in range(20):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    main()
