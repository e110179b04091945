"""A trainer class for a small image classifier that steps when its iteration count reaches the end
of an accumulation window. The window's end is written `% self.accumulate == self.accumulate`; a
remainder is always smaller than the divisor, so the test never holds."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Trainer:
    def __init__(self, model, accumulate=2):
        self.model = model
        self.accumulate = accumulate
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        self.iteration = 0

    def fit(self, loader, epochs):
        for epoch in range(epochs):
            for images, labels in loader:
                self.iteration = self.iteration + 1
                loss = F.cross_entropy(self.model(images), labels) / self.accumulate
                loss.backward()
                if self.iteration % self.accumulate == 0:
                    self.optimizer.step()
                    self.optimizer.zero_grad()
            print(f"epoch {epoch}: loss {loss.item():.3f}")


model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))
loader = [(torch.randn(6, 1, 8, 8), torch.randint(0, 3, (6,))) for _ in range(4)]
Trainer(model).fit(loader, epochs=3)
