"""Fine-tune a small backbone at a low rate and a fresh head at a higher one."""
import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, n_classes=5):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()
        )
        self.head = nn.Linear(8, n_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


def main():
    torch.manual_seed(0)
    model = Classifier()
    optimizer = torch.optim.SGD(
        [
            {"params": model.backbone.parameters(), "lr": 1e-3},
            {"params": model.head, "lr": 1e-2},
        ],
        momentum=0.9,
    )
    images, labels = torch.randn(40, 3, 16, 16), torch.randint(0, 5, (40,))
    for step in range(5):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        print(step, f"{loss.item():.3f}")


if __name__ == "__main__":
    main()
