# Multi-task regression (depth + surface normal norm) weighted by learned homoscedastic uncertainty.
import torch
import torch.nn as nn

device = "cuda" if torch.cuda.is_available() else "cpu"


class TwoHeaded(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(6, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU())
        self.depth = nn.Linear(64, 1)
        self.normal = nn.Linear(64, 1)

    def forward(self, x):
        h = self.trunk(x)
        return self.depth(h), self.normal(h)


torch.manual_seed(0)
x = torch.randn(512, 6, device=device)
depth_t = x[:, :2].sum(1, keepdim=True)
normal_t = 5 * x[:, 2:3].tanh() + torch.randn(512, 1, device=device)

model = TwoHeaded().to(device)
log_vars = nn.Parameter(torch.zeros(2).to(device))
optimizer = torch.optim.Adam([*model.parameters(), log_vars], lr=1e-3)

for step in range(400):
    idx = torch.randint(0, 512, (64,), device=device)
    d_pred, n_pred = model(x[idx])
    losses = torch.stack([
        nn.functional.mse_loss(d_pred, depth_t[idx]),
        nn.functional.mse_loss(n_pred, normal_t[idx]),
    ])
    loss = (torch.exp(-log_vars) * losses + log_vars).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(f"step {step}: {losses.tolist()} log_vars {log_vars.tolist()}")
