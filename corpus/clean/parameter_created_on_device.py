import torch
import torch.nn as nn
from torch import optim

device = "cpu"


class ScaledLinear(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim)
        self.scale = nn.Parameter(torch.ones(out_dim).to(device))

    def forward(self, x):
        return self.linear(x) * self.scale


torch.manual_seed(0)
x = torch.randn(64, 3).to(device)
y = (x @ torch.tensor([[1.0], [-2.0], [0.5]]).to(device)) * 3.0

# per-feature input weights, created directly on the device so they stay leaf tensors
feature_w = torch.randn(3, device=device, requires_grad=True)
model = ScaledLinear(3, 1).to(device)
optimizer = optim.Adam(list(model.parameters()) + [feature_w], lr=0.1)

for step in range(15):
    optimizer.zero_grad()
    loss = ((model(x * feature_w) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")
