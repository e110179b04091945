"""Attack: undo the sandbox as root, from inside the run.

Run alone by tests/test_hostile.py, which starts the servers and names the targets:

    escape_as_root.py PORT SOCKET ABSTRACT GITHUB_ENV KEY

It unmounts the project's overlay and writes the project; writes a sibling folder and appends
``LD_PRELOAD`` to ``$GITHUB_ENV`` through ``/proc/<pid>/root`` of its parent and of every process
it sees; joins the network namespace of each of those (``setns``) and connects to the test's
server on 127.0.0.1:PORT; connects to the test's unix socket SOCKET (in a sibling folder, where no
mount refuses it) and to its abstract unix socket ABSTRACT; adds a key to root's user keyring
(which outlives every process); and tries the other calls a seccomp filter should refuse. Its process is named ``gfhostile-root`` and lingers a
moment, so that the test can read its seccomp status in the host's /proc.
"""

import ctypes
import os
import socket
import sys
import time

import torch
import torch.nn as nn

PORT, SOCKET, ABSTRACT, GITHUB_ENV, KEY = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
HERE = os.path.dirname(os.path.abspath(__file__))
SIBLING = os.path.join(os.path.dirname(HERE), "sibling")
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(15, b"gfhostile-root", 0, 0, 0)  # PR_SET_NAME
results = {}


def attempt(what, call):
    try:
        result = call()
        results[what] = f"ok {result}"
    except BaseException as error:  # noqa: BLE001
        results[what] = f"{type(error).__name__}: {error}"


def raw(what, number, *args):
    """A system call by number (x86-64), with its errno."""
    result = libc.syscall(number, *args)
    results[what] = f"{result} errno {ctypes.get_errno()}"
    return result


def write(path, text, mode="w"):
    with open(path, mode) as out:
        out.write(text)


# The project's overlay, then the project itself.
raw("umount2 detach", 166, HERE.encode(), 2)
raw("umount2", 166, HERE.encode(), 0)
attempt("write project", lambda: write(os.path.join(HERE, "data.txt"), "changed by escape_as_root.py\n"))
attempt("new file in project", lambda: write(os.path.join(HERE, "gfhostile-umount.txt"), "x"))

pids = [os.getppid(), *sorted(int(p) for p in os.listdir("/proc") if p.isdigit())]
for pid in pids:
    root = f"/proc/{pid}/root"
    attempt(f"write sibling via {root}", lambda: write(root + os.path.join(SIBLING, "gfhostile-procroot.txt"), "x"))
    attempt(f"GITHUB_ENV via {root}", lambda: write(root + GITHUB_ENV, "LD_PRELOAD=/tmp/gfhostile.so\n", "a"))
attempt("GITHUB_ENV", lambda: write(GITHUB_ENV, "LD_PRELOAD=/tmp/gfhostile.so\n", "a"))


def reach_host():
    with socket.create_connection(("127.0.0.1", PORT), timeout=1) as conn:
        conn.sendall(b"gfhostile-net\n")


attempt("connect 127.0.0.1", reach_host)
for pid in pids:
    try:
        fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    except OSError as error:
        results[f"open ns of {pid}"] = str(error)
        continue
    if raw(f"setns net of {pid}", 308, fd, 0x40000000) == 0:
        attempt(f"connect 127.0.0.1 after setns {pid}", reach_host)
    os.close(fd)


def reach_socket(address):
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(1)
        conn.connect(address)
        conn.sendall(b"gfhostile-unix\n")


attempt("connect unix socket", lambda: reach_socket(SOCKET))
attempt("connect abstract unix socket", lambda: reach_socket("\0" + ABSTRACT))

# Root's user keyring is shared with every root process on the machine and outlives the run.
raw("add_key", 248, b"user", KEY.encode(), b"gfhostile", 9, -4)  # KEY_SPEC_USER_KEYRING
raw("keyctl get user keyring", 250, 0, -4, 0)  # KEYCTL_GET_KEYRING_ID
raw("unshare user", 272, 0x10000000)
raw("unshare mount", 272, 0x00020000)
raw("mount tmpfs", 165, b"none", HERE.encode(), b"tmpfs", 0, None)
raw("ptrace traceme", 101, 0, 0, 0, 0)
raw("bpf", 321, 0, None, 0)
raw("clone3", 435, None, 0)
for what, outcome in results.items():
    print(f"{what}: {outcome}")
time.sleep(1.5)  # seen by the test in the host's /proc

model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    model(torch.ones(8, 4)).pow(2).mean().backward()
    optimizer.step()
