# Residual MLP regressor whose Trainer scales each part's gradients by its own multiplier (the
# output layer learns fastest); the stem is frozen, with a multiplier of 0.
import torch
from torch import nn


class Regressor(nn.Module):
    def __init__(self, width=32, depth=3):
        super().__init__()
        self.stem = nn.Linear(8, width)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, width), nn.Tanh()) for _ in range(depth))
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        h = torch.tanh(self.stem(x))
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


class Trainer:
    def __init__(self, model, multipliers, lr=1e-2):
        self.model = model
        self._scale_gradients(multipliers)
        self.optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)

    def _scale_gradients(self, multipliers):
        for name, factor in multipliers.items():
            module = getattr(self.model, name)
            if factor == 0.0:
                module.requires_grad_(False)
                continue
            for p in module.parameters():
                def scaled(grad):
                    return grad * factor
                p.register_hook(scaled)

    def fit(self, x, y, epochs=20, batch=32):
        for epoch in range(epochs):
            for i in range(0, len(x), batch):
                loss = nn.functional.mse_loss(self.model(x[i:i + batch]), y[i:i + batch])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            print(f"epoch {epoch} mse {loss.item():.4f}")


torch.manual_seed(0)
x = torch.randn(256, 8)
y = x[:, :1] * 2 - x[:, 1:2]
Trainer(Regressor(), {"out": 1.0, "blocks": 0.5, "stem": 0.0}).fit(x, y)
