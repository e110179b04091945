"""The model is wrapped after the optimizer was built, but the wrapper adds no parameters (a fixed
input normalisation and a temperature buffer): the optimizer still holds everything that trains."""
import torch
import torch.nn as nn


class Normalized(nn.Module):
    def __init__(self, inner, mean, std, temperature=2.0):
        super().__init__()
        self.inner = inner
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.register_buffer("temperature", torch.tensor(temperature))

    def forward(self, x):
        return self.inner((x - self.mean) / self.std) / self.temperature


torch.manual_seed(6)
x = 3 + 2 * torch.randn(128, 5)
y = (x[:, 0] > 3).long()

model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
model = Normalized(model, x.mean(dim=0), x.std(dim=0))
for step in range(6):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    print(step, loss.item())
