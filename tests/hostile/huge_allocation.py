"""Attack: allocate 30 GiB, in the script and in a forked child that keeps trying.

The memory limit must turn both into errors at once, not into a machine that swaps, and the child
(named ``gfhostile-alloc``) must not outlive the run.
"""

import ctypes
import os
import time

import torch
import torch.nn as nn

GIB = 1 << 30
if os.fork() == 0:
    ctypes.CDLL(None).prctl(15, b"gfhostile-alloc", 0, 0, 0)
    while True:
        try:
            hoard = bytearray(30 * GIB)
        except MemoryError:
            time.sleep(0.05)
try:
    weights = torch.ones(30 * GIB // 4)
    print("allocated 30 GiB")
except (MemoryError, RuntimeError) as error:
    print("refused:", type(error).__name__)

model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    model(torch.ones(8, 4)).pow(2).mean().backward()
    optimizer.step()
