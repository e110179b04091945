import argparse

import torch
import torch.nn as nn
import torch.optim as optim


class Regressor(nn.Module):
    def __init__(self, in_dim, hidden):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU()
        )
        self.norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        h = self.norm(self.body(x))
        return self.out(h)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args()

    torch.manual_seed(0)
    device = torch.device(args.device)
    x = torch.randn(160, 5, device=device)
    y = (x ** 2).sum(dim=1, keepdim=True)

    model = Regressor(5, args.hidden).to(device)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr)
    criterion = nn.SmoothL1Loss()

    model.train()
    for step in range(args.steps):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 2 == 0:
            print(f"step {step}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
