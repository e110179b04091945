# Heteroscedastic regression: a trainer learns a network and one global log noise scale. The scale
# is flagged trainable in __init__ and converted to the model's dtype in setup().
import torch
import torch.nn as nn


class Trainer:
    def __init__(self, model, lr=1e-2):
        self.model = model
        self.lr = lr
        self.log_scale = torch.zeros(1)
        self.log_scale.requires_grad = True
        self.optimizer = None

    def setup(self, dtype):
        self.model.to(dtype)
        self.log_scale = self.log_scale.to(dtype=dtype)
        self.optimizer = torch.optim.Adam([
            {"params": self.model.parameters()},
            {"params": self.log_scale, "lr": self.lr * 5},
        ], lr=self.lr)

    def step(self, x, y):
        mean = self.model(x)
        # Gaussian negative log-likelihood with a learned scale
        loss = (0.5 * ((y - mean) / self.log_scale.exp()) ** 2 + self.log_scale).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
x = torch.randn(128, 5, dtype=torch.float64)
y = x[:, :1] * 1.5 - x[:, 1:2] + 0.3 * torch.randn(128, 1, dtype=torch.float64)

trainer = Trainer(nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1)))
trainer.setup(torch.float64)
for epoch in range(30):
    loss = trainer.step(x, y)
    if epoch % 10 == 0:
        print(f"epoch {epoch}: nll {loss:.4f} scale {trainer.log_scale.exp().item():.3f}")
