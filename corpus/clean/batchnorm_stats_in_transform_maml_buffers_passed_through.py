"""Second-order MAML for few-shot plankton identification from synthetic microscope crops.

The inner loop is written with torch.func: the support loss is a function of the parameters and
of the BatchNorm buffers, both handed in explicitly, so the running statistics the layers update
are inputs of the transformed function rather than tensors it captured.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad

WAYS, SHOTS, QUERIES = 4, 2, 5
SIZE = 12
INNER_STEPS, INNER_LR = 2, 0.1
TASKS_PER_STEP, META_STEPS = 3, 20

torch.manual_seed(31)
species_shapes = torch.rand(40, 3)  # elongation, spine count, density per species


def crops(species, n):
    elong, spines, density = species_shapes[species]
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, SIZE), torch.linspace(-1, 1, SIZE), indexing="ij")
    angle = torch.rand(n, 1, 1) * 3.1416
    u = xx * torch.cos(angle) + yy * torch.sin(angle)
    v = -xx * torch.sin(angle) + yy * torch.cos(angle)
    body = torch.exp(-(u ** 2) / (0.1 + 0.4 * elong) - v ** 2 / 0.08)
    ridges = torch.cos((2 + 6 * spines) * torch.atan2(v, u)) * torch.exp(-(u ** 2 + v ** 2) / 0.5)
    img = (0.5 + 2 * density) * body + ridges + 0.1 * torch.randn(n, SIZE, SIZE)
    return img.unsqueeze(1)


def sample_task(pool):
    chosen = pool[torch.randperm(len(pool))[:WAYS]]
    xs = torch.cat([crops(s, SHOTS) for s in chosen.tolist()])
    xq = torch.cat([crops(s, QUERIES) for s in chosen.tolist()])
    ys = torch.arange(WAYS).repeat_interleave(SHOTS)
    yq = torch.arange(WAYS).repeat_interleave(QUERIES)
    return xs, ys, xq, yq


class PlanktonNet(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Linear(width * 9, WAYS)

    def forward(self, x):
        return self.head(self.body(x).flatten(1))


net = PlanktonNet()
meta_opt = torch.optim.Adam(net.parameters(), lr=3e-3)


def support_loss(params, buffers, x, y):
    return F.cross_entropy(functional_call(net, (params, buffers), (x,)), y)


def adapt_and_score(params, buffers, task):
    xs, ys, xq, yq = task
    fast = params
    for _ in range(INNER_STEPS):
        g = grad(support_loss)(fast, buffers, xs, ys)
        fast = {k: w - INNER_LR * g[k] for k, w in fast.items()}
    logits = functional_call(net, (fast, buffers), (xq,))
    return F.cross_entropy(logits, yq), (logits.argmax(1) == yq).float().mean()


train_species, test_species = torch.arange(30), torch.arange(30, 40)
net.train()
for step in range(1, META_STEPS + 1):
    params = dict(net.named_parameters())
    buffers = dict(net.named_buffers())
    results = [adapt_and_score(params, buffers, sample_task(train_species)) for _ in range(TASKS_PER_STEP)]
    loss = torch.stack([r[0] for r in results]).mean()
    meta_opt.zero_grad()
    loss.backward()
    meta_opt.step()
    if step == 1 or step % 5 == 0:
        frozen = {k: v.detach() for k, v in net.named_parameters()}
        acc = torch.stack([adapt_and_score(frozen, buffers, sample_task(test_species))[1] for _ in range(3)]).mean()
        print(f"step {step:2d}  meta-loss {loss.item():.3f}  held-out species acc {acc:.2f}")
