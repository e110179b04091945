"""Results of forward() kept on the module: an attention map for plotting and a weight-norm weight.
They are non-leaf tensors that require grad, and that is correct: they are not parameters."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class WeightNormLinear(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.direction = nn.Parameter(torch.randn(d_out, d_in) * 0.1)
        self.scale = nn.Parameter(torch.ones(d_out, 1))

    def forward(self, x):
        self.weight = self.scale * self.direction / self.direction.norm(dim=1, keepdim=True)
        return F.linear(x, self.weight)


class SelfAttention(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.qkv = WeightNormLinear(dim, 3 * dim)
        self.attention = None  # the last map, for visualisation

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        self.attention = torch.softmax(q @ k.transpose(1, 2) / q.shape[-1] ** 0.5, dim=-1)
        return self.attention @ v


torch.manual_seed(0)
model = nn.Sequential(SelfAttention(), nn.Flatten(), nn.Linear(5 * 16, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.randn(8, 5, 16), torch.randn(8, 1)
for step in range(6):
    optimizer.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
print("attention map", tuple(model[0].attention.shape))
