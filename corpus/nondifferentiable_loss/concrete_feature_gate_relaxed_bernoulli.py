"""Concrete feature selection: a relaxed Bernoulli gate per input feature, annealed temperature."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions.relaxed_bernoulli import RelaxedBernoulli


class ConcreteGate(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(n_features))

    def forward(self, x, temperature):
        if not self.training:
            return x * (self.logits > 0).float()
        gate = RelaxedBernoulli(torch.tensor(temperature), logits=self.logits.expand_as(x))
        return x * gate.sample()

    def sparsity(self):
        return torch.sigmoid(self.logits).mean()


torch.manual_seed(0)
n, d = 800, 30
x = torch.randn(n, d)
y = 2.0 * x[:, 0] - 1.5 * x[:, 4] + 0.5 * x[:, 9] + 0.1 * torch.randn(n)

gate = ConcreteGate(d)
predictor = nn.Sequential(nn.Linear(d, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = torch.optim.Adam([*gate.parameters(), *predictor.parameters()], lr=1e-2)
temperature = 1.0
for epoch in range(4):
    gate.train()
    for i in range(0, n, 100):
        xb, yb = x[i:i + 100], y[i:i + 100]
        pred = predictor(gate(xb, temperature)).squeeze(-1)
        loss = F.mse_loss(pred, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    temperature = max(0.1, temperature * 0.7)
    print(f"epoch {epoch}: mse {loss.item():.4f} open gates {gate.sparsity().item():.2f}")
