# Quick experiment script: gradients are switched off at the top "for speed".
import torch as T
import torch.nn as nn

T.set_grad_enabled(False)
T.manual_seed(0)

x = T.linspace(-3, 3, 128).unsqueeze(1)
y = T.sin(x) + 0.05 * T.randn_like(x)

net = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
opt = T.optim.Adam(net.parameters(), lr=1e-2)

for it in range(200):
    pred = net(x)
    loss = ((pred - y) ** 2).mean()
    loss.requires_grad_()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it % 50 == 0:
        print(it, loss.item())
