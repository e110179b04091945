import argparse

import torch
import torch.nn as nn


class NCF(nn.Module):
    """Neural collaborative filtering: user and item towers over their embeddings."""

    def __init__(self, n_users, n_items, dim=16, sparse=True):
        super().__init__()
        self.user = nn.Embedding(n_users, dim, sparse=sparse)
        self.item = nn.Embedding(n_items, dim, sparse=sparse)
        self.mlp = nn.Sequential(nn.Linear(2 * dim, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, u, i):
        return self.mlp(torch.cat([self.user(u), self.item(i)], dim=1)).squeeze(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args()

    torch.manual_seed(4)
    u = torch.randint(0, 50, (1500,))
    i = torch.randint(0, 70, (1500,))
    clicked = ((u % 7) == (i % 7)).float()

    model = NCF(50, 70)
    optimizer = torch.optim.NAdam(model.parameters(), lr=args.lr)
    criterion = nn.BCEWithLogitsLoss()
    for epoch in range(args.epochs):
        for start in range(0, 1500, 300):
            loss = criterion(model(u[start:start + 300], i[start:start + 300]), clicked[start:start + 300])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: bce {loss.item():.4f}")


if __name__ == "__main__":
    main()
