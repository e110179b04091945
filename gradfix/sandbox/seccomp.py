"""The system calls a run may not make: a seccomp filter, built with libseccomp.

The walls (isolate.py) already take every capability away, so most of these calls fail anyway;
the filter keeps them failing if a wall has a gap, and closes what no capability guards: root's
user keyring (``add_key``, ``keyctl``: shared with every root process on the machine, and it
outlives the run), new user namespaces (``unshare``, ``clone`` with a namespace flag: inside one,
a process holds every capability again), ``ptrace``, ``bpf``, ``userfaultfd``, ``io_uring`` and
the other large kernel interfaces a training script never needs. Each is refused with EPERM, as
the kernel refuses a call that needs a privilege, so a library that tries one sees an ordinary
error. ``clone3`` answers ENOSYS (its flags sit in memory, out of a filter's sight): the C
library then falls back to ``clone``, whose flags the filter reads.

The filter is libseccomp's (the library systemd, Docker and Chrome use; Debian's ``libseccomp2``,
which ``apt`` itself depends on), called through ctypes: it compiles the rules to BPF and checks
the architecture of every call (a 32-bit call from a 64-bit process is killed), which hand-made
BPF easily gets wrong. Where the library or the kernel's seccomp is missing, :func:`problem` says
why, and the runs go on with the other walls.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
from typing import Optional

REFUSED = (
    # the mounts: undoing the read-only file system and the overlays
    "mount", "umount2", "umount", "mount_setattr", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
    "pivot_root", "chroot",
    # other namespaces: the host's network and mounts (setns), or a user namespace full of capabilities
    "setns", "unshare",
    # other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    # kernel interfaces a training script never needs, and where kernel exploits live
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    # root's keyrings: shared with every root process, and kept after the run
    "keyctl", "add_key", "request_key",
    # the kernel itself
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct",
    "open_by_handle_at", "quotactl", "syslog",
)
# clone's namespace flags (a new mount, cgroup, UTS, IPC, user, PID or network namespace).
_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)

_ACT_ALLOW = 0x7FFF0000
_SCMP_CMP_MASKED_EQ = 7
_SCMP_FLTATR_CTL_TSYNC = 4


def _act_errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


_library: Optional[ctypes.CDLL] = None
_filter: Optional[int] = None  # a libseccomp context, built once (in the warm process) and loaded in each run
_problem: Optional[str] = None


def _load_library() -> ctypes.CDLL:
    library = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    library.seccomp_init.argtypes = (ctypes.c_uint32,)
    library.seccomp_init.restype = ctypes.c_void_p
    library.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    library.seccomp_syscall_resolve_name.restype = ctypes.c_int
    library.seccomp_rule_add_array.argtypes = (ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(_ArgCmp))
    library.seccomp_rule_add_array.restype = ctypes.c_int
    library.seccomp_attr_set.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32)
    library.seccomp_attr_set.restype = ctypes.c_int
    library.seccomp_load.argtypes = (ctypes.c_void_p,)
    library.seccomp_load.restype = ctypes.c_int
    return library


def prepare() -> Optional[str]:
    """Build the filter (once per process; a fork inherits it). None when it is ready, else why
    there is none."""
    global _library, _filter, _problem
    if _filter is not None or _problem is not None:
        return _problem
    try:
        if not platform.system() == "Linux":
            raise OSError(errno.ENOSYS, f"no seccomp on {platform.system()}")
        _library = _load_library()
        context = _library.seccomp_init(_ACT_ALLOW)
        if not context:
            raise OSError(errno.ENOMEM, "seccomp_init failed")
        refuse = _act_errno(errno.EPERM)
        for name in REFUSED:
            number = _library.seccomp_syscall_resolve_name(name.encode())
            if number >= 0:  # negative: not a call of this architecture (or unknown to this libseccomp)
                _add(context, refuse, number)
        clone = _library.seccomp_syscall_resolve_name(b"clone")
        flags_argument = 1 if platform.machine().startswith("s390") else 0  # clone(stack, flags) there
        for flag in _NAMESPACE_FLAGS:
            _add(context, refuse, clone, _ArgCmp(flags_argument, _SCMP_CMP_MASKED_EQ, flag, flag))
        clone3 = _library.seccomp_syscall_resolve_name(b"clone3")
        if clone3 >= 0:
            _add(context, _act_errno(errno.ENOSYS), clone3)
        # Every thread of the run, should one exist when the filter goes on.
        _library.seccomp_attr_set(context, _SCMP_FLTATR_CTL_TSYNC, 1)
        _filter = context
    except OSError as error:
        _problem = f"no seccomp filter ({'libseccomp not found' if 'libseccomp' in str(error) else error.strerror or error})"
    return _problem


def _add(context: int, action: int, number: int, *conditions: _ArgCmp) -> None:
    assert _library is not None
    array = (_ArgCmp * len(conditions))(*conditions) if conditions else None
    result = _library.seccomp_rule_add_array(context, action, number, len(conditions), array)
    if result < 0:
        raise OSError(-result, f"seccomp rule for system call {number}: {os.strerror(-result)}")


def install() -> None:
    """Load the filter into this process (and every process and thread it starts from now on).
    Raises OSError where it cannot be loaded; where libseccomp is missing altogether it does
    nothing (:func:`problem` says so, and gradfix warns once)."""
    if prepare() is not None:
        return
    assert _library is not None
    result = _library.seccomp_load(_filter)
    if result < 0:
        raise OSError(-result, f"loading the seccomp filter: {os.strerror(-result)}")


def problem() -> Optional[str]:
    """Why this process has no filter to install, or None."""
    return prepare()
