import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class CosFaceLoss(nn.Module):
    """Additive cosine-margin softmax; the class weights live in the loss."""

    def __init__(self, emb_dim, num_classes, s=16.0, m=0.2):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num_classes, emb_dim) * 0.1)
        self.s, self.m = s, m

    def forward(self, emb, labels):
        cos = F.linear(F.normalize(emb), F.normalize(self.weight))
        margin = F.one_hot(labels, cos.size(1)) * self.m
        return F.cross_entropy(self.s * (cos - margin), labels)


class Trainer:
    def __init__(self, num_classes=6, lr=0.01):
        self.model = nn.Sequential(nn.Linear(24, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 16))
        self.criterion = CosFaceLoss(16, num_classes)
        self.optimizer = optim.SGD(self.model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)

    def step(self, x, y):
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(120, 24)
    y = torch.randint(0, 6, (120,))
    trainer = Trainer()
    for it in range(5):
        print(f"iter {it}: loss {trainer.step(x, y):.4f}")
