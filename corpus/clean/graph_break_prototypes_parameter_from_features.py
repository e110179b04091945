# Prototype classifier: the class prototypes start from the mean feature of each class (computed
# once, from detached features) and are then trained together with the encoder.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ProtoNet(nn.Module):
    def __init__(self, features=10, dim=16, classes=3):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(features, 32), nn.ReLU(), nn.Linear(32, dim))
        self.classes = classes
        self.prototypes = None

    def init_prototypes(self, x, y):
        feats = self.encoder(x)
        means = torch.stack([feats[y == c].mean(0) for c in range(self.classes)])
        self.prototypes = nn.Parameter(means.detach().clone())

    def forward(self, x):
        return -torch.cdist(self.encoder(x), self.prototypes)


torch.manual_seed(0)
x = torch.randn(180, 10)
y = (x[:, 0] > 0.5).long() + (x[:, 1] > 0.5).long()
model = ProtoNet()
model.init_prototypes(x[:60], y[:60])
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(5):
    for xb, yb in zip(x.split(45), y.split(45)):
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
