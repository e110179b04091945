"""Multi-domain MAML: one shared trunk and a head per domain; a task uses only its domain's head,
so the inner gradients of the other head are None on purpose (allow_unused=True)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiHead(nn.Module):
    def __init__(self, dim=8, hidden=32, domains=2):
        super().__init__()
        self.trunk = nn.Linear(dim, hidden)
        self.heads = nn.ModuleList(nn.Linear(hidden, 1) for _ in range(domains))

    def forward(self, x, domain, params=None):
        if params is None:
            params = dict(self.named_parameters())
        h = torch.tanh(F.linear(x, params["trunk.weight"], params["trunk.bias"]))
        return F.linear(h, params[f"heads.{domain}.weight"], params[f"heads.{domain}.bias"])


def make_task(domain, n=12, dim=8):
    w = torch.randn(dim, 1) * (1 + domain)
    x = torch.randn(2 * n, dim)
    y = x @ w
    return x[:n], y[:n], x[n:], y[n:]


torch.manual_seed(6)
model = MultiHead()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for it in range(20):
    opt.zero_grad()
    total = 0.0
    for domain in (0, 1):
        xs, ys, xq, yq = make_task(domain)
        params = dict(model.named_parameters())
        for _ in range(2):
            loss = F.mse_loss(model(xs, domain, params=params), ys)
            grads = torch.autograd.grad(loss, list(params.values()), create_graph=True, allow_unused=True)
            params = {n: p if g is None else p - 0.01 * g for (n, p), g in zip(params.items(), grads)}
        total = total + F.mse_loss(model(xq, domain, params=params), yq)
    total.backward()
    opt.step()
    if it % 5 == 0:
        print(f"it {it}: query loss {total.item():.3f}")
