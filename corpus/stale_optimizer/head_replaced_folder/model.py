import torch
import torch.nn as nn


class Backbone(nn.Module):
    def __init__(self, in_dim=10, width=24, out_dim=5):
        super().__init__()
        self.layer1 = nn.Linear(in_dim, width)
        self.layer2 = nn.Linear(width, width)
        self.fc = nn.Linear(width, out_dim)

    def forward(self, x):
        h = torch.relu(self.layer1(x))
        h = torch.relu(self.layer2(h))
        return self.fc(h)
