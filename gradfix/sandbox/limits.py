"""Limits on a whole run, all its processes together: memory and the number of tasks.

A limit per process (``RLIMIT_AS``) lets three forked children of 4 GiB each take 12 GiB, and root
is not bound by ``RLIMIT_NPROC`` at all (the kernel exempts uid 0 whatever its capabilities). So
each run gets a cgroup of its own, named after its scratch folder, with ``memory`` capped at the
run's memory budget and ``pids`` (processes and threads) at :func:`task_budget`. It is made and
entered by the run itself before its walls go up (the cgroup file system is read-only behind
them), and removed when the run has ended (by the warm process that forked it, or by gradfix with
the scratch folder). A gradfix that was killed leaves empty cgroups, and so does the run forked
ahead that no request used when gradfix exits (gradfix does not wait for the warm process to end):
the next gradfix sweeps them.

Where: cgroup v2 (``memory.max``, ``pids.max``) below a cgroup whose ``cgroup.subtree_control``
already hands out both controllers (the one gradfix runs in, or its parent: a cgroup that holds
processes cannot hand them out), else cgroup v1's ``memory`` and ``pids`` hierarchies (hybrid
systems), below the cgroups gradfix is in. Where neither is writable (not root, or a container
without cgroup delegation), :func:`describe` says so and the run is limited per process only:
``RLIMIT_AS``, and ``RLIMIT_NPROC`` for users other than root.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from typing import Optional

PREFIX = "gradfix-run-"


@dataclass(frozen=True)
class _Place:
    controller: str  # "memory" or "pids"
    version: int
    folder: str  # where each run's cgroup is made


def task_budget(nproc_per_node: int = 0) -> int:
    """Processes and threads a run may have at once: room for torch's thread pools (a few per
    core), DataLoader workers and ``torchrun`` ranks, and not for a fork bomb."""
    cores = os.cpu_count() or 1
    return 128 + 16 * cores * max(1, nproc_per_node)


_places: Optional[list[_Place]] = None


def places() -> list[_Place]:
    """Where this process's runs get their cgroups, one entry per controller found writable.
    Found once per process (the warm process finds it before forking the runs)."""
    global _places
    if _places is None:
        try:
            _places = _find()
        except (OSError, ValueError, IndexError):
            _places = []
    return _places


def _mounts(mountinfo: str) -> list[tuple[str, str, str, set[str]]]:
    """The cgroup mounts: (file system type, root within the hierarchy, mount point, options)."""
    found = []
    for line in mountinfo.splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if tail and tail[0] in ("cgroup", "cgroup2"):
            options = set(tail[2].split(",")) if len(tail) > 2 else set()
            found.append((tail[0], _unescape(fields[3]), _unescape(fields[4]), options))
    return found


def _unescape(path: str) -> str:
    return path.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def _find() -> list[_Place]:
    if os.geteuid() != 0 or not os.path.exists("/proc/self/cgroup"):
        return []  # cgroups are root's here (a delegated subtree is not looked for)
    with open("/proc/self/cgroup") as handle:
        cgroup = handle.read()
    with open("/proc/self/mountinfo") as handle:
        mountinfo = handle.read()
    return find_places(cgroup, mountinfo)


def find_places(cgroup: str, mountinfo: str) -> list[_Place]:
    """Where runs' cgroups go, given this process's /proc/self/cgroup and /proc/self/mountinfo:
    cgroup v2 for each controller it hands out to the children of our cgroup or of its parent,
    else the controller's cgroup v1 hierarchy, below our cgroup there."""
    ours: dict[str, str] = {}  # controller ("" for v2) -> our cgroup's path in that hierarchy
    for line in cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            ours[controller] = path
    mounts = _mounts(mountinfo)
    found: dict[str, _Place] = {}
    for kind, root, point, options in mounts:
        if kind == "cgroup2" and "" in ours:
            folder = _inside(point, root, ours[""])
            if folder is not None:
                for controller in ("memory", "pids"):
                    parent = _v2_parent(folder, point, controller)
                    if parent is not None and controller not in found:
                        found[controller] = _Place(controller, 2, parent)
    for kind, root, point, options in mounts:
        for controller in ("memory", "pids"):
            if kind == "cgroup" and controller in options and controller in ours and controller not in found:
                folder = _inside(point, root, ours[controller])
                if folder is not None and os.access(folder, os.W_OK):
                    found[controller] = _Place(controller, 1, folder)
    return [found[c] for c in ("memory", "pids") if c in found]


def _inside(point: str, root: str, path: str) -> Optional[str]:
    """Our cgroup's folder under a mount of its hierarchy, or None where the mount does not show it."""
    relative = os.path.relpath(path, root)
    if relative.startswith(".."):
        return None
    folder = os.path.normpath(os.path.join(point, relative))
    return folder if os.path.isdir(folder) else None


def _v2_parent(folder: str, point: str, controller: str) -> Optional[str]:
    """A cgroup v2 folder whose children get ``controller``: ours or its parent (within the mount)."""
    for candidate in (folder, os.path.dirname(folder)):
        if not (candidate == point or candidate.startswith(point.rstrip("/") + "/")):
            break
        try:
            with open(os.path.join(candidate, "cgroup.subtree_control")) as handle:
                if controller in handle.read().split() and os.access(candidate, os.W_OK):
                    return candidate
        except OSError:
            continue
    return None


def describe() -> str:
    """Which limits apply to a whole run here, for docs and messages."""
    found = places()
    if not found:
        who = "root" if hasattr(os, "geteuid") and os.geteuid() == 0 else "this user"
        per_process = "RLIMIT_AS per process" + (", and no limit on processes (root ignores RLIMIT_NPROC)" if who == "root" else ", RLIMIT_NPROC")
        return f"no writable cgroup for {who} here: {per_process}"
    return ", ".join(f"cgroup v{p.version} {p.controller}" for p in found)


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def join(name: str) -> list[str]:
    """Make the cgroups ``name`` (no limits yet: :func:`apply` sets them) and move this process
    into them; what it starts from now on is counted with it. Returns the controllers joined
    (none where no cgroup can be had here). Moving a process waits for the kernel's RCU grace
    period (milliseconds): the warm process has its spare runs do it before their request comes."""
    joined = []
    for place in places():
        folder = os.path.join(place.folder, name)
        for _ in range(2):  # a sweep by another gradfix may remove it while it is still empty
            try:
                os.mkdir(folder, 0o755)
            except FileExistsError:
                pass
            except OSError:
                break
            try:
                _write(os.path.join(folder, "cgroup.procs"), "0")  # 0: the writing process
            except FileNotFoundError:
                continue
            except OSError:
                break
            joined.append(place.controller)
            break
    return joined


def apply(name: str, joined: list[str], memory_mb: int, tasks: int) -> list[str]:
    """Set the limits of the cgroups ``name`` that this process joined; returns those that hold."""
    applied = []
    for place in places():
        if place.controller in joined:
            try:
                _limit(place, os.path.join(place.folder, name), memory_mb, tasks)
                applied.append(place.controller)
            except OSError:
                pass
    return applied


def enter(name: str, memory_mb: int, tasks: int) -> list[str]:
    """:func:`join` then :func:`apply`: a run that was not forked ahead (``--no-fork``)."""
    return apply(name, join(name), memory_mb, tasks)


def _limit(place: _Place, folder: str, memory_mb: int, tasks: int) -> None:
    if place.controller == "pids":
        _write(os.path.join(folder, "pids.max"), str(tasks))
        return
    if memory_mb <= 0:
        return  # no memory budget asked for
    limit = str(memory_mb << 20)
    if place.version == 2:
        _write(os.path.join(folder, "memory.max"), limit)
        if os.path.exists(os.path.join(folder, "memory.swap.max")):
            _write(os.path.join(folder, "memory.swap.max"), "0")  # the budget is memory, not swap
        return
    _write(os.path.join(folder, "memory.limit_in_bytes"), limit)
    swap = os.path.join(folder, "memory.memsw.limit_in_bytes")  # memory and swap together
    if os.path.exists(swap):
        _write(swap, limit)


def remove(name: str) -> None:
    """Remove a finished run's cgroups (every process in them has ended)."""
    for place in places():
        folder = os.path.join(place.folder, name)
        for attempt in range(3):
            try:
                os.rmdir(folder)
            except FileNotFoundError:
                break
            except OSError as error:
                if error.errno != errno.EBUSY or attempt == 2:
                    break  # still busy: the next sweep removes it
                time.sleep(0.005)  # the last tasks of the run are still being released
            else:
                break


def sweep() -> None:
    """Remove the empty run cgroups that killed gradfix processes left (one in use holds the run's
    processes, and the kernel refuses to remove it)."""
    for place in places():
        try:
            entries = os.listdir(place.folder)
        except OSError:
            continue
        for entry in entries:
            if entry.startswith(PREFIX):
                try:
                    os.rmdir(os.path.join(place.folder, entry))
                except OSError:
                    pass
