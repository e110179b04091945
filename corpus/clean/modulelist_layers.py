import torch
import torch.nn as nn
import torch.optim as optim


class StackedMLP(nn.Module):
    def __init__(self, in_dim=8, width=32, depth=3, classes=3):
        super().__init__()
        self.inp = nn.Linear(in_dim, width)
        self.layers = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.norms = nn.ModuleList()
        for _ in range(depth):
            self.norms.append(nn.LayerNorm(width))
        self.out = nn.Linear(width, classes)

    def forward(self, x):
        x = torch.relu(self.inp(x))
        for layer, norm in zip(self.layers, self.norms):
            x = norm(x + torch.relu(layer(x)))
        return self.out(x)


torch.manual_seed(0)
x = torch.randn(128, 8)
y = torch.randint(0, 3, (128,))

model = StackedMLP()
optimizer = optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()

for epoch in range(6):
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
