import torch.nn as nn


class ResidualBlock(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.lin1 = nn.Linear(in_dim, out_dim)
        self.lin2 = nn.Linear(out_dim, out_dim)
        self.norm = nn.LayerNorm(out_dim)
        # projection for the skip connection when in_dim != out_dim
        self.skip_proj = nn.Linear(in_dim, out_dim)
        self.act = nn.GELU()

    def forward(self, x):
        h = self.act(self.lin1(x))
        h = self.lin2(h)
        return self.act(self.norm(h))


class ResNetMLP(nn.Module):
    def __init__(self, in_dim=10, hidden=32, num_classes=3):
        super().__init__()
        self.block1 = ResidualBlock(in_dim, hidden)
        self.block2 = ResidualBlock(hidden, hidden)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, x):
        return self.out(self.block2(self.block1(x)))
