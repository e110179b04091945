"""Mixture of experts with a hard Gumbel-softmax router (straight-through), and a load count."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class HardRoutedExperts(nn.Module):
    def __init__(self, dim=16, n_experts=4):
        super().__init__()
        self.router = nn.Linear(dim, n_experts)
        self.experts = nn.ModuleList(nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, 1)) for _ in range(n_experts))
        self.load = torch.zeros(n_experts)

    def forward(self, x, tau=1.0):
        route = F.gumbel_softmax(self.router(x), tau=tau, hard=True)  # one-hot forward, soft backward
        chosen = route.argmax(dim=-1)
        self.load += torch.bincount(chosen, minlength=len(self.experts)).float()
        outputs = torch.stack([expert(x) for expert in self.experts], dim=1).squeeze(-1)
        return (route * outputs).sum(-1)


torch.manual_seed(0)
x = torch.randn(1024, 16)
y = torch.where(x[:, 0] > 0, x[:, 1] * 2, -x[:, 2])
model = HardRoutedExperts()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(4):
    for i in range(0, len(x), 128):
        loss = F.mse_loss(model(x[i:i + 128]), y[i:i + 128])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: mse {loss.item():.4f} load {model.load.tolist()}")
