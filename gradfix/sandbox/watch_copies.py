"""Writes into parameters that user code makes outside any optimizer's step once training has
begun: a momentum, EMA or target-network update (MoCo's key encoder, BYOL's target, a mean
teacher, a DQN soft update). Per user instruction: where, and which parameters it wrote into. A
copy made by ``copy.deepcopy`` skips ``__init__``, so the probe never recorded it as a module: the
unrecorded modules in scope where such a write happens are kept, and their parameters are named
by the names the script gives them (``target_net.head.weight``)."""

from __future__ import annotations

import sys
import types
import weakref
from typing import Any, Optional

import torch
import torch.nn as nn

from gradfix.sandbox.facts import named_parameters_of, parameters_of
from gradfix.sandbox.naming import _held
from gradfix.trace import ParamWrite, Site

_SITES = 64  # write sites recorded, at most
_LISTED = 4096  # parameters of one `_foreach_*_` call looked at, at most


class CopyWatch:
    """The probe's part that watches writes into parameters; mixed into
    :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_copy_tracking(self) -> None:
        # id of a tensor sharing a parameter's values (`p.data`, `p.detach()`, a state_dict() value)
        # -> (that tensor, weakly; the parameter)
        self._aliases: dict[int, tuple[weakref.ref, torch.Tensor]] = {}
        # (code, instruction) -> (its sites, ids of the parameters written there, [count])
        self._writes: dict[tuple[Any, int], tuple[list[Site], dict[int, None], list[int]]] = {}
        # id -> (name, module) for modules in scope at a write site that the probe never saw built
        self._copies: dict[int, tuple[str, nn.Module]] = {}

    def note_alias(self, param: Any, alias: Any) -> None:
        """``param.data`` or ``param.detach()``: a tensor whose in-place ops write into ``param``."""
        if not isinstance(param, nn.Parameter) or not isinstance(alias, torch.Tensor) or alias is param:
            return
        if len(self._aliases) > 4096:
            self._aliases = {k: v for k, v in self._aliases.items() if v[0]() is not None}
            if len(self._aliases) > 4096:
                return
        self._aliases[id(alias)] = (weakref.ref(alias), param)

    def _parameter(self, tensor: Any) -> Optional[torch.Tensor]:
        if isinstance(tensor, nn.Parameter):
            return tensor
        known = self._aliases.get(id(tensor))
        return known[1] if known is not None and known[0]() is tensor else None

    def note_write(self, target: Any) -> None:
        """Before an in-place op, a ``.data =`` or a ``torch._foreach_*_`` op: record it when user
        code itself writes into parameters, once a backward() or a step has run."""
        if not (self.backwards or self.step_count):  # type: ignore[attr-defined]
            return  # initialisation, not training
        listed = type(target) in (list, tuple)
        first = target[0] if listed and target else target
        if self._parameter(first) is None:
            return
        caller = sys._getframe(2)  # the frame that called the torch function (past the mode's dispatch)
        while caller is not None and caller.f_code.co_filename.endswith(("overrides.py", "_tensor.py")):
            caller = caller.f_back
        if caller is None or caller.f_code.co_filename not in self.user:  # type: ignore[attr-defined]
            return  # an optimizer's step, load_state_dict, a library's own EMA
        written = [p for p in map(self._parameter, target[:_LISTED]) if p is not None] if listed else [self._parameter(first)]
        self.copy_grads_applied(written)  # type: ignore[attr-defined]  # MAML's inner update by hand
        key = (caller.f_code, caller.f_lasti)
        record = self._writes.get(key)
        if record is None:
            if len(self._writes) >= _SITES:
                return
            record = self._writes[key] = (self.site_chain(caller), {}, [0])  # type: ignore[attr-defined]
            self._scope_copies(caller, {id(p) for p in written})
        record[2][0] += 1
        for p in written:
            if p is not None and id(p) not in record[1]:
                record[1][id(p)] = None
                self.remember_params([p])  # type: ignore[attr-defined]  # its value before the first write seen

    def _scope_copies(self, frame: Optional[types.FrameType], written: set[int]) -> None:
        """Keep the modules in scope (this frame and up to three user callers) that were never
        recorded and hold a parameter written here: a deepcopy kept as a target, with the parts of
        it the update leaves out. Their values now are their values before the updates seen. The
        outermost frame names them first: a helper's parameter name (`ema_model`) is not what the
        script calls its copy (`teacher`)."""
        frames: list[types.FrameType] = []
        while len(frames) < 4:
            frame = self.user_frame(frame)  # type: ignore[attr-defined]
            if frame is None:
                break
            frames.append(frame)
            frame = frame.f_back
        for frame in reversed(frames):
            names = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
            names.update(frame.f_locals)
            for name, value in names.items():
                for label, inner in [(name, value), *_held(name, value)]:
                    if not isinstance(inner, nn.Module) or id(inner) in self.modules or id(inner) in self._copies:  # type: ignore[attr-defined]
                        continue
                    if any(id(p) in written for p in parameters_of(inner)):
                        self._copies[id(inner)] = (label, inner)
                        self.remember_params(parameters_of(inner))  # type: ignore[attr-defined]

    def name_copies(self, owner: dict[int, tuple[Any, str]]) -> None:
        """Name the parameters of the kept copies that no recorded module holds, the largest copy
        first (a target network before the submodule a helper was given of it)."""
        copies = sorted(self._copies.values(), key=lambda c: -sum(1 for _ in parameters_of(c[1])))
        for name, module in copies:
            for pname, p in named_parameters_of(module):
                if id(p) not in owner:
                    owner[id(p)] = (None, f"{name}.{pname}")
                    self.param_objects.setdefault(id(p), p)  # type: ignore[attr-defined]

    def param_write_facts(self, names_of: dict[int, str]) -> list[ParamWrite]:
        return [
            ParamWrite(sites=sites, params=[names_of[pid] for pid in ids if pid in names_of], count=count[0])
            for sites, ids, count in self._writes.values()
        ]
