"""Bootstrapped classifiers trained together with torch.func (imported as a module alias): the
optimizer is given itertools.chain over the members' parameters."""
import copy
import itertools

import torch
import torch.func as tf
import torch.nn as nn

torch.manual_seed(0)
N_MEMBERS = 5

members = [nn.Sequential(nn.Linear(10, 24), nn.ReLU(), nn.Linear(24, 3)) for _ in range(N_MEMBERS)]
weights, buffers = tf.stack_module_state(members)
template = copy.deepcopy(members[0]).to("meta")
optimizer = torch.optim.SGD(weights.values(), lr=0.1)

for step in range(100):
    x, y = torch.randn(N_MEMBERS, 32, 10), torch.randint(0, 3, (N_MEMBERS, 32))
    logits = tf.vmap(lambda w, b, xb: tf.functional_call(template, (w, b), (xb,)))(weights, buffers, x)
    loss = nn.functional.cross_entropy(logits.reshape(-1, 3), y.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
