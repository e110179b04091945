# House-price regression with a Trainer class; its step is decorated, and the loss re-wrapped.
import torch as T
import torch.nn as nn


class Trainer:
    def __init__(self, model, lr=1e-2):
        self.model = model
        self.opt = T.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = nn.SmoothL1Loss()

    def step(self, xb, yb):
        self.model.train()
        pred = self.model(xb).squeeze(-1)
        loss = self.loss_fn(pred, yb)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


T.manual_seed(0)
x = T.randn(256, 7)
y = x @ T.linspace(-1.0, 1.0, 7) + 0.1 * T.randn(256)
trainer = Trainer(nn.Sequential(nn.Linear(7, 32), nn.ReLU(), nn.Linear(32, 1)))
for epoch in range(4):
    losses = [trainer.step(xb, yb) for xb, yb in zip(x.split(64), y.split(64))]
    print(f"epoch {epoch}: smooth L1 {sum(losses) / len(losses):.4f}")
