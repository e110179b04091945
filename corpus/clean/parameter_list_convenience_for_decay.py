# Correct: a plain list that only points at registered weights, kept to give them weight decay.
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 20)
        self.fc2 = nn.Linear(20, 2)
        self.decayed = [self.fc1.weight, self.fc2.weight]

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


net = Net()
decayed = {id(p) for p in net.decayed}
groups = [
    {"params": net.decayed, "weight_decay": 1e-2},
    {"params": [p for p in net.parameters() if id(p) not in decayed], "weight_decay": 0.0},
]
opt = torch.optim.AdamW(groups, lr=1e-2)
x, y = torch.randn(40, 10), torch.randint(0, 2, (40,))
for step in range(20):
    opt.zero_grad()
    nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
