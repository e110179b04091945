import torch
import torch.nn as nn
import torch.optim as optim


class ScaledRegressor(nn.Module):
    def __init__(self, in_dim):
        super().__init__()
        self.linear = nn.Linear(in_dim, 1)
        self.scale = torch.ones(1, requires_grad=True)

    def forward(self, x):
        return self.scale * self.linear(x)


torch.manual_seed(0)
x = torch.randn(128, 6)
y = 10.0 * x[:, :1] - 4.0 * x[:, 1:2]

model = ScaledRegressor(6)
optimizer = optim.SGD(model.parameters(), lr=0.05)

for step in range(10):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.3f}  scale {model.scale.item():.3f}")
