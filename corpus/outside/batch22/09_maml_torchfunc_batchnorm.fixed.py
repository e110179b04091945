# Report: https://github.com/pytorch/pytorch/issues/85533
# The report: torch.func transforms (grad, jacrev, ...) fail on a module containing BatchNorm in
# training mode: "During a grad (vjp, jvp, grad, etc) transform, the function provided attempted to
# call in-place operation (aten::add_.Tensor) that would mutate a captured Tensor".
"""MAML on synthetic few-shot image tasks, written with torch.func (functional inner loop with grad)."""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad

parser = argparse.ArgumentParser()
parser.add_argument("--n-way", type=int, default=5)
parser.add_argument("--k-shot", type=int, default=1)
parser.add_argument("--k-query", type=int, default=5)
parser.add_argument("--tasks-per-batch", type=int, default=4)
parser.add_argument("--inner-steps", type=int, default=2)
parser.add_argument("--inner-lr", type=float, default=0.4)
parser.add_argument("--meta-lr", type=float, default=1e-3)
parser.add_argument("--meta-iters", type=int, default=32)
args = parser.parse_args()

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
IMG = 14
N_CLASSES_TOTAL = 60


class GlyphBank:
    """A bank of 'characters': each class is a fixed random stroke pattern, samples are jittered copies."""

    def __init__(self, n_classes, seed=0):
        g = torch.Generator().manual_seed(seed)
        base = (torch.rand(n_classes, 1, IMG, IMG, generator=g) > 0.7).float()
        self.protos = F.avg_pool2d(base, 3, stride=1, padding=1)
        self.g = torch.Generator().manual_seed(seed + 1)

    def sample(self, cls, n):
        x = self.protos[cls].unsqueeze(0).repeat(n, 1, 1, 1)
        shifts = torch.randint(-1, 2, (n, 2), generator=self.g)
        x = torch.stack([torch.roll(xi, tuple(s.tolist()), dims=(1, 2)) for xi, s in zip(x, shifts)])
        return x + 0.15 * torch.randn(x.shape, generator=self.g)

    def task_batch(self, n_tasks, n_way, k_shot, k_query, classes):
        xs, ys, xq, yq = [], [], [], []
        for _ in range(n_tasks):
            chosen = classes[torch.randperm(len(classes), generator=self.g)[:n_way]]
            sx, sy, qx, qy = [], [], [], []
            for label, c in enumerate(chosen.tolist()):
                imgs = self.sample(c, k_shot + k_query)
                sx.append(imgs[:k_shot]); qx.append(imgs[k_shot:])
                sy += [label] * k_shot; qy += [label] * k_query
            xs.append(torch.cat(sx)); xq.append(torch.cat(qx))
            ys.append(torch.tensor(sy)); yq.append(torch.tensor(qy))
        return [torch.stack(t).to(device) for t in (xs, ys, xq, yq)]


def conv_block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.BatchNorm2d(cout, momentum=1.0, affine=True, track_running_stats=False),
        nn.ReLU(inplace=False),
        nn.MaxPool2d(2),
    )


class ConvNet(nn.Module):
    def __init__(self, n_way, hidden=16):
        super().__init__()
        self.features = nn.Sequential(conv_block(1, hidden), conv_block(hidden, hidden), conv_block(hidden, hidden))
        self.classifier = nn.Linear(hidden, n_way)

    def forward(self, x):
        h = self.features(x)
        return self.classifier(h.flatten(1))


net = ConvNet(args.n_way).to(device)
meta_opt = torch.optim.Adam(net.parameters(), lr=args.meta_lr)
bank = GlyphBank(N_CLASSES_TOTAL)
train_classes = torch.arange(0, 45)
test_classes = torch.arange(45, N_CLASSES_TOTAL)


def task_loss(params, x, y):
    logits = functional_call(net, params, (x,))
    return F.cross_entropy(logits, y)


def adapt(params, x_s, y_s, steps):
    fast = params
    for _ in range(steps):
        grads = grad(task_loss)(fast, x_s, y_s)
        fast = {name: w - args.inner_lr * grads[name] for name, w in fast.items()}
    return fast


def query_loss_and_acc(params, x_s, y_s, x_q, y_q, steps):
    fast = adapt(params, x_s, y_s, steps)
    logits = functional_call(net, fast, (x_q,))
    loss = F.cross_entropy(logits, y_q)
    acc = (logits.argmax(-1) == y_q).float().mean()
    return loss, acc


def meta_step(batch):
    params = dict(net.named_parameters())
    losses, accs = [], []
    for x_s, y_s, x_q, y_q in zip(*batch):
        loss, acc = query_loss_and_acc(params, x_s, y_s, x_q, y_q, args.inner_steps)
        losses.append(loss)
        accs.append(acc)
    meta_loss = torch.stack(losses).mean()
    meta_opt.zero_grad()
    meta_loss.backward()
    meta_opt.step()
    return meta_loss.item(), torch.stack(accs).mean().item()


def meta_test(n_batches=1):
    params = {k: v.detach() for k, v in net.named_parameters()}
    accs = []
    for _ in range(n_batches):
        batch = bank.task_batch(args.tasks_per_batch, args.n_way, args.k_shot, args.k_query, test_classes)
        for x_s, y_s, x_q, y_q in zip(*batch):
            _, acc = query_loss_and_acc(params, x_s, y_s, x_q, y_q, args.inner_steps)
            accs.append(acc.item())
    return sum(accs) / len(accs)


if __name__ == "__main__":
    net.train()
    t0 = time.time()
    for it in range(1, args.meta_iters + 1):
        batch = bank.task_batch(args.tasks_per_batch, args.n_way, args.k_shot, args.k_query, train_classes)
        loss, acc = meta_step(batch)
        if it % 8 == 0:
            print(f"iter {it:3d}  meta-loss {loss:.3f}  query acc {acc:.3f}  "
                  f"meta-test acc {meta_test():.3f}  ({time.time() - t0:.1f}s)")
