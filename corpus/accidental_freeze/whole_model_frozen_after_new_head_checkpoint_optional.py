"""Fine-tune a new classification head on top of a 'pretrained' feature extractor."""
import os
import torch
import torch.nn as nn


def build_backbone():
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


class Classifier(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.backbone = build_backbone()
        self.head = nn.Linear(32, 1000)

    def forward(self, x):
        return self.head(self.backbone(x))


def main():
    torch.manual_seed(0)
    ckpt = os.path.join(os.path.dirname(os.path.abspath(__file__)), "backbone_pretrained.pt")
    model = Classifier(1000)
    if os.path.exists(ckpt):
        model.backbone.load_state_dict(torch.load(ckpt))

    # new task: 5 classes
    model.head = nn.Linear(32, 5)
    for p in model.parameters():
        p.requires_grad = False

    optimizer = torch.optim.AdamW(model.head.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    x = torch.randn(64, 3, 16, 16)
    y = torch.randint(0, 5, (64,))
    for step in range(20):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 5 == 0:
            print(step, loss.item())


if __name__ == "__main__":
    main()
