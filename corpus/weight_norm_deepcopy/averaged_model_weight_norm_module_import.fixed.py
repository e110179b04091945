"""A temporal-convolution forecaster whose trainer keeps a running average of the weights (an
averaged copy made with copy.deepcopy), the convolutions wrapped by weight_norm imported from its
own module."""
import copy

import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import weight_norm

torch.manual_seed(0)


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = weight_norm(nn.Conv1d(3, 32, 3, padding=2, dilation=2))
        self.head = nn.Linear(32, 1)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x))[:, :, -1])


class AveragingTrainer:
    def __init__(self, model):
        self.model = model
        self.averaged = copy.deepcopy(model)
        self.count = 0
        self.optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(self, x, y):
        loss = nn.functional.mse_loss(self.model(x), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.count += 1
        with torch.no_grad():
            for a, p in zip(self.averaged.parameters(), self.model.parameters()):
                a.add_((p - a) / self.count)
        return loss.item()


trainer = AveragingTrainer(Forecaster())
for epoch in range(20):
    trainer.step(torch.randn(32, 3, 24), torch.randn(32, 1))
