"""Inception-style auxiliary classifier. In training, forward returns (main, aux) and both losses
are summed; in evaluation the aux output is computed and thrown away (`logits, _ = model(x)`) under
no_grad. The aux head trains through its training loss."""
import torch
from torch import nn


class NetWithAux(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.stage1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.stage2 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.aux = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, classes))
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        h = self.stage1(x)
        aux = self.aux(h)
        out = self.fc(self.stage2(h).flatten(1))
        return out, aux


def evaluate(model, images, labels):
    model.eval()
    with torch.no_grad():
        logits, _ = model(images)
        return (logits.argmax(1) == labels).float().mean().item()


torch.manual_seed(2)
model = NetWithAux()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()
images, labels = torch.randn(24, 3, 16, 16), torch.randint(0, 5, (24,))
for epoch in range(3):
    model.train()
    for xb, yb in zip(images.split(8), labels.split(8)):
        out, aux = model(xb)
        loss = criterion(out, yb) + 0.3 * criterion(aux, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, evaluate(model, images, labels))
