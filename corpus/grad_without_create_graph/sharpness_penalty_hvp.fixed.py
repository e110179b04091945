"""A regression MLP trained with a curvature (sharpness) penalty: each step estimates v^T H v
along a random unit direction v with a Hessian-vector product, and adds it to the loss so the
optimizer prefers flat minima. The HVP is a separate helper that differentiates the loss's
gradient a second time."""
import torch
from torch import nn

torch.manual_seed(0)


def hessian_vector_product(grads, params, vector):
    dot = sum((g * v).sum() for g, v in zip(grads, vector))
    return torch.autograd.grad(dot, params, create_graph=True)


features = torch.randn(512, 10)
targets = torch.sin(features[:, :1] * 2) + 0.5 * features[:, 1:2] ** 2 + 0.05 * torch.randn(512, 1)
model = nn.Sequential(nn.Linear(10, 64), nn.Softplus(), nn.Linear(64, 64), nn.Softplus(), nn.Linear(64, 1))
params = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.Adam(params, lr=1e-3)
penalty_weight = 0.01

for epoch in range(20):
    perm = torch.randperm(512)
    for i in range(0, 512, 64):
        idx = perm[i:i + 64]
        loss = nn.functional.mse_loss(model(features[idx]), targets[idx])
        grads = torch.autograd.grad(loss, params, create_graph=True)
        direction = [torch.randn_like(p) for p in params]
        norm = torch.sqrt(sum((d ** 2).sum() for d in direction))
        direction = [d / norm for d in direction]
        hv = hessian_vector_product(grads, params, direction)
        curvature = sum((h * d).sum() for h, d in zip(hv, direction))
        total = loss + penalty_weight * curvature.abs()
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    print(f"epoch {epoch}: mse {loss.item():.4f} curvature {curvature.item():.4f}")
