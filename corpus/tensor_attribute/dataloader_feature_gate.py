import torch
from torch import nn
from torch.optim import Adam
from torch.utils.data import DataLoader, TensorDataset

device = "cpu"


class GatedMLP(nn.Module):
    """Soft feature selection: each input feature is multiplied by a learned gate."""

    def __init__(self, dim=10, hidden=24):
        super().__init__()
        self.gate = torch.full((dim,), 0.5, requires_grad=True)
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x * torch.sigmoid(self.gate))


torch.manual_seed(0)
features = torch.randn(160, 10)
target = features[:, :3].sum(dim=1, keepdim=True)
loader = DataLoader(TensorDataset(features, target), batch_size=32, shuffle=True)

model = GatedMLP().to(device)
optimizer = Adam(model.parameters(), lr=1e-2)
loss_fn = nn.MSELoss()

for epoch in range(2):
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
