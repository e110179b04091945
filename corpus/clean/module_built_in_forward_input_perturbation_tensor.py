"""A classifier that keeps, at every call, a zero perturbation of its input with requires_grad=True:
after backward its gradient is the saliency of each input feature. It is made anew per batch on
purpose and no optimizer should hold it. Correct."""
import torch
import torch.nn as nn


class SaliencyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, x):
        self.delta = torch.zeros_like(x, requires_grad=True)
        return self.net(x + self.delta)


torch.manual_seed(0)
x = torch.randn(32, 6)
y = (x[:, 0] > 0).long()
model = SaliencyNet()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(20):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    saliency = model.delta.grad.abs().mean(0)
    optimizer.step()
print(saliency)
