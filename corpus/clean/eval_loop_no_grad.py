import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class Trainer:
    def __init__(self, model, lr=0.05):
        self.model = model
        self.optimizer = optim.SGD(self.model.parameters(), lr=lr)
        self.criterion = nn.MSELoss()

    def train_epoch(self, loader):
        self.model.train()
        total = 0.0
        for xb, yb in loader:
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(xb), yb)
            loss.backward()
            self.optimizer.step()
            total += loss.item()
        return total / len(loader)

    def evaluate(self, loader):
        self.model.eval()
        total = 0.0
        with torch.no_grad():
            for xb, yb in loader:
                total += self.criterion(self.model(xb), yb).item()
        return total / len(loader)


torch.manual_seed(0)
x = torch.randn(128, 6)
y = x.sum(dim=1, keepdim=True) + 0.1 * torch.randn(128, 1)
train_loader = DataLoader(TensorDataset(x[:96], y[:96]), batch_size=16, shuffle=True)
val_loader = DataLoader(TensorDataset(x[96:], y[96:]), batch_size=16)

model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 1))
trainer = Trainer(model)
for epoch in range(3):
    train_loss = trainer.train_epoch(train_loader)
    val_loss = trainer.evaluate(val_loader)
    print(f"epoch {epoch}: train {train_loss:.4f} val {val_loss:.4f}")
