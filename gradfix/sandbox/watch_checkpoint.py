"""Activation checkpointing: calls of ``torch.utils.checkpoint.checkpoint`` and
``checkpoint_sequential`` from user code with gradients on, which variant ran (reentrant or not),
whether any tensor argument required grad, whether the output did, and the parameters of the
modules that ran inside (a reentrant call none of whose inputs required grad gives them no
gradient: the reentrant variant is an autograd Function, and it has nothing to attach to)."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, Optional

import torch
import torch.nn as nn

from gradfix.sandbox.facts import parameters_of, site_of
from gradfix.trace import CheckpointCall, Site


def _tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [v for v in value[:16] if isinstance(v, torch.Tensor)]
    return []


class CheckpointWatch:
    """The probe's part that watches activation checkpointing; mixed into
    :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_checkpoint_tracking(self) -> None:
        probe = self
        from torch.utils import checkpoint as module

        plain, sequential = module.checkpoint, module.checkpoint_sequential
        own_file = sequential.__code__.co_filename  # checkpoint itself is wrapped by torch._disable_dynamo
        # checkpoint_sequential calls checkpoint once per segment: those calls are the user's
        # checkpoint_sequential call, with its site and its own use_reentrant
        self._checkpoint_outer: Optional[tuple[Site, bool]] = None
        self._checkpoint_calls: dict[tuple[Any, ...], tuple[CheckpointCall, set[int]]] = {}
        # parameter ids used by the modules running inside checkpoint calls, one set per call running
        self._checkpoint_inside: list[set[int]] = []
        self._checkpoint_hook: Any = None

        @functools.wraps(plain)
        def checkpoint(function: Any, *args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1)
            outer = probe._checkpoint_outer
            if caller.f_code.co_filename == own_file and outer is not None:
                site, explicit, api, first = outer[0], outer[1], "checkpoint_sequential", 2
            elif caller.f_code.co_filename in probe.user:
                site, explicit, api, first = site_of(caller), "use_reentrant" in kwargs, "checkpoint", 1
            else:
                return plain(function, *args, **kwargs)  # a library's own checkpointing: not the user's to edit
            reentrant = kwargs.get("use_reentrant")
            return probe._observe_checkpoint(
                lambda: plain(function, *args, **kwargs), function, args, reentrant is None or bool(reentrant),
                site, explicit, api, first,
            )

        @functools.wraps(sequential)
        def checkpoint_sequential(*args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1)
            if caller.f_code.co_filename not in probe.user:
                return sequential(*args, **kwargs)
            explicit = len(args) > 3 or "use_reentrant" in kwargs
            outer = probe._checkpoint_outer
            probe._checkpoint_outer = (site_of(caller), explicit)
            try:
                return sequential(*args, **kwargs)
            finally:
                probe._checkpoint_outer = outer

        module.checkpoint = checkpoint  # type: ignore[assignment]
        module.checkpoint_sequential = checkpoint_sequential  # type: ignore[assignment]

    def _observe_checkpoint(
        self, run: Callable[[], Any], function: Any, args: tuple, reentrant: bool, site: Site, explicit: bool,
        api: str, first: int,
    ) -> Any:
        if not torch.is_grad_enabled() or torch.compiler.is_compiling():
            return run()  # evaluation, or a compiled graph: nothing here is trained through it
        inputs = [a for a in args if isinstance(a, torch.Tensor)]  # what the reentrant variant tracks
        graphless = not any(t.requires_grad for t in inputs)
        inside: set[int] = set()
        owner = getattr(function, "__self__", None)  # checkpoint(self._run_blocks, x): its own weights too
        if isinstance(owner, nn.Module):
            inside.update(id(p) for p in parameters_of(owner, recurse=False))
        self._checkpoint_inside.append(inside)
        if self._checkpoint_hook is None:  # only while a checkpoint runs: other module calls pay nothing
            self._checkpoint_hook = nn.modules.module.register_module_forward_pre_hook(self._checkpoint_ran)
        try:
            result = run()
        finally:
            self._checkpoint_inside.pop()
            if not self._checkpoint_inside:
                self._checkpoint_hook.remove()
                self._checkpoint_hook = None
        key = (site.file, site.line, site.column, reentrant)
        known = self._checkpoint_calls.get(key)
        if known is None:
            if len(self._checkpoint_calls) >= 64:
                return result
            position = next((first + i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.is_floating_point()), None)
            known = self._checkpoint_calls[key] = (
                CheckpointCall(site=site, api=api, reentrant=reentrant, explicit=explicit, tensor_arg=position), set(),
            )
        fact, used = known
        fact.calls += 1
        if graphless:
            fact.graphless_calls += 1
            fact.output_requires_grad |= any(t.requires_grad for t in _tensors(result))
        used.update(inside)
        return result

    def _checkpoint_ran(self, module: nn.Module, _inputs: Any) -> None:
        # torch's own layers use some of their submodules' weights without calling them
        # (MultiheadAttention's out_proj); the user's own modules are seen submodule by submodule
        own = [id(p) for p in parameters_of(module, recurse=type(module).__module__.startswith("torch.nn."))]
        for inside in self._checkpoint_inside:  # a call nested in another runs inside both
            inside.update(own)
        return None

    def checkpoint_facts(self, names_of: dict[int, str]) -> list[CheckpointCall]:
        """The checkpoint calls seen, each with the names of the parameters used inside its calls."""
        facts = []
        for fact, used in self._checkpoint_calls.values():
            fact.params = sorted({names_of[pid] for pid in used if pid in names_of})
            facts.append(fact)
        return facts
