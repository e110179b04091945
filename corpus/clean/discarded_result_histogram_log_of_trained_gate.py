# Feature selection for a tabular credit-default model: each of 20 inputs passes through a
# learned sigmoid gate before a small MLP; an L1 penalty on the gates pushes the useless inputs
# towards zero. Every 20 steps the gates are recorded as a histogram in an in-memory log.
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
FEATURES, ROWS = 20, 2048


class HistogramLog:
    """A small stand-in for a TensorBoard writer: keeps histograms in memory."""

    def __init__(self):
        self.records = []

    def add_histogram(self, tag, values, global_step, bins=10):
        values = values.detach().flatten()
        counts = torch.histc(values, bins=bins, min=0.0, max=1.0)
        self.records.append((tag, global_step, counts.tolist()))


class GatedMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate_logit = nn.Parameter(torch.full((FEATURES,), 2.0))
        self.mlp = nn.Sequential(nn.Linear(FEATURES, 32), nn.ReLU(), nn.Linear(32, 1))

    def gates(self):
        return torch.sigmoid(self.gate_logit)

    def forward(self, x):
        return self.mlp(x * self.gates()).squeeze(-1)


x = torch.randn(ROWS, FEATURES)
logit = 1.5 * x[:, 0] - 2.0 * x[:, 3] + x[:, 7] * x[:, 8] - 0.5
default = (torch.rand(ROWS) < torch.sigmoid(logit)).float()

model = GatedMLP()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
log = HistogramLog()

for step in range(300):
    idx = torch.randint(0, ROWS, (128,))
    loss = F.binary_cross_entropy_with_logits(model(x[idx]), default[idx]) + 3e-2 * model.gates().mean() * FEATURES
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        log.add_histogram("gates", torch.sigmoid(model.gate_logit), step)

kept = (model.gates() > 0.5).nonzero().squeeze(1).tolist()
print(f"loss {loss.item():.4f}  inputs kept {kept}  histograms logged {len(log.records)}")
