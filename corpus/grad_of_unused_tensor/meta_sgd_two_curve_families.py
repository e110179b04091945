# Meta-SGD on few-shot curve fitting. Each task is a curve from one of two families (sine waves or
# decaying exponentials) sampled at a few points; a shared MLP trunk feeds one output head per
# family. Besides the initial weights, the meta-learner learns a learning rate for every weight
# entry, which the one-step inner update on the support points uses; both are meta-trained on
# the query points of a meta-batch that mixes the two families.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class CurveNet(nn.Module):
    def __init__(self, hidden=40):
        super().__init__()
        self.trunk1 = nn.Linear(1, hidden)
        self.trunk2 = nn.Linear(hidden, hidden)
        self.heads = nn.ModuleDict({"sine": nn.Linear(hidden, 1), "decay": nn.Linear(hidden, 1)})

    def forward(self, x, family, params):
        h = torch.relu(F.linear(x, params["trunk1.weight"], params["trunk1.bias"]))
        h = torch.relu(F.linear(h, params["trunk2.weight"], params["trunk2.bias"]))
        return F.linear(h, params[f"heads.{family}.weight"], params[f"heads.{family}.bias"])


class MetaSGD(nn.Module):
    def __init__(self, model, init_lr=0.01):
        super().__init__()
        self.model = model
        self.lrs = nn.ParameterList([nn.Parameter(torch.full_like(p, init_lr)) for p in model.parameters()])

    def adapt(self, x, y, family):
        names = [name for name, _ in self.model.named_parameters()]
        weights = list(self.model.parameters())
        loss = F.mse_loss(self.model(x, family, dict(zip(names, weights))), y)
        grads = torch.autograd.grad(
            loss,
            weights,
            create_graph=True,
        )
        return dict(zip(names, [w - lr * g for w, lr, g in zip(weights, self.lrs, grads)]))

    def query_loss(self, task):
        xs, ys, xq, yq, family = task
        fast = self.adapt(xs, ys, family)
        return F.mse_loss(self.model(xq, family, fast), yq)


def sample_task(family, shots=10):
    x = torch.rand(2 * shots, 1) * 4 - 2
    if family == "sine":
        y = torch.empty(1).uniform_(0.5, 2.0) * torch.sin(x + torch.empty(1).uniform_(0, math.pi))
    else:
        y = torch.empty(1).uniform_(0.5, 2.0) * torch.exp(-torch.empty(1).uniform_(0.2, 1.5) * (x + 2))
    return x[:shots], y[:shots], x[shots:], y[shots:], family


torch.manual_seed(0)
meta = MetaSGD(CurveNet())
meta_opt = torch.optim.Adam(meta.parameters(), lr=1e-3)

for iteration in range(60):
    tasks = [sample_task(family) for family in ("sine", "decay", "sine", "decay")]
    loss = torch.stack([meta.query_loss(task) for task in tasks]).mean()
    meta_opt.zero_grad()
    loss.backward()
    meta_opt.step()
    if iteration % 20 == 0:
        print(f"iteration {iteration}: query mse {loss.item():.4f}")
