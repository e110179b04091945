import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)


class SimpleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 16)
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


# toy regression data
x = torch.randn(64, 10)
y = x.sum(dim=1, keepdim=True) + 0.1 * torch.randn(64, 1)

model = SimpleNet()
criterion = nn.MSELoss()
optimizer = optim.SGD([], lr=0.01)

for step in range(20):
    optimizer.zero_grad()
    pred = model(x)
    loss = criterion(pred, y)
    loss.backward()
    optimizer.step()
    if step % 5 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
