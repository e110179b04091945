import torch
import torch.nn as nn
import torch.optim as optim


class ResidualMLP(nn.Module):
    def __init__(self, in_dim=8, width=32, depth=3, out_dim=1):
        super().__init__()
        self.inp = nn.Linear(in_dim, width)
        self.layers = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.out = nn.Linear(width, out_dim)

    def forward(self, x):
        x = torch.relu(self.inp(x))
        for layer in self.layers:
            x = x + torch.relu(layer(x))
        return self.out(x)


torch.manual_seed(0)
x = torch.randn(256, 8)
y = x.sum(dim=1, keepdim=True).sin()

model = ResidualMLP()
optimizer = optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.MSELoss()

for epoch in range(10):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
