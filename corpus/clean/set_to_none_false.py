import torch
import torch.nn as nn
from torch.optim import SGD

torch.manual_seed(0)
x = torch.randn(100, 3)
y = 3 * x[:, :1] - x[:, 2:] + 0.1 * torch.randn(100, 1)

model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
criterion = nn.MSELoss()

for step in range(15):
    optimizer.zero_grad(set_to_none=False)
    pred = model(x)
    loss = criterion(pred, y)
    loss.backward()
    optimizer.step()
    if step % 5 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
