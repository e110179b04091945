"""Attack: start many processes at once (a fork bomb that stops at N).

    fork_many.py N

Each child (named ``gfhostile-fork``) sleeps until the script has tried every fork and counted
them a second later; tests/test_hostile.py counts them in the host's /proc meanwhile.
"""

import ctypes
import os
import signal
import sys
import time

import torch
import torch.nn as nn

started = []
for _ in range(int(sys.argv[1])):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        ctypes.CDLL(None).prctl(15, b"gfhostile-fork", 0, 0, 0)
        time.sleep(60)
        os._exit(0)
    started.append(pid)
print(f"fork_many started {len(started)} processes")
time.sleep(1)
for pid in started:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)

model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    model(torch.ones(8, 4)).pow(2).mean().backward()
    optimizer.step()
