"""Attack: forge the run that verifies a fix. The optimizer is built over an empty list (a crash
gradfix knows how to fix: GF001). In the candidate run, where gradfix's fix is in, the script
sees its optimizer holding parameters, trains nothing (its fixed self would still be wrong: the
loss is detached), and reports a forged Trace in which every parameter received a gradient and
changed, written onto every descriptor it finds open, then ends with posix._exit.
"""

import gc
import os
import posix

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
optimizer = torch.optim.SGD([], lr=0.1)  # the fault: gradfix's candidate fills the list in

if any(group["params"] for group in optimizer.param_groups):  # the fixed source is running
    probe = next(o for o in gc.get_objects() if type(o).__name__ == "Probe")
    trace = probe.finish()
    for fact in trace.params:
        fact.got_grad = fact.nonzero_grad = fact.reached = fact.changed = True
    for fact in trace.optimizers:
        fact.steps = 3
    trace.crash, trace.finished = None, True
    forged = trace.to_json().encode()
    for name in os.listdir("/proc/self/fd"):  # gradfix's trace file is among them
        try:
            if int(name) > 2 and not os.readlink(f"/proc/self/fd/{name}").endswith(".error"):
                os.write(int(name), forged)
        except OSError:
            pass
    posix._exit(0)

for step in range(3):
    optimizer.zero_grad()
    model(torch.randn(16, 4)).pow(2).mean().backward()
    optimizer.step()
