"""Attack: a fork bomb whose processes ignore SIGTERM.

Bounded (2**6 processes) so that the test machine survives it where no PID limit applies; the point
is that none of them outlives the run. Each one but the first is named ``gfhostile-bomb``.
"""

import ctypes
import os
import signal
import time

import torch
import torch.nn as nn

libc = ctypes.CDLL(None)
original = os.getpid()
for generation in range(6):
    try:
        if os.fork() == 0:
            libc.prctl(15, b"gfhostile-bomb", 0, 0, 0)  # PR_SET_NAME
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
    except OSError:
        break
if os.getpid() != original:
    while True:
        time.sleep(0.05)

model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    model(torch.ones(8, 4)).pow(2).mean().backward()
    optimizer.step()
