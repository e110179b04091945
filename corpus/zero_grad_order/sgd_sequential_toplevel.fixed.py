import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)
x = torch.randn(128, 10)
y = (x.sum(dim=1, keepdim=True) > 0).float()

model = nn.Sequential(
    nn.Linear(10, 32),
    nn.ReLU(),
    nn.Linear(32, 1),
)
optimizer = optim.SGD(model.parameters(), lr=0.1)
criterion = nn.BCEWithLogitsLoss()

for step in range(20):
    optimizer.zero_grad()
    logits = model(x)
    loss = criterion(logits, y)
    loss.backward()
    optimizer.step()
    if step % 5 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
