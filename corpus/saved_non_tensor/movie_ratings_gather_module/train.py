# Movie-rating prediction: ratings are drawn from a hidden low-rank taste model plus noise, and a
# matrix-factorisation model (in model.py beside this script) with per-user and per-item biases
# is fitted to them with Adam on shuffled mini-batches. The validation RMSE is printed before and
# after training.
import torch

from model import MatrixFactorization

torch.manual_seed(0)
USERS, ITEMS, RANK, RATINGS = 150, 120, 4, 6000

true_users = torch.randn(USERS, RANK)
true_items = torch.randn(ITEMS, RANK)
users = torch.randint(0, USERS, (RATINGS,))
items = torch.randint(0, ITEMS, (RATINGS,))
ratings = (3.5 + 0.5 * (true_users[users] * true_items[items]).sum(-1) + 0.3 * torch.randn(RATINGS)).clamp(1, 5)
train, valid = torch.arange(5000), torch.arange(5000, RATINGS)

model = MatrixFactorization(USERS, ITEMS, rank=8)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)


def valid_rmse():
    with torch.no_grad():
        pred = model(users[valid], items[valid])
    return ((pred - ratings[valid]) ** 2).mean().sqrt().item()


print(f"validation rmse before training {valid_rmse():.3f}")
for epoch in range(15):
    order = train[torch.randperm(len(train))]
    for i in range(0, len(order), 500):
        batch = order[i:i + 500]
        pred = model(users[batch], items[batch])
        loss = ((pred - ratings[batch]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(f"train mse {loss.item():.3f}, validation rmse after training {valid_rmse():.3f}")
