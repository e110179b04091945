"""Protein secondary structure (helix / strand / coil) from a window of one-hot residues.

Sequences are synthetic: residues are drawn from state-dependent propensities along a hidden
state path. Annealed Gaussian gradient noise (Neelakantan et al., 2015) is added to every
layer's gradient; the hooks are removed before the model is evaluated and exported.
"""
import math
import random

import torch
from torch import nn

AMINO = "ACDEFGHIKLMNPQRSTVWY"
STATES = "HEC"
HALF = 6
ETA = 0.01
GAMMA = 0.55

random.seed(21)
torch.manual_seed(21)
PROPENSITY = torch.softmax(torch.randn(len(STATES), len(AMINO)) * 1.5, dim=1)
schedule = {"step": 0}


def sample_protein(length=120):
    states, state = [], random.randrange(3)
    for _ in range(length):
        if random.random() < 0.12:
            state = random.randrange(3)
        states.append(state)
    residues = [int(torch.multinomial(PROPENSITY[s], 1)) for s in states]
    return residues, states


def windows(proteins):
    xs, ys = [], []
    for residues, states in proteins:
        onehot = torch.zeros(len(residues) + 2 * HALF, len(AMINO))
        onehot[torch.arange(len(residues)) + HALF, residues] = 1.0
        for i, s in enumerate(states):
            xs.append(onehot[i:i + 2 * HALF + 1].flatten())
            ys.append(s)
    return torch.stack(xs), torch.tensor(ys)


def gradient_noise(module, grad_input, grad_output):
    for p in module.parameters():
        std = math.sqrt(ETA / (1 + schedule["step"]) ** GAMMA)
        p.grad.add_(torch.randn_like(p.grad), alpha=std)


model = nn.Sequential(
    nn.Linear((2 * HALF + 1) * len(AMINO), 96),
    nn.Tanh(),
    nn.Linear(96, 48),
    nn.Tanh(),
    nn.Linear(48, len(STATES)),
)
handles = [m.register_full_backward_hook(gradient_noise) for m in model if isinstance(m, nn.Linear)]

x_train, y_train = windows([sample_protein() for _ in range(40)])
x_test, y_test = windows([sample_protein() for _ in range(10)])
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
criterion = nn.CrossEntropyLoss()

for epoch in range(4):
    order = torch.randperm(len(x_train))
    for i in range(0, len(order), 100):
        batch = order[i:i + 100]
        optimizer.zero_grad()
        loss = criterion(model(x_train[batch]), y_train[batch])
        loss.backward()
        optimizer.step()
        schedule["step"] += 1
    print(f"epoch {epoch}: loss {loss.item():.3f}")

for h in handles:
    h.remove()
model.eval()
with torch.no_grad():
    q3 = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"Q3 accuracy on held-out proteins: {q3:.3f}")
