"""Image classifier: train the new head on a frozen feature extractor, then fine-tune all of it
from the epoch the config names."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

cfg = {"epochs": 7, "unfreeze_epoch": 4, "lr": 1e-2, "batch_size": 32}


class SmallCNN(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(16, classes)

    def forward(self, images):
        return self.classifier(self.features(images).flatten(1))


def make_loader():
    images = torch.randn(128, 3, 16, 16)
    labels = torch.randint(0, 5, (128,))
    return DataLoader(TensorDataset(images, labels), batch_size=cfg["batch_size"], shuffle=True)


def main():
    torch.manual_seed(0)
    net = SmallCNN()
    for p in net.features.parameters():
        p.requires_grad = False
    trainable = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.SGD(list(trainable) + list(net.features.parameters()), lr=cfg["lr"], momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    loader = make_loader()
    for epoch in range(cfg["epochs"]):
        if epoch == cfg["unfreeze_epoch"]:
            for p in net.features.parameters():
                p.requires_grad = True
        net.train()
        for images, labels in loader:
            opt.zero_grad()
            loss = criterion(net(images), labels)
            loss.backward()
            opt.step()
        print(f"epoch {epoch} loss {loss.item():.3f}")


if __name__ == "__main__":
    main()
