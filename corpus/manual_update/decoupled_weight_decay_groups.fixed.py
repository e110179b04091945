import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


class Trainer:
    """SGD with decoupled weight decay, written by hand over two parameter groups."""

    def __init__(self, model, lr, wd):
        self.model = model
        decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
        no_decay = [p for n, p in model.named_parameters() if not n.endswith("weight")]
        self.groups = [{"params": decay, "lr": lr, "wd": wd}, {"params": no_decay, "lr": lr, "wd": 0.0}]

    def step(self, x, y):
        self.model.zero_grad()
        loss = F.cross_entropy(self.model(x), y)
        loss.backward()
        for group in self.groups:
            with torch.no_grad():
                for p in group["params"]:
                    p.mul_(1 - group["lr"] * group["wd"])
                    p.add_(p.grad, alpha=-group["lr"])
        return loss.item()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--wd", type=float, default=5e-4)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 32), nn.LayerNorm(32), nn.GELU(), nn.Linear(32, 4))
    trainer = Trainer(model, args.lr, args.wd)
    x, y = torch.randn(200, 10), torch.randint(0, 4, (200,))
    for epoch in range(5):
        print(f"epoch {epoch}: loss {trainer.step(x, y):.4f}")
