"""Iris-like tabular classification: the loss is logged as a number by taking .item() straight
off the criterion, and the same name is then backpropagated."""
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

features = torch.randn(150, 4)
labels = (features[:, 0] + 0.5 * features[:, 2] > 0).long() + (features[:, 1] > 1).long()
loader = DataLoader(TensorDataset(features, labels), batch_size=25, shuffle=True)

model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 3))
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(5):
    model.train()
    running_loss = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb).item()
        loss.backward()
        optimizer.step()
        running_loss += loss
    print(f"epoch {epoch}: loss {running_loss / len(loader):.4f}")

model.eval()
with torch.no_grad():
    accuracy = (model(features).argmax(dim=1) == labels).float().mean()
print(f"train accuracy {accuracy:.3f}")
