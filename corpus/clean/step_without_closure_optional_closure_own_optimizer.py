"""An optimizer of the script's own (sign SGD with momentum) whose step() takes an optional
closure, as torch.optim's do: stepped the plain way after backward(), which it allows."""
import torch
import torch.nn as nn


class SignMomentum(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, beta=0.9):
        super().__init__(params, dict(lr=lr, beta=beta))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                buf = self.state[p].setdefault("momentum", torch.zeros_like(p))
                buf.mul_(group["beta"]).add_(p.grad, alpha=1 - group["beta"])
                p.add_(buf.sign(), alpha=-group["lr"])
        return loss


torch.manual_seed(0)
x = torch.randn(256, 10)
y = (x[:, :3].sum(1, keepdim=True) > 0).float()
model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))
opt = SignMomentum(model.parameters(), lr=5e-3)
criterion = nn.BCEWithLogitsLoss()
for epoch in range(20):
    for xb, yb in zip(x.split(64), y.split(64)):
        opt.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
