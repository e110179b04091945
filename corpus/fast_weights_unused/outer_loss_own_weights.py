# Meta-learning a regression prior for noisy linear-quadratic tasks.
# The inner loop adapts a list of weights; the meta loss should be the query loss of the adapted
# network.
import torch
import torch.nn as nn
import torch.nn.functional as F


class FunctionalMLP(nn.Module):
    def __init__(self, sizes=(2, 32, 32, 1)):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x, weights=None):
        if weights is None:
            weights = [t for layer in self.layers for t in (layer.weight, layer.bias)]
        for i in range(len(self.layers)):
            x = F.linear(x, weights[2 * i], weights[2 * i + 1])
            if i < len(self.layers) - 1:
                x = torch.tanh(x)
        return x


def make_task(n=20):
    a, b, c = torch.randn(3)
    x = torch.rand(2 * n, 2) * 4 - 2
    y = a * x[:, :1] + b * x[:, 1:] ** 2 + c + 0.05 * torch.randn(2 * n, 1)
    return x[:n], y[:n], x[n:], y[n:]


torch.manual_seed(7)
net = FunctionalMLP()
meta_optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
alpha = 0.05

for it in range(50):
    xs, ys, xq, yq = make_task()
    fast = list(net.parameters())
    for _ in range(3):
        inner_loss = F.mse_loss(net(xs, weights=fast), ys)
        grads = torch.autograd.grad(inner_loss, fast, create_graph=True)
        fast = [w - alpha * g for w, g in zip(fast, grads)]
    query_loss = F.mse_loss(net(xq), yq)
    meta_optimizer.zero_grad()
    query_loss.backward()
    meta_optimizer.step()
    if it % 10 == 0:
        print(f"iteration {it}: query loss after adaptation {query_loss.item():.3f}")
