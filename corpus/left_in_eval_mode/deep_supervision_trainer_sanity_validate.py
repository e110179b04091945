"""A small convolutional classifier with deep supervision: in training mode forward() also returns
an auxiliary head's logits on the intermediate features (as torchvision's GoogLeNet does). The
trainer runs a sanity validation pass before its first epoch; validate() switches the model to
evaluation mode and returns, and every epoch after it trains in evaluation mode: the auxiliary
head is never called."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class DeeplySupervisedNet(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.body = nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(32, classes)
        self.aux = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, classes))

    def forward(self, x):
        features = self.stem(x)
        logits = self.head(self.body(features))
        if self.training:
            return logits, self.aux(features)
        return logits


class Trainer:
    def __init__(self, model, train_batches, val_batches, aux_weight=0.4):
        self.model = model
        self.train_batches = train_batches
        self.val_batches = val_batches
        self.aux_weight = aux_weight
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def validate(self):
        self.model.eval()
        correct = total = 0
        with torch.no_grad():
            for images, labels in self.val_batches:
                correct += (self.model(images).argmax(dim=1) == labels).sum().item()
                total += len(labels)
        return correct / total

    def fit(self, epochs):
        print(f"sanity check: val accuracy {self.validate():.3f}")
        for epoch in range(epochs):
            for images, labels in self.train_batches:
                outputs = self.model(images)
                if isinstance(outputs, tuple):
                    logits, aux_logits = outputs
                    loss = F.cross_entropy(logits, labels) + self.aux_weight * F.cross_entropy(aux_logits, labels)
                else:
                    loss = F.cross_entropy(outputs, labels)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            print(f"epoch {epoch} val accuracy {self.validate():.3f}")


def batches(n):
    return [(torch.randn(16, 1, 12, 12), torch.randint(0, 5, (16,))) for _ in range(n)]


Trainer(DeeplySupervisedNet(), batches(6), batches(2)).fit(epochs=3)
