"""A pruning callback replaces two conv layers halfway through training and, in the same step,
builds the learner's optimizer again over the pruned model: every layer keeps training."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
SETTINGS = {"lr": 1e-2, "epochs": 4, "prune_epoch": 1}


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        return self.fc(x.mean((2, 3)))


def prune_pair(model, keep):
    order = model.conv1.weight.detach().abs().sum((1, 2, 3)).argsort(descending=True)[:keep]
    conv1, conv2 = nn.Conv2d(1, keep, 3, padding=1), nn.Conv2d(keep, 16, 3, padding=1)
    with torch.no_grad():
        conv1.weight.copy_(model.conv1.weight[order])
        conv1.bias.copy_(model.conv1.bias[order])
        conv2.weight.copy_(model.conv2.weight[:, order])
        conv2.bias.copy_(model.conv2.bias)
    model.conv1, model.conv2 = conv1, conv2


class PruneOnce:
    def __init__(self, epoch):
        self.epoch = epoch

    def before_epoch(self, learner):
        if learner.epoch == self.epoch:
            prune_pair(learner.model, keep=4)
            learner.opt = torch.optim.Adam(learner.model.parameters(), lr=SETTINGS["lr"])


class Learner:
    def __init__(self, model, callbacks):
        self.model, self.callbacks = model, callbacks
        self.opt = torch.optim.Adam(self.model.parameters(), lr=SETTINGS["lr"])
        self.epoch = 0

    def fit(self, x, y):
        for self.epoch in range(SETTINGS["epochs"]):
            for callback in self.callbacks:
                callback.before_epoch(self)
            for start in range(0, len(x), 16):
                loss = F.cross_entropy(self.model(x[start:start + 16]), y[start:start + 16])
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
            print(f"epoch {self.epoch}: loss {loss.item():.4f}")


Learner(ConvNet(), [PruneOnce(SETTINGS["prune_epoch"])]).fit(torch.randn(64, 1, 8, 8), torch.randint(0, 4, (64,)))
