"""Matrix factorisation for ratings: user and item factors `U`, `V` drawn at random, user and item
biases at zero, all plain tensors; a global offset is the only nn.Parameter."""
import torch
import torch.nn as nn


class Factorisation(nn.Module):
    def __init__(self, n_users, n_items, rank):
        super().__init__()
        self.U = nn.Parameter(torch.randn(n_users, rank) / rank ** 0.5)
        self.V = nn.Parameter(torch.randn(n_items, rank) / rank ** 0.5)
        self.user_bias = nn.Parameter(torch.zeros(n_users))
        self.item_bias = nn.Parameter(torch.zeros(n_items))
        self.offset = nn.Parameter(torch.tensor(3.0))

    def forward(self, users, items):
        dot = (self.U[users] * self.V[items]).sum(dim=1)
        return dot + self.user_bias[users] + self.item_bias[items] + self.offset


torch.manual_seed(0)
n_users, n_items = 50, 40
users = torch.randint(0, n_users, (2000,))
items = torch.randint(0, n_items, (2000,))
ratings = 3.0 + torch.randn(n_users)[users] + torch.randn(n_items)[items] * 0.5

model = Factorisation(n_users, n_items, rank=8)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for epoch in range(40):
    loss = ((model(users, items) - ratings) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("mse", loss.item())
