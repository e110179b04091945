"""The sandboxed child: builds its walls, applies the limits, installs the probe, runs the script
as ``__main__``.

It is entered either in a process forked from the warm process (zygote.py; fast: torch is already
imported) or in a fresh interpreter (``python -m gradfix.sandbox.child REQUEST.json``). Both paths
run :func:`run_in_child`, which never returns: it sends the Trace on the run's channel to gradfix
(channel.py) and ends the process.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time
import types
from typing import Any, NoReturn, Optional

from gradfix.sandbox import isolate, limits, seccomp
from gradfix.sandbox.channel import KEY_BYTES, Patches, Writer
from gradfix.sandbox.request import RunRequest


def _redirect(request: RunRequest) -> None:
    # The parent flushed its streams before forking; whatever the inherited buffers hold is not ours.
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    out = os.open(request.stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(request.stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(err, 2)
    # Fresh text streams: the inherited ones may hold buffered output of the parent.
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", buffering=1, closefd=False, encoding="utf-8", errors="replace")
    sys.stderr = open(2, "w", buffering=1, closefd=False, encoding="utf-8", errors="replace")


def _limit(request: RunRequest, tasks: int) -> None:
    """Limits per process: the address space, no core dumps, and, where no cgroup counts the run's
    tasks (``tasks`` is then their number), the user's processes. Root is exempt from the last
    by the kernel, whatever its capabilities (docs/security.md)."""
    if tasks and hasattr(resource, "RLIMIT_NPROC") and os.geteuid() != 0:
        try:
            # The user's processes machine-wide (at most the tasks running now) plus the run's own.
            with open("/proc/loadavg") as loadavg:
                running = int(loadavg.read().split()[3].split("/")[1])
            resource.setrlimit(resource.RLIMIT_NPROC, (running + tasks, running + tasks))
        except (OSError, ValueError, IndexError):
            pass
    if request.memory_mb:
        with open("/proc/self/statm") if os.path.exists("/proc/self/statm") else open(os.devnull) as statm:
            fields = statm.read().split()
        current = int(fields[0]) * resource.getpagesize() if fields else 0
        limit = current + request.memory_mb * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass


def _mirror(folder: str, workdir: str) -> None:
    """Fallback without namespaces: a working directory whose entries link to the user's, so
    relative reads work and new top-level files land in the scratch folder."""
    os.mkdir(workdir)
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        try:
            os.symlink(os.path.join(folder, entry), os.path.join(workdir, entry))
        except OSError:
            pass


def _install_overlay(overlay: dict[str, str]) -> None:
    """Make imports of the user's modules see the candidate sources instead of the files on disk."""
    if not overlay:
        return
    from importlib.machinery import SourceFileLoader

    read = SourceFileLoader.get_data
    stats = SourceFileLoader.path_stats

    def get_data(loader: Any, path: str) -> bytes:
        text = overlay.get(os.path.realpath(path))
        return text.encode("utf-8") if text is not None else read(loader, path)

    def path_stats(loader: Any, path: str) -> dict:
        if os.path.realpath(path) in overlay:
            return {"mtime": 0, "size": -1}  # never matches a cached .pyc: compile the overlay
        return stats(loader, path)

    SourceFileLoader.get_data = get_data  # type: ignore[method-assign]
    SourceFileLoader.path_stats = path_stats  # type: ignore[method-assign]


_STARTUP_MODULES = {
    "gradfix", "torch", "os", "io", "abc", "codecs", "encodings", "site", "stat", "posixpath", "genericpath",
    "types", "functools", "collections", "re", "enum", "operator", "keyword", "reprlib", "warnings",
    "importlib", "zipimport", "time", "_collections_abc", "_sitebuiltins",
}


def _forget_shadowed(folder: str) -> None:
    """A forked child inherits the parent's imports: a user's own ``profile.py`` or ``utils/``
    must win over a module of the same name that gradfix happened to import, as it would in a
    fresh interpreter."""
    for name in list(sys.modules):
        top = name.split(".", 1)[0]
        if top in _STARTUP_MODULES or top in sys.builtin_module_names:
            continue  # a fresh interpreter has these before it looks at the script's folder
        if os.path.exists(os.path.join(folder, top + ".py")) or os.path.isdir(os.path.join(folder, top)):
            del sys.modules[name]


def _close_inherited(keep: set[int]) -> None:
    """Close every descriptor but ``keep`` (the standard streams and the probe's channel): a
    script must not write to what its caller had open."""
    top = 1 << 20 if sys.platform.startswith("linux") else min(os.sysconf("SC_OPEN_MAX"), 1 << 16)
    low = 0
    for fd in sorted(keep):
        if fd > low:
            os.closerange(low, fd)
        low = max(low, fd + 1)
    os.closerange(low, top)  # close_range(2) on Linux: one call whatever the range


def _channel_of(request: RunRequest) -> tuple[int, bytes]:
    """A fresh interpreter's channel: the descriptor it inherited, and the key, read from a pipe
    of its own that is closed before the script starts (the request file has no key)."""
    key = b""
    while len(key) < KEY_BYTES:
        chunk = os.read(request.key_fd, KEY_BYTES - len(key))
        if not chunk:
            break
        key += chunk
    os.close(request.key_fd)
    if len(key) != KEY_BYTES:
        raise OSError("the run's key did not arrive")
    return request.channel_fd, key


def _watch_missing_environment(missing: set[str]) -> None:
    """Collect in ``missing`` the names the script looks up in ``os.environ`` (``[]``, ``get``,
    ``getenv``, ``in``) and does not find: a crash on a variable the sandbox dropped can then say
    so. Names only, never values."""
    environ_type = type(os.environ)
    lookup = environ_type.__getitem__

    def getitem(self: Any, key: Any) -> Any:
        try:
            return lookup(self, key)
        except KeyError:
            if isinstance(key, str) and len(key) <= 200 and len(missing) < 256:  # the script is untrusted
                missing.add(key)
            raise

    environ_type.__getitem__ = getitem  # type: ignore[method-assign]


def run_in_child(
    request: RunRequest, cgroups: Optional[tuple[str, list[str]]] = None, channel: Optional[tuple[int, bytes]] = None,
) -> NoReturn:
    """``cgroups``: the cgroups a run forked ahead by the warm process already joined (their name,
    their controllers); otherwise the run makes its own, named after its scratch folder.
    ``channel``: the write end of the run's pipe to gradfix and its key, from the warm process;
    otherwise a fresh interpreter's, as the request says where to find them."""
    writer: Optional[Writer] = None
    try:
        fd, key = channel if channel is not None else _channel_of(request)
        os.set_inheritable(fd, False)  # a program the script starts does not get it
        writer = Writer(fd, key)
        _redirect(request)
        # First: what the run starts from here on is counted with it (and the cgroup file system
        # is read-only behind the walls).
        tasks = limits.task_budget(request.nproc_per_node)
        if cgroups is not None:
            whole_run = limits.apply(cgroups[0], cgroups[1], request.memory_mb, tasks)
        elif sys.platform.startswith("linux"):
            whole_run = limits.enter(os.path.basename(request.scratch), request.memory_mb, tasks)
        else:
            whole_run = []
        if request.isolate:
            try:
                isolate.enter_pid_namespace()  # already process 1 when forked by the warm process
                isolate.wall_in(request.protect, request.scratch, request.memory_mb)
                os.chdir(request.cwd)
                isolate.drop_privileges()
                seccomp.install()
            except OSError as error:
                raise isolate.IsolationError(error.errno, f"the sandbox could not be built here: {error}") from None
        else:
            isolate.die_with_parent()
            mirror = os.path.join(request.scratch, "cwd")
            _mirror(request.cwd, mirror)
            os.chdir(mirror)
            try:
                seccomp.install()  # what it can: without namespaces, other processes' memory at least
            except OSError:
                pass
        writer.settle()
        os.environ.clear()
        os.environ.update(request.env)
        _limit(request, 0 if "pids" in whole_run else tasks)
        _close_inherited({0, 1, 2, fd})
        sys.dont_write_bytecode = True  # keep .pyc files of the user's modules out of their tree
        _run(request, writer)
    except BaseException as error:  # the probe itself failed: say so to gradfix
        try:
            message = str(error) if isinstance(error, isolate.IsolationError) else f"{type(error).__name__}: {error}"
            if writer is not None:
                writer.settle()
                writer.error(message)
        finally:
            os._exit(3)
    os._exit(0)


def _run(request: RunRequest, channel: Writer) -> None:
    from gradfix.sandbox.loops import compile_user_code, shorten_imported_loops
    from gradfix.sandbox.facts import UserCode
    from gradfix.sandbox.probe import Probe

    if request.threads:
        import torch

        torch.set_num_threads(request.threads)
    real_exit = os._exit
    owner = os.getpid()
    missing_env: set[str] = set()

    def write(trace: Any) -> NoReturn:
        # Only the run's own process reports: a process the script forked (a DataLoader worker, a
        # daemon) that ends through os._exit would otherwise write a second trace after the first.
        if os.getpid() != owner:
            real_exit(0)
        trace.missing_env = sorted(missing_env)
        # A Trace merged from the ranks' is checked against what each rank said (ranks.py).
        merged = probe.ranks.merged if trace.rank is not None else None
        channel.end(trace, probe.finished_ids if merged is None else [], merged)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            real_exit(0)

    script = os.path.realpath(request.script)
    probe = Probe(
        script=script,
        argv=list(request.args),
        user_code=UserCode(request.user_roots),
        max_steps=request.steps,
        max_backwards=request.max_backwards,
        on_stop=write,
    )
    probe.channel = channel
    # What the probe (and the overlay) install, told apart from what was there: the probe says at
    # the end which of its patches the script replaced.
    patches = Patches()
    overlay = {os.path.realpath(k): v for k, v in request.overlay.items()}
    _install_overlay(overlay)
    source = overlay.get(script)
    if source is None:
        with open(script, encoding="utf-8-sig") as handle:
            source = handle.read()

    def on_alarm(signum: int, frame: Any) -> None:
        def stop() -> None:
            probe.stop(timed_out=True)

        if not channel.defer(stop):  # a message under way goes out whole first
            stop()

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, request.timeout)
    probe.ranks.deadline = time.monotonic() + request.timeout

    sys.argv = [script, *request.args]
    sys.path[0:1] = [os.path.dirname(script)]
    _forget_shadowed(os.path.dirname(script))
    main = types.ModuleType("__main__")
    main.__file__ = script
    main.__builtins__ = __builtins__  # type: ignore[attr-defined]
    if script.endswith(".ipynb"):
        # What a kernel's namespace has and plain Python lacks: display(), which a notebook
        # calls by name to show a frame or a plot; outside a front end it prints each repr.
        main.display = _display  # type: ignore[attr-defined]
    sys.modules["__main__"] = main
    probe.install()
    shorten_imported_loops(probe.user)
    channel.patches = patches.taken(probe.mode)
    _watch_missing_environment(missing_env)

    def exit_now(status: int) -> NoReturn:
        if os.getpid() != owner:
            real_exit(status)
        os._exit = real_exit  # type: ignore[assignment]
        if status:
            probe.record_exit(status)
        write(probe.finish())  # a script that ends itself with os._exit still reports

    os._exit = exit_now  # type: ignore[assignment]
    try:
        code = compile_user_code(source, script)
        if request.nproc_per_node:
            from gradfix.sandbox.ranks import run_as_torchrun

            def run_script() -> None:
                exec(code, main.__dict__)

            run_as_torchrun(probe.ranks, request.nproc_per_node, run_script)
        else:
            exec(code, main.__dict__)
    except SystemExit as exit_:
        status = exit_.code
        if status not in (None, 0):
            message = ""
            if not isinstance(status, int):
                print(status, file=sys.stderr)
                message, status = str(status), 1
            probe.record_exit(status, message)
    except BaseException as error:
        probe.record_crash(error)
    signal.setitimer(signal.ITIMER_REAL, 0)
    write(probe.finish())


def _display(*objects: Any, **_: Any) -> None:
    for shown in objects:
        print(repr(shown))


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        run_in_child(RunRequest(**json.load(handle)))
