"""A trainer that re-points its optimizer's group at the model's current parameters right before
every step (the model may swap its head between steps). `model.parameters()` is a generator, but a
fresh one each time, and `step()` reads it once: every step updates the whole model. Correct, if
unusual; from an outside review of GF066."""

import torch
import torch.nn as nn

torch.manual_seed(0)


class Trainer:
    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def train_step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        self.model.zero_grad()
        loss = nn.functional.mse_loss(self.model(x), y)
        loss.backward()
        # the head may have been replaced since the last step: hand the optimizer what is there now
        self.optimizer.param_groups[0]["params"] = self.model.parameters()
        self.optimizer.step()
        return loss.item()


model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
trainer = Trainer(model)
x, y = torch.randn(32, 4), torch.randn(32, 1)
for step in range(10):
    trainer.train_step(x, y)
