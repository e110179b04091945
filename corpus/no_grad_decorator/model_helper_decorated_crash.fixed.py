"""Churn prediction on synthetic tabular data. The model's forward delegates to a `scores` method
that was written for serving and decorated with no_grad there."""
import torch
from torch import nn, no_grad


class ChurnModel(nn.Module):
    def __init__(self, n_numeric=6, n_plans=4):
        super().__init__()
        self.plan = nn.Embedding(n_plans, 4)
        self.mlp = nn.Sequential(nn.Linear(n_numeric + 4, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 1))

    def scores(self, numeric, plan):
        return self.mlp(torch.cat([numeric, self.plan(plan)], dim=1)).squeeze(1)

    def forward(self, numeric, plan):
        return self.scores(numeric, plan)


def customers(n=128):
    numeric = torch.randn(n, 6)
    plan = torch.randint(0, 4, (n,))
    churn = ((numeric[:, 0] - 0.5 * plan.float() + 0.3 * torch.randn(n)) > 0).float()
    return numeric, plan, churn


model = ChurnModel()
optim = torch.optim.Adam(model.parameters(), lr=1e-2)
bce = nn.BCEWithLogitsLoss()
for epoch in range(3):
    for _ in range(20):
        numeric, plan, churn = customers()
        loss = bce(model(numeric, plan), churn)
        optim.zero_grad()
        loss.backward()
        optim.step()
    print(epoch, loss.item())
