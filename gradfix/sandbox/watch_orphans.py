"""Optimizers that step copies of a model's parameters, not the parameters of the model that runs
(GF064). An optimizer that was never built (its ``__init__`` never ran: unpickled by ``torch.load``
or ``pickle.loads``, or ``copy.deepcopy``-ed on its own) and a model copied or loaded apart from it
each get their own copies of the same weights: the optimizer's ``step()`` meets tensors no loss
reaches, while the model that ran gets gradients no optimizer holds.

At the first ``step()`` of such an optimizer none of whose tensors holds a gradient, the probe looks
for a module that ran with gradients on whose parameters are, in order, of the same shapes and
(nothing having changed either side yet) the same values as the optimizer's tensors, hold
gradients, and are held by no optimizer. The user frames around the step are then searched for
what they call the optimizer and that module (``optimizer``, ``n2.optimizer_``): the outermost frame
that names both is where the copy was made and where the fix re-points the optimizer."""

from __future__ import annotations

import sys
import types
from typing import Any, Optional

import torch
import torch.nn as nn
from torch.optim import optimizer as optimizer_module

from gradfix.sandbox.facts import class_name, modules_of, optimizer_tensors, parameters_of, site_of
from gradfix.trace import OptimizerFact, OrphanedOptimizer

_FRAMES = 8  # user frames searched outward from the step
_ATTRIBUTES = 256  # attributes of one object looked through


def _named(frame: types.FrameType) -> dict[str, Any]:
    """What a frame calls the objects it holds: a name bound to one (``optimizer``), or an attribute
    of an object a name is bound to (``self.optimizer_``, ``n2.module_``). Locals first, then (at
    the top level) globals; the first name of an object wins."""
    names = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
    names.update(frame.f_locals)
    found: dict[str, Any] = {}
    for name, value in names.items():
        if name.startswith("__"):
            continue
        found[name] = value
        if isinstance(value, (torch.Tensor, type, types.ModuleType, types.FunctionType)):
            continue
        attributes = getattr(value, "__dict__", None)
        if not isinstance(attributes, dict):
            continue
        for attr, held in list(attributes.items())[:_ATTRIBUTES]:
            if attr.isidentifier() and not attr.startswith("_"):
                found.setdefault(f"{name}.{attr}", held)
    return found


def _same_tensors(held: list[torch.Tensor], params: list[torch.Tensor]) -> bool:
    if len(held) != len(params):
        return False
    for a, b in zip(held, params):
        if a is b or a.shape != b.shape or a.dtype != b.dtype or a.device != b.device:
            return False
        if a.is_meta:
            return False  # no values to be copies of each other: nothing says they are
        if not torch.equal(a.detach(), b.detach()):
            return False
    return True


class OrphanWatch:
    """The probe's part that finds optimizers stepping orphan copies; mixed into
    :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_orphan_tracking(self) -> None:
        probe = self
        # unbuilt optimizers already examined, by id (kept alive: an id is not reused meanwhile)
        self._orphans_seen: dict[int, Any] = {}
        # the facts, and the ids of the running module's parameters (named at the end)
        self._orphans: list[tuple[OrphanedOptimizer, list[int]]] = []

        def before_step(optimizer: Any, args: Any, kwargs: Any) -> None:
            if probe._orphans_seen.get(id(optimizer)) is optimizer or probe.optimizer_id(optimizer) is not None:  # type: ignore[attr-defined]
                return
            probe._orphans_seen[id(optimizer)] = optimizer
            with probe.channel.busy():  # type: ignore[attr-defined]
                probe._examine_orphan(optimizer)

        optimizer_module.register_optimizer_step_pre_hook(before_step)

    def _examine_orphan(self, optimizer: Any) -> None:
        held = optimizer_tensors(optimizer)
        # Models unpickled or copied with this optimizer skip __init__ like it: recorded as an
        # optimizer's constructor records them (watch_optimizers.py), so an optimizer put back
        # over its model by a fix, built or not, names that model's parameters the same way.
        frame = self.user_frame(sys._getframe(2))  # type: ignore[attr-defined]
        for _ in range(_FRAMES):
            if frame is None:
                break
            self.adopt(frame, {id(p) for p in held})  # type: ignore[attr-defined]
            frame = self.user_frame(frame.f_back)  # type: ignore[attr-defined]
        if not held:
            return
        if any(p.grad is not None for p in held):
            self._adopt_optimizer(optimizer, held)
            return
        # What known optimizers hold: a module some optimizer trains is not the orphan's.
        holders = {id(p) for other, _ in self.optimizers for p in optimizer_tensors(other)}  # type: ignore[attr-defined]
        held_ids = {id(p) for p in held}

        def running(value: Any) -> bool:
            """A module that ran with gradients on, whose parameters are the optimizer's tensors
            over again (same shapes, same values), hold gradients and are held by no optimizer."""
            if not isinstance(value, nn.Module) or id(value) not in self.ran_with_grad:  # type: ignore[attr-defined]
                return False
            params = list(parameters_of(value))
            if any(id(p) in holders or id(p) in held_ids for p in params):
                return False
            if not any(p.grad is not None and bool(p.grad.any()) for p in params):
                return False
            return _same_tensors(held, params)

        # A module copied or unpickled on its own is not recorded (nothing built it): it is found
        # by what the frames around the step call it.
        frame = self.user_frame(sys._getframe(2))  # type: ignore[attr-defined]
        sites = []
        best: Optional[tuple[int, str, str, nn.Module]] = None  # frame index, optimizer path, module path, module
        while frame is not None and len(sites) < _FRAMES:
            sites.append(site_of(frame))
            named = _named(frame)
            optimizer_path = next((path for path, value in named.items() if value is optimizer), None)
            modules = [(path, value) for path, value in named.items() if running(value)]
            if optimizer_path is not None and modules:
                # of several (a model and its only child), the outermost module
                path, module = max(modules, key=lambda item: sum(1 for _ in modules_of(item[1])))
                best = (len(sites) - 1, optimizer_path, path, module)
            frame = self.user_frame(frame.f_back)  # type: ignore[attr-defined]
        if best is None:
            return
        index, optimizer_path, module_path, module = best
        # Recorded as a loaded model, as a fix's optimizer built over it records it: its
        # parameters are named the same way in the run and in the re-run that judges the fix.
        if id(module) not in self.modules:  # type: ignore[attr-defined]
            self._adopt(module)  # type: ignore[attr-defined]
        fact = OrphanedOptimizer(
            cls=class_name(optimizer),
            sites=sites,
            frame=index,
            optimizer_path=optimizer_path,
            module_path=module_path,
            groups=len(optimizer.param_groups),
        )
        self._orphans.append((fact, [id(p) for p in parameters_of(module)]))

    def _adopt_optimizer(self, optimizer: Any, held: list[torch.Tensor]) -> None:
        """An unbuilt optimizer that steps the parameters of a model that runs (a trainer
        deep-copied whole, a checkpoint of both unpickled at once) trains them: recorded from its
        first step like one built here, so its parameters are not taken for parameters no
        optimizer holds. It has no constructor in user code to edit: no site."""
        self.remember_params(held)  # type: ignore[attr-defined]
        self.events += 1  # type: ignore[attr-defined]
        fact = OptimizerFact(
            id=len(self.optimizers),  # type: ignore[attr-defined]
            cls=class_name(optimizer),
            site=None,
            name=None,
            built_event=self.events,  # type: ignore[attr-defined]
        )
        self.optimizers.append((optimizer, fact))  # type: ignore[attr-defined]

    def orphan_facts(self, names_of: dict[int, str]) -> list[OrphanedOptimizer]:
        for fact, pids in self._orphans:
            fact.params = [names_of[pid] for pid in pids if pid in names_of]
        return [fact for fact, _ in self._orphans]
