# Few-shot heteroscedastic regression with a hypernetwork. A set encoder summarises a task's support
# points, and the hypernetwork maps that summary to every weight of a small target MLP with two
# outputs: a mean and a log-variance. The generated weights are fine-tuned with a few gradient
# steps on the support points' squared error, and the hypernetwork is trained on the query
# points' Gaussian negative log-likelihood.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = [(32, 1), (32,), (32, 32), (32,), (1, 32), (1,), (1, 32), (1,)]
INNER_LR, INNER_STEPS = 0.05, 2


class HyperNet(nn.Module):
    def __init__(self, embed=32):
        super().__init__()
        self.set_encoder = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, embed))
        self.generator = nn.Linear(embed, sum(math.prod(s) for s in SHAPES))
        nn.init.normal_(self.generator.weight, std=0.02)

    def forward(self, xs, ys):
        summary = self.set_encoder(torch.cat([xs, ys], dim=1)).mean(0)
        chunks = self.generator(summary).split([math.prod(s) for s in SHAPES])
        return [c.view(s) for c, s in zip(chunks, SHAPES)]


def target_forward(x, weights):
    w1, b1, w2, b2, mean_w, mean_b, logvar_w, logvar_b = weights
    h = torch.tanh(F.linear(x, w1, b1))
    h = torch.tanh(F.linear(h, w2, b2))
    return F.linear(h, mean_w, mean_b), F.linear(h, logvar_w, logvar_b)


def sample_task(shots=10, queries=20):
    amplitude, phase = torch.empty(2).uniform_(0.5, 2.0)
    x = torch.rand(shots + queries, 1) * 6 - 3
    y = amplitude * torch.sin(x + phase) + (0.05 + 0.15 * x.abs()) * torch.randn_like(x)
    return x[:shots], y[:shots], x[shots:], y[shots:]


torch.manual_seed(0)
hypernet = HyperNet()
optimizer = torch.optim.Adam(hypernet.parameters(), lr=1e-3)

for iteration in range(100):
    nll = 0.0
    for _ in range(4):
        xs, ys, xq, yq = sample_task()
        weights = hypernet(xs, ys)
        for _ in range(INNER_STEPS):
            mean, _ = target_forward(xs, weights)
            support_mse = F.mse_loss(mean, ys)
            weights = [w - INNER_LR * g for w, g in zip(weights, torch.autograd.grad(support_mse, weights, create_graph=True, materialize_grads=True))]
        mean, logvar = target_forward(xq, weights)
        nll = nll + F.gaussian_nll_loss(mean, yq, logvar.exp()) / 4
    optimizer.zero_grad()
    nll.backward()
    optimizer.step()
    if iteration % 50 == 0:
        print(f"iteration {iteration}: query nll {nll.item():.3f}")
