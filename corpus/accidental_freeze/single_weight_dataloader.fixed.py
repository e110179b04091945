import torch as T
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

T.manual_seed(0)
device = "cpu"


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 20)
        self.fc2 = nn.Linear(20, 20)
        self.fc3 = nn.Linear(20, 4)

    def forward(self, x):
        x = T.relu(self.fc1(x))
        x = T.relu(self.fc2(x))
        return self.fc3(x)


features = T.randn(256, 10)
targets = T.randint(0, 4, (256,))
loader = DataLoader(TensorDataset(features, targets), batch_size=32, shuffle=True)

model = MLP().to(device)
optimizer = T.optim.AdamW(model.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()

for epoch in range(3):
    total = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch}: {total / len(loader):.4f}")
