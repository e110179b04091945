import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(12, 20)
        self.norm = nn.BatchNorm1d(20)
        self.classify = nn.Linear(20, 5)

    def forward(self, x):
        return self.classify(torch.relu(self.norm(self.embed(x))))


inputs = torch.randn(96, 12)
targets = torch.randint(0, 5, (96,))
loader = DataLoader(TensorDataset(inputs, targets), batch_size=16, shuffle=True)

model = TinyNet()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05)

for epoch in range(2):
    running = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        running += loss.item()
    print(f"epoch {epoch}: mean loss {running / len(loader):.4f}")
