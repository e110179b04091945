import torch
import torch.nn as nn
import torch.nn.functional as F


class BinaryLinear(nn.Linear):
    """Weights binarized to +-1 in the forward pass; the straight-through estimator trains the
    real-valued weights behind them."""

    def forward(self, x):
        w = self.weight
        binary = w + (torch.sign(w) - w).detach()
        return F.linear(x, binary, self.bias)


torch.manual_seed(1)
net = nn.Sequential(BinaryLinear(20, 64), nn.BatchNorm1d(64), nn.ReLU(), BinaryLinear(64, 3))
optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
x = torch.randn(300, 20)
y = x[:, :3].argmax(1)
for epoch in range(5):
    for xb, yb in zip(x.split(50), y.split(50)):
        loss = F.cross_entropy(net(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
