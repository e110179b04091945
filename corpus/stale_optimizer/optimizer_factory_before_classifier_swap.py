"""Tabular regression from a pretrained classifier: the optimizer comes from a factory that puts
biases and norm weights in a group without weight decay; the classifier is swapped afterwards."""
import argparse

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self, n_features=12, width=32, n_out=5):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, width), nn.LayerNorm(width), nn.SiLU())
        self.classifier = nn.Linear(width, n_out)

    def forward(self, x):
        return self.classifier(self.body(x))


def make_optimizer(model, args):
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        (no_decay if param.ndim == 1 else decay).append(param)
    groups = [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=args.lr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()

    torch.manual_seed(7)
    x = torch.randn(128, 12)
    y = x[:, :3].sum(dim=1, keepdim=True)

    model = MLP()
    optimizer = make_optimizer(model, args)
    loss_fn = nn.MSELoss()
    model.classifier = nn.Linear(32, 1)  # one regression output instead of five classes

    for step in range(args.steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"step {step}: mse {loss.item():.4f}")


if __name__ == "__main__":
    main()
