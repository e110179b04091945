# Domain-incremental learning on rotated Gaussian-mixture tasks.
# Task 0 trains the whole network; every later task freezes the trunk and learns a small
# residual adapter beside it (plus its own head), so earlier tasks are never overwritten.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

IN_DIM, HIDDEN, N_CLASSES = 16, 64, 5
TASK_ANGLES = [0.0, 0.6, 1.2]


def rotation(dim, angle, gen):
    q, _ = torch.linalg.qr(torch.randn(dim, dim, generator=gen))
    r = torch.eye(dim)
    r[0, 0], r[0, 1], r[1, 0], r[1, 1] = (torch.cos(torch.tensor(angle)), -torch.sin(torch.tensor(angle)),
                                          torch.sin(torch.tensor(angle)), torch.cos(torch.tensor(angle)))
    return q @ r @ q.T


def make_task(angle, gen, n=600):
    centers = torch.randn(N_CLASSES, IN_DIM, generator=torch.Generator().manual_seed(99)) * 0.8
    y = torch.randint(0, N_CLASSES, (n,), generator=gen)
    x = centers[y] + torch.randn(n, IN_DIM, generator=gen)
    x = x @ rotation(IN_DIM, angle, gen).T
    return x, y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Linear(IN_DIM, HIDDEN), nn.ReLU(),
            nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
        )
        self.heads = nn.ModuleList([nn.Linear(HIDDEN, N_CLASSES)])


def embed(net, x):
    return net.trunk.forward(x)


def start_task(net, task_id):
    """Freeze what exists, add a head and a residual adapter for the new task."""
    for p in net.parameters():
        p.requires_grad_(False)
    net.heads.append(nn.Linear(HIDDEN, N_CLASSES))
    adapter = nn.Sequential(nn.Linear(IN_DIM, 8), nn.ReLU(), nn.Linear(8, HIDDEN))
    nn.init.zeros_(adapter[2].weight)
    handle = net.trunk.register_forward_hook(lambda mod, args, out: out + adapter(args[0]))
    return adapter, handle


def train_task(net,
               head,
               params,
               data,
               epochs=5,
               lr=1e-2,
               batch_size=50):
    x, y = data
    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), batch_size):
            idx = perm[i:i + batch_size]
            logits = head(embed(net, x[idx]))
            loss = F.cross_entropy(logits, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return loss.item()


@torch.no_grad()
def evaluate(net, head, data):
    x, y = data
    return (head(embed(net, x)).argmax(1) == y).float().mean().item()


def main():
    gen = torch.Generator().manual_seed(1)
    tasks = [(make_task(a, gen), make_task(a, gen, n=200)) for a in TASK_ANGLES]
    net = Net()

    train_set, test_set = tasks[0]
    last = train_task(net, net.heads[0], list(net.parameters()), train_set)
    print(f"task 0: loss {last:.3f}, acc {evaluate(net, net.heads[0], test_set):.3f}")

    handle = None
    for task_id in range(1, len(tasks)):
        if handle is not None:
            handle.remove()
        adapter, handle = start_task(net, task_id)
        head = net.heads[task_id]
        train_set, test_set = tasks[task_id]
        last = train_task(net, head, list(adapter.parameters()) + list(head.parameters()), train_set, lr=5e-3)
        print(f"task {task_id}: loss {last:.3f}, acc {evaluate(net, head, test_set):.3f}")


if __name__ == "__main__":
    main()
