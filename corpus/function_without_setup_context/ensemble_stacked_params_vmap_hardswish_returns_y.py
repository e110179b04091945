"""Five small regressors trained at once: their parameters are stacked with stack_module_state
and the forward is vmap'ed over the ensemble dimension. The hidden activation is a hand-written
hard-swish whose result is called y."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap


class HardSwish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x * torch.clamp(x + 3.0, 0.0, 6.0) / 6.0
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        slope = torch.where(x < -3.0, torch.zeros_like(x), torch.where(x > 3.0, torch.ones_like(x), (2.0 * x + 3.0) / 6.0))
        return grad_output * slope


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 24)
        self.out = nn.Linear(24, 1)

    def forward(self, x):
        return self.out(HardSwish.apply(self.hidden(x))).squeeze(-1)


torch.manual_seed(0)
n_members = 5
members = [Regressor() for _ in range(n_members)]
params, buffers = stack_module_state(members)
skeleton = copy.deepcopy(members[0]).to("meta")


def member_forward(p, b, x):
    return functional_call(skeleton, (p, b), (x,))


x_train = torch.rand(400, 4) * 4 - 2
y_train = torch.sin(x_train[:, 0]) + 0.5 * x_train[:, 1] * x_train[:, 2] + 0.1 * torch.randn(400)
optimizer = torch.optim.Adam(params.values(), lr=5e-3)
ensemble = vmap(member_forward, in_dims=(0, 0, None))

for epoch in range(6):
    for i in range(0, len(x_train), 100):
        x, y = x_train[i:i + 100], y_train[i:i + 100]
        preds = ensemble(params, buffers, x)  # [members, batch]
        loss = F.mse_loss(preds, y.expand(n_members, -1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        spread = ensemble(params, buffers, x_train).std(0).mean().item()
    print(f"epoch {epoch}: loss {loss.item():.4f} member spread {spread:.3f}")
