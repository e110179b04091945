"""Attack: write into gradfix's own output and into descriptors its caller had open.

gradfix's standard output and error through ``/proc/<pid>/fd/1`` and ``2`` of its parent and of
every process it sees (which would break ``--format json``), and descriptors 3 to 9, which a
caller may have open (tests/test_hostile.py opens descriptor 7 to a file before calling gradfix).
The probe's own channel to gradfix (a pipe) is left alone: forging it is another attack
(``forge_trace_file.py``).
"""

import os

import torch
import torch.nn as nn

TEXT = b'gfhostile-channel {"not": "json"\n'
pids = {os.getppid(), *(int(p) for p in os.listdir("/proc") if p.isdigit())} - {os.getpid()}
for pid in sorted(pids):
    for fd in (1, 2):
        try:
            with open(f"/proc/{pid}/fd/{fd}", "ab") as out:
                out.write(TEXT)
        except OSError:
            pass
for fd in range(3, 10):
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
        if target.startswith("pipe:") or "trace.json" in target:  # the probe's channel (once a file)
            continue
        os.write(fd, TEXT)
    except OSError:
        pass

model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    model(torch.ones(8, 4)).pow(2).mean().backward()
    optimizer.step()
