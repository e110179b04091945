# One copy.deepcopy of a trainer that holds its model and its optimizer: deepcopy's memo keeps the
# copy's optimizer over the copy's own parameters, so the clone trains.
import copy

import torch
import torch.nn as nn

torch.manual_seed(0)


class Trainer:
    def __init__(self, model):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    def fit(self, x, y, epochs=4):
        for _ in range(epochs):
            self.optimizer.zero_grad()
            loss = nn.functional.mse_loss(self.model(x), y)
            loss.backward()
            self.optimizer.step()
        return loss.item()


x, y = torch.randn(32, 6), torch.randn(32, 1)
first = Trainer(nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 1)))
print("first", first.fit(x, y))
second = copy.deepcopy(first)
print("second", second.fit(x, y))
