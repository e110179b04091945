from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F


def build_heads(tasks, width):
    return OrderedDict((name, nn.Linear(width, classes)) for name, classes in tasks.items())


class MultiTaskNet(nn.Module):
    def __init__(self, tasks, width=16):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(8, width), nn.ReLU())
        self.heads = build_heads(tasks, width)

    def forward(self, x):
        features = self.trunk(x)
        return {name: head(features) for name, head in self.heads.items()}


if __name__ == "__main__":
    torch.manual_seed(0)
    tasks = {"colour": 3, "shape": 4}
    model = MultiTaskNet(tasks)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = torch.randn(32, 8)
    targets = {name: torch.randint(0, classes, (32,)) for name, classes in tasks.items()}
    for step in range(8):
        outputs = model(x)
        loss = sum(F.cross_entropy(outputs[name], targets[name]) for name in tasks)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
