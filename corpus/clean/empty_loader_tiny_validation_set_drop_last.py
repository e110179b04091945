"""Regression on synthetic tabular data. Both loaders share one set of options, drop_last=True
included: the validation set (30 rows) is smaller than a batch, so validation sees nothing,
but it runs under no_grad and holds no optimizer; training runs on 1,200 rows."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
loader_options = {"batch_size": 64, "drop_last": True, "num_workers": 0}
true_w = torch.randn(12, 1)


def rows(n):
    x = torch.randn(n, 12)
    return TensorDataset(x, torch.tanh(x @ true_w) + 0.05 * torch.randn(n, 1))


train_set, val_set = rows(1200), rows(30)
train_loader = DataLoader(train_set, shuffle=True, **loader_options)
val_loader = DataLoader(val_set, shuffle=False, **loader_options)

model = nn.Sequential(nn.Linear(12, 48), nn.ReLU(), nn.Linear(48, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(6):
    model.train()
    for x, y in train_loader:
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    model.eval()
    val_loss, batches = 0.0, 0
    with torch.no_grad():
        for x, y in val_loader:
            val_loss += F.mse_loss(model(x), y).item()
            batches += 1
    print(f"epoch {epoch}: train loss {loss.item():.4f}, validation batches {batches}")
