# Two recommenders with frozen pretrained item tables, both right:
# - the first keeps a param group for the table at lr 0.0 (its schedule could raise it later);
# - the second builds its optimizer from the parameters that require grad only.
import torch
from torch import nn


class Recommender(nn.Module):
    def __init__(self, items, users=30):
        super().__init__()
        self.items = nn.Embedding.from_pretrained(items)
        self.users = nn.Embedding(users, items.size(1))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, u, i):
        return (self.users(u) * self.items(i)).sum(-1) + self.bias


def train(model, optimizer, steps=8):
    for step in range(steps):
        u, i = torch.randint(0, 30, (64,)), torch.randint(0, 50, (64,))
        rating = (i % 5).float()
        loss = nn.functional.mse_loss(model(u, i), rating)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


torch.manual_seed(0)
pretrained = torch.randn(50, 8)

first = Recommender(pretrained)
held_still = torch.optim.SGD(
    [{"params": first.items.parameters(), "lr": 0.0}, {"params": [first.users.weight, first.bias]}], lr=0.05,
)
print("lr 0 group:", train(first, held_still))

second = Recommender(pretrained.clone())
trainable = torch.optim.Adam(filter(lambda p: p.requires_grad, second.parameters()), lr=1e-2)
print("filtered:", train(second, trainable))
