"""Top-1 mixture of experts done right: the chosen expert's output is scaled by its gate probability."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)


class Top1MoE(nn.Module):
    def __init__(self, d=16, n_experts=4):
        super().__init__()
        self.router = nn.Linear(d, n_experts)
        self.experts = nn.ModuleList(nn.Linear(d, d) for _ in range(n_experts))

    def forward(self, x):
        probs = F.softmax(self.router(x), dim=-1)
        gate, choice = probs.max(dim=-1)
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            rows = choice == e
            if rows.any():
                out[rows] = expert(x[rows]) * gate[rows].unsqueeze(-1)
        return out


model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), Top1MoE(), nn.Linear(16, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(20):
    x = torch.randn(24, 6)
    loss = F.mse_loss(model(x), x.sum(1, keepdim=True))
    opt.zero_grad()
    loss.backward()
    opt.step()
    # which expert each sample would take now: a metric under no_grad
    with torch.no_grad():
        usage = model[2].router(model[1](model[0](x))).argmax(-1).bincount(minlength=4)
print(loss.item(), usage.tolist())
