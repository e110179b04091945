"""5-way 1-shot MAML in the style of dragen1860/MAML-Pytorch: a Learner that keeps its weights
in an nn.ParameterList and runs forward with whichever list it is given (``vars``), wrapped in a
Meta module whose forward does the inner loop over a batch of tasks."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Learner(nn.Module):
    def __init__(self, n_way, channels=16):
        super().__init__()
        self.vars = nn.ParameterList()
        conv = torch.empty(channels, 1, 3, 3)
        nn.init.kaiming_normal_(conv)
        self.vars.append(nn.Parameter(conv))
        self.vars.append(nn.Parameter(torch.zeros(channels)))
        self.vars.append(nn.Parameter(torch.ones(channels)))  # batch-norm scale
        self.vars.append(nn.Parameter(torch.zeros(channels)))  # batch-norm shift
        fc = torch.empty(n_way, channels * 7 * 7)
        nn.init.kaiming_normal_(fc)
        self.vars.append(nn.Parameter(fc))
        self.vars.append(nn.Parameter(torch.zeros(n_way)))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x, vars=None, bn_training=True):
        if vars is None:
            vars = self.vars
        x = F.conv2d(x, vars[0], vars[1], stride=2, padding=1)
        x = F.batch_norm(x, self.running_mean, self.running_var, weight=vars[2], bias=vars[3],
                         training=bn_training)
        x = F.relu(x)
        return F.linear(x.flatten(1), vars[4], vars[5])


class Meta(nn.Module):
    def __init__(self, n_way, update_lr=0.4, update_step=3):
        super().__init__()
        self.net = Learner(n_way)
        self.update_lr = update_lr
        self.update_step = update_step

    def forward(self, x_spt, y_spt, x_qry, y_qry):
        loss_q = 0.0
        for i in range(x_spt.size(0)):
            logits = self.net(x_spt[i], vars=None, bn_training=True)
            loss = F.cross_entropy(logits, y_spt[i])
            grad = torch.autograd.grad(loss, self.net.parameters())
            fast_weights = list(map(lambda p: p[1] - self.update_lr * p[0], zip(grad, self.net.parameters())))
            for k in range(1, self.update_step):
                logits = self.net(x_spt[i], fast_weights, bn_training=True)
                loss = F.cross_entropy(logits, y_spt[i])
                grad = torch.autograd.grad(loss, fast_weights)
                fast_weights = list(map(lambda p: p[1] - self.update_lr * p[0], zip(grad, fast_weights)))
            logits_q = self.net(x_qry[i], fast_weights, bn_training=True)
            loss_q = loss_q + F.cross_entropy(logits_q, y_qry[i])
        return loss_q / x_spt.size(0)


def task_batch(tasks=4, n_way=5, k_shot=1, k_query=5):
    """Each class is a random 14x14 stroke pattern; samples are noisy copies of it."""
    patterns = torch.rand(tasks, n_way, 1, 14, 14).round()
    def draw(k):
        labels = torch.arange(n_way).repeat(k)
        images = patterns[:, labels] + 0.3 * torch.randn(tasks, n_way * k, 1, 14, 14)
        return images, labels.expand(tasks, -1)
    x_spt, y_spt = draw(k_shot)
    x_qry, y_qry = draw(k_query)
    return x_spt, y_spt, x_qry, y_qry


torch.manual_seed(0)
maml = Meta(n_way=5)
meta_optim = torch.optim.Adam(maml.parameters(), lr=1e-3)
for step in range(40):
    x_spt, y_spt, x_qry, y_qry = task_batch()
    loss_q = maml(x_spt, y_spt, x_qry, y_qry)
    meta_optim.zero_grad()
    loss_q.backward()
    meta_optim.step()
    if step % 10 == 0:
        print(f"step {step}: query loss {loss_q.item():.3f}")
