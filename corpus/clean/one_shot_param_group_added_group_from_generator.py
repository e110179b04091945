# A new head joins training through add_param_group with a generator: torch lists a group's
# params when it adds the group, so the generator is read once, there, and the head trains.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(10, 32), nn.ReLU())
        self.head = nn.Linear(32, 2)
        self.aux = None

    def forward(self, x):
        h = self.body(x)
        out = self.head(h)
        return out if self.aux is None else out + self.aux(h)


model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.randn(64, 10)
y = (x[:, 0] > 0).long()
for epoch in range(4):
    if epoch == 2:
        model.aux = nn.Linear(32, 2)
        optimizer.add_param_group({"params": model.aux.parameters(), "lr": 5e-3})
    for i in range(0, len(x), 16):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[i:i + 16]), y[i:i + 16])
        loss.backward()
        optimizer.step()
print(loss.item())
