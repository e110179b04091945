# Fine-tune a small conv classifier with batch size 4; BatchNorm layers run in eval mode
# so the running statistics from pre-training are kept (gamma/beta still learn).
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class ConvClassifier(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(16, n_classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def freeze_bn_stats(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()  # use the stored running_mean/var; gamma and beta keep learning


class FineTuner:
    def __init__(self, model, lr=5e-3):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        self.criterion = nn.CrossEntropyLoss()

    def fit(self, loader, epochs=3):
        for epoch in range(epochs):
            self.model.train()
            freeze_bn_stats(self.model)
            running = 0.0
            for xb, yb in loader:
                self.optimizer.zero_grad()
                loss = self.criterion(self.model(xb), yb)
                loss.backward()
                self.optimizer.step()
                running += loss.item()
            print(f"epoch {epoch}: loss {running / len(loader):.4f}")


if __name__ == "__main__":
    torch.manual_seed(21)
    model = ConvClassifier()
    # stand-in for a pre-trained checkpoint: give BN realistic running statistics
    with torch.no_grad():
        model.train()
        for _ in range(20):
            model(torch.randn(64, 1, 16, 16))
    x = torch.randn(96, 1, 16, 16)
    y = torch.randint(0, 3, (96,))
    FineTuner(model).fit(DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True))
