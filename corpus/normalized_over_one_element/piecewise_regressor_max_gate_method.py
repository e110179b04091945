# A hard-routed mixture of linear regressors for a piecewise target. The routing helper keeps the
# best gate score with .max(keepdim=True) and then normalises what it kept: the softmax of one
# value is 1.0, so the gating network gets a zero gradient and keeps its random partition.
import torch
from torch import nn

torch.manual_seed(0)


def route(scores):
    gate, choice = scores.max(dim=-1, keepdim=True)
    gate = gate.softmax(dim=-1)
    return gate, choice


class HardMixture(nn.Module):
    def __init__(self, n_pieces=3):
        super().__init__()
        self.gating = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, n_pieces))
        self.pieces = nn.Linear(1, n_pieces)

    def forward(self, x):
        gate, choice = route(self.gating(x))
        every = self.pieces(x)
        return gate * every.gather(1, choice)


x = torch.linspace(-3, 3, 300).unsqueeze(1)
y = torch.where(x < -1, -2 * x - 3, torch.where(x < 1, x.clone(), 3 - x))
model = HardMixture()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(200):
    batch = torch.randint(0, 300, (64,))
    loss = ((model(x[batch]) - y[batch]) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
