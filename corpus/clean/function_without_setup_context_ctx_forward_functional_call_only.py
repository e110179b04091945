"""An old-style Function (forward(ctx, ...), no setup_context) in a model run through
torch.func.functional_call with parameters held outside the module, trained with an ordinary
loss.backward(). functional_call swaps the parameters in; it is no transform (no vmap, grad or
jacrev), so the old style works and the parameters train."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call


class BetaSoftplus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        ctx.save_for_backward(x)
        ctx.beta = beta
        return F.softplus(x * beta) / beta

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x * ctx.beta), None


class Regressor(nn.Module):
    def __init__(self, beta=2.0):
        super().__init__()
        self.hidden = nn.Linear(6, 32)
        self.out = nn.Linear(32, 1)
        self.beta = beta

    def forward(self, x):
        return self.out(BetaSoftplus.apply(self.hidden(x), self.beta)).squeeze(-1)


torch.manual_seed(0)
model = Regressor()
# Fast weights kept apart from the module (as a hypernetwork or a meta-learner would hold them).
weights = {name: p.detach().clone().requires_grad_() for name, p in model.named_parameters()}
optimizer = torch.optim.Adam(weights.values(), lr=1e-2)
x_train = torch.randn(320, 6)
y_train = x_train[:, 0] * x_train[:, 1] + torch.relu(x_train[:, 2]) + 0.05 * torch.randn(320)

for epoch in range(6):
    for i in range(0, len(x_train), 64):
        x, y = x_train[i:i + 64], y_train[i:i + 64]
        loss = F.mse_loss(functional_call(model, weights, (x,)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
