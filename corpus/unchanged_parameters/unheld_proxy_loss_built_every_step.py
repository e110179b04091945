# Metric learning with a proxy-based loss: the loss module (which holds one learnable proxy per
# class) is constructed inside the training loop, so its proxies are new and random at every step.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ProxyNCALoss(nn.Module):
    def __init__(self, num_classes, dim, scale=8.0):
        super().__init__()
        self.proxies = nn.Parameter(torch.randn(num_classes, dim))
        self.scale = scale

    def forward(self, emb, labels):
        dist = torch.cdist(F.normalize(emb), F.normalize(self.proxies)) ** 2
        return F.cross_entropy(-self.scale * dist, labels)


torch.manual_seed(0)
embedder = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 16))
optimizer = torch.optim.Adam(embedder.parameters(), lr=1e-3)
x, y = torch.randn(120, 32), torch.randint(0, 6, (120,))
for epoch in range(3):
    for i in range(0, 120, 30):
        emb = embedder(x[i:i + 30])
        loss = ProxyNCALoss(6, 16)(emb, y[i:i + 30])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
