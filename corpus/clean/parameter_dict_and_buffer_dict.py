# Correct: per-domain scales in an nn.ParameterDict (registered), and fixed per-domain statistics
# in a plain dict of tensors that need no gradient.
import torch
import torch.nn as nn

DOMAINS = ("a", "b")


class DomainNorm(nn.Module):
    def __init__(self, dim=8):
        super().__init__()
        self.scale = nn.ParameterDict({d: nn.Parameter(torch.ones(dim)) for d in DOMAINS})
        self.stats = {d: (torch.randn(dim), torch.rand(dim) + 0.5) for d in DOMAINS}
        self.fc = nn.Linear(dim, 1)

    def forward(self, x, domain):
        mean, std = self.stats[domain]
        return self.fc((x - mean) / std * self.scale[domain])


model = DomainNorm()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
x, y = torch.randn(32, 8), torch.randn(32, 1)
for step in range(20):
    for d in DOMAINS:
        opt.zero_grad()
        nn.functional.mse_loss(model(x, d), y).backward()
        opt.step()
