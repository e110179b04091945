"""Attack: outlive the run.

A child that ignores SIGTERM, a daemon (double fork and ``setsid``) that keeps writing a heartbeat
into a sibling folder of the project, a non-daemon thread that never ends, and a program started
with ``subprocess``. Every process is named ``gfhostile-*`` (its comm or its arguments), so that
tests/test_hostile.py can look for survivors after gradfix has ended.
"""

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

import torch
import torch.nn as nn

SIBLING = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sibling")
libc = ctypes.CDLL(None)


def name(title: bytes) -> None:
    libc.prctl(15, title, 0, 0, 0)  # PR_SET_NAME: /proc/<pid>/comm


def forever() -> None:
    while True:
        time.sleep(0.05)


if os.fork() == 0:
    name(b"gfhostile-term")
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    forever()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        name(b"gfhostile-daemon")
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        while True:
            try:
                with open(os.path.join(SIBLING, "gfhostile-heartbeat.txt"), "a") as out:
                    out.write(f"{time.time()}\n")
            except OSError:
                pass
            time.sleep(0.05)
    os._exit(0)
subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(1)", "gfhostile-subprocess"], start_new_session=True)
threading.Thread(target=forever, name="gfhostile-thread").start()

model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    model(torch.ones(8, 4)).pow(2).mean().backward()
    optimizer.step()
