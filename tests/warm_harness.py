"""tests/trained_modules.py run in a process forked from a warm one that imported torch once,
instead of a fresh interpreter per script (a torch import costs seconds; the outside tests run the
harness twice per case).

The child is what ``python tests/trained_modules.py SCRIPT NAME...`` would be after its imports:
the same environment, working directory, ``sys.argv`` and ``sys.path[0]``, the harness run as
``__main__`` from its file, its own stdin/stdout/stderr, a fresh seed for ``random`` (a fresh
interpreter's differs run to run), and an ordinary interpreter exit (threads joined, atexit
handlers run, buffers flushed). It shares no code with gradfix. Where fork is not usable, or the
warm process is gone, the harness runs in a fresh interpreter as before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

HARNESS = Path(__file__).resolve().parent / "trained_modules.py"

# The warm process: it imports what the harness imports, then forks one child per request (a
# JSON line on stdin) and answers with the child's exit status (a JSON line on stdout).
SERVER = r"""
import json, os, signal, sys, time, types
import torch, torch.nn, torch.optim.optimizer

# (the optimizer warm-up: OPTIMIZER_WARM_UP below)
WARM_UP

requests, replies = sys.stdin.buffer, sys.stdout
while True:
    line = requests.readline()
    if not line:
        break
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], os.O_WRONLY), (2, request["stderr"], os.O_WRONLY)):
            opened = os.open(path, flags)
            os.dup2(opened, fd)
            os.close(opened)
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        import random
        random.seed()
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        sys.argv = [request["harness"], *request["args"]]
        sys.path[0] = os.path.dirname(request["harness"])
        del requests, replies, line, request, pid
        import runpy
        runpy.run_path(sys.argv[0], run_name="__main__")
        sys.exit(0)  # the interpreter's own exit: threads joined, atexit handlers, flushed buffers
    deadline = time.monotonic() + request["timeout"]
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            code = None
            break
        time.sleep(0.005)
    try:
        os.killpg(pid, signal.SIGKILL)  # what the script left behind
    except (ProcessLookupError, PermissionError):
        pass
    replies.write(json.dumps({"code": code}) + "\n")
    replies.flush()
"""

# A script's first optimizer imports torch._dynamo and what it pulls in (sympy, ...): over 800
# modules, a second and a half that every child would pay again. Built in the warm process once,
# on a tensor of zeros: no random numbers drawn, so each child's torch generator is still a fresh
# interpreter's. (benchmarks/ci_speed.py measures a warm process without it.)
OPTIMIZER_WARM_UP = "torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)"
SERVER = SERVER.replace("\nWARM_UP\n", "\n" + OPTIMIZER_WARM_UP + "\n")

_server: Optional[subprocess.Popen] = None  # type: ignore[type-arg]


def _warm() -> Optional[subprocess.Popen]:  # type: ignore[type-arg]
    global _server
    if not hasattr(os, "fork") or not sys.platform.startswith("linux"):
        return None
    if _server is None or _server.poll() is not None:
        _server = subprocess.Popen(
            [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HARNESS.parent,
        )
    return _server


def run_harness(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    """``subprocess.run([python, trained_modules.py, *args], capture_output=True, text=True,
    cwd=cwd, timeout=timeout)``, forked from the warm process."""
    command = [sys.executable, str(HARNESS), *args]
    server = _warm()
    if server is None:
        return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    with tempfile.TemporaryDirectory(prefix="gradfix-harness-") as folder:
        out, err = os.path.join(folder, "stdout"), os.path.join(folder, "stderr")
        for path in (out, err):
            open(path, "w").close()
        request = {"harness": str(HARNESS), "args": args, "cwd": str(cwd), "env": dict(os.environ),
                   "stdout": out, "stderr": err, "timeout": timeout}
        assert server.stdin is not None and server.stdout is not None
        try:
            server.stdin.write(json.dumps(request) + "\n")
            server.stdin.flush()
            reply = server.stdout.readline()
        except BrokenPipeError:
            reply = ""
        if not reply:  # the warm process is gone: a fresh interpreter, as before
            server.kill()
            return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=timeout)
        code = json.loads(reply)["code"]
        stdout = Path(out).read_text(errors="replace")
        stderr = Path(err).read_text(errors="replace")
    if code is None:
        raise subprocess.TimeoutExpired(command, timeout, stdout, stderr)
    return subprocess.CompletedProcess(command, code, stdout, stderr)
