# Report: https://github.com/pytorch/pytorch/issues/32091
# An implicit (argmin) layer is a custom autograd.Function whose forward solves its inner
# problem by gradient descent with torch.autograd.grad. Function.forward always runs with grad
# mode off, so the inner objective has no graph: the first training step fails with "element 0 of
# tensors does not require grad and does not have a grad_fn".
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

hparams = {"lam": 0.5, "inner_iters": 30, "inner_lr": 0.5, "lr": 1e-2, "epochs": 5, "batches": 8}


class ArgminLayer(torch.autograd.Function):
    """y* = argmin_y 0.5*||y||^2 - <y, z> + lam * sum(log cosh y)."""

    @staticmethod
    def forward(ctx, z, lam, iters, step):
        y = z.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            for _ in range(iters):
                objective = (0.5 * y.pow(2) - y * z + lam * torch.log(torch.cosh(y))).sum()
                (grad,) = torch.autograd.grad(objective, y)
                y = (y - step * grad).detach().requires_grad_(True)
        y = y.detach()
        ctx.save_for_backward(y)
        ctx.lam = lam
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        # implicit function theorem: the Hessian in y is diagonal, d2f/dy dz = -1
        hessian = 1.0 + ctx.lam / torch.cosh(y).pow(2)
        return grad_output / hessian, None, None, None


class DeclarativeNet(nn.Module):
    def __init__(self, in_dim=20, hidden=32, n_classes=4, **kw):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.head = nn.Linear(hidden, n_classes)
        self.lam, self.iters, self.step = kw["lam"], kw["inner_iters"], kw["inner_lr"]

    def forward(self, x):
        z = self.encoder(x)
        y = ArgminLayer.apply(z, self.lam, self.iters, self.step)
        return self.head(y)


model = DeclarativeNet(lam=hparams["lam"], inner_iters=hparams["inner_iters"], inner_lr=hparams["inner_lr"]).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=hparams["lr"])
centers = torch.randn(4, 20) * 2
for epoch in range(hparams["epochs"]):
    for _ in range(hparams["batches"]):
        y = torch.randint(0, 4, (32,))
        x = (centers[y] + torch.randn(32, 20)).to(device)
        loss = F.cross_entropy(model(x), y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
