# Tabular regressor whose residual blocks create their gates on first use (they size them from
# the input). A sanity check of the output shape runs once, just after the optimizer was built.
import torch
import torch.nn as nn
import torch.optim as optim


class GatedResidual(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        if not hasattr(self, "gate"):
            self.gate = nn.Parameter(torch.zeros(x.shape[-1]))
        return x + torch.sigmoid(self.gate) * torch.relu(self.fc(x))


class Regressor(nn.Module):
    def __init__(self, d_in, width=32, blocks=3):
        super().__init__()
        self.stem = nn.Linear(d_in, width)
        self.blocks = nn.Sequential(*[GatedResidual(width) for _ in range(blocks)])
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        return self.out(self.blocks(self.stem(x))).squeeze(-1)


torch.manual_seed(7)
X = torch.randn(600, 10)
y = X[:, 0] * 2.0 - X[:, 3] + 0.5 * X[:, 5] ** 2

net = Regressor(10)
optimizer = optim.AdamW(net.parameters(), lr=1e-2, weight_decay=1e-4)
print("output shape:", tuple(net(X[:4]).shape))

loss_fn = nn.MSELoss()
for epoch in range(5):
    for start in range(0, 600, 100):
        pred = net(X[start:start + 100])
        loss = loss_fn(pred, y[start:start + 100])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} mse {loss.item():.4f}")
