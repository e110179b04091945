# Small CNN for 1-channel spectrogram patches: the classifier is built on the first forward, once
# the flattened size of the conv features is known; the optimizer was made before that.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

device = "cuda" if torch.cuda.is_available() else "cpu"


class SpecNet(nn.Module):
    def __init__(self, n_classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.n_classes = n_classes
        self.classifier = None

    def forward(self, x):
        h = self.features(x).flatten(1)
        if self.classifier is None:
            self.classifier = nn.Linear(h.shape[1], self.n_classes).to(h.device)
        return self.classifier(h)


torch.manual_seed(0)
specs = torch.randn(256, 1, 16, 24)
labels = torch.randint(0, 5, (256,))
loader = DataLoader(TensorDataset(specs, labels), batch_size=32, shuffle=True)

model = SpecNet().to(device)
with torch.no_grad():
    model(next(iter(loader))[0].to(device))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(3):
    model.train()
    for images, targets in loader:
        images, targets = images.to(device), targets.to(device)
        loss = F.cross_entropy(model(images), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
