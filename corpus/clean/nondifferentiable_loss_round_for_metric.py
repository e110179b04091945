import torch
import torch.nn as nn

torch.manual_seed(0)


class StarRater(nn.Module):
    def __init__(self, n_users=40, n_items=60, dim=8):
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.item = nn.Embedding(n_items, dim)
        self.out = nn.Linear(2 * dim, 1)

    def forward(self, u, i):
        return 1 + 4 * torch.sigmoid(self.out(torch.cat([self.user(u), self.item(i)], 1))).squeeze(1)


users = torch.randint(0, 40, (800,))
items = torch.randint(0, 60, (800,))
stars = ((users % 5) + 1).float()
model = StarRater()
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)

for epoch in range(4):
    exact = 0
    for u, i, s in zip(users.split(100), items.split(100), stars.split(100)):
        pred = model(u, i)
        loss = nn.functional.mse_loss(pred, s)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        # the metric: how often the rounded prediction is the exact number of stars
        exact += (torch.round(pred) == s).sum().item()
    print(f"epoch {epoch}: mse {loss.item():.3f} exact {exact / len(users):.2%}")
