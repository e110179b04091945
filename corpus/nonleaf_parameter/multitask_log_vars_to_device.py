# Multi-task regression with learned uncertainty weights (Kendall et al.): the log-variances are
# made trainable, then moved to the device.
import torch
import torch.nn as nn

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.shared = nn.Sequential(nn.Linear(8, 32), nn.ReLU())
        self.depth = nn.Linear(32, 1)
        self.normal = nn.Linear(32, 3)

    def forward(self, x):
        h = self.shared(x)
        return self.depth(h), self.normal(h)


model = TwoHeads().to(DEVICE)
log_vars = torch.zeros(2).requires_grad_(True).to(DEVICE)
optimizer = torch.optim.Adam([
    {"params": model.parameters()},
    {"params": [log_vars], "lr": 1e-2},
], lr=1e-3)

torch.manual_seed(0)
x = torch.randn(256, 8, device=DEVICE)
depth_t = x[:, :1] * 2.0
normal_t = torch.tanh(x[:, 1:4])
for step in range(50):
    depth, normal = model(x)
    losses = torch.stack([((depth - depth_t) ** 2).mean(), ((normal - normal_t) ** 2).mean()])
    loss = (torch.exp(-log_vars) * losses + log_vars).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item(), log_vars.tolist())
