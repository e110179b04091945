# Tabular classifier: a linear probe on a frozen feature extractor, then fine-tuning of the whole
# network. set_requires_grad() only touches parameters that already require grad.
import torch
import torch.nn as nn
from torch import optim


def set_requires_grad(module, flag):
    for name, p in module.named_parameters():
        p.requires_grad_(flag)


class TabularNet(nn.Module):
    def __init__(self, n_features=12, n_classes=3):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(n_features, 48), nn.Tanh(), nn.Linear(48, 24), nn.Tanh())
        self.classifier = nn.Linear(24, n_classes)

    def forward(self, x):
        return self.classifier(self.features(x))


def train(model, optimizer, x, y, epochs):
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        for xb, yb in zip(x.split(32), y.split(32)):
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
    return loss.item()


torch.manual_seed(1)
x = torch.randn(256, 12)
y = (x[:, :3].sum(1) > 0).long() + (x[:, 3] > 1).long()
net = TabularNet()

set_requires_grad(net.features, False)
print("probe", train(net, optim.SGD(net.classifier.parameters(), lr=0.1), x, y, 5))

set_requires_grad(net.features, True)
print("finetune", train(net, optim.SGD(net.parameters(), lr=0.02, momentum=0.9), x, y, 5))
