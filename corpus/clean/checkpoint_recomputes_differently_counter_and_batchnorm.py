"""Checkpointed residual blocks that count their calls and update batch-norm statistics in their
forward: state changes, but nothing the recomputation reads, so backward() rebuilds the same values."""
import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.norm = nn.BatchNorm1d(width)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x + torch.relu(self.norm(self.fc(x)))


torch.manual_seed(0)
blocks = nn.ModuleList(Block(32) for _ in range(3))
head = nn.Linear(32, 1)
optimizer = torch.optim.SGD([*blocks.parameters(), *head.parameters()], lr=0.05)
for step in range(20):
    x = torch.randn(64, 32)
    h = x
    for block in blocks:
        h = checkpoint(block, h, use_reentrant=False)
    loss = (head(h).squeeze(1) - x[:, 0]).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.3f} after {blocks[0].calls} calls")
