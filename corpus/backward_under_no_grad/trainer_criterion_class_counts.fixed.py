# Imbalanced classification: the trainer keeps running class counts for its report and weights
# the cross-entropy by inverse class frequency.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Trainer:
    def __init__(self, model, num_classes, lr=1e-2):
        self.model = model
        self.num_classes = num_classes
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        self.class_counts = torch.zeros(num_classes)
        self.class_weights = torch.tensor([0.2, 1.0, 3.0])

    def criterion(self, logits, targets):
        with torch.no_grad():
            counts = torch.bincount(targets, minlength=self.num_classes)
            self.class_counts += counts
        weights = self.class_weights[targets]
        loss = (F.cross_entropy(logits, targets, reduction="none") * weights).mean()
        return loss

    def fit(self, x, y, epochs=4, batch=32):
        for epoch in range(epochs):
            for i in range(0, len(x), batch):
                loss = self.criterion(self.model(x[i:i + batch]), y[i:i + batch])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            print(f"epoch {epoch}: loss {loss.item():.4f} counts {self.class_counts.tolist()}")


torch.manual_seed(0)
x = torch.randn(192, 6)
y = torch.bucketize(x[:, 0] + 0.5 * x[:, 1], torch.tensor([-0.3, 1.2]))
Trainer(nn.Sequential(nn.Linear(6, 24), nn.Tanh(), nn.Linear(24, 3)), num_classes=3).fit(x, y)
