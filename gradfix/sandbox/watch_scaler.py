"""Mixed-precision gradient scalers: the ``GradScaler`` methods user code calls (``unscale_``,
``step``, ``update``), per site, with the frames around each call. A scaler keeps, per optimizer,
whether its gradients were unscaled or stepped since the last ``update()``; an iteration that
leaves between the one and the other makes the next ``unscale_``/``step`` raise (GF042), often
only when a rarely taken branch (a skipped step) runs, so where the calls are, how often each
function ran them, and what each frame calls the scaler are the facts a rule reasons from.

Also the autocast regions user code opens in float16 (per site), and how many enabled scalers the
run made: float16 gradients with no scaler round the small ones to 0 (GF071). And how many steps
the scalers took and skipped for gradients that held inf or NaN: a scaler that skips every step
trains nothing, and says nothing (GF092)."""

from __future__ import annotations

import functools
import sys
import types
from typing import Any, Callable, Optional

from gradfix.sandbox.facts import site_of
from gradfix.sandbox.naming import _held
from gradfix.trace import HalfAutocast, ScalerCall

_KINDS = ("unscale_", "step", "update")
_RECORDS = 32  # call sites recorded, at most
_DEPTH = 4  # user frames kept per call: the call, then the calls of the helpers it sits in
_NAMES = 4  # names kept per frame


class _Record:
    """A ScalerCall being counted, with the frames that made its last call: a new frame object at
    a level is a new call of that level's function. The frames are held (a dead frame's address
    could be reused, and then a new call would look like the old one); only the last one per level."""

    __slots__ = ("fact", "frames")

    def __init__(self, fact: ScalerCall):
        self.fact = fact
        self.frames: list[Optional[types.FrameType]] = [None] * len(fact.sites)


def _names(frame: types.FrameType, scaler: Any) -> list[str]:
    """The names a frame binds to the scaler: locals (globals at a module's level), and the
    attributes of ``self`` or of a plain holder (``self.scaler``, ``cfg.scaler``)."""
    scope = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
    scope.update(frame.f_locals)
    found: list[str] = []
    for name, value in scope.items():
        if value is scaler:
            found.append(name)
            continue
        # `self` is looked into whatever its class: a Trainer or an nn.Module keeps its scaler there
        inner = [(f"self.{attr}", held) for attr, held in getattr(value, "__dict__", {}).items()] if name == "self" else _held(name, value)
        found += [label for label, held in inner if held is scaler]
    return found[:_NAMES]


class ScalerWatch:
    """The probe's part that watches gradient scalers; mixed into :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_scaler_tracking(self) -> None:
        probe = self
        from torch.amp import grad_scaler

        self._scaler_numbers: dict[int, int] = {}
        self._scalers_seen: list[Any] = []  # held, so that an id is never another scaler's
        self._scaler_records: dict[tuple[Any, ...], _Record] = {}
        self.scaler_steps = self.scaler_skips = 0
        cls = grad_scaler.GradScaler

        def wrap(kind: str, original: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(original)
            def method(scaler: Any, *args: Any, **kwargs: Any) -> Any:
                caller = sys._getframe(1)
                optimizer = args[0] if args else kwargs.get("optimizer")
                if caller.f_code.co_filename in probe.user:  # type: ignore[attr-defined]
                    # before the call: the call that raises is the one a crash names
                    probe._note_scaler_call(kind, scaler, caller, optimizer)
                result = original(scaler, *args, **kwargs)
                if kind == "step":
                    probe._note_scaler_step(scaler, optimizer)
                return result

            return method

        for kind in _KINDS:
            setattr(cls, kind, wrap(kind, getattr(cls, kind)))
        self._install_autocast_tracking()

    def _install_autocast_tracking(self) -> None:
        # Installed before function_mode.py's CUDA emulation wraps the same __init__s: what is seen
        # here is what the CPU runs (device "cpu", CUDA's float16 default filled in).
        probe = self
        import torch
        from torch.amp import autocast_mode, grad_scaler

        self._half_autocasts: dict[tuple[Any, ...], HalfAutocast] = {}
        self.enabled_scalers = 0
        autocast_init, scaler_init = autocast_mode.autocast.__init__, grad_scaler.GradScaler.__init__

        @functools.wraps(autocast_init)
        def autocast(region: Any, *args: Any, **kwargs: Any) -> None:
            autocast_init(region, *args, **kwargs)
            try:
                if getattr(region, "_enabled", False) is True and getattr(region, "fast_dtype", None) is torch.float16:
                    probe._note_half_autocast(sys._getframe(1))
            except Exception:  # a region the script subclassed may hold anything: watching must not fail it
                pass

        @functools.wraps(scaler_init)
        def scaler(made: Any, *args: Any, **kwargs: Any) -> None:
            scaler_init(made, *args, **kwargs)
            try:
                if getattr(made, "_enabled", False) is True:
                    probe.enabled_scalers += 1
            except Exception:
                pass

        autocast_mode.autocast.__init__ = autocast  # type: ignore[method-assign]
        grad_scaler.GradScaler.__init__ = scaler  # type: ignore[method-assign]

    def _note_half_autocast(self, frame: Optional[types.FrameType]) -> None:
        frame = self.user_frame(frame)  # type: ignore[attr-defined]
        if frame is None:
            return
        key = (frame.f_code, frame.f_lasti)
        fact = self._half_autocasts.get(key)
        if fact is None:
            if len(self._half_autocasts) >= _RECORDS:
                return
            fact = self._half_autocasts[key] = HalfAutocast(site=site_of(frame))
        fact.count += 1

    def _note_scaler_step(self, scaler: Any, optimizer: Any) -> None:
        """A step of an enabled scaler, and whether it skipped the optimizer's step: the gradients
        it unscaled held inf or NaN (every step skipped is a run that trains nothing, silently)."""
        try:
            if not getattr(scaler, "_enabled", False):
                return
            found = scaler._per_optimizer_states[id(optimizer)]["found_inf_per_device"]
            skipped = any(float(v.sum()) > 0 for v in found.values())
        except Exception:  # a scaler the script subclassed, or torch's bookkeeping changed: not counted
            return
        self.scaler_steps += 1
        self.scaler_skips += skipped

    def _note_scaler_call(self, kind: str, scaler: Any, caller: types.FrameType, optimizer: Any) -> None:
        number = self._scaler_numbers.get(id(scaler))
        if number is None:
            number = self._scaler_numbers[id(scaler)] = len(self._scalers_seen)
            self._scalers_seen.append(scaler)
        # User frames that called one another directly: a library's frame between two (a trainer
        # calling the user's step function) ends the chain, as what it does after the call is unknown.
        frames: list[types.FrameType] = []
        frame: Optional[types.FrameType] = caller
        while frame is not None and frame.f_code.co_filename in self.user and len(frames) < _DEPTH:  # type: ignore[attr-defined]
            frames.append(frame)
            frame = frame.f_back
        key = (kind, number, *((f.f_code, f.f_lasti) for f in frames))
        record = self._scaler_records.get(key)
        if record is None:
            if len(self._scaler_records) >= _RECORDS:
                return
            fact = ScalerCall(
                kind=kind, scaler=number, enabled=False, sites=[site_of(f) for f in frames],
                names=[[] for _ in frames], invocations=[0] * len(frames),
            )
            record = self._scaler_records[key] = _Record(fact)
        fact = record.fact
        fact.count += 1
        fact.enabled = fact.enabled or bool(getattr(scaler, "_enabled", False))
        for level, frame in enumerate(frames):
            if record.frames[level] is frame:
                continue
            record.frames[level] = frame
            fact.invocations[level] += 1
            for name in _names(frame, scaler):
                if name not in fact.names[level] and len(fact.names[level]) < _NAMES:
                    fact.names[level].append(name)
        index = self.optimizer_id(optimizer) if optimizer is not None else None  # type: ignore[attr-defined]
        if index is not None and index not in fact.optimizers:
            fact.optimizers.append(index)

    def scaler_facts(self) -> list[ScalerCall]:
        for record in self._scaler_records.values():
            record.frames = []  # the frames (and their locals) are not needed any more
        return [record.fact for record in self._scaler_records.values()]

    def half_autocast_facts(self) -> list[HalfAutocast]:
        return list(self._half_autocasts.values())
