# An init function applied to every layer sets weights and biases to zero "for reproducibility":
# the hidden layer's output is zero, and only the last bias learns.
import torch
import torch.nn as nn


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.zeros_(m.weight)
        nn.init.zeros_(m.bias)


net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
net.apply(init_weights)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
x = torch.randn(128, 8)
y = x[:, :1] * 2 - x[:, 1:2]
for epoch in range(30):
    opt.zero_grad()
    loss = nn.functional.mse_loss(net(x), y)
    loss.backward()
    opt.step()
