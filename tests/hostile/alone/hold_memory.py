"""Attack: use more memory than the run's budget by spreading it over processes.

    hold_memory.py MIB

Three forked children (named ``gfhostile-mem``) each touch MIB mebibytes, page by page, and hold
it for a few seconds; a limit per process lets each of them through. tests/test_hostile.py adds up
their resident memory in the host's /proc while they hold it.
"""

import ctypes
import os
import sys
import time

import torch
import torch.nn as nn

MIB = int(sys.argv[1])
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        ctypes.CDLL(None).prctl(15, b"gfhostile-mem", 0, 0, 0)
        chunks = []
        try:
            for _ in range(MIB // 64):
                chunks.append(bytearray(64 << 20))  # zero-filled: every page is touched
        except MemoryError:
            pass
        time.sleep(4)
        os._exit(0)
    children.append(pid)
for pid in children:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass

model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    model(torch.ones(8, 4)).pow(2).mean().backward()
    optimizer.step()
