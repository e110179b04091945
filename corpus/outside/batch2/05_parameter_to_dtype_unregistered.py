# Report: https://github.com/davidmrau/mixture-of-experts/issues/12
# What goes wrong: the gate weights are created as nn.Parameter(...).to(dtype); .to() returns a
# plain Tensor, so the gate is not a registered parameter, is not in the optimizer, and never learns.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class MoE(nn.Module):
    def __init__(self, input_size, hidden, num_experts, dtype=torch.float64):
        super().__init__()
        self.experts = nn.ModuleList(
            [nn.Sequential(nn.Linear(input_size, hidden, dtype=dtype), nn.Tanh(),
                           nn.Linear(hidden, 1, dtype=dtype))
             for _ in range(num_experts)]
        )
        self.w_gate = nn.Parameter(torch.zeros(input_size, num_experts), requires_grad=True).to(dtype)

    def forward(self, x):
        gates = F.softmax(x @ self.w_gate, dim=-1)                  # (B, E)
        expert_out = torch.cat([e(x) for e in self.experts], dim=-1)  # (B, E)
        return (gates * expert_out).sum(-1)


def piecewise_target(x):
    # different regime per sign of the first coordinate -> a gate is really needed
    return torch.where(x[:, 0] > 0, torch.sin(3 * x[:, 1]), x[:, 2] ** 2)


def train(model, loader, epochs=12):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(epochs):
        losses = []
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        print(f"epoch {epoch:2d}  mse {sum(losses) / len(losses):.5f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(1024, 8, dtype=torch.float64)
    y = piecewise_target(x)
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    model = MoE(input_size=8, hidden=16, num_experts=4)
    train(model, loader)
