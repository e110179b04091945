import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

features = torch.randn(96, 6)
targets = (features.sum(dim=1, keepdim=True) > 0).float()
loader = DataLoader(TensorDataset(features, targets), batch_size=16, shuffle=True)

model = nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = optim.Adam(model.parameters(), lr=0.01)

for epoch in range(3):
    total = 0.0
    for xb, yb in loader:
        with torch.set_grad_enabled(False):
            logits = model(xb)
            loss = criterion(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
    print(f"epoch {epoch} mean loss {total / len(loader):.4f}")
