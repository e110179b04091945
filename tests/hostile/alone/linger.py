"""Attack: still be running when gradfix is interrupted.

The script (named ``gfhostile-stay``) starts a double-forked ``setsid`` daemon that writes a
heartbeat into a sibling folder, then sleeps; tests/test_hostile.py interrupts or kills gradfix
while it does, and looks for survivors, heartbeats and scratch folders afterwards.
"""

import ctypes
import os
import signal
import time

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
SIBLING = os.path.join(os.path.dirname(HERE), "sibling")
libc = ctypes.CDLL(None)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGALRM, signal.SIG_IGN)  # the probe's own time limit, too
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        libc.prctl(15, b"gfhostile-daemon", 0, 0, 0)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            try:
                with open(os.path.join(SIBLING, "gfhostile-linger.txt"), "a") as out:
                    out.write(f"{time.time()}\n")
            except OSError:
                pass
            time.sleep(0.05)
    os._exit(0)
libc.prctl(15, b"gfhostile-stay", 0, 0, 0)
while True:
    time.sleep(0.05)

model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    model(torch.ones(8, 4)).pow(2).mean().backward()
    optimizer.step()
