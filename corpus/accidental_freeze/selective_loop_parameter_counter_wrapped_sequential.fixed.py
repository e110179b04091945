"""Tabular regressor: a counter over the parameters freezes "the first ten tensors"; the wrapper
holds one Sequential of three Linear layers (six tensors), so the count froze all of them and
the optimizer over what requires grad gets an empty list."""
import torch
import torch.nn as nn

torch.manual_seed(0)
FREEZE_FIRST = 10


class Regressor(nn.Module):
    def __init__(self, features=12):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(features, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))

    def forward(self, x):
        return self.mlp(x).squeeze(-1)


def train():
    model = Regressor()
    seen = 0
    for p in list(model.parameters())[:-len(list(model.mlp[4].parameters()))]:
        seen += 1
        if seen <= FREEZE_FIRST:
            p.requires_grad = False
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    x, y = torch.randn(64, 12), torch.randn(64)
    for epoch in range(10):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


if __name__ == "__main__":
    print(train())
