import argparse

import torch
import torch.nn.functional as Fn
from torch import nn


class Tower(nn.Module):
    def __init__(self, n_in, dim=16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_in, 32), nn.Tanh(), nn.Linear(32, dim))

    def forward(self, x):
        return Fn.normalize(self.net(x), dim=-1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--margin", type=float, default=0.2)
    args = parser.parse_args()

    torch.manual_seed(0)
    queries, documents = torch.randn(96, 10), torch.randn(96, 12)
    query_tower, doc_tower = Tower(10), Tower(12)
    params = list(query_tower.parameters()) + list(doc_tower.parameters())
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    ranking = nn.MarginRankingLoss(margin=args.margin)

    for epoch in range(args.epochs):
        for start in range(0, 96, 24):
            q = query_tower(queries[start : start + 24])
            d = doc_tower(documents[start : start + 24])
            positive = (q * d).sum(-1)
            negative = (q * d.roll(1, dims=0)).sum(-1)
            err = ranking(positive, negative, torch.ones_like(positive))
            opt.zero_grad()
            err.backward()
            # apply the update
            opt.step()
        print(epoch, round(err.item(), 4))


if __name__ == "__main__":
    main()
