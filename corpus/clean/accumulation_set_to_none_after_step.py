import torch
from torch import nn


class Trainer:
    def __init__(self):
        self.model = nn.Sequential(nn.Linear(6, 24), nn.SiLU(), nn.Linear(24, 1))
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=3e-3)

    def train_step(self, x, y):
        loss = nn.functional.smooth_l1_loss(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.item()


torch.manual_seed(4)
x = torch.randn(128, 6)
y = x.sum(dim=1, keepdim=True).sin()
trainer = Trainer()
for epoch in range(3):
    for start in range(0, 128, 16):
        loss = trainer.train_step(x[start : start + 16], y[start : start + 16])
    print(epoch, loss)
