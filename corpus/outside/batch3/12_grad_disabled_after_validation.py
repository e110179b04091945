# Report: https://github.com/Lightning-AI/pytorch-lightning/issues/2180
# Summary: validation calls torch.set_grad_enabled(False) and never re-enables it, so the next epoch's backward() fails with 'does not require grad' (crash).
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split


class WineRegressor(nn.Module):
    def __init__(self, n_features=11):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, 64), nn.ReLU(), nn.Dropout(0.1),
            nn.Linear(64, 32), nn.ReLU(),
            nn.Linear(32, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


def evaluate(model, loader, criterion):
    model.eval()
    torch.set_grad_enabled(False)  # no gradients needed for validation
    total = 0.0
    for xb, yb in loader:
        total += criterion(model(xb), yb).item()
    model.train()
    return total / len(loader)


def main():
    torch.manual_seed(12)
    x = torch.randn(1200, 11)
    y = x @ torch.randn(11) + 0.1 * torch.randn(1200)
    train_set, val_set = random_split(TensorDataset(x, y), [1000, 200])
    train_loader = DataLoader(train_set, batch_size=50, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=100)

    model = WineRegressor()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.MSELoss()
    for epoch in range(5):
        train_loss = train_one_epoch(model, train_loader, optimizer, criterion)
        val_loss = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch}: train {train_loss:.4f}  val {val_loss:.4f}")


if __name__ == "__main__":
    main()
