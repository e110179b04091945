# Correct: LoRA zeroes only B; A is random, so B gets a gradient at once and A after B moves.
import torch
import torch.nn as nn


class LoRA(nn.Module):
    def __init__(self, d, rank=4):
        super().__init__()
        self.base = nn.Linear(d, d)
        self.base.requires_grad_(False)
        self.A = nn.Parameter(torch.empty(rank, d))
        self.B = nn.Parameter(torch.zeros(d, rank))
        nn.init.kaiming_uniform_(self.A, a=5 ** 0.5)

    def forward(self, x):
        return self.base(x) + x @ self.A.t() @ self.B.t()


model = LoRA(16)
opt = torch.optim.Adam([model.A, model.B], lr=1e-2)
x = torch.randn(32, 16)
y = x.flip(-1)
for step in range(20):
    opt.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    opt.step()
