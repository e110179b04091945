# A deep-equilibrium style block: the helper finds the minimiser of a convex potential by gradient
# descent with torch.autograd.grad; a custom Function calls it in forward and backpropagates with
# a one-step (Jacobian-free) approximation.
import torch
import torch.nn as nn

CONFIG = {"iters": 20, "step": 0.3, "epochs": 30}


def minimise_potential(bias, iters, step):
    z = torch.zeros_like(bias).requires_grad_()
    for _ in range(iters):
        potential = (0.5 * z ** 2 + torch.nn.functional.softplus(z) - z * bias).sum()
        (dz,) = torch.autograd.grad(potential, z)
        z = (z - step * dz).detach().requires_grad_()
    return z.detach()


class ImplicitSoftplus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, bias):
        z = minimise_potential(bias, CONFIG["iters"], CONFIG["step"])
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        curvature = 1.0 + torch.sigmoid(z) * (1 - torch.sigmoid(z))
        return grad_output / curvature


encoder = nn.Linear(10, 24)
decoder = nn.Linear(24, 1)
optimizer = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-2)
torch.manual_seed(2)
data = torch.randn(256, 10)
targets = data[:, :3].sum(dim=1, keepdim=True)
for epoch in range(CONFIG["epochs"]):
    for i in range(0, 256, 64):
        pred = decoder(ImplicitSoftplus.apply(encoder(data[i : i + 64])))
        loss = ((pred - targets[i : i + 64]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
