"""Gradients taken with torch.autograd.grad (as a meta-learning inner loop would) and handed to
the optimizer through .grad by hand; no loss.backward() anywhere."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 1))
params = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.Adam(params, lr=1e-2)
x, y = torch.randn(64, 5), torch.randn(64, 1)

for step in range(20):
    loss = F.mse_loss(model(x), y)
    grads = torch.autograd.grad(loss, params)
    for p, g in zip(params, grads):
        p.grad = g.clamp(-1.0, 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if step % 5 == 0:
        print(step, loss.item())
