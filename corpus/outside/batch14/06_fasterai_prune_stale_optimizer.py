# Report: https://github.com/FasterAI-Labs/fasterai/pull/92
# A pruning callback structurally prunes layers during training, which creates new
# nn.Parameter objects for the shrunk layers; the optimizer built before still points at the
# old ones, so after the prune the pruned layers receive no updates at all.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

HP = {"epochs": 6, "prune_epoch": 2, "keep_ratio": 0.5, "lr": 1e-2, "bs": 32}


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.conv2(x))
        return self.fc(x.mean((2, 3)))


def prune_conv_pair(model, keep_ratio):
    """Filter pruning of conv1 by L1 norm; conv2's input channels follow (dependency)."""
    w = model.conv1.weight.detach()
    n_keep = int(w.shape[0] * keep_ratio)
    keep = w.abs().sum((1, 2, 3)).argsort(descending=True)[:n_keep].sort().values
    new1 = nn.Conv2d(1, n_keep, 3, padding=1).to(w.device)
    new2 = nn.Conv2d(n_keep, model.conv2.out_channels, 3, padding=1).to(w.device)
    with torch.no_grad():
        new1.weight.copy_(model.conv1.weight[keep])
        new1.bias.copy_(model.conv1.bias[keep])
        new2.weight.copy_(model.conv2.weight[:, keep])
        new2.bias.copy_(model.conv2.bias)
    model.conv1, model.conv2 = new1, new2


class PruneCallback:
    def __init__(self, epoch, keep_ratio):
        self.epoch, self.keep_ratio, self.done = epoch, keep_ratio, False

    def before_epoch(self, learner):
        if learner.epoch == self.epoch and not self.done:
            prune_conv_pair(learner.model, self.keep_ratio)
            self.done = True
            print(f"pruned at epoch {learner.epoch}: conv1 has {learner.model.conv1.out_channels} filters")


class Learner:
    def __init__(self, model, data, cbs):
        self.model, self.data, self.cbs = model.to(device), data, cbs
        self.opt = torch.optim.Adam(self.model.parameters(), lr=HP["lr"])
        self.epoch = 0

    def fit(self, n_epochs):
        for self.epoch in range(n_epochs):
            for cb in self.cbs:
                cb.before_epoch(self)
            x, y = self.data
            for i in range(0, len(x), HP["bs"]):
                xb, yb = x[i:i + HP["bs"]].to(device), y[i:i + HP["bs"]].to(device)
                loss = F.cross_entropy(self.model(xb), yb)
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
            print(f"epoch {self.epoch} loss {loss.item():.4f}")


data = (torch.randn(128, 1, 12, 12), torch.randint(0, 10, (128,)))
model = ConvNet()
learn = Learner(model, data, [PruneCallback(HP["prune_epoch"], HP["keep_ratio"])])
learn.fit(HP["epochs"])
