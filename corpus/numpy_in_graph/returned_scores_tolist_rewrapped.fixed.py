# A ranking model whose scoring helper hands back plain Python lists (handy for sorting and for
# the history kept below); the training step turns them back into a tensor for the loss.
import torch
import torch.nn as nn


def score(model, items):
    return model(items).squeeze(-1)


def train(model, items, relevance, steps=30):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    best_seen = []
    for step in range(steps):
        scores = score(model, items)
        best_seen.append(max(scores.detach().tolist()))
        loss = ((scores - relevance) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item(), best_seen[-1]


if __name__ == "__main__":
    torch.manual_seed(0)
    items = torch.randn(64, 10)
    relevance = items[:, :3].sum(dim=1)
    ranker = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 1))
    print(train(ranker, items, relevance))
