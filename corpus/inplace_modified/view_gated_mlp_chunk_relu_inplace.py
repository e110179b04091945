"""A gated MLP regressor (value * relu(gate) per layer) on a synthetic tabular task."""
import torch
from torch import nn
import torch.nn.functional as F


class GatedLayer(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.fc = nn.Linear(d_in, 2 * d_out)

    def forward(self, x):
        value, gate = self.fc(x).chunk(2, dim=-1)
        F.relu(gate, inplace=True)
        return value * gate


def build(d_in=12, hidden=48):
    return nn.Sequential(GatedLayer(d_in, hidden), GatedLayer(hidden, hidden), nn.Linear(hidden, 1))


def train(model, xs, ys, epochs=3, batch_size=32):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        perm = torch.randperm(len(xs))
        for i in range(0, len(xs), batch_size):
            idx = perm[i:i + batch_size]
            loss = F.smooth_l1_loss(model(xs[idx]).squeeze(-1), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(11)
    xs = torch.randn(320, 12)
    ys = xs[:, :4].sum(-1) - xs[:, 4:8].prod(-1)
    train(build(), xs, ys)
