import torch
import torch.nn as nn
from torch import optim
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv1d(2, 8, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(4))
        self.fc = nn.Linear(8 * 4, 2)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


class Trainer:
    def __init__(self, model, lr=0.01):
        self.model = model
        self.model.features.requires_grad_(False)
        self.optimizer = optim.Adam(self.model.parameters(), lr=lr)
        self.criterion = nn.CrossEntropyLoss()

    def unfreeze(self):
        for p in self.model.features.parameters():
            p.requires_grad = True

    def run_epoch(self, loader):
        total = 0.0
        for xb, yb in loader:
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(xb), yb)
            loss.backward()
            self.optimizer.step()
            total += loss.item()
        return total / len(loader)


torch.manual_seed(0)
signals = torch.randn(120, 2, 32)
targets = (signals[:, 0].mean(dim=1) > signals[:, 1].mean(dim=1)).long()
loader = DataLoader(TensorDataset(signals, targets), batch_size=60, shuffle=True)

trainer = Trainer(Net())
for epoch in range(4):
    if epoch == 1:
        trainer.unfreeze()
    print(f"epoch {epoch}: loss {trainer.run_epoch(loader):.4f}")
