"""Structured pruning as an event hook: the trainer fires ``on_epoch_end`` handlers registered in
a dict, and the pruning handler (a plain function that takes the trainer) swaps the hidden layer
for a narrower one, and the output layer for one that reads only the kept units. The trainer
built its optimizer from an optimizer class handed to it, so only the optimizer itself says
which class it is."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(8, 40)
        self.out = nn.Linear(40, 2)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


def prune_hidden(trainer, keep):
    net = trainer.net
    order = net.hidden.weight.detach().norm(dim=1).argsort(descending=True)[:keep]
    hidden, out = nn.Linear(8, keep), nn.Linear(keep, 2)
    with torch.no_grad():
        hidden.weight.copy_(net.hidden.weight[order])
        hidden.bias.copy_(net.hidden.bias[order])
        out.weight.copy_(net.out.weight[:, order])
        out.bias.copy_(net.out.bias)
    trainer.net.hidden, trainer.net.out = hidden, out
    trainer.optim = type(trainer.optim)(trainer.net.parameters(), lr=trainer.optim.defaults["lr"])


class Trainer:
    def __init__(self, net, optimizer_class, lr):
        self.net = net
        self.optim = optimizer_class(net.parameters(), lr=lr)
        self.handlers = {"on_epoch_end": []}

    def run(self, x, y, epochs):
        for epoch in range(epochs):
            for start in range(0, len(x), 25):
                loss = F.cross_entropy(self.net(x[start:start + 25]), y[start:start + 25])
                self.optim.zero_grad()
                loss.backward()
                self.optim.step()
            for handler in self.handlers["on_epoch_end"]:
                handler(self, epoch)
            print(f"epoch {epoch}: hidden {self.net.hidden.out_features}, loss {loss.item():.4f}")


def prune_once(trainer, epoch):
    if epoch == 1:
        prune_hidden(trainer, keep=20)


x = torch.randn(100, 8)
y = (x[:, 0] * x[:, 1] > 0).long()
trainer = Trainer(MLP(), torch.optim.Adam, lr=5e-3)
trainer.handlers["on_epoch_end"].append(prune_once)
trainer.run(x, y, epochs=4)
