"""Re-identification: the Trainer is handed an optimizer over the backbone, builds a circle-loss
head with class proxies, stores the optimizer and then adds the proxies to it as a group with a
larger learning rate. Correct: the proxies train."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CircleProxyLoss(nn.Module):
    def __init__(self, dim, classes, gamma=32.0, margin=0.25):
        super().__init__()
        self.proxies = nn.Parameter(torch.randn(classes, dim) * 0.05)
        self.gamma, self.margin = gamma, margin

    def forward(self, emb, y):
        sim = F.normalize(emb) @ F.normalize(self.proxies).t()
        one_hot = F.one_hot(y, sim.size(1)).bool()
        logits = torch.where(one_hot, sim - self.margin, sim + self.margin)
        return F.cross_entropy(self.gamma * logits, y)


class ReIDTrainer:
    def __init__(self, backbone, optimizer, classes):
        self.criterion = CircleProxyLoss(24, classes)
        self.backbone = backbone
        self.optimizer = optimizer
        self.optimizer.add_param_group({"params": self.criterion.parameters(), "lr": 0.05})

    def train_epoch(self, x, y):
        for i in range(0, len(x), 16):
            loss = self.criterion(self.backbone(x[i:i + 16]), y[i:i + 16])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
backbone = nn.Sequential(nn.Linear(30, 48), nn.ReLU(), nn.Linear(48, 24))
trainer = ReIDTrainer(backbone, torch.optim.SGD(backbone.parameters(), lr=0.01, momentum=0.9), classes=5)
x, y = torch.randn(80, 30), torch.randint(0, 5, (80,))
for epoch in range(3):
    print(epoch, trainer.train_epoch(x, y))
