import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

x = torch.randn(96, 8)
y = 3.0 * x[:, :1] - x[:, 1:2] + 0.1 * torch.randn(96, 1)
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)

model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
optimizer = optim.SGD(model.parameters(), lr=0.05)
criterion = nn.MSELoss()

history = []
for epoch in range(3):
    running_loss = 0.0
    for i, (xb, yb) in enumerate(loader):
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()

        running_loss += loss.item()
        if i % 3 == 2:
            print(f"epoch {epoch} batch {i + 1}: loss {loss.item():.4f}")
    epoch_loss = running_loss / len(loader)
    history.append(epoch_loss)
    print(f"epoch {epoch}: mean loss {epoch_loss:.4f}")

print("best epoch loss:", min(history))
