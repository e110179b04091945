# Resume training a regression MLP that an earlier run saved whole, with torch.save(model, path).
import io

import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)


class HousePriceMLP(nn.Module):
    def __init__(self, n_features=8):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        return self.out(self.body(x)).squeeze(-1)


def load_checkpoint():
    # stands in for torch.load("checkpoints/last.pt"): the whole module was pickled
    buf = io.BytesIO()
    torch.save(HousePriceMLP(), buf)
    buf.seek(0)
    return torch.load(buf, weights_only=False)


model = load_checkpoint()
optimizer = optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.SmoothL1Loss()

features = torch.randn(256, 8)
prices = features @ torch.randn(8) + 0.1 * torch.randn(256)
for epoch in range(3):
    for start in range(0, 256, 64):
        xb, yb = features[start:start + 64], prices[start:start + 64]
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
