import torch
from torch import nn, optim as O

N_USERS, N_ITEMS, FACTORS = 120, 80, 10


def table(rows, width):
    # one row per id; sparse gradients keep the update cheap for large catalogues
    return nn.Embedding(rows, width, sparse=True)


class BiasedMF(nn.Module):
    def __init__(self):
        super().__init__()
        self.user_factors = table(N_USERS, FACTORS)
        self.item_factors = table(N_ITEMS, FACTORS)
        self.user_bias = table(N_USERS, 1)
        self.item_bias = table(N_ITEMS, 1)
        self.mean = nn.Parameter(torch.tensor(3.5))

    def forward(self, users, items):
        dot = (self.user_factors(users) * self.item_factors(items)).sum(1)
        return self.mean + dot + self.user_bias(users).squeeze(1) + self.item_bias(items).squeeze(1)


torch.manual_seed(1)
users = torch.randint(0, N_USERS, (2000,))
items = torch.randint(0, N_ITEMS, (2000,))
ratings = torch.randint(1, 6, (2000,)).float()

mf = BiasedMF()
opt = O.AdamW(mf.parameters(), lr=0.02, weight_decay=0.01)
for epoch in range(4):
    perm = torch.randperm(len(users))
    for start in range(0, len(perm), 500):
        idx = perm[start:start + 500]
        loss = ((mf(users[idx], items[idx]) - ratings[idx]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: rmse {loss.sqrt().item():.3f}")
