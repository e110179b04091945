# Pattern: https://pytorch.org/tutorials/intermediate/per_sample_grads.html
# Looks like a fault but is intended: the forward for training runs through
# torch.func.functional_call on *detached* copies of the weights, so loss.backward() is never
# called and the model's parameters get no autograd gradient. The per-sample gradients are
# clipped, averaged and noised (DP-SGD), then written into p.grad by hand before optimizer.step().
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

dp = {"max_grad_norm": 1.0, "noise_multiplier": 0.5, "lr": 0.05, "batch_size": 64, "epochs": 3}


class TabularNet(nn.Module):
    def __init__(self, in_dim=20, hidden=32, n_classes=2):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


model = TabularNet().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=dp["lr"], momentum=0.9)

X = torch.randn(640, 20)
Y = (X[:, :5].sum(1) > 0).long()


def compute_loss(params, buffers, sample, target):
    out = functional_call(model, (params, buffers), (sample.unsqueeze(0),))
    return F.cross_entropy(out, target.unsqueeze(0))


per_sample_grad_fn = vmap(grad(compute_loss), in_dims=(None, None, 0, 0))


def dp_step(xb, yb):
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}
    grads = per_sample_grad_fn(params, buffers, xb, yb)             # each [B, *shape]

    norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads.values()], 1).norm(dim=1)
    factor = (dp["max_grad_norm"] / (norms + 1e-6)).clamp(max=1.0)
    optimizer.zero_grad(set_to_none=True)
    for name, p in model.named_parameters():
        g = (grads[name] * factor.view(-1, *[1] * (grads[name].dim() - 1))).sum(0)
        g += torch.randn_like(g) * dp["noise_multiplier"] * dp["max_grad_norm"]
        p.grad = g / xb.shape[0]
    optimizer.step()


for epoch in range(dp["epochs"]):
    perm = torch.randperm(len(Y))
    for i in range(0, len(Y), dp["batch_size"]):
        idx = perm[i:i + dp["batch_size"]]
        dp_step(X[idx].to(device), Y[idx].to(device))
    with torch.no_grad():
        acc = (model(X.to(device)).argmax(1) == Y.to(device)).float().mean().item()
    print(f"epoch {epoch} train acc {acc:.3f}")
