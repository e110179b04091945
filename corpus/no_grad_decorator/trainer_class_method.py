import torch
import torch.nn as nn
from torch.optim import AdamW
from torch.utils.data import DataLoader, TensorDataset


class Trainer:
    def __init__(self, model, lr=1e-3, device="cpu"):
        self.device = device
        self.model = model.to(device)
        self.optimizer = AdamW(self.model.parameters(), lr=lr, weight_decay=1e-2)
        self.criterion = nn.CrossEntropyLoss()

    @torch.no_grad()
    def train_step(self, xb, yb):
        xb, yb = xb.to(self.device), yb.to(self.device)
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(xb), yb)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    @torch.no_grad()
    def evaluate(self, loader):
        self.model.eval()
        correct = 0
        for xb, yb in loader:
            correct += (self.model(xb.to(self.device)).argmax(1) == yb.to(self.device)).sum().item()
        self.model.train()
        return correct / len(loader.dataset)

    def fit(self, train_loader, val_loader, epochs=3):
        for epoch in range(epochs):
            losses = [self.train_step(xb, yb) for xb, yb in train_loader]
            print(f"epoch {epoch}: loss {sum(losses) / len(losses):.4f} val_acc {self.evaluate(val_loader):.3f}")


torch.manual_seed(0)
x = torch.randn(200, 12)
y = torch.randint(0, 3, (200,))
train_loader = DataLoader(TensorDataset(x[:160], y[:160]), batch_size=32, shuffle=True)
val_loader = DataLoader(TensorDataset(x[160:], y[160:]), batch_size=40)

net = nn.Sequential(nn.Linear(12, 48), nn.ReLU(), nn.Dropout(0.1), nn.Linear(48, 3))
Trainer(net, lr=5e-3).fit(train_loader, val_loader)
