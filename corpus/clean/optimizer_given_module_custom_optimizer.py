"""An optimizer class of the project's own that is handed the module on purpose: it picks the
parameter groups itself (no weight decay on biases and norm weights)."""
import torch
import torch.nn as nn


class DecoupledAdamW(torch.optim.AdamW):
    def __init__(self, module, lr=1e-3, weight_decay=0.05):
        decay, no_decay = [], []
        for name, param in module.named_parameters():
            (no_decay if name.endswith("bias") or param.ndim == 1 else decay).append(param)
        groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        super().__init__(groups, lr=lr)


class Block(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        return x + self.mlp(self.norm(x))


torch.manual_seed(0)
model = nn.Sequential(Block(), Block(), nn.Linear(16, 1))
optimizer = DecoupledAdamW(model, lr=3e-3)
x, y = torch.randn(64, 16), torch.randn(64, 1)
for step in range(5):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    print(step, loss.item())
