"""Gradients wiped between backward() and step(): a clip with a max of 0 (``clip_grad_norm_``,
``clip_grad_value_``), and user code that zeroes, multiplies by 0 or drops a gradient that a
backward() has just computed, found out at the step() that then applies nothing of it.

Only what happens between a backward() and the next one counts, and only a gradient that was not
zero before the call and is zero (or None) after it; ``zero_grad()`` itself is recorded elsewhere
(the order of calls, GF009)."""

from __future__ import annotations

import functools
import numbers
import sys
import types
from typing import Any, Callable, Optional

import torch

from gradfix.sandbox.facts import group_tensors, site_of, storage_of
from gradfix.trace import GradWipe, Site

_GRAD = torch._C.TensorBase.__dict__["grad"]
# torch's clipping functions, and the name of the argument that bounds the gradients
_CLIPS = {
    "clip_grad_norm_": "max_norm",
    "clip_grad_norm": "max_norm",
    "clip_grad_value_": "clip_value",
    "clip_grads_with_norm_": "max_norm",
}


def _number(value: Any) -> Optional[float]:
    """A Python number or a one-element tensor as a float; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):  # numpy's scalars too
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        try:
            return float(value.detach())
        except (RuntimeError, ValueError):
            return None
    return None


def _wiped(grad: Optional[torch.Tensor]) -> bool:
    return grad is None or not bool(grad.any())


class _Pending:
    """A call that wiped gradients since the last backward(), not yet applied by a step()."""

    __slots__ = ("op", "site", "callers", "limit", "total_norm", "factor", "pids")

    def __init__(self, op: str, site: Site, callers: list[Site]):
        self.op = op
        self.site = site
        self.callers = callers
        self.limit: Optional[float] = None
        self.total_norm: Optional[float] = None
        self.factor: Optional[float] = None
        self.pids: set[int] = set()


class GradientWatch:
    """The probe's part that watches gradients between backward() and step(); mixed into
    :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_gradient_tracking(self) -> None:
        # parameters an optimizer holds whose gradient the last backward() left not zero, by id,
        # and the storages of those gradients (``p.grad.data.mul_(0)`` writes through another tensor)
        self._live_grads: dict[int, torch.Tensor] = {}
        self._live_storages: dict[int, int] = {}
        self._pending_wipes: dict[tuple[Any, ...], _Pending] = {}
        self._grad_wipes: dict[tuple[Any, ...], tuple[GradWipe, set[int]]] = {}
        from torch.nn import utils
        from torch.nn.utils import clip_grad

        wrapped: dict[int, Callable[..., Any]] = {}
        for module in (utils, clip_grad):
            for name, bound in _CLIPS.items():
                original = getattr(module, name, None)
                if original is None:
                    continue
                if id(original) not in wrapped:
                    wrapped[id(original)] = self._clip_wrapper(original, name, bound)
                setattr(module, name, wrapped[id(original)])

    def _clip_wrapper(self, original: Callable[..., Any], op: str, bound: str) -> Callable[..., Any]:
        probe = self

        @functools.wraps(original)
        def clip(*args: Any, **kwargs: Any) -> Any:
            if not probe._live_grads:
                return original(*args, **kwargs)
            before = [pid for pid, p in probe._live_grads.items() if not _wiped(p.grad)]
            result = original(*args, **kwargs)
            # a clip that calls another (clip_grad_norm calls clip_grad_norm_) left it to that one
            wiped = [pid for pid in before if pid in probe._live_grads and _wiped(probe._live_grads[pid].grad)]
            if wiped:
                pending = probe._wipe(op, sys._getframe(1), wiped)
                if pending is not None and pending.limit is None:
                    pending.limit = _number(kwargs[bound] if bound in kwargs else args[1] if len(args) > 1 else None)
                    if op.startswith("clip_grad_norm"):
                        pending.total_norm = _number(result)
            return result

        return clip

    def _wipe(self, op: str, frame: Optional[types.FrameType], pids: list[int]) -> Optional[_Pending]:
        """Gradients of ``pids`` wiped by a call that ``frame`` (or the user code around it) made."""
        user = self.user_frame(frame)  # type: ignore[attr-defined]
        for pid in pids:
            grad = self._live_grads.pop(pid).grad
            if grad is not None:
                self._live_storages.pop(storage_of(grad) or 0, None)
        if user is None:
            return None
        site = site_of(user)
        key = (site.file, site.line, site.column, op)
        pending = self._pending_wipes.get(key)
        if pending is None:
            chain = self.site_chain(user, limit=4)  # type: ignore[attr-defined]
            pending = self._pending_wipes[key] = _Pending(op, site, chain[1:])
        pending.pids.update(pids)
        return pending

    # -- called by the other parts of the probe ---------------------------------------------------

    def gradients_computed(self) -> None:
        """After a backward(): the gradients it left not zero on parameters an optimizer holds."""
        self._pending_wipes.clear()
        self._live_grads.clear()
        self._live_storages.clear()
        for optimizer, _ in self.optimizers:  # type: ignore[attr-defined]
            for group in optimizer.param_groups:
                for p in group_tensors(group):
                    grad = p.grad
                    if grad is None or id(p) in self._live_grads or grad.is_sparse or not bool(grad.any()):
                        continue
                    self._live_grads[id(p)] = p
                    storage = storage_of(grad)
                    if storage is not None:
                        self._live_storages[storage] = id(p)

    def grad_write_target(self, name: str, func: Callable[..., Any], args: tuple[Any, ...], writes: bool) -> Optional[int]:
        """Before a torch call: the parameter whose live gradient it is about to write (in place,
        or by assigning ``.grad``), when that gradient is not zero yet."""
        if not args:
            return None
        target = args[0]
        if name == "__set__" and getattr(func, "__self__", None) is _GRAD:
            pid = id(target) if id(target) in self._live_grads else None
        elif writes and isinstance(target, torch.Tensor) and not target.requires_grad:
            pid = self._live_storages.get(storage_of(target) or 0)
        else:
            return None
        param = self._live_grads.get(pid) if pid is not None else None
        if param is None or _wiped(param.grad):
            return None
        return pid

    def grad_written(self, pid: int, name: str, args: tuple[Any, ...]) -> None:
        """After that call: did it leave the gradient at 0 (or None), from user code?"""
        param = self._live_grads.get(pid)
        if param is None or not _wiped(param.grad):
            return
        caller = sys._getframe(2)
        while caller is not None and caller.f_code.co_filename.endswith(("overrides.py", "_tensor.py")):
            caller = caller.f_back
        if caller is None or caller.f_code.co_filename not in self.user:  # type: ignore[attr-defined]
            return  # torch's own code (an optimizer's zero_grad, a scaler): not the user's
        if name == "__set__":
            op = "grad = None" if len(args) < 2 or args[1] is None else "grad = tensor"
        else:
            op = name
        pending = self._wipe(op, caller, [pid])
        if pending is not None and pending.factor is None and len(args) > 1:
            pending.factor = _number(args[1])

    def gradients_at_step(self, index: Optional[int], held: list[torch.Tensor]) -> None:
        """Before a step(): the calls since the last backward() whose wiped gradients it finds
        still wiped; then its own gradients are applied and no longer watched."""
        ids = {id(p): p for p in held}
        if index is not None:
            for key, pending in self._pending_wipes.items():
                pids = {pid for pid in pending.pids if pid in ids and _wiped(ids[pid].grad)}
                if not pids:
                    continue
                entry = self._grad_wipes.get((key, index))
                if entry is None:
                    if len(self._grad_wipes) >= 32:
                        continue
                    fact = GradWipe(
                        op=pending.op, site=pending.site, optimizer=self.optimizers[index][1].id,  # type: ignore[attr-defined]
                        limit=pending.limit, total_norm=pending.total_norm, factor=pending.factor,
                        callers=pending.callers,
                    )
                    entry = self._grad_wipes[(key, index)] = (fact, set())
                entry[0].steps += 1
                entry[1].update(pids)
        for pid in ids:
            param = self._live_grads.pop(pid, None)
            if param is not None and param.grad is not None:
                self._live_storages.pop(storage_of(param.grad) or 0, None)

    def gradient_wipes(self, names_of: dict[int, str]) -> list[GradWipe]:
        facts = []
        for fact, pids in self._grad_wipes.values():
            fact.params = sorted(names_of[pid] for pid in pids if pid in names_of)
            facts.append(fact)
        return facts
