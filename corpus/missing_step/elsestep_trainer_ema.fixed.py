"""Trainer for a small MLP regressor that keeps an exponential moving average of the weights."""
import copy

import torch
import torch.nn as nn


class WeightEMA:
    """A shadow copy of the weights, averaged after every update (used for evaluation)."""

    def __init__(self, model: nn.Module, decay: float = 0.99):
        self.model = model
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self):
        for k, v in self.model.state_dict().items():
            self.shadow[k].mul_(self.decay).add_(v.detach(), alpha=1 - self.decay)


class Trainer:
    def __init__(self, model, lr=1e-2, use_ema=True):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.ema = WeightEMA(model) if use_ema else None
        self.criterion = nn.SmoothL1Loss()

    def training_step(self, x, y):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.criterion(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        if self.ema is not None:
            self.ema.update()
        return loss.detach()

    def fit(self, x, y, epochs=5, batch_size=16):
        for epoch in range(epochs):
            perm = torch.randperm(len(x))
            for i in range(0, len(x), batch_size):
                idx = perm[i:i + batch_size]
                loss = self.training_step(x[idx], y[idx])
            print(f"epoch {epoch}: {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(3)
    x = torch.randn(64, 6)
    y = (x[:, :2] ** 2).sum(1, keepdim=True)
    model = nn.Sequential(nn.Linear(6, 32), nn.SiLU(), nn.Linear(32, 1))
    trainer = Trainer(model)
    trainer.fit(x, y)
    averaged = copy.deepcopy(model)
    averaged.load_state_dict(trainer.ema.shadow)
