"""Matrix factorisation of a random rating matrix."""
import argparse

import torch
import torch.nn.functional as F


def parse_args():
    p = argparse.ArgumentParser(description="matrix factorisation")
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--items", type=int, default=40)
    p.add_argument("--dim", type=int, default=8)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--device", default="cuda")
    return p.parse_args()


def main():
    args = parse_args()
    torch.manual_seed(0)
    n = 500
    users = torch.randint(0, args.users, (n,), device=args.device)
    items = torch.randint(0, args.items, (n,), device=args.device)
    ratings = torch.rand(n, device=args.device) * 5

    user_emb = torch.randn(args.users, args.dim, requires_grad=True).to(args.device)
    item_emb = torch.randn(args.items, args.dim, requires_grad=True).to(args.device)
    optimizer = torch.optim.Adam([user_emb, item_emb], lr=args.lr)

    for epoch in range(args.epochs):
        optimizer.zero_grad()
        pred = (user_emb[users] * item_emb[items]).sum(dim=1)
        loss = F.mse_loss(pred, ratings)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: mse {loss.item():.4f}")


if __name__ == "__main__":
    main()
