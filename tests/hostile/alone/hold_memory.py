"""Attack: use more memory than the run's budget by spreading it over processes.

    hold_memory.py MIB

First it tries to lift the limit: it writes "max" into every memory and pids limit of its own
cgroups and moves itself into their parents. Then three forked children (named ``gfhostile-mem``)
each touch MIB mebibytes, page by page, and hold it for a few seconds; a limit per process lets
each of them through. tests/test_hostile.py adds up their private memory in the host's /proc
while they hold it.
"""

import ctypes
import os
import sys
import time

import torch
import torch.nn as nn

MIB = int(sys.argv[1])
for line in open("/proc/self/cgroup").read().splitlines():
    _, controllers, path = line.split(":", 2)
    for folder in {f"/sys/fs/cgroup{path}", f"/sys/fs/cgroup/{controllers}{path}", f"/sys/fs/cgroup/unified{path}"}:
        for name in ("memory.max", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "pids.max"):
            try:
                with open(os.path.join(folder, name), "w") as out:
                    out.write("max" if not name.endswith("_bytes") else "-1")
            except OSError:
                pass
        try:
            with open(os.path.join(os.path.dirname(folder), "cgroup.procs"), "w") as out:
                out.write("0")
        except OSError:
            pass
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
