# Correct: the loss is logged as a float with loss.item() and a float() copy; backward() runs on the
# loss tensor itself, never on a re-wrap of the number.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
features = torch.randn(192, 20)
labels = (features[:, :5].mean(1) > 0).long()
loader = DataLoader(TensorDataset(features, labels), batch_size=48, shuffle=True)

model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 2))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
losses, peaks = [], []

for epoch in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        losses.append(loss.item())
        value = float(loss.detach())
        peaks.append(max(peaks[-1] if peaks else value, value))
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {sum(losses[-4:]) / 4:.4f} (peak {peaks[-1]:.4f})")
