from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Components:
    backbone: nn.Module
    classifier: nn.Module
    aux_regressor: nn.Module


def build_components(features=8, width=16, classes=3):
    return Components(
        backbone=nn.Sequential(nn.Linear(features, width), nn.ReLU()),
        classifier=nn.Linear(width, classes),
        aux_regressor=nn.Linear(width, 1),
    )


if __name__ == "__main__":
    torch.manual_seed(0)
    parts = build_components()
    optimizer = torch.optim.SGD(list(parts.backbone.parameters()) + list(parts.classifier.parameters()) + list(parts.aux_regressor.parameters()), lr=0.05)
    x, labels, targets = torch.randn(32, 8), torch.randint(0, 3, (32,)), torch.randn(32, 1)
    for step in range(10):
        features = parts.backbone(x)
        loss = F.cross_entropy(parts.classifier(features), labels) + 0.1 * F.mse_loss(parts.aux_regressor(features), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
