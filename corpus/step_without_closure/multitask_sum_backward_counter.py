"""A two-head regressor (value and sign) trained full-batch with L-BFGS: the two losses are summed
in the backward() call itself, a sample counter runs between backward() and step(), and step()
gets no closure."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(5, 32), nn.Tanh())
        self.value = nn.Linear(32, 1)
        self.sign = nn.Linear(32, 1)

    def forward(self, x):
        h = self.trunk(x)
        return self.value(h), self.sign(h)


torch.manual_seed(0)
x = torch.randn(128, 5)
target = x[:, :1] * 2.0 - x[:, 1:2]
net = TwoHeads()
opt = torch.optim.LBFGS(net.parameters(), lr=0.5, max_iter=4)
samples_seen = 0
for it in range(8):
    opt.zero_grad()
    value, sign_logit = net(x)
    reg = F.mse_loss(value, target)
    cls = F.binary_cross_entropy_with_logits(sign_logit, (target > 0).float())
    (reg + 0.5 * cls).backward()
    samples_seen += x.shape[0]
    opt.step()
print(f"seen {samples_seen} samples; mse {F.mse_loss(net(x)[0], target).item():.4f}")
