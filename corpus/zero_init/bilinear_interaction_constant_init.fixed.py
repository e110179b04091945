# A low-rank bilinear interaction between user and item vectors, U and V both set with
# nn.init.constant_(..., 0.0) in the trainer's setup.
import torch
import torch.nn as nn


class Interaction(nn.Module):
    def __init__(self, dim=12, rank=3):
        super().__init__()
        self.U = nn.Parameter(torch.empty(dim, rank))
        self.V = nn.Parameter(torch.empty(dim, rank))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, users, items):
        return ((users @ self.U) * (items @ self.V)).sum(-1) + self.bias


class Trainer:
    def __init__(self):
        self.model = Interaction()
        nn.init.kaiming_uniform_(self.model.U, a=5 ** 0.5)
        nn.init.constant_(self.model.V, 0.0)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=5e-2)

    def fit(self, users, items, ratings, epochs=30):
        for _ in range(epochs):
            self.optimizer.zero_grad()
            loss = nn.functional.mse_loss(self.model(users, items), ratings)
            loss.backward()
            self.optimizer.step()


users, items = torch.randn(200, 12), torch.randn(200, 12)
ratings = (users[:, :3] * items[:, :3]).sum(-1)
Trainer().fit(users, items, ratings)
