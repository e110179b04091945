"""Attack: rewrite the probe's Trace in memory. The script trains with a fault (an optimizer that
leaves the head out: it never changes), finds gradfix's probe among the live objects
(``gc.get_objects()``), and replaces its ``finish`` so that the Trace it reports says every
parameter is held by the optimizer and was updated. gradfix's own code then sends the forgery.
"""

import gc

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
optimizer = torch.optim.SGD(model[0].parameters(), lr=0.1)  # the fault: the head never trains

probe = next(o for o in gc.get_objects() if type(o).__name__ == "Probe")
finish = probe.finish


def forged_finish(*args, **kwargs):
    trace = finish(*args, **kwargs)
    names = [fact.name for fact in trace.params]
    for fact in trace.params:
        fact.got_grad = fact.nonzero_grad = fact.reached = fact.changed = True
        fact.optimizers = [0]
    for fact in trace.optimizers:
        fact.params, fact.group_sizes = names, [len(names)]
    return trace


probe.finish = forged_finish

for step in range(3):
    optimizer.zero_grad()
    model(torch.randn(16, 4)).pow(2).mean().backward()
    optimizer.step()
