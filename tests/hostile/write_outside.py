"""Attack: write outside the scratch folder.

At absolute paths outside the project, working directory and home (a sibling folder of the
project, /var/tmp, /etc, /opt), into gradfix's own package, through other processes' roots
(/proc/<pid>/root), and, as root, after unmounting the project's overlay or remounting / read-write.
It also deletes and overwrites files of the project and the sibling. tests/test_hostile.py checks
from outside that none of it reached the disk.
"""

import ctypes
import os
import shutil

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
SIBLING = os.path.join(os.path.dirname(HERE), "sibling")
libc = ctypes.CDLL(None, use_errno=True)


def attempt(path: str, text: str = "written by write_outside.py") -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as out:
            out.write(text)
    except OSError:
        pass


def remove(path: str) -> None:
    try:
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    except OSError:
        pass


targets = [
    os.path.join(SIBLING, "gfhostile-new.txt"),
    os.path.join(SIBLING, "keep.txt"),
    os.path.join(HERE, "data.txt"),
    "/var/tmp/gfhostile-write_outside.txt",
    "/etc/gfhostile-write_outside.txt",
    "/opt/gfhostile/write_outside.txt",
]
try:
    import gradfix

    targets.append(os.path.join(os.path.dirname(gradfix.__file__), "gfhostile_planted.py"))
except ImportError:
    pass
for target in targets:
    attempt(target)
remove(os.path.join(SIBLING, "delete-me.txt"))
remove(os.path.join(HERE, "delete-me.txt"))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        attempt(f"/proc/{pid}/root{SIBLING}/gfhostile-via-proc-{pid}.txt")
# Root's ways around a read-only view: unmount what covers the project, remount / writable.
libc.umount2(HERE.encode(), 2)
libc.umount2(b"/tmp", 2)
libc.mount(None, b"/", None, 0x20 | 0x1000, None)  # MS_REMOUNT | MS_BIND: read-write again
attempt(os.path.join(HERE, "gfhostile-after-umount.txt"))
attempt(os.path.join(SIBLING, "gfhostile-after-remount.txt"))

model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    model(torch.ones(8, 4)).pow(2).mean().backward()
    optimizer.step()
