"""Attack: forge the verdict after the fact. The script trains with a fault (its first layer is
frozen by accident), then takes the probe's Trace, rewrites it so that every parameter trains,
writes it where gradfix used to read it (the run's scratch folder) and onto every descriptor it
finds open, and ends with ``posix._exit``, so that nothing of gradfix's runs after it.
"""

import gc
import os
import posix

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
for p in model[0].parameters():
    p.requires_grad = False  # the fault: the first layer never trains
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    model(torch.randn(16, 4)).pow(2).mean().backward()
    optimizer.step()

probe = next(o for o in gc.get_objects() if type(o).__name__ == "Probe")
trace = probe.finish()
for fact in trace.params:  # every parameter trains, as far as the forged trace says
    fact.requires_grad = fact.got_grad = fact.nonzero_grad = fact.reached = fact.changed = True
    fact.frozen_at, fact.frozen_callers = [], []
trace.crash = None
forged = trace.to_json().encode()
try:
    with open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "trace.json"), "wb") as out:
        out.write(forged)
except OSError:
    pass
for name in os.listdir("/proc/self/fd"):
    fd = int(name)
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        continue
    if fd > 2 and not target.endswith(".error"):  # an error report would give the forgery away
        try:
            os.write(fd, forged)
        except OSError:
            pass
posix._exit(0)
