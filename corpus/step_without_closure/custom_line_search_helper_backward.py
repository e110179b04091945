"""A gradient descent with a backtracking line search of the script's own: its step() needs a
closure to evaluate the loss at trial points. The training loop computes the loss and calls
backward() in a helper, then steps without a closure."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BacktrackingGD(torch.optim.Optimizer):
    def __init__(self, params, lr=1.0, shrink=0.5, tries=6):
        super().__init__(params, dict(lr=lr, shrink=shrink, tries=tries))

    @torch.no_grad()
    def step(self, closure):
        closure = torch.enable_grad()(closure)
        loss = float(closure())
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            start = [p.detach().clone() for p in params]
            grads = [p.grad.detach().clone() for p in params]
            sq = sum(float((g * g).sum()) for g in grads)
            rate = group["lr"]
            for _ in range(group["tries"]):
                for p, p0, g in zip(params, start, grads):
                    p.copy_(p0 - rate * g)
                if float(closure()) <= loss - 1e-4 * rate * sq:
                    break
                rate *= group["shrink"]
        return loss


def compute_and_backprop(model, x, y):
    loss = F.smooth_l1_loss(model(x), y)
    loss.backward()
    return loss


torch.manual_seed(0)
X = torch.randn(160, 4)
Y = X @ torch.tensor([[1.0], [-2.0], [0.5], [0.0]]) + 0.3
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
opt = BacktrackingGD(model.parameters(), lr=0.5)
losses = []
for it in range(25):
    opt.zero_grad()
    loss = compute_and_backprop(model, X, Y)
    opt.step()
    losses.append(loss.item())
print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}")
