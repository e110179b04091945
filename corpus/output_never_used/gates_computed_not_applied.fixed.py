"""Highway-style gated MLP for regression: each layer has a sigmoid gate, computed in the loop
over layers and never applied to the layer's input, so the gates never train."""
import torch
import torch.nn as nn
import torch.optim as optim


class GatedMLP(nn.Module):
    def __init__(self, dim=16, depth=3):
        super().__init__()
        self.inp = nn.Linear(4, dim)
        self.layers = nn.ModuleList([nn.Sequential(nn.Linear(dim, dim), nn.SiLU()) for _ in range(depth)])
        self.gates = nn.ModuleList([nn.Linear(dim, dim) for _ in range(depth)])
        self.out = nn.Linear(dim, 1)

    def forward(self, x):
        x = self.inp(x)
        for layer, gate in zip(self.layers, self.gates):
            g = torch.sigmoid(gate(x))
            x = layer(x * g)
        return self.out(x).squeeze(-1)


torch.manual_seed(0)
X = torch.randn(128, 4)
y = X[:, 0] * X[:, 1] - X[:, 2].sin()
net = GatedMLP()
optimizer = optim.Adam(net.parameters(), lr=5e-3)
for step in range(30):
    idx = torch.randint(0, 128, (32,))
    loss = nn.functional.mse_loss(net(X[idx]), y[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(step, loss.item())
