# Correct: a linear probe over a frozen encoder, then fine-tuning; set_trainable() sets the flag on
# every parameter, so the second call really unfreezes the encoder.
import torch
import torch.nn as nn
import torch.nn.functional as F


def set_trainable(module, trainable):
    for p in module.parameters():
        p.requires_grad = trainable


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
        self.head = nn.Linear(32, 4)

    def forward(self, x):
        return self.head(self.encoder(x))


def run(model, optimizer, steps):
    for _ in range(steps):
        x = torch.randn(32, 16)
        y = x[:, :4].argmax(1)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


torch.manual_seed(0)
net = Net()
set_trainable(net.encoder, False)
print("probe", run(net, torch.optim.Adam(net.head.parameters(), lr=1e-2), 10))
set_trainable(net.encoder, True)
print("finetune", run(net, torch.optim.Adam(net.parameters(), lr=1e-3), 10))
