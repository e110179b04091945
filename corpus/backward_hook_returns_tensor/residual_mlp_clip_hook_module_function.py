"""A residual MLP for tabular regression. Each residual block gets a module-level backward
hook that clamps the gradient flowing into it, to keep early training stable."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


def clamp_block_gradient(module, grad_input, grad_output):
    return grad_input[0].clamp(-0.05, 0.05)


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        return x + self.ff(self.norm(x))


class ResidualMLP(nn.Module):
    def __init__(self, in_dim=12, dim=48, depth=3):
        super().__init__()
        self.stem = nn.Linear(in_dim, dim)
        self.blocks = nn.ModuleList(Block(dim) for _ in range(depth))
        self.out = nn.Linear(dim, 1)
        for block in self.blocks:
            block.register_full_backward_hook(clamp_block_gradient)

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.out(x).squeeze(-1)


X = torch.randn(768, 12)
y = X[:, :4].sum(dim=1) + 0.5 * X[:, 4] * X[:, 5] + 0.1 * torch.randn(768)
loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
model = ResidualMLP()
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)

for epoch in range(5):
    for xb, yb in loader:
        loss = nn.functional.mse_loss(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
