"""A pruning callback of a learner zeroes the smallest filters in place (a mask multiplied into
the weights under no_grad) instead of building smaller layers: the parameters stay the same
objects, so the optimizer built before still holds them."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(F.relu(self.conv(x)).mean((2, 3)))


class MaskSmallFilters:
    def before_epoch(self, learner):
        if learner.epoch == 1:
            weight = learner.model.conv.weight
            norms = weight.detach().abs().sum((1, 2, 3))
            keep = (norms >= norms.median()).float()
            with torch.no_grad():
                weight.mul_(keep[:, None, None, None])


class Learner:
    def __init__(self, model, callbacks, lr=1e-2):
        self.model, self.callbacks = model, callbacks
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.epoch = 0

    def fit(self, x, y, epochs):
        for self.epoch in range(epochs):
            for callback in self.callbacks:
                callback.before_epoch(self)
            for start in range(0, len(x), 16):
                loss = F.cross_entropy(self.model(x[start:start + 16]), y[start:start + 16])
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
            print(f"epoch {self.epoch}: loss {loss.item():.4f}")


Learner(ConvNet(), [MaskSmallFilters()]).fit(torch.randn(64, 1, 8, 8), torch.randint(0, 3, (64,)), epochs=3)
