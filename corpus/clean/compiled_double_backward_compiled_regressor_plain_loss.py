"""A compiled MLP regressor for a noisy 1-D function, trained with a plain MSE loss: one
backward per step through the compiled graph, which AOTAutograd supports."""
import torch
from torch import nn

torch.manual_seed(0)


class Regressor(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                 nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x)


x_train = torch.linspace(-3, 3, 512)[:, None]
y_train = torch.sin(2 * x_train) + 0.1 * torch.randn_like(x_train)
model = Regressor()
model = torch.compile(model, backend="aot_eager")
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(10):
    perm = torch.randperm(512)
    for i in range(0, 512, 128):
        idx = perm[i:i + 128]
        loss = nn.functional.mse_loss(model(x_train[idx]), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if epoch % 3 == 0:
        print(f"epoch {epoch}: {loss.item():.4f}")
