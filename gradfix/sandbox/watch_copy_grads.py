"""Parameters copied from other parameters (``copy.deepcopy`` of a module, ``load_state_dict``
given another module's ``state_dict()``), and the ``backward()`` calls whose loss reached such
copies: what the backward's frame calls the copy and the module it came from, and whether the
gradients left on the copy were then applied to it (an optimizer's step over it, a write into it
by user code: MAML's inner loop) or dropped with it (the query loss of a MAML loop that never
reaches the meta-model, GF047)."""

from __future__ import annotations

import types
import weakref
from collections.abc import Mapping
from typing import Any, Optional

import torch
import torch.nn as nn

from gradfix.sandbox.facts import modules_of, named_parameters_of, optimizer_tensors, parameters_of, storage_of
from gradfix.sandbox.naming import _held
from gradfix.trace import CopyBackward, Site

_COPIES = 16384  # copied parameters followed, at most
_SITES = 16  # backward sites into copies recorded, at most


class _CopyCall:
    """One backward() call into copied parameters, until its gradients are applied to the copy,
    cleared, added onto by a later backward(), or the run ends with them still there."""

    __slots__ = ("fact", "pids", "grad", "done")

    def __init__(self, fact: CopyBackward, pids: list[int]):
        self.fact = fact
        self.pids = pids
        self.grad: Optional[tuple[weakref.ref, int]] = None  # a gradient it left: the tensor, weakly, and its version
        self.done = False


class CopyGradWatch:
    """The probe's part that watches copied parameters and the gradients left on them; mixed into
    :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_copy_grad_tracking(self) -> None:
        probe = self
        # id of a copied parameter -> (the copy, weakly; the parameter it was copied from; the
        # probe's event count when it was copied)
        self._copied: dict[int, tuple[weakref.ref, torch.Tensor, int]] = {}
        # id of a copied parameter holding a gradient a backward() left -> (it, weakly; that call)
        self._copy_grads: dict[int, tuple[weakref.ref, _CopyCall]] = {}
        self._copy_calls: list[_CopyCall] = []  # calls not yet resolved (a few resolved ones too)
        self._just_called: list[tuple[_CopyCall, torch.Tensor]] = []  # the current backward's call
        # per backward site: the fact, and the ids of the parameters its copies came from
        self._copy_sites: dict[tuple[Any, int], tuple[CopyBackward, list[int]]] = {}
        parameter_deepcopy = nn.Parameter.__deepcopy__

        def deepcopy(param: nn.Parameter, memo: dict) -> Any:  # type: ignore[type-arg]
            known = id(param) in memo
            result = parameter_deepcopy(param, memo)
            if not known:
                probe.note_copy(result, param)
            return result

        nn.Parameter.__deepcopy__ = deepcopy  # type: ignore[method-assign]

    def note_copy(self, copy: Any, source: Any) -> None:
        if not isinstance(copy, torch.Tensor) or not isinstance(source, torch.Tensor) or copy is source:
            return
        if len(self._copied) >= _COPIES:
            self._copied = {k: v for k, v in self._copied.items() if v[0]() is not None}
            if len(self._copied) >= _COPIES:
                return
        self._copied[id(copy)] = (weakref.ref(copy), source, self.events)  # type: ignore[attr-defined]

    def copy_source(self, param: torch.Tensor) -> Optional[torch.Tensor]:
        """The parameter ``param`` was copied from, if it is a copy."""
        entry = self._copied.get(id(param))
        return entry[1] if entry is not None and entry[0]() is param else None

    def note_loaded(self, module: nn.Module, state: Any) -> None:
        """``module.load_state_dict(other.state_dict())``: the values given share storage with the
        other module's parameters, so the module's parameters are copies of those."""
        if not isinstance(state, Mapping):
            return
        own = dict(named_parameters_of(module))
        if not own:
            return
        # Without all_params(): a parameter put in param_objects that way would never get its
        # first value remembered.
        known: dict[tuple[Optional[int], int, tuple[int, ...]], torch.Tensor] = {}
        for candidate in [*self.param_objects.values(), *(p for m in self.modules.values() for p in parameters_of(m, recurse=False))]:  # type: ignore[attr-defined]
            if isinstance(candidate, torch.Tensor):
                known.setdefault((storage_of(candidate), candidate.storage_offset(), tuple(candidate.shape)), candidate)
        for key, value in state.items():
            target = own.get(key) if isinstance(key, str) else None
            if target is None or not isinstance(value, torch.Tensor):
                continue
            source = known.get((storage_of(value), value.storage_offset(), tuple(value.shape)))
            if source is not None and source is not target:
                self.note_copy(target, source)

    def _modules_in_scope(self, frame: types.FrameType) -> list[tuple[str, nn.Module]]:
        """Names a user frame binds to modules, its locals first: ``learner``, ``self.model`` (of a
        Trainer, or of a module's own ``self``), then the file's globals (a model a function reads)."""
        local = frame.f_code.co_name != "<module>"
        layers = [dict(frame.f_locals), dict(frame.f_globals)] if local else [dict(frame.f_globals)]
        found: list[tuple[str, nn.Module]] = []
        seen: set[str] = set()
        for names in layers:
            for name, value in names.items():
                if name.startswith("__") or name in seen:
                    continue
                seen.add(name)
                inner = list(_held(name, value))
                if name == "self" and isinstance(value, nn.Module):
                    inner = [(f"self.{attr}", sub) for attr, sub in value._modules.items()]
                for label, module in [(name, value), *inner]:
                    if isinstance(module, nn.Module):
                        found.append((label, module))
        return found

    def note_copy_backward(self, leaves: dict[int, torch.Tensor], frame: Optional[types.FrameType], site: Optional[Site]) -> None:
        """At a backward() entry: when its loss reached copied parameters, record the site, adopt
        the copy (a deepcopy skips ``__init__``: its parameters are then named as the script names
        it), and follow the gradients it leaves on the copy."""
        self._just_called = []
        if not self._copied or frame is None or site is None:
            return
        copies = {pid: p for pid, p in leaves.items() if self.copy_source(p) is not None}
        if not copies:
            return
        scope = self._modules_in_scope(frame)
        best: Optional[tuple[tuple[int, int], str, nn.Module, list[torch.Tensor]]] = None
        for label, module in scope:
            params = list(parameters_of(module))
            held = sum(1 for q in params if id(q) in copies)
            # The module holding the most of them; of those that tie, the smallest (the copy itself,
            # not a container that also holds it).
            if held and (best is None or (held, -len(params)) > best[0]):
                best = ((held, -len(params)), label, module, params)
        if best is None:
            return
        (held, _), label, module, params = best
        self._adopt(module)  # type: ignore[attr-defined]
        key = (frame.f_code, frame.f_lasti)
        record = self._copy_sites.get(key)
        if record is None:
            if len(self._copy_sites) >= _SITES:
                return
            sources = [self.copy_source(q) for q in params]
            source_label: Optional[str] = None
            aligned = False
            most = 0
            for other_label, other in scope:
                if other is module:
                    continue
                theirs = list(parameters_of(other))
                if len(theirs) == len(sources) and all(a is b for a, b in zip(theirs, sources)):
                    # Of the modules holding exactly the sources (a MetaLearner's `self` and its
                    # `self.net`), the one of the copy's own class is what was copied.
                    if not aligned or type(other) is type(module):
                        source_label, aligned = other_label, True
                    if type(other) is type(module):
                        break
                    continue
                ids = {id(t) for t in theirs}
                count = sum(1 for s in sources if s is not None and id(s) in ids)
                if count > most and not aligned:
                    source_label, most = other_label, count
            fact = CopyBackward(
                site=site,
                copy=label,
                source=source_label,
                aligned=aligned,
                complete=held == len(copies),
                covers=all(id(q) in leaves for q in params),
                reached_sources=any(s is not None and id(s) in leaves for s in sources),
            )
            reached_sources = [id(s) for q in params if id(q) in copies and (s := self.copy_source(q)) is not None]
            record = self._copy_sites[key] = (fact, reached_sources)
        fact = record[0]
        fact.count += 1
        fact.held_grads = fact.held_grads or any(q.grad is not None for q in params)
        call = _CopyCall(fact, list(copies))
        for pid, p in copies.items():
            earlier = self._copy_grads.get(pid)
            if earlier is not None and earlier[0]() is p and not earlier[1].done:
                # A later backward() reaches a copy holding gradients an earlier one left: added
                # onto (accumulation) when they are still there, else they were cleared unapplied.
                self._resolve(earlier[1], None if self._untouched(earlier[1]) else "lost")
            self._copy_grads[pid] = (weakref.ref(p), call)
        if len(self._copy_calls) > 256:
            self._copy_calls = [c for c in self._copy_calls if not c.done]
        self._copy_calls.append(call)
        self._just_called = [(call, next(iter(copies.values())))]

    def copy_backward_done(self) -> None:
        """After the backward(): the gradient it left, to tell later whether it was cleared."""
        for call, param in self._just_called:
            grad = param.grad
            if grad is not None:
                call.grad = (weakref.ref(grad), grad._version)
        self._just_called = []

    @staticmethod
    def _untouched(call: _CopyCall) -> bool:
        if call.grad is None:
            return False
        grad = call.grad[0]()
        return grad is not None and grad._version == call.grad[1]

    def _resolve(self, call: _CopyCall, outcome: Optional[str]) -> None:
        if call.done:
            return
        call.done = True
        if outcome == "applied":
            call.fact.applied += 1
        elif outcome == "lost":
            call.fact.lost += 1
        for pid in call.pids:
            entry = self._copy_grads.get(pid)
            if entry is not None and entry[1] is call:
                del self._copy_grads[pid]

    def copy_grads_applied(self, params: Any) -> None:
        """A step() over these parameters, or a write into them by user code: the gradients a
        backward() left on the copies among them were used."""
        if not self._copy_grads:
            return
        for p in params:
            entry = self._copy_grads.get(id(p))
            if entry is not None and entry[0]() is p and p.grad is not None:
                self._resolve(entry[1], "applied")

    def copy_backward_facts(self, names_of: dict[int, str]) -> list[CopyBackward]:
        for call in self._copy_calls:
            self._resolve(call, "lost")  # still on the copy when the run ended, or dropped with it
        facts = []
        for fact, sources in self._copy_sites.values():
            fact.sources = list(dict.fromkeys(names_of[pid] for pid in sources if pid in names_of))
            facts.append(fact)
        return facts

    def clones_of_templates(self) -> dict[int, int]:
        """The recorded copies that are layers of a model built in this run, not copies kept beside
        one: ``nn.TransformerEncoder(layer, n)``, ``clones(layer, n)``, ``nn.ModuleList([copy.deepcopy(
        block) for _ in range(n)])`` deep-copy a template into the model they build. Their values are
        that run's random initialisation, not values given (loaded): what a loss reaches in them is
        meant to train like any layer built in place. Told apart from an EMA, a target network, a
        teacher or a frozen reference by where the copy sits and what it was copied from: inside a
        module built under the probe's eyes (not a copy standing on its own), from parameters that
        took no part in the run (the template: never held by an optimizer, reached by a loss, given
        a gradient, run, loaded or written into), and never written into by user code itself (an
        update by hand). A copy of the trained model has a source that trains; a copy of loaded
        weights has a loaded source. Each with the probe's event count when it was copied (it
        existed from then on, not from when a loss first reached it)."""
        if not self.adopted:  # type: ignore[attr-defined]
            return {}
        built = [mid for mid in self.modules if mid not in self.adopted]  # type: ignore[attr-defined]
        inside_built = {
            id(sub) for mid in built for sub in modules_of(self.modules[mid])  # type: ignore[attr-defined]
            if id(sub) in self.adopted  # type: ignore[attr-defined]
        }
        if not inside_built:
            return {}
        held = {id(p) for optimizer, _ in self.optimizers for p in optimizer_tensors(optimizer)}  # type: ignore[attr-defined]
        ran = self.ran_with_grad | self.ran_without_grad  # type: ignore[attr-defined]
        took_part = held | self.reached | self.got_grad  # type: ignore[attr-defined]
        for mid, module in self.modules.items():  # type: ignore[attr-defined]
            if mid in ran or mid in self.loaded:  # type: ignore[attr-defined]
                took_part.update(id(p) for p in parameters_of(module, recurse=False))
        written = {pid for _, pids, _ in self._writes.values() for pid in pids}  # type: ignore[attr-defined]
        clones: dict[int, int] = {}
        for mid in inside_built:
            params = list(parameters_of(self.modules[mid]))  # type: ignore[attr-defined]
            sources = [self.copy_source(p) for p in params]
            if params and all(
                source is not None and id(source) not in took_part and id(source) not in written and id(p) not in written
                and storage_of(source) not in self.loaded_storage  # type: ignore[attr-defined]
                for p, source in zip(params, sources)
            ):
                clones[mid] = min(self._copied[id(p)][2] for p in params)
        # The parameterless layers copied with them (a dropout, an activation) go with their clone.
        for mid, copied in list(clones.items()):
            for sub in modules_of(self.modules[mid]):  # type: ignore[attr-defined]
                if id(sub) in inside_built and id(sub) not in clones and next(iter(parameters_of(sub)), None) is None:
                    clones[id(sub)] = copied
        return clones

    def copied_from(self, param: torch.Tensor, names_of: dict[int, str]) -> Optional[str]:
        """The name of the parameter ``param`` was copied from (None: not a copy, or unnamed)."""
        source = self.copy_source(param)
        return names_of.get(id(source)) if source is not None else None
