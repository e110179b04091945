"""Double backpropagation (Drucker & LeCun): a classifier trained with a penalty on the norm of
its loss's gradient with respect to the inputs, for smoother decision boundaries. The task and
penalty gradients are taken separately with torch.autograd.grad and combined by hand into .grad
before the optimizer step."""
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

n, dim, classes = 600, 16, 4
centers = torch.randn(classes, dim) * 0.6
labels = torch.randint(0, classes, (n,))
inputs = centers[labels] + torch.randn(n, dim)

model = nn.Sequential(nn.Linear(dim, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, classes))
params = list(model.parameters())
optimizer = torch.optim.SGD(params, lr=0.05, momentum=0.9)
lam = 0.1

for epoch in range(10):
    perm = torch.randperm(n)
    for i in range(0, n, 50):
        idx = perm[i:i + 50]
        x = inputs[idx].clone().requires_grad_(True)
        loss = F.cross_entropy(model(x), labels[idx])
        task_grads = torch.autograd.grad(loss, params, retain_graph=True)
        (input_grad,) = torch.autograd.grad(loss, x, create_graph=True)
        penalty = input_grad.pow(2).sum(dim=1).mean()
        penalty_grads = torch.autograd.grad(penalty, params)
        optimizer.zero_grad()
        for p, g, r in zip(params, task_grads, penalty_grads):
            p.grad = g + lam * r
        optimizer.step()
    with torch.no_grad():
        accuracy = (model(inputs).argmax(dim=1) == labels).float().mean()
    print(f"epoch {epoch}: loss {loss.item():.3f} penalty {penalty.item():.4f} accuracy {accuracy:.3f}")
