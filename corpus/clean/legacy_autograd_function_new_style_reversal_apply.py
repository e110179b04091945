"""A gradient reversal layer written new-style: static forward and backward, the coefficient
passed to apply and kept on ctx; the module around it keeps the schedule."""
import torch
import torch.nn.functional as F
from torch import nn


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coeff):
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.coeff * grad_output, None


class Reversal(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return GradReverse.apply(x, min(1.0, self.calls / 10))


torch.manual_seed(0)
encoder, head, critic, reversal = nn.Linear(10, 16), nn.Linear(16, 2), nn.Linear(16, 1), Reversal()
optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters(), *critic.parameters()], lr=1e-2)
for step in range(20):
    x, y = torch.randn(32, 10), torch.randint(0, 2, (32,))
    z = torch.relu(encoder(x))
    loss = F.cross_entropy(head(z), y) + critic(reversal(z)).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
