# A trainer cloned for a second run: clone() deep-copies the model and the optimizer in two
# separate copy.deepcopy calls, so the clone's optimizer holds its own copies of the weights.
import copy

import torch
import torch.nn as nn

torch.manual_seed(0)


class Trainer:
    def __init__(self, model, lr=0.05):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def clone(self):
        other = copy.copy(self)
        other.model = copy.deepcopy(self.model)
        other.optimizer = copy.deepcopy(self.optimizer)
        return other

    def fit(self, x, y, epochs=5):
        for _ in range(epochs):
            self.optimizer.zero_grad()
            loss = nn.functional.mse_loss(self.model(x), y)
            loss.backward()
            self.optimizer.step()
        return loss.item()


x, y = torch.randn(64, 8), torch.randn(64, 1)
base = Trainer(nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1)))
print("base", base.fit(x, y))

candidate = base.clone()
print("candidate", candidate.fit(x, y))
