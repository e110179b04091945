import torch
import torch.nn as nn
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 16)
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


torch.manual_seed(0)
x = torch.randn(100, 4)
y = x[:, :1] - 2 * x[:, 3:] + 0.1 * torch.randn(100, 1)

model = Net()
criterion = nn.MSELoss()

# re-create the model under a fixed seed so the init is reproducible
torch.manual_seed(42)
model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(10):
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
