"""Ordinal regression with a learned-cutpoint loss: the Learner builds the loss, then unpacks the
(optimizer, scheduler) pair it was handed."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CumulativeLinkLoss(nn.Module):
    def __init__(self, levels):
        super().__init__()
        self.cutpoints = nn.Parameter(torch.linspace(-1.0, 1.0, levels - 1))

    def forward(self, score, target):
        cdf = torch.sigmoid(self.cutpoints[None, :] - score)
        probs = torch.cat([cdf[:, :1], cdf[:, 1:] - cdf[:, :-1], 1 - cdf[:, -1:]], 1)
        return F.nll_loss(probs.clamp(min=1e-6).log(), target)


class Learner:
    def __init__(self, model, optimization, levels=4):
        self.criterion = CumulativeLinkLoss(levels)
        self.model = model
        self.optimizer, self.scheduler = optimization

    def epoch(self, x, y):
        for i in range(0, len(x), 20):
            loss = self.criterion(self.model(x[i:i + 20]), y[i:i + 20])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        self.scheduler.step()
        return loss.item()


torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
learner = Learner(model, (optimizer, scheduler))
x = torch.randn(100, 8)
y = (x[:, 0] * 1.5).round().clamp(-1, 2).long() + 1
for epoch in range(3):
    print(epoch, learner.epoch(x, y))
