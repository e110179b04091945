"""Train only the top two layers of a 12-layer MLP tower and its head: the lower ten layers are
frozen by their index, parsed from the parameter name."""
import torch
from torch import nn

N_FROZEN = 10


class Tower(nn.Module):
    def __init__(self, width=32, depth=12):
        super().__init__()
        self.inp = nn.Linear(8, width)
        self.layers = nn.Sequential(*[nn.Sequential(nn.Linear(width, width), nn.Tanh()) for _ in range(depth)])
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        return self.out(self.layers(self.inp(x)))


def freeze_lower(model, n):
    for name, param in model.named_parameters():
        parts = name.split(".")
        if parts[0] == "layers" and int(parts[1]) < n:
            param.requires_grad = False


torch.manual_seed(0)
model = Tower()
freeze_lower(model, N_FROZEN)
optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.05)
x = torch.randn(256, 8)
y = x[:, :2].sum(dim=1, keepdim=True)
for epoch in range(30):
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
