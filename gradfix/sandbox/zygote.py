"""The warm process that forks every sandboxed run, and gradfix's handle on it.

A process forked from gradfix itself would carry gradfix's secrets: its environment block (which a
fork keeps, whatever ``os.environ`` says) and every string its heap ever held (a token read for the
review, the variables the allow-list dropped). So the process that imports torch once and forks
one child per run is this one: a fresh interpreter started with the cleaned environment, that
never held a secret. gradfix sends it run requests over a socket, each with the write end of the
run's channel to gradfix (a descriptor, passed with SCM_RIGHTS) and the run's key (channel.py),
which go on to the run over a socket of its own; it answers with each run's start and end. It is
the first process of a PID namespace of its own (where namespaces are allowed), and each run is
the first process of a namespace inside it, so nothing a run starts outlives it, and nothing
outlives the warm process, which itself dies with gradfix.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from dataclasses import asdict
from typing import Any, NoReturn, Optional

from gradfix.sandbox.request import RunRequest

_HEADER = struct.Struct("!I")


def _read_request(channel: socket.socket) -> tuple[bytes, list[int]]:
    """A spare's request, to the end of the stream, and the descriptors sent with it."""
    chunks, fds = [], []
    while True:
        chunk, received, _, _ = socket.recv_fds(channel, 1 << 20, 4)
        fds.extend(received)
        if not chunk:
            return b"".join(chunks), fds
        chunks.append(chunk)


def _send(channel: socket.socket, message: dict[str, Any], fds: tuple[int, ...] = ()) -> None:
    body = json.dumps(message).encode()
    data = _HEADER.pack(len(body)) + body
    if fds:
        # The descriptors travel with the message's first bytes (SCM_RIGHTS), the rest after.
        sent = socket.send_fds(channel, [data[:4096]], list(fds))
        data = data[sent:]
    channel.sendall(data)


class _Frames:
    """Length-prefixed JSON messages read from a stream socket, and the descriptors sent with them
    (in the order they came: one per run request)."""

    def __init__(self, channel: socket.socket):
        self.channel = channel
        self.buffer = b""
        self.closed = False
        self.fds: list[int] = []

    def read(self) -> list[dict[str, Any]]:
        """The messages that arrived (call when the socket is readable); ``closed`` at end of stream."""
        data, fds, _, _ = socket.recv_fds(self.channel, 1 << 20, 4)
        self.fds.extend(fds)
        if not data:
            self.closed = True
        self.buffer += data
        messages = []
        while len(self.buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self.buffer)
            if len(self.buffer) < _HEADER.size + size:
                break
            messages.append(json.loads(self.buffer[_HEADER.size : _HEADER.size + size]))
            self.buffer = self.buffer[_HEADER.size + size :]
        return messages


# ---------------------------------------------------------------------------------------------
# gradfix's side


class Zygote:
    """gradfix's handle on the warm process: send a run, learn when it started and ended, kill it."""

    def __init__(self, env: dict[str, str]):
        ours, theirs = socket.socketpair()
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        bootstrap = (
            "import sys; sys.path[0:1] = [sys.argv[1]];"
            "from gradfix.sandbox.zygote import serve; serve(int(sys.argv[2]), int(sys.argv[3]))"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", bootstrap, package_root, str(theirs.fileno()), str(os.getpid())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd="/",
            start_new_session=True,  # Ctrl-C reaches gradfix, which ends the runs itself
        )
        theirs.close()
        self.channel = ours
        self.frames = _Frames(ours)
        self.next_id = 0
        self.pids: dict[int, int] = {}  # run -> its pid (as the warm process sees it)
        self.started: dict[int, float] = {}  # run -> when it was forked
        self.ended: set[int] = set()
        self.ready = False
        self.error: Optional[str] = None  # why the warm process is gone

    @property
    def alive(self) -> bool:
        return self.error is None

    def fileno(self) -> int:
        return self.channel.fileno()

    def run(self, request: RunRequest, channel: int, key: bytes) -> int:
        """Start a run; ``channel``: the write end of its pipe to gradfix, ``key``: its secret
        (both go over sockets only, never through a file)."""
        self.next_id += 1
        try:
            _send(self.channel, {"run": self.next_id, "request": asdict(request), "key": key.hex()}, (channel,))
        except OSError as error:
            self._lost(f"could not reach the warm sandbox process ({error})")
        return self.next_id

    def kill(self, run: int) -> None:
        if self.alive and run not in self.ended:
            try:
                _send(self.channel, {"kill": run})
            except OSError as error:
                self._lost(f"could not reach the warm sandbox process ({error})")

    def pump(self, timeout: float, also: Any = ()) -> None:
        """Read what the warm process said, waiting at most ``timeout`` seconds for the first word
        (or for one of ``also``, readable objects of the caller's, to be readable)."""
        if not self.alive:
            if also:
                select.select(list(also), [], [], max(0.0, timeout))
            return
        ready, _, _ = select.select([self.channel, *also], [], [], max(0.0, timeout))
        if self.channel not in ready:
            return
        try:
            messages = self.frames.read()
        except OSError as error:
            messages = []
            self._lost(f"lost the warm sandbox process ({error})")
        for message in messages:
            if "ready" in message:
                self.ready = True
            elif "error" in message:
                self._lost(str(message["error"]))
            elif "pid" in message:
                self.pids[message["run"]] = message["pid"]
                self.started[message["run"]] = time.monotonic()
            elif "ended" in message:
                self.ended.add(message["run"])
        if self.frames.closed:
            self._lost(None)

    def wait_ready(self, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while self.alive and not self.ready and time.monotonic() < deadline:
            self.pump(deadline - time.monotonic())

    def wait_ended(self, run: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.alive and run not in self.ended and time.monotonic() < deadline:
            self.pump(deadline - time.monotonic())

    def _lost(self, why: Optional[str]) -> None:
        if self.error is None:
            try:
                status = self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                status = self.process.wait()
            self.error = why or f"the warm sandbox process ended (exit status {status})"

    def close(self) -> None:
        """End the warm process and every run (closing the socket is enough; this also waits)."""
        self.channel.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.error is None:
            self.error = "closed"


# ---------------------------------------------------------------------------------------------
# the warm process's side


def serve(fd: int, parent: int) -> NoReturn:
    """The warm process: wall itself into a PID namespace, import torch, then fork runs on request."""
    from gradfix.sandbox import isolate

    if os.getppid() != parent:
        os._exit(1)
    isolate.die_with_parent()
    channel = socket.socket(fileno=fd)
    home: Optional[int] = None
    if sys.platform.startswith("linux"):
        try:
            home = isolate.own_pid_namespace()
        except OSError:
            home = None  # no namespaces here: runs are not isolated (gradfix knows, and says so)
    try:
        _warm()
    except BaseException as error:  # noqa: BLE001  (reported to gradfix, which reports it)
        _send(channel, {"error": f"the warm sandbox process could not start: {type(error).__name__}: {error}"})
        os._exit(1)
    server = _Server(channel, home)
    server.fork_spare()  # before "ready": the first run is handed over, not forked
    _send(channel, {"ready": True})
    server.loop()


def _warm() -> None:
    """Pay once for what every child would otherwise pay on its own."""
    import fcntl  # noqa: F401  (the walls bring the loopback up with these)
    import struct  # noqa: F401

    import torch

    import gradfix.sandbox.child  # noqa: F401
    import gradfix.sandbox.probe  # noqa: F401
    from gradfix.sandbox import isolate, limits, seccomp

    # Found once here, inherited by every run: where its cgroups go, the seccomp filter, the
    # host's sockets to cover.
    limits.places()
    seccomp.prepare()
    isolate.prepare()

    # Tiny on purpose: a large op would start torch's intra-op thread pool, and a pool
    # inherited through fork would hang the child's first large op.
    layer = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
    layer(torch.ones(1, 2)).sum().backward()
    optimizer.step()


class _Server:
    """Forks each run ahead of its request (a spare): the spare moves itself into cgroups of its
    own (limits.py) while nothing waits for it, since moving a process between cgroups waits for
    the kernel's RCU grace period (milliseconds); a request then only has to be handed over. The
    fork itself leaves the request's path too."""

    def __init__(self, channel: socket.socket, home: Optional[int]):
        self.channel = channel
        self.home = home
        self.frames = _Frames(channel)
        self.running: dict[int, int] = {}  # pid -> run
        self.cgroups: dict[int, str] = {}  # pid -> the name of its cgroups, removed when it is reaped
        # the next run, forked: its pid, the socket its request (and its channel to gradfix) goes down
        self.spare: Optional[tuple[int, socket.socket]] = None
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_write, False)
        signal.set_wakeup_fd(self.wake_write)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # a handler, so that it wakes select

    def loop(self) -> NoReturn:
        while True:
            ready, _, _ = select.select([self.channel, self.wake_read], [], [])
            if self.wake_read in ready:
                os.read(self.wake_read, 4096)
            self._reap()
            if self.channel in ready:
                for message in self.frames.read():
                    if "run" in message:
                        fd = self.frames.fds.pop(0) if self.frames.fds else -1
                        self._start(message["run"], message["request"], message.get("key", ""), fd)
                    elif "kill" in message:
                        self._kill(message["kill"])
                if self.frames.closed:  # gradfix is gone: so are its runs
                    self._end()

    def _start(self, run: int, request: dict[str, Any], key: str, fd: int) -> None:
        if self.spare is None:
            self.fork_spare()
        assert self.spare is not None
        pid, link = self.spare
        self.spare = None
        try:
            data = json.dumps({"request": request, "key": key}).encode()
            if fd >= 0:
                socket.send_fds(link, [data[:1]], [fd])
                data = data[1:]
            link.sendall(data)
        except OSError:
            pass  # the spare died: it is reaped as the run, which then reports nothing
        finally:
            link.close()
            if fd >= 0:
                os.close(fd)  # the run holds it now; gradfix sees the end of it when the run ends
        self.running[pid] = run
        _send(self.channel, {"run": run, "pid": pid})
        self.fork_spare()  # the next run's, while this one runs

    def fork_spare(self) -> None:
        from gradfix.sandbox import isolate, limits

        name = limits.PREFIX + "z" + os.urandom(6).hex()
        ours, theirs = socket.socketpair()
        pid = isolate.fork_into_pid_namespace(self.home) if self.home is not None else os.fork()
        if pid == 0:
            try:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                # Nothing of the warm process's reaches the script: nor other runs' channels not
                # yet handed over (their requests came in the same read as this run's).
                for fd in (self.channel.fileno(), self.wake_read, self.wake_write, self.home, ours.fileno(), *self.frames.fds):
                    if fd is not None:
                        os.close(fd)
                os.setsid()
                joined = limits.join(name)
                data, fds = _read_request(theirs)
                theirs.close()
                if not data or len(fds) != 1:
                    os._exit(0)  # never used: the warm process is ending
                from gradfix.sandbox.child import run_in_child

                message = json.loads(data)
                key = bytes.fromhex(message.pop("key"))
                run_in_child(RunRequest(**message.pop("request")), cgroups=(name, joined), channel=(fds[0], key))
            finally:
                os._exit(3)
        theirs.close()
        self.spare = (pid, ours)
        self.cgroups[pid] = name

    def _end(self) -> NoReturn:
        """gradfix is gone: end every run and the spare, and remove their cgroups."""
        from gradfix.sandbox import limits

        if self.spare is not None:
            self.spare[1].close()
            self._signal(self.spare[0])
        for pid in self.running:
            self._signal(pid)
        deadline = time.monotonic() + 2.0
        while self.cgroups and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.005)
            elif pid in self.cgroups:
                limits.remove(self.cgroups.pop(pid))
        os._exit(0)

    def _kill(self, run: int) -> None:
        for pid, of in self.running.items():
            if of == run:
                self._signal(pid)

    @staticmethod
    def _signal(pid: int) -> None:
        # Only ever a pid not yet reaped (still in `running`), so never someone else's. Its group
        # too: without a PID namespace (macOS), that is how the processes the script started end.
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def _reap(self) -> None:
        from gradfix.sandbox import limits

        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            run = self.running.pop(pid, None)
            if run is not None:
                try:
                    os.killpg(pid, signal.SIGKILL)  # stragglers, where no PID namespace ended them
                except (ProcessLookupError, PermissionError):
                    pass
                _send(self.channel, {"run": run, "ended": True})
            elif self.spare is not None and self.spare[0] == pid:  # died unused: the next request forks another
                self.spare[1].close()
                self.spare = None
            name = self.cgroups.pop(pid, None)
            if name is not None:
                limits.remove(name)  # after gradfix heard of the end: off the run's path
