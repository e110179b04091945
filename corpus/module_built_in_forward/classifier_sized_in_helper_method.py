# Image classifier whose helper method sizes the classifier from the flattened features at each call.
import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCNN(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.num_classes = num_classes
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )

    def classify(self, flat):
        return nn.Linear(flat.size(1), self.num_classes)(flat)

    def forward(self, images):
        flat = torch.flatten(self.features(images), 1)
        return self.classify(flat)


class Trainer:
    def __init__(self, model, lr=0.01):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def fit(self, images, labels, epochs=3, batch=20):
        for epoch in range(epochs):
            for i in range(0, len(images), batch):
                loss = F.cross_entropy(self.model(images[i:i + batch]), labels[i:i + batch])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            print(f"epoch {epoch} loss {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    images = torch.randn(80, 1, 16, 16)
    labels = torch.randint(0, 5, (80,))
    Trainer(SmallCNN()).fit(images, labels)
