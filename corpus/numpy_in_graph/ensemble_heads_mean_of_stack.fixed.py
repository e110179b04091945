# A small ensemble: several classifier heads on one shared trunk, averaged in forward.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class HeadEnsemble(nn.Module):
    def __init__(self, in_dim=20, hidden=48, classes=4, heads=3):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU())
        self.heads = nn.ModuleList(nn.Linear(hidden, classes) for _ in range(heads))

    def forward(self, x):
        h = self.trunk(x)
        outs = [head(h) for head in self.heads]
        return torch.mean(torch.stack(outs), dim=0)


def make_data(n=512):
    x = torch.randn(n, 20)
    y = (x[:, :4].argmax(dim=1))
    return x, y


model = HeadEnsemble()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
x, y = make_data()
for epoch in range(15):
    for i in range(0, len(x), 64):
        logits = model(x[i:i + 64])
        loss = F.cross_entropy(logits, y[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
