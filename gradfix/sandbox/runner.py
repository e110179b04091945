"""Starting the user's script in a child process with limits, and collecting its Trace.

A :class:`Sandbox` is made once per gradfix invocation. Where it can, runs are forked from a warm
process that imported torch once (zygote.py: started with the cleaned environment, it holds none
of gradfix's secrets), so a run costs milliseconds instead of the seconds of a cold interpreter.
Elsewhere (``fork=False``) each run starts a fresh interpreter; both give the same Trace. On Linux
each run is walled in (isolate.py) wherever the kernel allows it; :attr:`Sandbox.isolated` says
whether it does here.
"""

from __future__ import annotations

import atexit
import copy
import fnmatch
import hashlib
import json
import os
import signal
import sys
import time
from dataclasses import asdict, dataclass
from typing import Optional

from gradfix.sandbox import isolate
from gradfix.sandbox.channel import Reader, make_key
from gradfix.sandbox.request import RunRequest
from gradfix.sandbox.zygote import Zygote
from gradfix.trace import Trace

# Environment variables the script may see. Everything else (tokens, cloud credentials, CI
# secrets) is dropped: the script may be hostile, and the PR bot runs code from strangers.
_ALLOWED_ENV = [
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "LC_*", "TERM", "TZ",
    "TMPDIR", "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONWARNINGS", "PYTHONUTF8",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_*", "KMP_*", "CUDA_VISIBLE_DEVICES",
    "TORCH_*", "PYTORCH_*", "VIRTUAL_ENV", "CONDA_PREFIX", "NO_COLOR", "PYTHONPATH",
]
_SECRET_PATTERNS = ["*TOKEN*", "*SECRET*", "*KEY*", "*PASSWORD*", "*PASSWD*", "*CREDENTIAL*", "GITHUB_*", "ACTIONS_*"]


def clean_environment(environ: Optional[dict[str, str]] = None) -> dict[str, str]:
    environ = dict(os.environ if environ is None else environ)
    kept = {}
    for name, value in environ.items():
        upper = name.upper()
        if not any(fnmatch.fnmatchcase(upper, pattern) for pattern in _ALLOWED_ENV):
            continue
        if any(fnmatch.fnmatchcase(upper, pattern) for pattern in _SECRET_PATTERNS):
            continue
        kept[name] = value
    kept["PYTHONDONTWRITEBYTECODE"] = "1"
    return kept


@dataclass
class RunHandle:
    """A run that was started and not yet collected (`Sandbox.start` / `Sandbox.wait`)."""

    request: RunRequest
    scratch: str
    pid: int  # a fresh interpreter's pid; 0 for a run forked by the warm process
    started: float
    deadline: float
    pidfd: Optional[int] = None  # readable when the child exits (Linux)
    warm: Optional[Zygote] = None  # the warm process that forked the run (None: a fresh interpreter)
    run: int = 0  # its number for the run
    channel: Optional[Reader] = None  # what the run says to gradfix (channel.py)


@dataclass
class RunResult:
    trace: Trace
    stdout: str
    stderr: str
    seconds: float
    # Why gradfix could not observe the run: its probe failed or went quiet, the script replaced a
    # patch of the probe's, or the run's messages failed their check (channel.py). No verdict then.
    probe_error: Optional[str] = None


def _widen(pipe: int) -> None:
    """A pipe that holds a whole Trace of the usual size (1 MiB, the most a user may ask for by
    default): a run that finishes while gradfix is busy elsewhere (diagnosing the previous script)
    does not wait for it to read."""
    try:
        import fcntl

        fcntl.fcntl(pipe, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass


def fork_is_usable() -> bool:
    return hasattr(os, "fork") and sys.platform.startswith(("linux", "darwin"))


# One warm process serves every Sandbox of this process (the tests make many): starting one costs
# an interpreter and a torch import. Requests carry everything that differs between sandboxes.
_zygote: Optional[Zygote] = None


def _warm_process() -> Zygote:
    global _zygote
    if _zygote is None or not _zygote.alive:
        _zygote = Zygote(clean_environment())
    return _zygote


# Runs started and not yet collected, by id(handle): whatever ends gradfix (an exception, Ctrl-C,
# SIGTERM or SIGHUP: see _end_on_signals) ends them and removes their scratch folders at exit.
# (A SIGKILL leaves the scratch folders: the next gradfix sweeps them, isolate.sweep_scratch.)
_live: dict[int, "RunHandle"] = {}


def end_runs() -> None:
    """End every run not yet collected and remove its scratch folder. At exit (atexit, and
    ``gradfix``'s own entry point, whose ``os._exit`` skips atexit); a no-op when all were collected."""
    if _live:
        _end_warm_process()


@atexit.register
def _end_warm_process() -> None:
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            signal.signal(number, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleaning short
        except (ValueError, OSError):
            pass
    for child in list(_live.values()):
        if child.warm is None:
            Sandbox._kill_group(child.pid)
            try:
                os.waitpid(child.pid, 0)
            except ChildProcessError:
                pass
    if _zygote is not None and _zygote.alive:
        _zygote.close()  # the runs it forked end with it (process 1 of their PID namespace)
    for child in list(_live.values()):
        isolate.remove_scratch(child.scratch)
    _live.clear()


def _end_on_signals() -> None:
    """SIGTERM and SIGHUP end gradfix as Ctrl-C does: through its exit handlers, which end the
    runs and remove their scratch folders (by default both end the process on the spot). Only
    where nobody chose a handler, and only from the main thread (Python's rule)."""
    for number in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(number) == signal.SIG_DFL:
                signal.signal(number, _exit_on_signal)
        except (ValueError, OSError):
            return


def _exit_on_signal(number: int, frame: object) -> None:
    raise SystemExit(128 + number)


# A forked run waits for the warm process first; this long, at most, before it counts as lost.
_WARM_UP_SECONDS = 300.0


class Sandbox:
    """Runs scripts under the probe. ``fork=None`` picks fork where it is usable."""

    def __init__(
        self,
        user_roots: list[str],
        steps: int = 3,
        timeout: float = 60.0,
        memory_mb: int = 8192,
        fork: Optional[bool] = None,
        cwd: Optional[str] = None,
        jobs: Optional[int] = None,
        nproc_per_node: int = 0,
        cache: bool = False,
    ):
        self.user_roots = [os.path.realpath(r) for r in user_roots]
        self.steps = steps
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.fork = fork_is_usable() if fork is None else fork and fork_is_usable()
        self.cwd = os.path.realpath(cwd or os.getcwd())
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.nproc_per_node = nproc_per_node  # run scripts as `torchrun --nproc-per-node N` would
        # A run that never steps still ends after this many backward passes (repair.py raises it
        # once for a script whose accumulation is longer).
        self.max_backwards = RunRequest.max_backwards
        self.env = clean_environment()
        self.runs = 0
        # A pull request's code (review): it must not learn even which names the caller's
        # environment holds, so no hint names them.
        self.untrusted = False
        # ``cache``: a run with the same request as an earlier one of this Sandbox (see _run_key)
        # gives that run's result again, copied, instead of running again. Off by default: for a
        # session over files that do not change while it lasts (the test suite's corpus).
        self._cache: Optional[dict[str, RunResult]] = {} if cache else None
        self.cached = 0  # runs answered from the cache
        _end_on_signals()

    def dropped_environment(self) -> list[str]:
        """The names of gradfix's environment variables that the scripts do not get (``--env``
        passes one). Names only: the values may be secrets. None for untrusted code."""
        if self.untrusted:
            return []
        return sorted(name for name in os.environ if name not in self.env)

    @property
    def isolated(self) -> bool:
        """Whether runs are walled in here (Linux namespaces); see :attr:`why_not_isolated`."""
        return isolate.available() is None

    @property
    def why_not_isolated(self) -> Optional[str]:
        return isolate.available()

    def warm(self) -> None:
        """Start the warm process and wait until it has imported torch (runs started before that
        simply wait for it)."""
        if self.fork:
            _warm_process().wait_ready()

    def run(self, script: str, args: list[str], overlay: Optional[dict[str, str]] = None) -> RunResult:
        return self.run_many([(script, args, overlay)])[0]

    def start(self, script: str, args: list[str], overlay: Optional[dict[str, str]] = None) -> "RunHandle":
        """Start a run and return at once: the caller can work while the script runs."""
        return self._start(script, args, overlay, self.threads_per_run(1))

    def threads_per_run(self, at_once: int) -> int:
        """torch's threads for each of ``at_once`` runs side by side: the cores shared out, or 0
        (torch's default) when the caller's environment sets OMP_NUM_THREADS itself."""
        if "OMP_NUM_THREADS" in self.env:
            return 0
        return max(1, (os.cpu_count() or 1) // max(1, at_once))

    def wait(self, child: "RunHandle") -> RunResult:
        while (killed := self._poll(child)) is None:
            self._sleep_until_one_exits([child])
        return self._collect(child, killed)

    @staticmethod
    def _sleep_until_one_exits(children: list["RunHandle"]) -> None:
        """Block until a child exits or the nearest deadline passes; no polling delay on Linux."""
        timeout = max(0.0, min(c.deadline for c in children) - time.monotonic()) + 0.01
        # A run's messages are read as they come: a run must never wait for room in its pipe.
        channels = [c.channel for c in children if c.channel is not None and not c.channel.done]
        forked = [c.warm for c in children if c.warm is not None]
        if forked:
            forked[0].pump(timeout, also=channels)  # it says when each run ends
        else:
            descriptors = [c.pidfd for c in children if c.pidfd is not None]
            if len(descriptors) == len(children):
                import select

                select.select([*descriptors, *channels], [], [], timeout)
            else:
                time.sleep(min(timeout, 0.005))
        for reader in channels:
            reader.pump()

    def cancel(self, child: "RunHandle") -> None:
        _live.pop(id(child), None)
        if child.channel is not None:
            child.channel.close()
        if child.warm is not None:
            child.warm.kill(child.run)
            child.warm.wait_ended(child.run)
        else:
            self._kill_group(child.pid)
            os.waitpid(child.pid, 0)
            self._kill_group(child.pid)
        if child.pidfd is not None:
            os.close(child.pidfd)
        isolate.remove_scratch(child.scratch)

    def _run_key(self, script: str, args: list[str], overlay: Optional[dict[str, str]]) -> Optional[str]:
        """A run's request, hashed: the exact bytes of the script and of the Python files beside it
        (an overlay's text in place of a file's), the arguments and every setting a run gets. Not
        the files further away (a package in a subfolder, data files): the cache is for a session
        over scripts that import only their neighbours and change nothing while it lasts (the
        test suite's corpus). None (never cached) when a file cannot be read."""
        path = os.path.realpath(script)
        overlay = {os.path.realpath(k): v for k, v in (overlay or {}).items()}
        digest = hashlib.sha256()
        settings = [path, list(args), self.user_roots, self.cwd, sorted(self.env.items()), self.steps, self.timeout,
                    self.memory_mb, self.fork, self.nproc_per_node, self.max_backwards, self.isolated]
        digest.update(json.dumps(settings).encode())
        folder = os.path.dirname(path)
        try:
            beside = sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith((".py", ".ipynb")))
            for name in sorted({path, *beside, *overlay}):
                digest.update(b"\0file\0" + name.encode() + b"\0")
                if name in overlay:
                    digest.update(b"overlay\0" + overlay[name].encode("utf-8", "surrogatepass"))
                else:
                    with open(name, "rb") as handle:
                        digest.update(b"disk\0" + handle.read())
        except OSError:
            return None
        return digest.hexdigest()

    def run_many(self, specs: list[tuple[str, list[str], Optional[dict[str, str]]]]) -> list[RunResult]:
        """Run several scripts/candidates, up to ``jobs`` at a time; results in the order given."""
        if self._cache is None:
            return self._run_many(specs)
        keys = [self._run_key(*spec) for spec in specs]
        results: list[Optional[RunResult]] = [None] * len(specs)
        missing = []
        for index, key in enumerate(keys):
            if key is not None and key in self._cache:
                results[index] = copy.deepcopy(self._cache[key])
                self.cached += 1
            else:
                missing.append(index)
        for index, result in zip(missing, self._run_many([specs[i] for i in missing])):
            key = keys[index]
            # Only a run that ended on its own is kept: one the time limit cut, or gradfix could
            # not observe, may well end otherwise when it runs again.
            if key is not None and result.probe_error is None and not result.trace.timed_out:
                self._cache[key] = copy.deepcopy(result)
            results[index] = result
        return [r for r in results if r is not None]

    def _run_many(self, specs: list[tuple[str, list[str], Optional[dict[str, str]]]]) -> list[RunResult]:
        results: list[Optional[RunResult]] = [None] * len(specs)
        pending = list(enumerate(specs))
        running: dict[int, RunHandle] = {}
        threads = self.threads_per_run(min(self.jobs, len(specs)))
        try:
            while pending or running:
                while pending and len(running) < self.jobs:
                    index, (script, args, overlay) = pending.pop(0)
                    running[index] = self._start(script, args, overlay, threads)
                for index, child in list(running.items()):
                    killed = self._poll(child)
                    if killed is not None:
                        results[index] = self._collect(child, killed)
                        del running[index]
                if running:
                    self._sleep_until_one_exits(list(running.values()))
        finally:
            for child in running.values():  # interrupted: leave nothing behind
                _live.pop(id(child), None)
                if child.channel is not None:
                    child.channel.close()
                if child.warm is not None:
                    child.warm.kill(child.run)
                    child.warm.wait_ended(child.run)
                else:
                    self._kill_group(child.pid)
                    try:
                        os.waitpid(child.pid, 0)
                    except ChildProcessError:
                        pass
                isolate.remove_scratch(child.scratch)
        return [r for r in results if r is not None]

    def _start(self, script: str, args: list[str], overlay: Optional[dict[str, str]], threads: int) -> "RunHandle":
        child = self._start_run(script, args, overlay, threads)
        _live[id(child)] = child
        return child

    def _start_run(self, script: str, args: list[str], overlay: Optional[dict[str, str]], threads: int) -> "RunHandle":
        self.runs += 1
        if script.endswith(".ipynb") and os.path.realpath(script) not in (overlay or {}):
            # A notebook runs as the program of its code cells, given as the script's source
            # (as a candidate fix is): the child runs a script's text, whatever its file holds.
            from gradfix.notebook import read

            overlay = {**(overlay or {}), os.path.realpath(script): read(script).program}
        scratch = isolate.make_scratch()
        home = self.env.get("HOME", "")
        request = RunRequest(
            script=os.path.realpath(script),
            args=list(args),
            cwd=self.cwd,
            env=dict(self.env, TMPDIR=scratch),
            user_roots=self.user_roots,
            stdout_path=os.path.join(scratch, "stdout"),
            stderr_path=os.path.join(scratch, "stderr"),
            steps=self.steps,
            timeout=self.timeout,
            memory_mb=self.memory_mb,
            overlay=dict(overlay or {}),
            scratch=scratch,
            protect=[*self.user_roots, self.cwd, *([home] if home else [])],
            isolate=self.isolated,
            nproc_per_node=self.nproc_per_node,
            max_backwards=self.max_backwards,
            threads=threads,
        )
        started = time.perf_counter()
        # The run reports on a pipe only gradfix reads, signed with a key made for it (channel.py).
        key = make_key()
        read_end, write_end = os.pipe()
        _widen(write_end)
        reader = Reader(read_end, key)
        try:
            if self.fork:
                # The deadline starts when the warm process forks the run (_poll), not while it warms up.
                warm = _warm_process()
                run = warm.run(request, write_end, key)
                return RunHandle(request, scratch, 0, started, time.monotonic() + _WARM_UP_SECONDS, warm=warm, run=run, channel=reader)
            pid = self._spawn(request, scratch, write_end, key)
        except BaseException:
            reader.close()
            raise
        finally:
            os.close(write_end)
        # The child stops itself at `timeout` (and reports what it saw); this is the hard limit.
        try:
            pidfd: Optional[int] = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        return RunHandle(request, scratch, pid, started, time.monotonic() + self.timeout + 5.0, pidfd, channel=reader)

    def _spawn(self, request: RunRequest, scratch: str, write_end: int, key: bytes) -> int:
        import subprocess

        # The key goes down a pipe of its own, which the child reads and closes before the script
        # starts: the request file is in the scratch folder, where the script can read it.
        key_read, key_write = os.pipe()
        os.write(key_write, key)
        os.close(key_write)
        request.channel_fd, request.key_fd = write_end, key_read
        request_path = os.path.join(scratch, "request.json")
        with open(request_path, "w") as out:
            json.dump(asdict(request), out)
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        bootstrap = (
            "import sys, json; sys.path.insert(0, sys.argv[2]);"
            "from gradfix.sandbox.child import run_in_child;"
            "from gradfix.sandbox.request import RunRequest;"
            "run_in_child(RunRequest(**json.load(open(sys.argv[1]))))"
        )
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", bootstrap, request_path, package_root],
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=request.env,
                cwd=scratch,
                pass_fds=(write_end, key_read),
            )
        finally:
            os.close(key_read)
        process.returncode = 0  # reaped by _poll with waitpid, not by Popen
        return process.pid

    def _poll(self, child: "RunHandle") -> Optional[bool]:
        """None while the child runs; when it is done, whether it had to be killed."""
        if child.channel is not None:
            child.channel.pump()
        if child.warm is not None:
            return self._poll_forked(child, child.warm)
        done, _ = os.waitpid(child.pid, os.WNOHANG)
        killed = False
        if not done:
            if time.monotonic() <= child.deadline:
                return None
            killed = True
            self._kill_group(child.pid)
            os.waitpid(child.pid, 0)
        self._kill_group(child.pid)  # stragglers: DataLoader workers, processes the script started
        if child.pidfd is not None:
            os.close(child.pidfd)
            child.pidfd = None
        return killed

    def _poll_forked(self, child: "RunHandle", zygote: Zygote) -> Optional[bool]:
        # A forked run is the first process of its own PID namespace: when it has ended, so has
        # everything it started. The warm process reaps it and says so.
        zygote.pump(0)
        if child.run in zygote.ended or not zygote.alive:
            return False
        forked = zygote.started.get(child.run)
        if forked is not None and child.deadline > forked + self.timeout + 5.0:
            child.deadline = forked + self.timeout + 5.0
        if time.monotonic() <= child.deadline:
            return None
        zygote.kill(child.run)
        zygote.wait_ended(child.run)
        return True

    @staticmethod
    def _kill_group(pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _collect(self, child: "RunHandle", killed: bool) -> RunResult:
        _live.pop(id(child), None)
        try:
            result = self._read(child, killed, time.perf_counter() - child.started)
            warm = child.warm
            if warm is not None and warm.error is not None and not result.stdout and result.probe_error:
                result.probe_error = warm.error  # the run never started, or died with the warm process
            return result
        finally:
            if child.channel is not None:
                child.channel.close()
            isolate.remove_scratch(child.scratch)

    def _read(self, child: "RunHandle", killed: bool, seconds: float) -> RunResult:
        request = child.request

        def read(path: str, limit: int = 1 << 20) -> str:
            """At most the last megabyte: a script may print gigabytes."""
            try:
                with open(path, "rb") as handle:
                    handle.seek(0, os.SEEK_END)
                    handle.seek(max(0, handle.tell() - limit))
                    return handle.read().decode("utf-8", errors="replace")
            except OSError:
                return ""

        stdout, stderr = read(request.stdout_path), read(request.stderr_path)
        # The Trace comes from the channel only: the scratch folder is the script's to write.
        # Whatever could not be checked is "could not observe", never a clean run.
        assert child.channel is not None
        outcome = child.channel.outcome()
        probe_error = outcome.problem
        trace = outcome.trace if probe_error is None else None
        if trace is None:
            trace = Trace(script=request.script, argv=request.args, timed_out=killed and probe_error is None)
            if not killed and probe_error is None:
                probe_error = "the sandboxed process ended without reporting (killed by a signal or out of memory?)"
        return RunResult(trace=trace, stdout=stdout, stderr=stderr, seconds=seconds, probe_error=probe_error)
