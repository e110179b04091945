"""Prototype classifier: embeddings are scored against one learned prototype per class."""
import torch
import torch.nn as nn
from torch.nn import init

torch.manual_seed(0)
CONFIG = {"classes": 4, "embed": 8, "temperature": 0.5, "lr": 0.05, "epochs": 20}


class PrototypeHead(nn.Module):
    def __init__(self, classes, embed, temperature):
        super().__init__()
        self.temperature = temperature
        prototypes = torch.empty(classes, embed)
        init.xavier_uniform_(prototypes)
        self.prototypes = nn.Parameter(prototypes)

    def forward(self, z):
        z = nn.functional.normalize(z, dim=-1)
        p = nn.functional.normalize(self.prototypes, dim=-1)
        return z @ p.t() / self.temperature


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(6, 16), nn.GELU(), nn.Linear(16, CONFIG["embed"]))
        self.head = PrototypeHead(CONFIG["classes"], CONFIG["embed"], CONFIG["temperature"])

    def forward(self, x):
        return self.head(self.encoder(x))


net = Net()
opt = torch.optim.SGD(net.parameters(), lr=CONFIG["lr"], momentum=0.9)
x = torch.randn(80, 6)
y = torch.randint(0, CONFIG["classes"], (80,))
for epoch in range(CONFIG["epochs"]):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
