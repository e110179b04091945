# Notebook-style digits classifier: the loss is logged as a float, then re-wrapped to call backward().
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
images = torch.randn(256, 64)
labels = (images[:, :8].sum(1) > 0).long() + (images[:, 8:16].sum(1) > 0).long()
loader = DataLoader(TensorDataset(images, labels), batch_size=32, shuffle=True)

model = nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 3))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
losses = []

for epoch in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: mean loss {sum(losses[-len(loader):]) / len(loader):.4f}")
