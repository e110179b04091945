"""A regression MLP trained with plain MSE, with a sharpness monitor: every few epochs, the top
eigenvalue of the loss's Hessian is estimated by power iteration on Hessian-vector products. The
first gradient is taken with create_graph=True, since each product differentiates it again; the
products themselves are only read (they feed the next iterate), so they are taken without it."""
import torch
from torch import nn

torch.manual_seed(0)


def top_hessian_eigenvalue(loss, params, iterations=10):
    grads = torch.autograd.grad(loss, params, create_graph=True)
    vector = [torch.randn_like(p) for p in params]
    eigenvalue = torch.tensor(0.0)
    for _ in range(iterations):
        norm = torch.sqrt(sum((v ** 2).sum() for v in vector))
        vector = [v / norm for v in vector]
        dot = sum((g * v).sum() for g, v in zip(grads, vector))
        hv = torch.autograd.grad(dot, params, retain_graph=True)
        eigenvalue = sum((h * v).sum() for h, v in zip(hv, vector))
        vector = [h.detach() for h in hv]
    return eigenvalue.item()


features = torch.randn(512, 10)
targets = torch.sin(features[:, :1] * 2) + 0.5 * features[:, 1:2] ** 2 + 0.05 * torch.randn(512, 1)
model = nn.Sequential(nn.Linear(10, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
params = list(model.parameters())
optimizer = torch.optim.SGD(params, lr=0.05, momentum=0.9)

for epoch in range(20):
    perm = torch.randperm(512)
    for i in range(0, 512, 64):
        idx = perm[i:i + 64]
        loss = nn.functional.mse_loss(model(features[idx]), targets[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if epoch % 5 == 0:
        full = nn.functional.mse_loss(model(features), targets)
        print(f"epoch {epoch}: mse {full.item():.4f}, sharpness {top_hessian_eigenvalue(full, params):.3f}")
