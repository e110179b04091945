"""The run's channel to gradfix: a pipe gradfix holds, framed messages authenticated with a secret
made for the run, and gradfix's check of the Trace against what the run said as it went.

The probe lives in the script's process, so a script can always lie about itself. What this
channel makes hard: writing a Trace of its own (a file, a descriptor) after the fact, replaying
or rewriting the probe's messages, and rewriting the probe's Trace in memory without also
reproducing every message the probe sent before it. Each run gets 32 random bytes that travel
over sockets and pipes only, never through a file the script can read (docs/security.md).

Every message is one ``write`` of at most ``PIPE_BUF`` bytes, so that the ranks of a
multi-process run, which inherit the pipe, never interleave within one::

    length (4) | stream (4) | sequence number (8) | HMAC-SHA256(key, header || payload) (32) | payload

A stream is one process: 0 the run's own, one per rank (:func:`rank_stream`); each numbers its
messages from 0. A payload is a kind (one byte) and its body:

    H  a rank's first message: the counts it inherited from the process it was forked from
    B  a backward() the probe saw, with the running count
    S  an optimizer step, with the optimizer's index and its running count
    P  parameters first seen: their digests (values, dtype, shape), by index
    T  a piece of the Trace (JSON)
    X  the end: for each parameter of the Trace its digest now, taken from the live tensor; the
       probe's own patches that are no longer in place
    R  the probe failed: why

gradfix reads the pipe while the run goes on and accepts the messages of each stream in order
only: a bad MAC, a gap, a repeat, anything after a stream's end or bytes that are no message make
the run *tampered*. The run is over at stream 0's end, whether or not the pipe is closed (a
daemon may hold it open).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import select
import struct
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional

from gradfix.trace import Trace

if TYPE_CHECKING:
    import torch

KEY_BYTES = 32
_HEADER = struct.Struct("!IIQ")  # payload length, stream, sequence number
_MAC = 32
_FRAME = getattr(select, "PIPE_BUF", 4096)  # a write of at most this many bytes reaches a pipe whole
_PAYLOAD = _FRAME - _HEADER.size - _MAC
_LIMIT = (1 << 30) + (64 << 20)  # a Trace of up to 1 GiB, and what comes with it
_RANK_STREAMS = 1 << 16  # ranks per launch: stream 1 + (launch << 16) + rank


def rank_stream(launch: int, rank: int) -> int:
    return 1 + (launch << 16) + rank


def make_key() -> bytes:
    return os.urandom(KEY_BYTES)


def _mac(key: bytes, header: bytes, payload: bytes) -> bytes:
    return hmac.digest(key, header + payload, "sha256")


# ---------------------------------------------------------------------------------------------
# The run's side


class _Nothing:
    """Where no channel exists (a probe made outside a run): every message goes nowhere."""

    def busy(self) -> "_Nothing":
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None

    def backward(self) -> None:
        pass

    def step(self, optimizer: int) -> None:
        pass

    def first_seen(self, tensors: list[Any]) -> None:
        pass

    def become(self, stream: int) -> None:
        pass

    def end(self, trace: Trace, ids: list[int], merged: Optional[tuple[int, list[int]]] = None) -> None:
        pass


NOWHERE = _Nothing()


def digests(tensors: list[Any]) -> list[Optional[list[Any]]]:
    """What gradfix compares to tell whether a parameter changed, as the probe does with
    ``torch.equal``: a hash of each tensor's values (their bytes), its dtype, its shape, and
    whether the values may hold a NaN (``torch.equal`` never finds those equal). None where it
    cannot be taken (a meta or sparse tensor): that parameter is not checked."""
    import torch

    # Past the probe's own torch function mode: these calls are gradfix's, not the script's.
    with torch.no_grad(), torch._C.DisableTorchFunction():
        return [_digest(tensor) for tensor in tensors]


def _digest(tensor: "torch.Tensor") -> Optional[list[Any]]:
    import torch

    try:
        values = tensor.detach()
        if values.layout is not torch.strided or values.device.type != "cpu":
            return None
        if not values.is_contiguous():
            values = values.contiguous()
        try:
            data: Any = values.numpy()  # the bytes as they are, without a copy
        except TypeError:  # a dtype numpy does not have (bfloat16): the same bytes, as bytes
            data = values.reshape(-1).view(torch.uint8).numpy()
        total = values.sum().item() if values.numel() and (values.is_floating_point() or values.is_complex()) else 0
        return [hashlib.sha256(data).hexdigest()[:32], str(values.dtype), list(values.shape), total != total]
    except Exception:  # noqa: BLE001  (a tensor of a kind gradfix does not know: not checked)
        return None


class Writer:
    """The run's end of the channel: the probe's events, the Trace and the end message.

    Only the process that owns a stream writes on it: a process the script forks (a DataLoader
    worker, a daemon) inherits the pipe, and writes nothing."""

    def __init__(self, fd: int, key: bytes):
        self.fd = fd
        self.key = key
        self.stream = 0
        self.seq = 0
        self.owner = os.getpid()
        self.lock = threading.RLock()
        self.backwards = 0
        self.steps: dict[int, int] = {}
        self.tensors: dict[int, tuple[Any, int, int]] = {}  # id(tensor) -> (tensor, stream, index)
        self.indexes = 0  # the next index of a parameter first seen in this stream
        self.ended = False
        self.broken = False  # a write failed: the run can no longer report (gradfix will say so)
        self.patches: Optional[Patches] = None
        self.depth = 0
        self.pending: Optional[Callable[[], None]] = None

    def settle(self) -> None:
        """This process is the run's from now on (a fresh interpreter continues in a process it
        forked into its PID namespace)."""
        self.owner = os.getpid()

    # -- what the probe calls ---------------------------------------------------------------------

    def busy(self) -> "Writer":
        """``with channel.busy():`` around a change of the probe's state and its message, so that
        the Trace never counts what the messages do not: the end waits until both are done,
        whether it comes from another thread (the lock) or from the time limit's signal handler
        in this one (:meth:`defer`)."""
        return self

    def __enter__(self) -> None:
        self.lock.acquire()
        self.depth += 1  # only ever changed by the thread holding the lock

    def __exit__(self, *exc: Any) -> None:
        self.depth -= 1
        pending = None
        if not self.depth and self.pending is not None:
            pending, self.pending = self.pending, None
        self.lock.release()
        if pending is not None:
            pending()

    def defer(self, action: Callable[[], None]) -> bool:
        """From a signal handler: run ``action`` once the busy section this thread interrupted is
        done (True), or now, when it interrupted none (False: the caller runs it)."""
        if self.depth and self.lock._is_owned():  # type: ignore[attr-defined]
            self.pending = action
            return True
        return False

    def backward(self) -> None:
        self.backwards += 1
        self._send(b"B", str(self.backwards).encode())

    def step(self, optimizer: int) -> None:
        count = self.steps[optimizer] = self.steps.get(optimizer, 0) + 1
        self._send(b"S", f"{optimizer} {count}".encode())

    def first_seen(self, tensors: list[Any]) -> None:
        """Parameters whose first value the probe has just taken: their digests, before the script
        runs on."""
        if self.ended or os.getpid() != self.owner:
            return
        new = [tensor for tensor in dict((id(t), t) for t in tensors).values() if id(tensor) not in self.tensors]
        batch: list[list[Any]] = []
        for tensor, record in zip(new, digests(new)):
            self.tensors[id(tensor)] = (tensor, self.stream, self.indexes)
            batch.append([self.indexes, record])
            self.indexes += 1
        for part in _pieces(batch):
            self._send(b"P", part)

    def become(self, stream: int) -> None:
        """In a freshly forked rank: write on a stream of its own, from the counts it inherited."""
        # A fresh lock: the fork may have copied one that another thread of the parent held.
        self.lock, self.depth, self.pending = threading.RLock(), 0, None
        self.owner, self.stream, self.seq, self.indexes = os.getpid(), stream, 0, 0
        self.ended = self.broken = False
        self._send(b"H", json.dumps({"backwards": self.backwards, "steps": self.steps}).encode())

    def end(self, trace: Trace, ids: list[int], merged: Optional[tuple[int, list[int]]] = None) -> None:
        """The Trace and the end message. ``ids``: the id of each parameter of the Trace, in its
        order; ``merged``: the launch whose ranks' Traces this one merges, and those ranks (their
        streams hold the parameters' digests, not this one)."""
        if self.ended or os.getpid() != self.owner:
            return
        import signal

        try:
            signal.setitimer(signal.ITIMER_REAL, 0)  # the time limit must not start a second report
        except (ValueError, OSError):
            pass
        with self:
            params: list[list[Any]] = []
            if merged is None:
                held = [self.tensors.get(pid) for _, pid in zip(trace.params, ids)]
                now = iter(digests([entry[0] for entry in held if entry is not None]))
                for fact, entry in zip(trace.params, held):
                    params.append([fact.name, entry[1], entry[2], next(now)] if entry is not None else [fact.name])
            replaced = self.patches.replaced() if self.patches is not None else []
            data = trace.to_json().encode()
            step = _PAYLOAD - 1
            for start in range(0, len(data), step):
                self._send(b"T", data[start : start + step])
            end = json.dumps({
                "params": params, "replaced": replaced, "counted": len(ids),
                "merged": merged[0] if merged is not None else None, "ranks": merged[1] if merged is not None else [],
            }).encode()
            # The end message can be long (a parameter per entry): its pieces, then an empty one.
            for start in range(0, len(end), step):
                self._send(b"x", end[start : start + step])
            self._send(b"X", b"")
            self.ended = True

    def error(self, message: str) -> None:
        """The probe itself failed (the walls could not be built, a bug): say why, and nothing more."""
        if self.ended or os.getpid() != self.owner:
            return
        self._send(b"R", message.encode("utf-8", errors="replace")[: _PAYLOAD - 1])
        self.ended = True

    # -- the wire ---------------------------------------------------------------------------------

    def _send(self, kind: bytes, body: bytes) -> None:
        if self.ended or self.broken or os.getpid() != self.owner:
            return
        with self.lock:
            payload = kind + body
            header = _HEADER.pack(len(payload), self.stream, self.seq)
            frame = header + _mac(self.key, header, payload) + payload
            try:
                _write_whole(self.fd, frame)
            except OSError:
                self.broken = True  # closed by the script, or gradfix is gone: nothing more to say
                return
            self.seq += 1


def _pieces(entries: list[list[Any]]) -> list[bytes]:
    """JSON lists of entries, each small enough for one message."""
    pieces: list[bytes] = []
    current: list[bytes] = []
    size = 2
    for entry in entries:
        encoded = json.dumps(entry).encode()
        if current and size + len(encoded) + 1 > _PAYLOAD - 1:
            pieces.append(b"[" + b",".join(current) + b"]")
            current, size = [], 2
        current.append(encoded)
        size += len(encoded) + 1
    if current:
        pieces.append(b"[" + b",".join(current) + b"]")
    return pieces


def _write_whole(fd: int, frame: bytes) -> None:
    """One write (at most PIPE_BUF bytes: all or nothing), waiting for room if the script made
    the descriptor non-blocking."""
    while True:
        try:
            os.write(fd, frame)
            return
        except BlockingIOError:
            select.select([], [fd], [])
        except InterruptedError:
            continue


class Patches:
    """What the probe installed into torch (and the import system), to tell at the end whether it
    is still in place. Taken as the difference between before and after installation, over the
    objects the probe patches and torch's global hook tables."""

    def __init__(self) -> None:
        self.owners = _patched_owners()
        self.before = [(name, owner, dict(vars(owner))) for name, owner in self.owners]
        self.tables = _hook_tables()
        self.keys_before = [(name, table, set(table)) for name, table in self.tables]
        self.installed: list[tuple[str, Any, str, Any]] = []  # (shown as, owner, attribute, value)
        self.hooks: list[tuple[str, Any, Any, Any]] = []  # (shown as, table, key, hook)
        self.mode: Any = None

    def taken(self, mode: Any = None) -> "Patches":
        """After installation: what changed is the probe's. ``mode``: its torch function mode."""
        for name, owner, before in self.before:
            for attribute, value in vars(owner).items():
                if before.get(attribute, _MISSING) is not value:
                    self.installed.append((f"{name}.{attribute}", owner, attribute, value))
        for name, table, keys in self.keys_before:
            for key, hook in list(table.items()):
                if key not in keys:
                    self.hooks.append((name, table, key, hook))
        self.mode = mode
        self.mode_thread = (os.getpid(), threading.get_ident())
        del self.before, self.keys_before
        return self

    def replaced(self) -> list[str]:
        """The patches no longer in place, by name. A patch wrapped by something that still holds
        it is in place: torch.compile wraps ``nn.Module.__init__`` and calls the probe's inside."""
        gone = [
            shown for shown, owner, attribute, value in self.installed
            if not _holds(vars(owner).get(attribute, _MISSING), value)
        ]
        gone += list(dict.fromkeys(shown for shown, table, key, hook in self.hooks if table.get(key) is not hook))
        if self.mode is not None and self.mode_thread == (os.getpid(), threading.get_ident()) and not _in_torch():
            # The mode stack is the thread's own, and torch takes the mode off it while the mode
            # handles a call or the compiler traces: only a run that ends in the thread that
            # installed it, outside torch's code, can tell the mode was removed.
            from torch.overrides import _get_current_function_mode_stack

            if not any(mode is self.mode for mode in _get_current_function_mode_stack()):
                gone.append("gradfix's torch function mode")
        return gone


_MISSING = object()


def _holds(current: Any, patch: Any, depth: int = 4) -> bool:
    """``current`` is ``patch``, or a wrapper around it: it holds it in its closure (or as
    ``__wrapped__``, ``__func__``, a partial's ``func``), within a few levels."""
    if current is patch:
        return True
    if depth == 0:
        return False
    inner = [getattr(current, name, None) for name in ("__wrapped__", "__func__", "func")]
    for cell in getattr(current, "__closure__", None) or ():
        try:
            inner.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    return any(_holds(value, patch, depth - 1) for value in inner if callable(value) or isinstance(value, (staticmethod, classmethod, property)))


def _in_torch() -> bool:
    """Whether torch's code (or the probe's function mode handling a call) is on the stack."""
    import sys

    import torch

    from gradfix.sandbox import function_mode

    torch_dirs = tuple({os.path.dirname(path) + os.sep for path in (torch.__file__, os.path.realpath(torch.__file__))})
    mode_files = {function_mode.__file__, os.path.realpath(function_mode.__file__)}
    frame: Any = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(torch_dirs) or name in mode_files:
            return True
        frame = frame.f_back
    return False


def _patched_owners() -> list[tuple[str, Any]]:
    """The objects whose attributes the probe replaces (the watch_*.py files, function_mode.py,
    loops.py, the overlay of candidate sources in child.py)."""
    from importlib.machinery import SourceFileLoader

    import torch
    import torch.nn as nn
    import torch.utils.checkpoint
    from torch.autograd import grad_mode

    return [
        ("torch.Tensor", torch.Tensor),
        ("torch.autograd", torch.autograd),
        ("torch.autograd.set_grad_enabled", grad_mode.set_grad_enabled),
        ("torch.nn.Module", nn.Module),
        ("torch.nn.Parameter", nn.Parameter),
        ("torch.optim.Optimizer", torch.optim.Optimizer),
        ("torch.utils.checkpoint", torch.utils.checkpoint),
        ("SourceFileLoader", SourceFileLoader),
    ]


def _hook_tables() -> list[tuple[str, dict[Any, Any]]]:
    """torch's global hook tables: the optimizer step hooks, the module hooks."""
    import torch.nn.modules.module as module_hooks
    import torch.optim.optimizer as optimizer_hooks

    tables = [
        ("the optimizer step hooks", optimizer_hooks._global_optimizer_pre_hooks),
        ("the optimizer step hooks", optimizer_hooks._global_optimizer_post_hooks),
    ]
    for name, table in sorted(vars(module_hooks).items()):
        if name.startswith("_global_") and name.endswith("hooks") and isinstance(table, dict):
            tables.append(("the module hooks", table))
    return tables


# ---------------------------------------------------------------------------------------------
# gradfix's side


@dataclass
class _Stream:
    """What one process of the run said."""

    seq: int = 0
    backwards: int = 0
    steps: dict[int, int] = field(default_factory=dict)
    trace: list[bytes] = field(default_factory=list)
    end_parts: list[bytes] = field(default_factory=list)
    end: Optional[dict[str, Any]] = None
    error: Optional[str] = None

    @property
    def ended(self) -> bool:
        return self.end is not None or self.error is not None


class Tampered(Exception):
    """The run's messages failed their check."""


class Reader:
    """gradfix's end of a run's channel: reads what has arrived (never blocks), checks each message
    as it comes, and keeps what the run said."""

    def __init__(self, fd: int, key: bytes):
        self.fd = fd
        self.key = key
        os.set_blocking(fd, False)
        self.buffer = bytearray()
        self.received = 0
        self.streams: dict[int, _Stream] = {}
        self.firsts: dict[tuple[int, int], Optional[list[Any]]] = {}  # (stream, index) -> first digest
        self.tampered: Optional[str] = None  # why, once the run's messages failed their check
        self.done = False  # stream 0 ended, the pipe closed, or the run was found tampered

    def fileno(self) -> int:
        return self.fd

    def pump(self) -> None:
        """Read and check everything that has arrived, without waiting."""
        while not self.done and self.fd >= 0:
            try:
                data = os.read(self.fd, 1 << 20)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                self.done = True  # closed: every process that held it is gone
                return
            self.received += len(data)
            self.buffer += data
            try:
                if self.received > _LIMIT:
                    raise Tampered(f"more than {_LIMIT >> 20} MiB")
                self._take()
            except Tampered as why:
                self.tampered = str(why)
                self.done = True

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        self.done = True

    def _take(self) -> None:
        view = self.buffer
        offset = 0
        fixed = _HEADER.size + _MAC
        while len(view) - offset >= fixed:
            header = bytes(view[offset : offset + _HEADER.size])
            length, stream, seq = _HEADER.unpack(header)
            if not 0 < length <= _PAYLOAD:
                raise Tampered("bytes that are no message")
            if len(view) - offset < fixed + length:
                break
            mac = bytes(view[offset + _HEADER.size : offset + fixed])
            payload = bytes(view[offset + fixed : offset + fixed + length])
            offset += fixed + length
            if not hmac.compare_digest(mac, _mac(self.key, header, payload)):
                raise Tampered("a message not signed with the run's key")
            state = self.streams.setdefault(stream, _Stream())
            if state.ended:
                raise Tampered("a message after the end")
            if seq != state.seq:
                raise Tampered("a message out of sequence")
            state.seq += 1
            try:
                self._message(stream, state, payload[:1], payload[1:])
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
                raise Tampered(f"a message that does not parse ({type(error).__name__})") from None
            if self.done:
                if offset != len(view):
                    raise Tampered("a message after the end")
                break
        del view[:offset]

    def _message(self, stream: int, state: _Stream, kind: bytes, body: bytes) -> None:
        if kind == b"B":
            count = int(body)
            if count != state.backwards + 1:
                raise Tampered("a backward() counted out of turn")
            state.backwards = count
        elif kind == b"S":
            optimizer, count = (int(n) for n in body.split())
            if optimizer < 0 or count != state.steps.get(optimizer, 0) + 1:
                raise Tampered("an optimizer step counted out of turn")
            state.steps[optimizer] = count
        elif kind == b"P":
            for index, record in json.loads(body):
                key = (stream, int(index))
                if key in self.firsts:
                    raise Tampered("a parameter announced twice")
                self.firsts[key] = _record(record)
        elif kind == b"T":
            state.trace.append(body)
        elif kind == b"x":
            state.end_parts.append(body)
        elif kind == b"X":
            end = json.loads(b"".join(state.end_parts))
            if not isinstance(end, dict) or not isinstance(end.get("params"), list) or not isinstance(end.get("replaced"), list):
                raise ValueError("end")
            state.end, state.end_parts = end, []
            self.done = stream == 0
        elif kind == b"R":
            state.error = body.decode("utf-8", errors="replace")
            self.done = stream == 0
        elif kind == b"H" and stream != 0 and state.seq == 1:
            inherited = json.loads(body)
            state.backwards = int(inherited["backwards"])
            state.steps = {int(k): int(v) for k, v in inherited["steps"].items()}
        else:
            raise Tampered("a message of no known kind")

    # -- after the run ----------------------------------------------------------------------------

    def outcome(self) -> "Outcome":
        """What the run reported: its Trace (checked against its messages), or why there is none."""
        self.pump()
        main = self.streams.get(0)
        if self.tampered is not None:
            return Outcome(None, tampered=self.tampered)
        if main is None or not main.ended:
            return Outcome(None, quiet=True)
        if main.error is not None:
            return Outcome(None, error=main.error)
        assert main.end is not None
        try:
            trace = Trace.from_json(b"".join(main.trace).decode("utf-8"))
            merged = main.end.get("merged")
            problem = self._inconsistent(trace, main, merged if isinstance(merged, int) else None)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
            problem = f"a Trace that does not parse ({type(error).__name__})"
        if problem is not None:
            return Outcome(None, tampered=problem)
        replaced = [str(name) for s in self.streams.values() if s.end is not None for name in s.end["replaced"]]
        return Outcome(trace, replaced=list(dict.fromkeys(replaced)))

    def _inconsistent(self, trace: Trace, main: _Stream, merged: Optional[int]) -> Optional[str]:
        """The Trace against what its process (or, for a multi-process run, each rank) said as
        it went: the backward() calls and steps counted, and for each parameter, whether it changed
        (its digest now against its first). None when they agree."""
        assert main.end is not None
        told: list[_Stream] = [main]
        if merged is not None:
            # The ranks the launcher merged: each wrote its Trace's file after its end message.
            ranks = {int(rank): self.streams.get(rank_stream(merged, int(rank))) for rank in main.end.get("ranks", [])}
            chosen = ranks.get(trace.rank) if trace.rank is not None else None
            if chosen is None or any(s is None or s.end is None for s in ranks.values()):
                return "a Trace merged from a rank that did not report"
            told = [s for s in ranks.values() if s is not None]
            main = chosen  # the merged Trace's facts are that rank's (ranks.merge)
        if len(trace.backwards) != main.backwards:
            return f"the Trace claims {len(trace.backwards)} backward() calls, {main.backwards} were seen"
        if {index: fact.steps for index, fact in enumerate(trace.optimizers) if fact.steps} != main.steps:
            return "the Trace's optimizer steps are not those that were seen"
        # Whether each parameter changed: one entry per parameter of the Trace, in its order; in a
        # merged Trace, by name: it changed when it did in every rank that has it (ranks.merge).
        if merged is None:
            entries = main.end["params"]
            if len(entries) != len(trace.params) or main.end.get("counted") != len(entries):
                return "the Trace's parameters are not those that were seen"
            pairs = [(fact, [self._changed(entry)] if entry[0] == fact.name else None) for fact, entry in zip(trace.params, entries)]
        else:
            verdicts: dict[str, list[Optional[bool]]] = {}
            for stream in told:
                assert stream.end is not None
                for entry in stream.end["params"]:
                    verdicts.setdefault(str(entry[0]), []).append(self._changed(entry))
            pairs = [(fact, verdicts.get(fact.name)) for fact in trace.params]
        for fact, seen in pairs:
            if seen is None:
                return "the Trace's parameters are not those that were seen"
            expected = False if False in seen else None if None in seen else True
            if expected is not None and expected != fact.changed:
                return f"the Trace says {'a parameter changed that did not' if fact.changed else 'a parameter that changed did not'}"
        return None

    def _changed(self, entry: list[Any]) -> Optional[bool]:
        """Whether a parameter changed, as the probe tells it (``torch.equal`` against its first
        value): False when the channel never saw its first value (the probe has none either),
        None when the digests cannot tell (a NaN, a dtype that changed)."""
        if len(entry) == 1:
            return False
        first = self.firsts.get((int(entry[1]), int(entry[2])), _UNSEEN)
        if first is _UNSEEN:
            raise ValueError("a parameter never announced")
        now = _record(entry[3])
        if first is None or now is None:
            return None
        first_hash, first_dtype, first_shape, first_nan = first
        now_hash, now_dtype, now_shape, now_nan = now
        if first_shape != now_shape:
            return True
        if first_nan or now_nan or first_dtype != now_dtype:
            return None  # NaN is never equal; values of two dtypes can be equal in different bytes
        return first_hash != now_hash


_UNSEEN: Any = object()


def _record(record: Any) -> Optional[list[Any]]:
    if record is None:
        return None
    hashed, dtype, shape, nan = record
    return [str(hashed), str(dtype), [int(n) for n in shape], bool(nan)]


@dataclass
class Outcome:
    """What gradfix makes of a run's channel once the run is over."""

    trace: Optional[Trace]
    tampered: Optional[str] = None  # its messages failed their check: why
    quiet: bool = False  # no end message: the probe went quiet (or the run was killed)
    error: Optional[str] = None  # the probe's own failure, as it reported it
    replaced: list[str] = field(default_factory=list)  # the probe's patches the script replaced

    @property
    def problem(self) -> Optional[str]:
        """Why gradfix could not observe the run (``RunResult.probe_error``), or None."""
        if self.tampered is not None:
            return f"its messages to gradfix failed their check ({self.tampered})"
        if self.replaced:
            shown = ", ".join(self.replaced[:3])
            more = len(self.replaced) - 3
            return f"the script replaced {shown}" + (f" and {more} more of gradfix's patches" if more > 0 else "")
        return self.error
