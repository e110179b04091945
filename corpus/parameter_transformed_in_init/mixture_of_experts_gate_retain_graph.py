"""A mixture of small experts blended by a learned gate; the training loop passes retain_graph=True
(added when "backward through the graph a second time" first showed up)."""
import torch
import torch.nn as nn

torch.manual_seed(0)


class SoftMixture(nn.Module):
    def __init__(self, dim, n_experts):
        super().__init__()
        self.experts = nn.ModuleList(nn.Sequential(nn.Linear(dim, 32), nn.Tanh(), nn.Linear(32, 1)) for _ in range(n_experts))
        self.gate = torch.randn(n_experts, requires_grad=True).sigmoid()

    def forward(self, x):
        outputs = torch.cat([expert(x) for expert in self.experts], dim=1)
        weights = self.gate / self.gate.sum()
        return outputs @ weights


x_all = torch.randn(600, 5)
y_all = (x_all[:, :2].sum(1) - x_all[:, 3]).tanh()
model = SoftMixture(5, 3)
optimizer = torch.optim.RMSprop(model.parameters(), lr=3e-3)
loss_fn = nn.MSELoss()

for epoch in range(4):
    for x, y in zip(x_all.split(50), y_all.split(50)):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward(retain_graph=True)
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
