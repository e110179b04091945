import torch
import torch.nn as nn


class Trainer:
    def __init__(self, model, lr=0.05):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        self.criterion = nn.MSELoss()
        self.total_loss = 0.0
        self.seen = 0

    def accumulate(self, x, y):
        with torch.no_grad():
            pred = self.model(x)
            self.total_loss += self.criterion(pred, y)
            error = (pred - y).abs().max().item()
        self.seen += len(x)
        return error

    def step(self):
        self.optimizer.zero_grad()
        self.total_loss.backward()
        self.optimizer.step()
        self.total_loss = 0.0


torch.manual_seed(0)
trainer = Trainer(nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1)))
for epoch in range(3):
    for _ in range(4):
        x, y = torch.randn(32, 5), torch.randn(32, 1)
        worst = trainer.accumulate(x, y)
    trainer.step()
    print(f"epoch {epoch}: worst error {worst:.3f}")
