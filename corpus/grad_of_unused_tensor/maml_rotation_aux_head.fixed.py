# Few-shot classification of small synthetic 8x8 patterns with MAML. A conv encoder feeds a 5-way
# classifier; an auxiliary head that predicts how far a pattern was rotated adds a self-supervised
# term to the query loss. The inner loop adapts a copy of the weights on the support set with
# torch.func.functional_call, and the meta-optimizer trains on the query loss.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

WAYS, SHOTS, QUERIES = 5, 2, 6


class FewShotNet(nn.Module):
    def __init__(self, ways=WAYS):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Flatten(),
        )
        self.classifier = nn.Linear(8 * 16, ways)
        self.rotation = nn.Linear(8 * 16, 4)

    def forward(self, x):
        h = self.encoder(x)
        return self.classifier(h), self.rotation(h)


def make_task():
    prototypes = torch.randn(WAYS, 1, 8, 8)
    labels = torch.arange(WAYS).repeat_interleave(SHOTS + QUERIES)
    images = prototypes[labels] + 0.4 * torch.randn(len(labels), 1, 8, 8)
    order = torch.randperm(len(labels))
    images, labels = images[order], labels[order]
    n = WAYS * SHOTS
    return images[:n], labels[:n], images[n:], labels[n:]


def adapt(model, images, labels, inner_lr=0.1, steps=2):
    params = dict(model.named_parameters())
    for _ in range(steps):
        logits, _ = functional_call(model, params, (images,))
        loss = F.cross_entropy(logits, labels)
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True, materialize_grads=True)
        params = {name: p - inner_lr * g for (name, p), g in zip(params.items(), grads)}
    return params


torch.manual_seed(0)
model = FewShotNet()
meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)

for iteration in range(12):
    meta_opt.zero_grad()
    total = 0.0
    for _ in range(2):
        xs, ys, xq, yq = make_task()
        fast = adapt(model, xs, ys)
        logits, _ = functional_call(model, fast, (xq,))
        turns = torch.randint(0, 4, (len(xq),))
        rotated = torch.stack([torch.rot90(img, int(k), dims=(1, 2)) for img, k in zip(xq, turns)])
        _, rot_logits = functional_call(model, fast, (rotated,))
        loss = (F.cross_entropy(logits, yq) + 0.5 * F.cross_entropy(rot_logits, turns)) / 2
        loss.backward()
        total += loss.item()
    meta_opt.step()
    if iteration % 4 == 0:
        print(f"iteration {iteration}: meta loss {total:.3f}")
