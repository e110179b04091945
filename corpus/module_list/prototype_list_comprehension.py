# Learned class prototypes for a distance-based classifier, one nn.Parameter per class in a plain
# list: the encoder trains, the prototypes never move.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ProtoClassifier(nn.Module):
    def __init__(self, dim=16, classes=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(10, dim), nn.Tanh(), nn.Linear(dim, dim))
        self.prototypes = [nn.Parameter(torch.randn(dim)) for _ in range(classes)]

    def forward(self, x):
        z = self.encoder(x)
        protos = torch.stack(self.prototypes)
        return -torch.cdist(z, protos)


net = ProtoClassifier()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
x, y = torch.randn(80, 10), torch.randint(0, 4, (80,))
for epoch in range(5):
    for i in range(0, 80, 20):
        opt.zero_grad()
        F.cross_entropy(net(x[i : i + 20]), y[i : i + 20]).backward()
        opt.step()
