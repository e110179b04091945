"""An attention block whose fixed 1/sqrt(d) scale is a tensor made by `torch.full`, kept so it
follows the scores' dtype: a constant meant to stay fixed, not a learned scale."""
import torch
from torch import nn

torch.manual_seed(0)


class Attention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        # fixed 1/sqrt(d) scale, kept as a tensor so it follows the dtype of the scores
        self.scale = torch.full((1,), dim ** -0.5)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        att = (q @ k.transpose(-2, -1) * self.scale).softmax(-1)
        return self.out(att @ v)


model = nn.Sequential(Attention(16), nn.Linear(16, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.randn(32, 8, 16), torch.randn(32, 8, 1)
for _ in range(20):
    loss = nn.functional.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
