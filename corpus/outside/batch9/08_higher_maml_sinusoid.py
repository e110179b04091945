"""MAML on sinusoid regression with a `higher`-style differentiable inner loop.

`innerloop_ctx` / `DifferentiableSGD` below follow the API of facebookresearch/higher
(monkeypatched functional copy of the model + differentiable optimizer), kept in
this file so the example is self contained.
"""
import contextlib
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

device = "cuda" if torch.cuda.is_available() else "cpu"

args = dict(n_inner_iter=2, meta_batch=4, k_shot=10, k_query=10, meta_lr=1e-3, n_epochs=3, tasks_per_epoch=3)


class MonkeyPatched(nn.Module):
    """Stateless view of `module` whose parameters are an explicit, time-indexed list."""
    def __init__(self, module, params):
        super().__init__()
        object.__setattr__(self, "_reference_module", module)
        self._param_names = [n for n, _ in module.named_parameters()]
        self._fast_params = [list(params)]

    def parameters(self, time=-1):
        return iter(self._fast_params[time])

    def update_params(self, params):
        self._fast_params.append(list(params))

    def forward(self, *args, params=None):
        params = self._fast_params[-1] if params is None else params
        return functional_call(self._reference_module, dict(zip(self._param_names, params)), args)


class DifferentiableSGD:
    def __init__(self, other_optimizer, fmodel, track_higher_grads=True):
        self.lr = other_optimizer.param_groups[0]["lr"]
        self.fmodel = fmodel
        self.track_higher_grads = track_higher_grads

    def step(self, loss):
        grads = torch.autograd.grad(loss, list(self.fmodel.parameters()),
                                    create_graph=self.track_higher_grads, allow_unused=True)
        new_params = [p if g is None else p - self.lr * g for p, g in zip(self.fmodel.parameters(), grads)]
        self.fmodel.update_params(new_params)
        return new_params


def monkeypatch(module, copy_initial_weights=True):
    if copy_initial_weights:
        params = [p.clone().detach().requires_grad_(p.requires_grad) for p in module.parameters()]
    else:
        params = list(module.parameters())
    return MonkeyPatched(module, params)


@contextlib.contextmanager
def innerloop_ctx(model, opt, copy_initial_weights=True, track_higher_grads=True):
    fmodel = monkeypatch(model, copy_initial_weights=copy_initial_weights)
    diffopt = DifferentiableSGD(opt, fmodel, track_higher_grads=track_higher_grads)
    yield fmodel, diffopt


class SineTasks:
    def __init__(self, seed=0):
        self.g = torch.Generator().manual_seed(seed)

    def sample(self, n_tasks, k_shot, k_query):
        amp = torch.rand(n_tasks, 1, 1, generator=self.g) * 4.9 + 0.1
        phase = torch.rand(n_tasks, 1, 1, generator=self.g) * math.pi
        x = torch.rand(n_tasks, k_shot + k_query, 1, generator=self.g) * 10 - 5
        y = amp * torch.sin(x - phase)
        return x[:, :k_shot], y[:, :k_shot], x[:, k_shot:], y[:, k_shot:]


def train(db, net, device, meta_opt, epoch):
    net.train()
    inner_opt = torch.optim.SGD(net.parameters(), lr=1e-2)
    for batch_idx in range(args["tasks_per_epoch"]):
        x_spt, y_spt, x_qry, y_qry = [t.to(device) for t in
                                      db.sample(args["meta_batch"], args["k_shot"], args["k_query"])]
        task_num = x_spt.size(0)
        qry_losses = []
        meta_opt.zero_grad()
        for i in range(task_num):
            with innerloop_ctx(net, inner_opt) as (fnet, diffopt):
                # Optimize the likelihood of the support set by taking
                # gradient steps w.r.t. the model's parameters.
                for _ in range(args["n_inner_iter"]):
                    spt_loss = F.mse_loss(fnet(x_spt[i]), y_spt[i])
                    diffopt.step(spt_loss)
                # The query loss through the adapted parameters gives the
                # meta-gradient for the initialization.
                qry_loss = F.mse_loss(fnet(x_qry[i]), y_qry[i])
                qry_losses.append(qry_loss.detach())
                qry_loss.backward()
        meta_opt.step()
        print(f"[Epoch {epoch + batch_idx / args['tasks_per_epoch']:.2f}] "
              f"query MSE {torch.stack(qry_losses).mean().item():.3f}")


torch.manual_seed(0)
net = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 1)).to(device)
meta_opt = torch.optim.Adam(net.parameters(), lr=args["meta_lr"])
db = SineTasks()
for epoch in range(args["n_epochs"]):
    train(db, net, device, meta_opt, epoch)
