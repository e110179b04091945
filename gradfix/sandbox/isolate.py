"""The walls around a sandboxed run on Linux: its own PID, mount and network namespaces, a file
system that is read-only except for throw-away overlays, a ``/dev`` with only harmless devices, a
``/proc`` that shows the run's own processes only, and no capabilities left when the script starts.

As root the namespaces are made directly; elsewhere inside a user namespace where gradfix's own
user is mapped to itself (and nobody else exists). :func:`available` says, by trying, whether this
machine allows it. docs/security.md says what each wall stops.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import stat
import sys
import tempfile
import time
from typing import NoReturn, Optional

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
_MS_BIND, _MS_MOVE, _MS_REC, _MS_PRIVATE = 0x1000, 0x2000, 0x4000, 0x40000
_AT_FDCWD, _AT_RECURSIVE = -100, 0x8000
_MOUNT_ATTR_RDONLY, _MOUNT_ATTR_NOSUID = 0x1, 0x2
_SYS_MOUNT_SETATTR = 442  # the same number on every architecture (new syscalls share one table)
_PR_SET_PDEATHSIG, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT = 1, 24, 38, 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

# The devices a training script may need. Everything else in the host's /dev (disks above all:
# root may write a block device whatever the mounts say) is absent.
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}


class IsolationError(OSError):
    """A wall could not be built; the run must not go on without it."""


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64), ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


_libc: Optional[ctypes.CDLL] = None


def _c() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise IsolationError(error, f"{what}: {os.strerror(error)}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _unshare(flags: int) -> None:
    """Root (or a process already inside gradfix's user namespace) makes the namespaces directly;
    anyone else first gets a user namespace in which their own user holds the capabilities."""
    if _c().unshare(flags) == 0:
        return
    if ctypes.get_errno() != 1:  # EPERM is the only failure a user namespace can cure
        _check(-1, "unshare")
    uid, gid = os.geteuid(), os.getegid()
    _check(_c().unshare(flags | CLONE_NEWUSER), "unshare (user namespace)")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


def _in_user_namespace() -> bool:
    try:
        with open("/proc/self/uid_map") as handle:
            return handle.read().split() != ["0", "0", "4294967295"]
    except OSError:
        return False


def die_with_parent() -> None:
    """SIGKILL when the parent ends: a PID namespace's first process takes every other with it."""
    if not sys.platform.startswith("linux"):
        return  # elsewhere the warm process ends when gradfix's end of its socket closes
    parent = os.getppid()
    _c().prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)
    if os.getppid() != parent:  # the parent ended before the request was in place
        os._exit(1)


def own_pid_namespace() -> int:
    """Become the first process of a new PID namespace (fork once; the outer process only waits
    and passes on the exit status). Returns a descriptor of that namespace, so a warm process can
    come back to it after making each run its own (:func:`fork_into_pid_namespace`)."""
    _unshare(CLONE_NEWPID)
    pid = os.fork()
    if pid:
        _wait_and_exit(pid)
    die_with_parent()
    return os.open("/proc/self/ns/pid_for_children", os.O_RDONLY | os.O_CLOEXEC)


def _wait_and_exit(pid: int) -> NoReturn:
    try:
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF if os.WIFEXITED(status) else 3)
    finally:
        os._exit(3)


def fork_into_pid_namespace(home: int) -> int:
    """Fork a child that is process 1 of a PID namespace of its own (it sees only its own
    descendants in /proc, and when it ends the kernel ends them all); the caller stays where it
    was (``home``, from :func:`own_pid_namespace`). Returns what ``os.fork`` returns."""
    _check(_c().unshare(CLONE_NEWPID), "unshare (pid)")
    pid = os.fork()
    if pid:
        _check(_c().setns(home, CLONE_NEWPID), "setns (pid)")
    return pid


def enter_pid_namespace() -> None:
    """For a fresh interpreter (``--no-fork``): continue as process 1 of a new PID namespace. The
    process left outside only waits; it dies with gradfix, and the namespace with it."""
    if os.getpid() != 1:
        die_with_parent()
        _unshare(CLONE_NEWPID)
        pid = os.fork()
        if pid:
            _wait_and_exit(pid)
        die_with_parent()


def _mount(source: Optional[str], target: str, fstype: Optional[str], flags: int, data: Optional[str] = None) -> None:
    encode = lambda text: text.encode() if text is not None else None  # noqa: E731
    _check(_c().mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"mount {fstype or ''} {target}")


def _set_attributes(path: str, add: int, remove: int = 0, recursive: bool = False) -> None:
    attr = _MountAttr(add, remove, 0, 0)
    result = _c().syscall(
        _SYS_MOUNT_SETATTR, _AT_FDCWD, path.encode(), _AT_RECURSIVE if recursive else 0, ctypes.byref(attr), ctypes.sizeof(attr)
    )
    _check(0 if result == 0 else -1, f"mount_setattr {path}")


def _escape(path: str) -> str:
    """Overlay options are separated by commas and lower layers by colons."""
    return path.replace("\\", "\\\\").replace(",", "\\,").replace(":", "\\:")


def _layer(scratch: str, name: str, like: str) -> tuple[str, str]:
    """An upper and a work folder for one overlay; the upper's root looks like the folder it covers."""
    upper, work = os.path.join(scratch, name, "upper"), os.path.join(scratch, name, "work")
    os.makedirs(upper)
    os.mkdir(work)
    status = os.stat(like)
    os.chmod(upper, status.st_mode & 0o7777)
    try:
        os.chown(upper, status.st_uid, status.st_gid)
    except OSError:
        pass  # an owner unknown in a user namespace: the folder stays ours
    return upper, work


def _overlay(folder: str, upper: str, work: str) -> None:
    options = f"lowerdir={_escape(folder)},upperdir={_escape(upper)},workdir={_escape(work)}"
    if _in_user_namespace():
        options += ",userxattr"  # trusted.* attributes belong to the host's root
    _mount("overlay", folder, "overlay", _MS_NOSUID | _MS_NODEV, options)


def _outermost(folders: list[str], scratch: str) -> list[str]:
    chosen: list[str] = []
    for folder in sorted({os.path.realpath(f) for f in folders}, key=len):
        if folder == "/" or not os.path.isdir(folder) or any(folder == c or folder.startswith(c + os.sep) for c in chosen):
            continue
        if scratch == folder or scratch.startswith(folder + os.sep):
            continue  # an overlay cannot keep its writes inside what it covers; the folder stays read-only
        chosen.append(folder)
    return chosen


def _loopback_up() -> None:
    """The new network namespace's own loopback, up: single-process DDP and local stores bind
    127.0.0.1. It is private to this namespace; the host's loopback and the network stay out of reach."""
    import fcntl
    import socket
    import struct

    siocsifflags, iff_up, iff_loopback, iff_running = 0x8914, 0x1, 0x8, 0x40
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as handle:
            fcntl.ioctl(handle, siocsifflags, struct.pack("16sH", b"lo", iff_up | iff_loopback | iff_running))
    except OSError:
        pass  # without it, only scripts that talk to 127.0.0.1 are affected


def _build_dev(scratch: str, memory_mb: int) -> None:
    staging = os.path.join(scratch, "dev")
    os.mkdir(staging)
    _mount("tmpfs", staging, "tmpfs", _MS_NOSUID | _MS_NOEXEC, "size=64k,mode=755")
    for name in _DEVICES:
        if os.path.exists(f"/dev/{name}"):
            open(os.path.join(staging, name), "x").close()
            _mount(f"/dev/{name}", os.path.join(staging, name), None, _MS_BIND)
    for name, target in _DEV_LINKS.items():
        os.symlink(target, os.path.join(staging, name))
    # Shared memory for DataLoader workers: writable, private, gone with the run.
    os.mkdir(os.path.join(staging, "shm"))
    _mount("tmpfs", os.path.join(staging, "shm"), "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={memory_mb}m,mode=1777")
    _mount(staging, "/dev", None, _MS_MOVE)
    _set_attributes("/dev", _MOUNT_ATTR_RDONLY)


# Folders where the host's services keep their unix sockets (docker.sock, an SSH or GPG agent's,
# systemd's), looked through once per process (the warm process does it before forking runs): a
# socket bound in another network namespace (a docker.sock bind-mounted into a container) is not
# in /proc/net/unix. Sockets under the overlays need nothing: an overlay refuses connections to
# the sockets of its lower layer.
_SOCKET_FOLDERS = ("/run", "/var/run")
_SOCKET_DEPTH = 4
_MAX_SOCKETS = 512
_known_sockets: Optional[set[str]] = None


def prepare() -> None:
    """What the walls of every run need and the warm process can find once, before forking."""
    _sockets_in_folders()


def _sockets_in_folders() -> set[str]:
    global _known_sockets
    if _known_sockets is None:
        found: set[str] = set()
        for folder in {os.path.realpath(f) for f in _SOCKET_FOLDERS if os.path.isdir(f)}:
            _scan_for_sockets(folder, 0, found)
        _known_sockets = found
    return _known_sockets


def _scan_for_sockets(folder: str, depth: int, found: set[str]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if len(found) >= _MAX_SOCKETS:
            return
        try:
            if entry.is_dir(follow_symlinks=False):
                if depth < _SOCKET_DEPTH:
                    _scan_for_sockets(entry.path, depth + 1, found)
            elif not entry.is_file(follow_symlinks=False) and not entry.is_symlink():
                if stat.S_ISSOCK(entry.stat(follow_symlinks=False).st_mode):
                    found.add(entry.path)
        except OSError:
            continue


def _bound_sockets() -> set[str]:
    """The unix sockets bound to a path in this network namespace, as /proc/net/unix lists them."""
    found = set()
    try:
        with open("/proc/net/unix") as handle:
            lines = handle.read().splitlines()[1:]
    except OSError:
        return found
    for line in lines:
        fields = line.split(None, 7)
        if len(fields) == 8 and fields[7].startswith("/"):
            found.add(fields[7])
    return found


def _hide_sockets(sockets: set[str], keep_out: list[str]) -> int:
    """Cover every unix socket on the file system that the run could connect to with /dev/null
    (connecting to a socket is no write, so the read-only mounts do not refuse it): docker.sock,
    an SSH agent's, any service's. Sockets under ``keep_out`` (the overlays, the scratch) are
    left: out of reach already, or the run's own. Returns how many were covered."""
    covered = 0
    for path in sorted(sockets):
        real = os.path.realpath(path)
        if any(real == folder or real.startswith(folder.rstrip(os.sep) + os.sep) for folder in keep_out):
            continue
        try:
            if not stat.S_ISSOCK(os.lstat(real).st_mode):
                continue
            _mount("/dev/null", real, None, _MS_BIND)
            covered += 1
        except (OSError, IsolationError):
            continue  # gone meanwhile, or on a file system that refuses: connect() is refused anyway there
    return covered


def wall_in(protect: list[str], scratch: str, memory_mb: int) -> None:
    """Everything but the script's own process: namespaces and mounts. Must run in process 1 of a
    fresh PID namespace (its /proc is mounted here), before :func:`drop_privileges`.

    Afterwards the whole file system is read-only; the ``protect`` folders and /tmp are overlays
    whose writes go to ``scratch`` (on disk) or to a private tmpfs (/tmp, whose scratch would be
    inside it), and vanish with the run. ``scratch`` itself must not be needed by path afterwards
    (it may be hidden under /tmp): open what the run writes for gradfix before calling this."""
    if not sys.platform.startswith("linux"):
        raise IsolationError(0, "namespaces need Linux")
    scratch = os.path.realpath(scratch)
    tmp = os.path.realpath("/tmp") if os.path.isdir("/tmp") else None
    overlaid = _outermost(protect, scratch)
    sockets = _bound_sockets() | _sockets_in_folders()  # /proc/net/unix: the host's network namespace's, so before leaving it
    _unshare(CLONE_NEWNS | CLONE_NEWNET)
    _loopback_up()
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    _hide_sockets(sockets, [scratch, *overlaid, *([tmp] if tmp else [])])
    _mount(scratch, scratch, None, _MS_BIND)  # a mount of its own, to stay writable below
    _set_attributes("/", _MOUNT_ATTR_RDONLY | _MOUNT_ATTR_NOSUID, recursive=True)
    _set_attributes(scratch, 0, _MOUNT_ATTR_RDONLY)
    for index, folder in enumerate(overlaid):
        if tmp is None or not (folder == tmp or folder.startswith(tmp + os.sep)):  # else /tmp's overlay covers it
            _overlay(folder, *_layer(scratch, f"layer{index}", folder))
    _build_dev(scratch, memory_mb)
    if tmp is not None:
        # Last, since the scratch usually lives in /tmp: its writes go to a tmpfs of their own
        # (an overlay's writes cannot be kept inside the folder it covers).
        layer = os.path.join(scratch, "tmp")
        os.mkdir(layer)
        _mount("tmpfs", layer, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={memory_mb}m,mode=700")
        try:
            _overlay(tmp, *_layer(layer, "layer", tmp))
        except IsolationError:  # an old kernel without user xattrs on tmpfs: an empty /tmp then
            _mount("tmpfs", tmp, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={memory_mb}m,mode=1777")
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC | _MS_RDONLY)


def drop_privileges() -> None:
    """No capability left (none regained by exec: the bounding set is emptied) and no way to
    gain privileges (set-user-ID files do nothing): root in the run cannot undo the mounts."""
    libc = _c()
    _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    for capability in range(64):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0 and ctypes.get_errno() != 22:
            _check(-1, "dropping capabilities")  # EINVAL: past the last capability this kernel knows
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(libc.capset(header, data), "capset")


# Each scratch folder holds a lock (flock) that its gradfix process keeps while it lives; a folder
# whose lock is free belongs to a gradfix that is gone (killed before it could clean up), and the
# next gradfix removes it (sweep_scratch).
_LOCK = ".owner"
_PREFIXES = ("gradfix-run-", "gradfix-check-")
_UNLOCKED_STALE_SECONDS = 3600.0  # a folder with no lock at all: made by a gradfix before these locks
_held: dict[str, int] = {}  # scratch folder -> the descriptor holding its lock
_swept = False


def make_scratch(prefix: str = "gradfix-run-") -> str:
    """A new scratch folder in the temporary folder, locked by this process until
    :func:`remove_scratch`. The first call of a process sweeps the folders of gone processes."""
    global _swept
    if not _swept:
        _swept = True
        sweep_scratch()
    while True:
        folder = tempfile.mkdtemp(prefix=prefix)
        lock = os.path.join(folder, _LOCK)
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        # Another gradfix sweeping at this moment may have taken the lock between its creation and
        # our flock, seen it free, and removed the folder (it lets go only once it is gone): then
        # the lock we hold is on a file no longer there, and we start again with a new folder.
        try:
            ours = os.stat(lock, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except OSError:
            ours = False
        if ours:
            _held[folder] = fd
            return folder
        os.close(fd)


def sweep_scratch() -> None:
    """Remove the scratch folders (and run cgroups) that gradfix processes of this user left when
    they were killed: those whose lock nobody holds."""
    from gradfix.sandbox import limits

    try:
        entries = list(os.scandir(tempfile.gettempdir()))
    except OSError:
        entries = []
    for entry in entries:
        if not entry.name.startswith(_PREFIXES) or entry.path in _held:
            continue
        try:
            status = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # another gradfix removed it between the listing and now
        if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.geteuid():
            continue
        try:
            fd = os.open(os.path.join(entry.path, _LOCK), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            if time.time() - status.st_mtime > _UNLOCKED_STALE_SECONDS:
                remove_scratch(entry.path)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its gradfix is alive
        else:
            remove_scratch(entry.path)
        finally:
            os.close(fd)
    limits.sweep()


def remove_scratch(path: str) -> None:
    """Remove a run's scratch folder, and its cgroups (limits.py). Overlayfs leaves its work folder
    without permissions, which only root may ignore: give them back first where the plain
    removal left something."""
    from gradfix.sandbox import limits

    shutil.rmtree(path, ignore_errors=True)
    if os.path.lexists(path):
        for root, folders, _ in os.walk(path):
            for folder in folders:
                try:
                    os.chmod(os.path.join(root, folder), 0o700, follow_symlinks=False)
                except OSError:
                    pass
        shutil.rmtree(path, ignore_errors=True)
    if os.path.basename(path).startswith(limits.PREFIX):
        limits.remove(os.path.basename(path))
    fd = _held.pop(path, None)
    if fd is not None:
        os.close(fd)


_available: Optional[tuple[Optional[str]]] = None


def available() -> Optional[str]:
    """None when runs can be walled in here; otherwise why not. Found out by trying, once per
    process, in a throw-away child: a kernel, a container or a sysctl may forbid what the
    platform allows. A wall that only strengthens the others and is missing here (the seccomp
    filter, without libseccomp) does not make the sandbox unavailable: gradfix says so, once."""
    global _available
    if _available is None:
        _available = (_try(),)
        if _available[0] is None:
            from gradfix.sandbox import seccomp

            gap = seccomp.problem()
            if gap is not None:
                sys.stderr.write(f"gradfix: warning: {gap}; the runs are walled in without it (docs/security.md)\n")
    return _available[0]


def _try() -> Optional[str]:
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return f"no Linux namespaces on {sys.platform}"
    scratch = make_scratch("gradfix-check-")
    read, write = os.pipe()
    try:
        pid = os.fork()
        if pid == 0:
            _report_trial(read, write, scratch)
        os.close(write)
        write = -1
        _, status = os.waitpid(pid, 0)
        with os.fdopen(read, "rb") as handle:
            read = -1
            reason = handle.read().decode(errors="replace")
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            return None
        return reason or "the namespaces could not be set up"
    finally:
        for fd in (read, write):
            if fd >= 0:
                os.close(fd)
        remove_scratch(scratch)


def _report_trial(read: int, write: int, scratch: str) -> NoReturn:
    try:
        os.close(read)
        enter_pid_namespace()
        project = os.path.join(scratch, "project")
        os.mkdir(project)
        wall_in([project], scratch, 16)
        drop_privileges()
        from gradfix.sandbox import seccomp

        seccomp.install()
        os._exit(0)
    except BaseException as error:  # noqa: BLE001  (any failure means: not available)
        os.write(write, str(error).encode())
    finally:
        os._exit(1)
