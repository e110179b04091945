"""Promoter detection in synthetic DNA: sequences containing a TATA-like motif near a fixed
offset are positives. A 1D CNN over one-hot bases; backward hooks on each layer log the norm of
the gradient flowing out of it, and parameter gradients are clipped per layer after backward()."""
import random
from collections import defaultdict

import torch
import torch.nn as nn
import torch.nn.functional as F

BASES = "ACGT"
MOTIF = "TATAAT"
LENGTH = 60
random.seed(14)
torch.manual_seed(14)


def sequence(positive):
    seq = [random.choice(BASES) for _ in range(LENGTH)]
    if positive:
        at = random.randint(20, 30)
        for k, b in enumerate(MOTIF):
            if random.random() < 0.9:
                seq[at + k] = b
    return "".join(seq)


def one_hot(seqs):
    idx = torch.tensor([[BASES.index(b) for b in s] for s in seqs])
    return F.one_hot(idx, 4).float().transpose(1, 2)


def make_log_hook(name, log):
    def hook(module, grad_input, grad_output):
        for g in grad_output:
            if g is not None:
                log[name].append(g.norm().item())

    return hook


def clip_per_layer(model, max_norm):
    for module in model.modules():
        params = [p for p in module.parameters(recurse=False) if p.grad is not None]
        if params:
            torch.nn.utils.clip_grad_norm_(params, max_norm)


model = nn.Sequential(
    nn.Conv1d(4, 32, 7, padding=3), nn.ReLU(),
    nn.Conv1d(32, 32, 5, padding=2), nn.ReLU(),
    nn.AdaptiveMaxPool1d(1), nn.Flatten(),
    nn.Linear(32, 1),
)
grad_log = defaultdict(list)
handles = []
for i, layer in enumerate(model):
    if isinstance(layer, (nn.Conv1d, nn.Linear)):
        handles.append(layer.register_full_backward_hook(make_log_hook(f"layer{i}", grad_log)))

labels = torch.tensor([random.random() < 0.5 for _ in range(1200)]).float()
x = one_hot([sequence(bool(l)) for l in labels])
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)

for epoch in range(4):
    perm = torch.randperm(1000)
    for i in range(0, 1000, 50):
        idx = perm[i:i + 50]
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x[idx]).squeeze(1), labels[idx])
        loss.backward()
        clip_per_layer(model, 1.0)
        optimizer.step()
    with torch.no_grad():
        acc = ((model(x[1000:]).squeeze(1) > 0).float() == labels[1000:]).float().mean()
    summary = ", ".join(f"{k} {sum(v) / len(v):.2e}" for k, v in sorted(grad_log.items()))
    print(f"epoch {epoch}: loss {loss.item():.3f}, held-out acc {acc:.3f}; activation grads {summary}")
    grad_log.clear()

for h in handles:
    h.remove()
