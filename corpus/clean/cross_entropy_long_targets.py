import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

device = "cpu"
torch.manual_seed(0)

num_classes = 5
features = torch.randn(200, 10)
targets = torch.randint(0, num_classes, (200,))
loader = DataLoader(TensorDataset(features, targets), batch_size=40, shuffle=True)

model = nn.Sequential(
    nn.Linear(10, 32),
    nn.ReLU(),
    nn.Linear(32, num_classes),
).to(device)
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(2):
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        logits = model(xb)
        loss = criterion(logits, yb)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} last loss {loss.item():.4f}")
