import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

X = torch.randn(128, 16)
y = (X[:, :4].sum(dim=1, keepdim=True) > 0).float()

model = nn.Sequential(
    nn.Linear(16, 32),
    nn.ReLU(),
    nn.Linear(32, 32),
    nn.ReLU(),
    nn.Linear(32, 1),
)

# keep the input projection fixed while the head warms up
for p in model[0].parameters():
    p.requires_grad = False

optimizer = optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.BCEWithLogitsLoss()

for step in range(20):
    optimizer.zero_grad()
    logits = model(X)
    loss = criterion(logits, y)
    loss.backward()
    optimizer.step()
    if step % 5 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
