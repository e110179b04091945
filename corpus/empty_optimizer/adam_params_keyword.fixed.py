import torch
import torch.nn as nn
from torch.optim import Adam

torch.manual_seed(0)
device = "cpu"

# binary classification on random points
features = torch.randn(128, 8)
labels = (features[:, 0] * features[:, 1] > 0).float().unsqueeze(1)
features, labels = features.to(device), labels.to(device)

net = nn.Sequential(
    nn.Linear(8, 32),
    nn.ReLU(),
    nn.Linear(32, 32),
    nn.ReLU(),
    nn.Linear(32, 1),
).to(device)

loss_fn = nn.BCEWithLogitsLoss()
optimizer = Adam(params=net.parameters(), lr=1e-3, weight_decay=1e-4)

for epoch in range(10):
    optimizer.zero_grad()
    logits = net(features)
    loss = loss_fn(logits, labels)
    loss.backward()
    optimizer.step()
    acc = ((logits > 0).float() == labels).float().mean()
    print(f"epoch {epoch}: loss={loss.item():.4f} acc={acc.item():.3f}")
