"""Fine-tune a (pretrained) small ResNet on a new 5-class dataset with a Trainer class."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import CosineAnnealingLR
from torch.utils.data import DataLoader, TensorDataset

NUM_CLASSES = 5
EPOCHS = 3


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = BasicBlock(16, 16)
        self.layer2 = BasicBlock(16, 32, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def load_pretrained(model):
    """Stand-in for torch.load(checkpoint): weights of another run of the same architecture."""
    torch.manual_seed(1234)
    model.load_state_dict(SmallResNet(num_classes=10).state_dict())
    return model


def replace_head(model, num_classes):
    model.fc = nn.Linear(model.fc.in_features, num_classes)


class Trainer:
    def __init__(self, model, lr=0.05, epochs=EPOCHS):
        self.model = model
        self.epochs = epochs
        self.criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        self.optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
        self.scheduler = CosineAnnealingLR(self.optimizer, T_max=epochs)

    def train_one_epoch(self, loader):
        self.model.train()
        total, correct, running = 0, 0, 0.0
        for images, labels in loader:
            self.optimizer.zero_grad()
            logits = self.model(images)
            loss = self.criterion(logits, labels)
            loss.backward()
            self.optimizer.step()
            running += loss.item() * labels.size(0)
            correct += (logits.argmax(1) == labels).sum().item()
            total += labels.size(0)
        return running / total, correct / total

    def fit(self, loader):
        for epoch in range(self.epochs):
            loss, acc = self.train_one_epoch(loader)
            self.scheduler.step()
            print(f"epoch {epoch} loss {loss:.4f} acc {acc:.3f} lr {self.scheduler.get_last_lr()[0]:.4f}")


def make_loader(n=160):
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, NUM_CLASSES, (n,), generator=g)
    images = torch.randn(n, 3, 16, 16, generator=g) * 0.5
    images[:, labels % 3] += (labels.float() / NUM_CLASSES).view(-1, 1, 1)
    return DataLoader(TensorDataset(images, labels), batch_size=32, shuffle=True, generator=g)


if __name__ == "__main__":
    model = load_pretrained(SmallResNet(num_classes=10))
    replace_head(model, NUM_CLASSES)
    trainer = Trainer(model)
    trainer.fit(make_loader())
