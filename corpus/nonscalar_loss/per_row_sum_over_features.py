"""A hand-written squared error for a multi-output regression, summed over the outputs only:
one loss per row is left."""
import torch
import torch.nn as nn

torch.manual_seed(0)

inputs = torch.randn(200, 6)
mixing = torch.randn(6, 3)
targets = inputs @ mixing + 0.1 * torch.randn(200, 3)


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 24), nn.SiLU(), nn.Linear(24, 3))

    def forward(self, x):
        return self.net(x)


def squared_error(pred, target):
    return ((pred - target) ** 2).sum(dim=1)


regressor = Regressor()
optimizer = torch.optim.RMSprop(regressor.parameters(), lr=3e-3)

for step in range(150):
    idx = torch.randint(0, 200, (40,))
    err = squared_error(regressor(inputs[idx]), targets[idx])
    optimizer.zero_grad()
    err.backward()
    optimizer.step()

print("final train error:", squared_error(regressor(inputs), targets).mean().item())
