# Activation-range observers: the running min/max are created on the first forward (sized from
# the input), after the optimizer. They are statistics, not weights: they get no gradient.
import torch
import torch.nn as nn
import torch.nn.functional as F


class RangeObserver(nn.Module):
    def forward(self, x):
        low, high = x.detach().amin(0), x.detach().amax(0)
        if not hasattr(self, "running_min"):
            self.register_buffer("running_min", low.clone())
            self.running_max = high.clone()
        else:
            self.running_min.lerp_(low, 0.1)
            self.running_max.lerp_(high, 0.1)
        return x


class ObservedMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 24), nn.ReLU(), RangeObserver(), nn.Linear(24, 1))

    def forward(self, x):
        return self.body(x).squeeze(1)


torch.manual_seed(5)
inputs = torch.randn(300, 6)
targets = inputs.pow(2).sum(1)
model = ObservedMLP()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
for step in range(30):
    batch = torch.randint(0, 300, (32,))
    loss = F.mse_loss(model(inputs[batch]), targets[batch])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(model.body[2].running_max.shape, loss.item())
