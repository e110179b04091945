"""MAML whose meta objective mixes the adapted query loss with a small un-adapted term (the
pre-adaptation loss keeps the initialisation itself useful), followed by plain fine-tuning of the
meta-learned network on one new task. Correct: every inner step passes the fast weights."""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(1, 32)
        self.l2 = nn.Linear(32, 1)

    def forward(self, x, params=None):
        if params is None:
            params = OrderedDict(self.named_parameters())
        h = torch.relu(F.linear(x, params["l1.weight"], params["l1.bias"]))
        return F.linear(h, params["l2.weight"], params["l2.bias"])


def task(n=10):
    slope, shift = torch.randn(2)
    x = torch.randn(2 * n, 1)
    y = slope * x + shift
    return x[:n], y[:n], x[n:], y[n:]


torch.manual_seed(2)
model = Regressor()
meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for it in range(20):
    xs, ys, xq, yq = task()
    fast = OrderedDict(model.named_parameters())
    for _ in range(2):
        loss = F.mse_loss(model(xs, params=fast), ys)
        grads = torch.autograd.grad(loss, list(fast.values()), create_graph=True)
        fast = OrderedDict((n, w - 0.05 * g) for (n, w), g in zip(fast.items(), grads))
    before_adaptation = F.mse_loss(model(xq), yq)
    meta_loss = F.mse_loss(model(xq, params=fast), yq) + 0.1 * before_adaptation
    meta_opt.zero_grad()
    meta_loss.backward()
    meta_opt.step()
    if it % 5 == 0:
        print(f"it {it}: before {before_adaptation.item():.3f} meta {meta_loss.item():.3f}")

# Fine-tune the meta-learned initialisation on one new task, as an ordinary network.
xs, ys, xq, yq = task(40)
finetune_opt = torch.optim.SGD(model.parameters(), lr=0.01)
for epoch in range(20):
    finetune_opt.zero_grad()
    loss = F.mse_loss(model(xs), ys)
    loss.backward()
    finetune_opt.step()
print(f"fine-tuned query loss {F.mse_loss(model(xq), yq).item():.3f}")
