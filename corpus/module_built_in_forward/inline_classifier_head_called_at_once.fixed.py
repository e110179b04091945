# Tabular classifier: the output layer is built and applied in one expression inside forward().
import torch
import torch.nn as nn
import torch.nn.functional as F


class TabularNet(nn.Module):
    def __init__(self, n_features=12, n_classes=3):
        super().__init__()
        self.n_classes = n_classes
        self.linear = nn.Linear(n_features, 64)
        self.norm = nn.BatchNorm1d(64)
        self.linear_2 = nn.Linear(64, self.n_classes)

    def forward(self, x):
        h = F.relu(self.norm(self.linear(x)))
        return self.linear_2(h)


torch.manual_seed(0)
features = torch.randn(256, 12)
labels = (features[:, 0] > 0).long() + (features[:, 1] > 0.5).long()
net = TabularNet()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for epoch in range(4):
    for start in range(0, 256, 64):
        logits = net(features[start:start + 64])
        loss = F.cross_entropy(logits, labels[start:start + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
