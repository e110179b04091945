import argparse

import torch
import torch.nn as nn
from torch.optim import SGD
from torch.optim.lr_scheduler import StepLR


class Trainer:
    def __init__(self, model, lr, max_norm):
        self.model = model
        self.optimizer = SGD(self.model.parameters(), lr=lr, momentum=0.9)
        self.scheduler = StepLR(self.optimizer, step_size=2, gamma=0.5)
        self.criterion = nn.MSELoss()
        self.max_norm = max_norm

    def step(self, x, y):
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.max_norm)
        self.optimizer.step()
        return loss.item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--max-norm", type=float, default=1.0)
    args = parser.parse_args()

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 1))
    trainer = Trainer(model, args.lr, args.max_norm)
    x = torch.randn(64, 12)
    y = 3.0 * torch.randn(64, 1)

    for epoch in range(args.epochs):
        loss = trainer.step(x, y)
        trainer.scheduler.step()
        lr = trainer.scheduler.get_last_lr()[0]
        print(f"epoch {epoch}: loss {loss:.4f} lr {lr:.4f}")


if __name__ == "__main__":
    main()
