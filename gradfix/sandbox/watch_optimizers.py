"""Optimizers and schedulers: what each optimizer holds, where it was built, its learning rate at
every step, the order of zero_grad / backward / step, and the bound on the whole run's steps."""

from __future__ import annotations

from typing import Any, Optional

import torch
import torch.nn as nn
import torch.optim.optimizer as optimizer_module

from gradfix.sandbox.facts import class_name
from gradfix.trace import OptimizerFact, SchedulerFact


def _largest_lr(optimizer: Any) -> Optional[float]:
    rates = [group.get("lr") for group in optimizer.param_groups]
    try:
        return max(float(rate) for rate in rates if rate is not None)
    except (TypeError, ValueError, RuntimeError):  # no groups, or a rate that is not a number
        return None


def _is_zero(rate: Any) -> bool:
    try:
        return rate is not None and float(rate) == 0
    except (TypeError, ValueError, RuntimeError):  # a rate that is not a number
        return False


class OptimizerWatch:
    """The probe's part that watches optimizers; mixed into :class:`~gradfix.sandbox.probe.Probe`."""

    def awaiting_first_step(self) -> bool:
        """An optimizer that has not stepped yet, though a module holding its parameters already
        ran with gradients on."""
        for optimizer, fact in self.optimizers:
            if fact.steps:
                continue
            held = {id(p) for group in optimizer.param_groups for p in group["params"]}
            for mid in self.ran_with_grad:
                module = self.modules.get(mid)
                if module is not None and any(id(p) in held for p in module.parameters(recurse=False)):
                    return True
        return False

    def optimizer_id(self, optimizer: Any) -> Optional[int]:
        for held, fact in self.optimizers:
            if held is optimizer:
                return fact.id
        return None

    def _install_optimizer_tracking(self) -> None:
        probe = self
        optimizer_init = torch.optim.Optimizer.__init__

        def init(optimizer: Any, params: Any, *args: Any, **kwargs: Any) -> None:
            site, frame = probe.caller_site()
            probe.learn_names(frame)
            optimizer_init(optimizer, params, *args, **kwargs)
            probe.events += 1
            held = [p for group in optimizer.param_groups for p in group["params"]]
            probe.remember_params(held)
            probe.lr_zero.update(
                id(p) for group in optimizer.param_groups if _is_zero(group.get("lr")) for p in group["params"]
            )
            probe.adopt(frame, {id(p) for p in held})
            probe.learn_names(frame)
            fact = OptimizerFact(
                id=len(probe.optimizers),
                cls=class_name(optimizer),
                site=site,
                name=None,
                built_event=probe.events,
                scope_modules=probe.scope_modules(frame),
                initial_lr=_largest_lr(optimizer),
            )
            probe.optimizers.append((optimizer, fact))

        torch.optim.Optimizer.__init__ = init  # type: ignore[method-assign]
        self._install_scheduler_tracking()

        optimizer_zero_grad = torch.optim.Optimizer.zero_grad

        def zero_grad(optimizer: Any, *args: Any, **kwargs: Any) -> Any:
            site, _ = probe.caller_site()
            probe.record_call("zero_grad", probe.optimizer_id(optimizer), site)
            return optimizer_zero_grad(optimizer, *args, **kwargs)

        torch.optim.Optimizer.zero_grad = zero_grad  # type: ignore[method-assign]

        module_zero_grad = nn.Module.zero_grad

        def model_zero_grad(module: nn.Module, *args: Any, **kwargs: Any) -> Any:
            site, _ = probe.caller_site()
            probe.record_call("zero_grad", None, site)
            return module_zero_grad(module, *args, **kwargs)

        nn.Module.zero_grad = model_zero_grad  # type: ignore[method-assign]

        def before_step(optimizer: Any, args: Any, kwargs: Any) -> None:
            site, _ = probe.caller_site(3)
            index = probe.optimizer_id(optimizer)
            probe.record_call("step", index, site)
            held = [p for group in optimizer.param_groups for p in group["params"]]
            nonzero = [p for p in held if p.grad is not None and bool(p.grad.any())]
            probe.nonzero_grad.update(id(p) for p in nonzero)
            if index is not None and not nonzero:
                probe.optimizers[index][1].steps_without_grad += 1
            if index is not None and len(probe.optimizers[index][1].lrs) < 400:
                probe.optimizers[index][1].lrs.append(_largest_lr(optimizer))

        optimizer_module.register_optimizer_step_pre_hook(before_step)

        def after_step(optimizer: Any, args: Any, kwargs: Any) -> None:
            probe.events += 1
            probe.step_count += 1
            for held, fact in probe.optimizers:
                if held is optimizer:
                    fact.steps += 1
            # The user's for loops end themselves after a few training iterations (loops.py), so
            # the script reaches its later phases; this bound is for what they cannot shorten (a
            # while loop, a library's training loop).
            if probe.step_count >= probe.max_steps * 20:
                probe.stop(stopped_early=True)

        optimizer_module.register_optimizer_step_post_hook(after_step)

    def _install_scheduler_tracking(self) -> None:
        """Where each learning-rate scheduler is built, and for which optimizer."""
        probe = self
        from torch.optim import lr_scheduler

        seen: set[int] = set()
        # ReduceLROnPlateau does not call LRScheduler.__init__ in every torch version: patch both.
        for kind in (lr_scheduler.LRScheduler, lr_scheduler.ReduceLROnPlateau):
            def init(scheduler: Any, optimizer: Any, *args: Any, _original: Any = kind.__init__, **kwargs: Any) -> None:
                _original(scheduler, optimizer, *args, **kwargs)
                if id(scheduler) in seen:
                    return
                seen.add(id(scheduler))
                site, _ = probe.caller_site()
                if len(probe.schedulers) < 50:
                    probe.schedulers.append(SchedulerFact(class_name(scheduler), site, probe.optimizer_id(optimizer)))

            kind.__init__ = init  # type: ignore[method-assign]
