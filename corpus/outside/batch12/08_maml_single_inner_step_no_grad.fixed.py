# Report: https://github.com/dragen1860/MAML-Pytorch/issues/40
# With update_step = 1 the loop `for k in range(1, self.update_step)` is skipped, so the final
# query loss losses_q[-1] is the one computed under `with torch.no_grad()` and
# loss_q.backward() fails: "element 0 of tensors does not require grad and does not have a grad_fn".
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class Learner(nn.Module):
    """Functional MLP whose forward can run with an explicit list of weights (fast weights)."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.vars = nn.ParameterList()
        for name, (n_in, n_out) in config:
            if name == "linear":
                w = nn.Parameter(torch.ones(n_out, n_in))
                nn.init.kaiming_normal_(w)
                self.vars.append(w)
                self.vars.append(nn.Parameter(torch.zeros(n_out)))

    def forward(self, x, vars=None):
        vars = self.vars if vars is None else vars
        idx = 0
        for i, (name, _) in enumerate(self.config):
            x = F.linear(x, vars[idx], vars[idx + 1])
            idx += 2
            if i < len(self.config) - 1:
                x = F.relu(x)
        return x

    def parameters(self, recurse=True):
        return self.vars


class Meta(nn.Module):
    def __init__(self, args, config):
        super().__init__()
        self.update_lr, self.meta_lr = args["update_lr"], args["meta_lr"]
        self.n_way, self.task_num = args["n_way"], args["task_num"]
        self.update_step = args["update_step"]
        self.net = Learner(config)
        self.meta_optim = torch.optim.Adam(self.net.parameters(), lr=self.meta_lr)

    def forward(self, x_spt, y_spt, x_qry, y_qry):
        losses_q = [0 for _ in range(self.update_step + 1)]
        for i in range(self.task_num):
            logits = self.net(x_spt[i], vars=None)
            loss = F.cross_entropy(logits, y_spt[i])
            grad = torch.autograd.grad(loss, self.net.parameters())
            fast_weights = [p - self.update_lr * g for g, p in zip(grad, self.net.parameters())]

            with torch.no_grad():  # loss and accuracy before the first update
                logits_q = self.net(x_qry[i], self.net.parameters())
                losses_q[0] += F.cross_entropy(logits_q, y_qry[i])
            # loss and accuracy after the first update (kept in the graph: it is the meta-loss
            # when update_step == 1)
            logits_q = self.net(x_qry[i], fast_weights)
            losses_q[1] += F.cross_entropy(logits_q, y_qry[i])

            for k in range(1, self.update_step):
                logits = self.net(x_spt[i], fast_weights)
                loss = F.cross_entropy(logits, y_spt[i])
                grad = torch.autograd.grad(loss, fast_weights, create_graph=True)
                fast_weights = [p - self.update_lr * g for g, p in zip(grad, fast_weights)]
                logits_q = self.net(x_qry[i], fast_weights)
                losses_q[k + 1] += F.cross_entropy(logits_q, y_qry[i])

        loss_q = losses_q[-1] / self.task_num
        self.meta_optim.zero_grad()
        loss_q.backward()
        self.meta_optim.step()
        return loss_q.item()


def sample_tasks(args, dim=10, k_shot=5, k_query=5):
    xs, ys, xq, yq = [], [], [], []
    for _ in range(args["task_num"]):
        centers = np.random.randn(args["n_way"], dim) * 2
        def draw(k):
            y = np.repeat(np.arange(args["n_way"]), k)
            return (centers[y] + np.random.randn(len(y), dim)).astype(np.float32), y
        a, b = draw(k_shot); c, d = draw(k_query)
        xs.append(a); ys.append(b); xq.append(c); yq.append(d)
    t = lambda v, dt: torch.from_numpy(np.stack(v)).to(device=device, dtype=dt)
    return t(xs, torch.float32), t(ys, torch.long), t(xq, torch.float32), t(yq, torch.long)


args = {"update_lr": 0.4, "meta_lr": 1e-3, "n_way": 5, "task_num": 4, "update_step": 1}
config = [("linear", (10, 32)), ("linear", (32, 32)), ("linear", (32, args["n_way"]))]
maml = Meta(args, config).to(device)

for step in range(20):
    loss = maml(*sample_tasks(args))
    if step % 5 == 0:
        print(f"step {step} query loss {loss:.4f}")
