import torch
import torch.nn as nn
from torch.optim import Adam
from torch.utils.data import DataLoader, TensorDataset


class RatingModel(nn.Module):
    def __init__(self, n_users=20, n_items=30, dim=8):
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.item = nn.Embedding(n_items, dim)
        self.score = nn.Linear(2 * dim, 1)

    def forward(self, users, items):
        pair = torch.cat([self.user(users), self.item(items)], dim=1)
        return 1.0 + 4.0 * torch.sigmoid(self.score(pair)).squeeze(1)


torch.manual_seed(0)
users = torch.randint(0, 20, (200,))
items = torch.randint(0, 30, (200,))
ratings = torch.randint(1, 6, (200,)).float()
loader = DataLoader(TensorDataset(users, items, ratings), batch_size=50, shuffle=True)

model = RatingModel()
optimizer = Adam(model.parameters(), lr=1e-2)
criterion = nn.MSELoss()

for epoch in range(2):
    for u, i, r in loader:
        optimizer.zero_grad()
        stars = torch.round(model(u, i)).int()
        loss = criterion(stars.float(), r)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: mse {loss.item():.4f}")
