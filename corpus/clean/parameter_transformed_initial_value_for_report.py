"""A learned per-feature gain whose value at initialisation is kept, computed once in __init__, to
report how far training moved it; only the parameter itself enters the loss."""
import torch
import torch.nn as nn

torch.manual_seed(0)


class GainedRegressor(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.log_gain = nn.Parameter(torch.full((n_features,), -0.5))
        self.initial_gain = self.log_gain.exp()
        self.linear = nn.Linear(n_features, 1)

    def forward(self, x):
        return self.linear(x * torch.exp(self.log_gain)).squeeze(-1)


model = GainedRegressor(6)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)
for step in range(50):
    x = torch.randn(64, 6)
    y = x[:, 0] * 3 - x[:, 4]
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
moved = (model.log_gain.exp() - model.initial_gain).abs().max().item()
print(f"loss {loss.item():.4f}, largest gain change {moved:.3f}")
