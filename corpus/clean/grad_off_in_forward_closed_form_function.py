# Correct: a custom Function whose forward computes in closed form (no differentiation inside),
# trained with a gradient penalty that calls torch.autograd.grad in the training loop, where
# gradients are on.
import torch
import torch.nn as nn
from torch.autograd import Function


class ScaledSoftsign(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x / (1 + x.abs())

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * ctx.scale / (1 + x.abs()) ** 2, None


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 32)
        self.fc2 = nn.Linear(32, 1)

    def forward(self, x):
        return self.fc2(ScaledSoftsign.apply(self.fc1(x), 2.0))


torch.manual_seed(0)
critic = Critic()
opt = torch.optim.Adam(critic.parameters(), lr=1e-3)
for step in range(50):
    real = torch.randn(16, 4) + 1.0
    fake = torch.randn(16, 4)
    mix = (0.5 * real + 0.5 * fake).requires_grad_()
    (slopes,) = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
    penalty = ((slopes.norm(dim=1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
