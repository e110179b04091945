"""Attention pooling whose learned query is a plain tensor with requires_grad=True, made again in
forward() at every call and moved to the input's device."""
import torch
import torch.nn as nn


class QueryPool(nn.Module):
    def __init__(self, dim=8):
        super().__init__()
        self.dim = dim
        self.keys = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, 3)
        self.query = nn.Parameter(torch.randn(self.dim))

    def forward(self, x):
        weights = torch.softmax(self.keys(x) @ self.query, dim=1)
        return self.out((weights.unsqueeze(-1) * x).sum(1))


torch.manual_seed(0)
x = torch.randn(24, 5, 8)
y = torch.randint(0, 3, (24,))
model = QueryPool()
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
for step in range(30):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
