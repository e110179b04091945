"""Every block is checkpointed, the first one on the raw input: with use_reentrant=False that is
fine, the non-reentrant variant records the graph to the weights whatever its inputs."""
import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(0)


class ResidualMLP(nn.Module):
    def __init__(self, d_in=16, width=48, blocks=4):
        super().__init__()
        self.blocks = nn.Sequential(nn.Linear(d_in, width), *[nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.GELU()) for _ in range(blocks)])
        self.head = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 1))

    def forward(self, x, sequential=False):
        if sequential:
            h = checkpoint_sequential(self.blocks, 2, x, use_reentrant=False)
        else:
            h = x
            for block in self.blocks:
                h = checkpoint(block, h, use_reentrant=False)
        return self.head(h).squeeze(-1)


model = ResidualMLP()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
w = torch.randn(16)
for step in range(60):
    x = torch.randn(64, 16)
    y = torch.tanh(x @ w)
    loss = nn.functional.mse_loss(model(x, sequential=step % 2 == 1), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
