"""Model selection with snapshots: after every epoch a copy of the model is made (one by
copy.deepcopy, one by loading the state dict into a fresh instance) and evaluated; the best
snapshot is kept. The copies are only evaluated, never trained."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)


class Regressor(nn.Module):
    def __init__(self, width=48):
        super().__init__()
        self.width = width
        self.net = nn.Sequential(nn.Linear(4, width), nn.SiLU(), nn.Linear(width, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


w_true = torch.tensor([1.0, -2.0, 0.5, 3.0])
x_val = torch.randn(128, 4)
y_val = x_val @ w_true

model = Regressor()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
best, best_loss = None, float("inf")
for epoch in range(6):
    for _ in range(20):
        x = torch.randn(64, 4)
        loss = F.mse_loss(model(x), x @ w_true)
        opt.zero_grad()
        loss.backward()
        opt.step()
    snapshot = copy.deepcopy(model).eval()
    restored = Regressor(model.width)
    restored.load_state_dict(model.state_dict())
    with torch.no_grad():
        val_loss = F.mse_loss(snapshot(x_val), y_val).item()
        assert torch.allclose(restored(x_val), snapshot(x_val))
    if val_loss < best_loss:
        best, best_loss = snapshot, val_loss
print(f"best validation loss {best_loss:.4f}")
