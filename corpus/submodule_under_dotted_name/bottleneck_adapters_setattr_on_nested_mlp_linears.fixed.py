"""Houlsby-style bottleneck adapters added to a frozen pretrained residual MLP regressor: a helper
walks named_modules(), and for each block's output Linear calls setattr(model, name, adapter)
with the path it got ("blocks.0.fc2"). Only the adapters and the output layer are trained."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ResidualBlock(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.fc2(F.gelu(self.fc1(self.norm(x))))


class AdapterLinear(nn.Module):
    """The frozen layer followed by a small trainable bottleneck, added residually."""

    def __init__(self, base, bottleneck=8):
        super().__init__()
        self.base = base
        self.down = nn.Linear(base.out_features, bottleneck)
        self.up = nn.Linear(bottleneck, base.out_features)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, x):
        h = self.base(x)
        return h + self.up(F.relu(self.down(h)))


def add_adapters(model, bottleneck=8):
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.Linear) and name.endswith("fc2"):
            model.set_submodule(name, AdapterLinear(module, bottleneck))


class Regressor(nn.Module):
    def __init__(self, dim=16, hidden=64, depth=3):
        super().__init__()
        self.blocks = nn.Sequential(*[ResidualBlock(dim, hidden) for _ in range(depth)])
        self.out = nn.Linear(dim, 1)

    def forward(self, x):
        return self.out(self.blocks(x))


model = Regressor()
for p in model.blocks.parameters():
    p.requires_grad = False
add_adapters(model)

x = torch.randn(256, 16)
y = torch.sin(x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3]
optimizer = torch.optim.Adam((p for p in model.parameters() if p.requires_grad), lr=1e-2)

for epoch in range(30):
    perm = torch.randperm(256)
    for i in range(0, 256, 64):
        idx = perm[i:i + 64]
        loss = F.mse_loss(model(x[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch} mse {loss.item():.4f}")
