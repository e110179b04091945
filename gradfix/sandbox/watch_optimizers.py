"""Optimizers and schedulers: what each optimizer holds, where it was built, its learning rate at
every step, the order of zero_grad / backward / step, gradients that a step applied and a later
step applies again (nothing cleared them), parameters a step changed after a forward saved them
(the backward that needs them crashes), and the bound on the whole run's steps."""

from __future__ import annotations

import inspect
import math
import re
import weakref
from typing import Any, Optional

import torch
import torch.nn as nn
import torch.optim.optimizer as optimizer_module

from gradfix.sandbox.facts import class_name, group_tensors, one_shot_group, optimizer_tensors, parameters_of, site_of
from gradfix.sandbox.loops import EXTEND
from gradfix.sandbox.watch_modules import FORWARD_TAG
from gradfix.trace import OneShotGroup, OptimizerCaller, OptimizerFact, SchedulerFact, Site, StepBeforeBackward

# autograd's message for a saved tensor modified in place: a parameter, or a view of one (Linear
# saves its weight transposed: "[64, 1]], which is output 0 of AsStrided")
_MODIFIED = re.compile(
    r"modified by an inplace operation: \[[\w.]+ \[([0-9, ]*)\]\](?:, which is output \d+ of (\w+))?,? "
    r"is at version (\d+); expected version (\d+)"
)
_VIEWS = {"AsStrided", "T", "Transpose", "Permute", "View", "Alias", "Unsqueeze", "Squeeze", "Expand", "Reshape", "UnsafeView"}


def _largest_lr(optimizer: Any) -> Optional[float]:
    rates = [group.get("lr") for group in optimizer.param_groups]
    try:
        return max(float(rate) for rate in rates if rate is not None)
    except (TypeError, ValueError, RuntimeError):  # no groups, or a rate that is not a number
        return None


def _peak(grad: torch.Tensor) -> float:
    """The largest magnitude in a gradient, dense or sparse (an embedding's ``sparse=True``)."""
    values = grad.coalesce().values() if grad.is_sparse else grad
    return float(values.detach().abs().max()) if values.numel() else 0.0


def _needs_closure(optimizer: Any) -> bool:
    """The optimizer's class's step() takes a `closure` without a default. Read from its signature
    (torch's step wrapper keeps the wrapped one's), so an optimizer of the script's own is known
    like L-BFGS."""
    try:
        parameter = inspect.signature(type(optimizer).step).parameters.get("closure")
    except (TypeError, ValueError):  # no signature to read (a builtin, a callable object)
        return False
    return (
        parameter is not None and parameter.default is parameter.empty
        and parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    )


def _callers(probe: Any, frame: Any) -> list[OptimizerCaller]:
    """The user frames that called the one that built an optimizer, innermost first (a few): a
    helper's caller binds what the helper returned, and may name modules the helper does not."""
    found: list[OptimizerCaller] = []
    outer = probe.user_frame(frame.f_back) if frame is not None else None
    while outer is not None and len(found) < _CALLERS:
        found.append(OptimizerCaller(site=site_of(outer), scope_modules=probe.scope_modules(outer)))
        outer = probe.user_frame(outer.f_back)
    return found


def _optimizer_method(frame: Any) -> bool:
    """The frame runs a method of an optimizer (its first argument is one)."""
    code = frame.f_code
    if code.co_argcount == 0 or code.co_name == "<module>":
        return False
    return isinstance(frame.f_locals.get(code.co_varnames[0]), torch.optim.Optimizer)


def _is_zero(rate: Any) -> bool:
    try:
        return rate is not None and float(rate) == 0
    except (TypeError, ValueError, RuntimeError):  # a rate that is not a number
        return False


# Gradients watched per optimizer after each step: the first and the last parameter (with a
# gradient) of each group, so that a group made of two models shows the second one's leftovers too.
_WATCHED = 8
_CALLERS = 4  # user calls kept around an optimizer's construction


class _Applied:
    """A gradient that an optimizer's step() has just applied, watched until something clears it
    (set to None, replaced by another tensor, or changed in place other than by a backward())."""

    __slots__ = ("param", "grad", "version", "added")

    def __init__(self, param: torch.Tensor, grad: torch.Tensor):
        self.param = param
        # A weak reference: holding the tensor would keep memory that zero_grad() means to free.
        self.grad = weakref.ref(grad)
        self.version = grad._version
        self.added = False  # a backward() has added onto it

    def current(self) -> Optional[torch.Tensor]:
        """The parameter's gradient, while it is still the tensor the step applied."""
        grad = self.param.grad
        return grad if grad is not None and grad is self.grad() else None


class OptimizerWatch:
    """The probe's part that watches optimizers; mixed into :class:`~gradfix.sandbox.probe.Probe`."""

    def _watch_applied(self, index: int, optimizer: Any) -> None:
        """After a step: a few of the gradients it applied, to see whether a later backward()
        adds onto them before anything clears them."""
        watched: list[_Applied] = []
        for group in optimizer.param_groups:
            params = group_tensors(group)
            first = next((p for p in params if p.grad is not None), None)
            last = next((p for p in reversed(params) if p.grad is not None), None)
            for p in (first,) if last is first else (first, last):
                if p is not None and len(watched) < _WATCHED and bool(p.grad.any()):
                    watched.append(_Applied(p, p.grad))
        self._applied[index] = watched
        self._stale_pending.pop(index, None)

    def applied_before_backward(self) -> None:
        """At a backward() entry: forget the applied gradients that something cleared since."""
        for watched in self._applied.values():
            watched[:] = [w for w in watched if (g := w.current()) is not None and g._version == w.version]

    def applied_after_backward(self, site: Optional[Site]) -> None:
        """After a backward(): did it add onto gradients a step already applied? Only pending: a
        GAN's generator loss adds onto the discriminator's applied gradients, and the
        discriminator's zero_grad() clears them before its next step."""
        for index, watched in self._applied.items():
            added = False
            kept = []
            for w in watched:
                grad = w.current()
                if grad is None:  # replaced (create_graph=True sums out of place): no longer followed
                    continue
                if grad._version != w.version:
                    w.version, w.added, added = grad._version, True, True
                kept.append(w)
            watched[:] = kept
            if added:
                count, sites = self._stale_pending.get(index, (0, []))
                if site is not None and len(sites) < 4 and not any(site.same_place(s) for s in sites):
                    sites = [*sites, site]
                self._stale_pending[index] = (count + 1, sites)

    def _applied_again(self, index: int, site: Optional[Site]) -> None:
        """Before a step: the backward() calls that added onto its previous step's gradients count
        when those gradients are still there, uncleared, for this step to apply again."""
        pending = self._stale_pending.pop(index, None)
        if pending is None:
            return
        if any(w.added and (g := w.current()) is not None and bool(g.any()) for w in self._applied.get(index, ())):
            fact = self.optimizers[index][1]
            fact.stale_backwards += pending[0]
            if fact.stale_step_site is None:
                fact.stale_backward_sites, fact.stale_step_site = pending[1], site

    def stepped_since_forward(self, roots: list[torch.Tensor], message: str, frame: Any) -> None:
        """A backward() crashed on a saved tensor modified in place: when it is a parameter (shape
        and version as the message says) that an optimizer's step() changed after the forward saved
        it, record that step, the calls of the modules holding it whose outputs the loss uses, and,
        in the backward's frame and its callers, the names bound to tensors with no graph (what
        need not run again: sampled actions, returns, a detached advantage)."""
        match = _MODIFIED.search(message)
        if match is None or self.stepped_before_backward is not None:
            return
        op = match.group(2)
        if op is not None and re.sub(r"Backward\d*$", "", op) not in _VIEWS:
            return  # an op's output (a ReLU's) modified in place: not a parameter
        shape = [int(n) for n in match.group(1).split(",") if n.strip()]
        now, expected = int(match.group(3)), int(match.group(4))
        stale: dict[int, tuple[int, list[Site]]] = {}
        leaves = self.reachable(roots)
        # A view shares its base's version counter; its shape may differ: a transpose first (a
        # Linear's weight), then any view of as many elements.
        for same in (
            lambda p: list(p.shape) == shape if op is None else sorted(p.shape) == sorted(shape),
            lambda p: op is not None and p.numel() == math.prod(shape),
        ):
            for pid, p in leaves.items():
                record = self._stepped_versions.get(pid)
                if record is None or not same(p) or p._version != now:
                    continue
                index, before, after, sites = record
                # the step found it as the forward saved it (or later) and moved it past that version
                if before >= expected and after > expected:
                    stale[pid] = (index, sites)
            if stale:
                break
        if not stale:
            return
        index, step_sites = next(iter(stale.values()))
        pids = [pid for pid, (i, _) in stale.items() if i == index]
        forwards: list[list[Site]] = []
        seen: set[int] = set()
        stack = [t.grad_fn for t in roots if t.grad_fn is not None]
        while stack:
            node = stack.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            tag = node.metadata.get(FORWARD_TAG)
            if tag is not None and tag[1] not in forwards and len(forwards) < 8:
                module = self.modules.get(tag[0])
                if module is not None and any(id(p) in pids for p in parameters_of(module)):
                    forwards.append(tag[1])
            stack.extend(next_node for next_node, _ in node.next_functions)
        backward_sites: list[Site] = []
        graphless: list[list[str]] = []
        frame = self.user_frame(frame)
        while frame is not None and len(backward_sites) < 3:
            backward_sites.append(site_of(frame))
            names = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
            names.update(frame.f_locals)
            graphless.append([
                name for name, value in names.items()
                if isinstance(value, torch.Tensor) and value.grad_fn is None and not value.requires_grad
            ][:64])
            frame = self.user_frame(frame.f_back)
        fact = StepBeforeBackward(
            params=[], optimizer=self.optimizers[index][1].id, step_sites=step_sites,
            backward_sites=backward_sites, forwards=forwards, graphless=graphless,
        )
        self.stepped_before_backward = (fact, pids)

    def _note_one_shot_groups(self, fact: OptimizerFact, optimizer: Any, site: Optional[Site]) -> None:
        """At a step(): the groups whose "params" is an iterator, which torch (and the probe, see
        ``group_tensors``) can read once at most; named by index, never read."""
        for index, group in enumerate(optimizer.param_groups):
            kind = one_shot_group(group)
            if kind is None:
                continue
            known = next((g for g in fact.one_shot_groups if g.group == index), None)
            if known is None:
                known = OneShotGroup(group=index, kind=kind, step=site)
                fact.one_shot_groups.append(known)
            known.steps += 1
            # the iterator itself is kept (never read) so that its id cannot be reused by another
            met = self.one_shot_met.get((id(optimizer), index))
            known.reused = known.reused or met is group["params"]
            self.one_shot_met[(id(optimizer), index)] = group["params"]

    def awaiting_first_step(self) -> bool:
        """An optimizer that has not stepped yet, though a module holding its parameters already
        ran with gradients on."""
        for optimizer, fact in self.optimizers:
            if fact.steps:
                continue
            held = {id(p) for p in optimizer_tensors(optimizer)}
            for mid in self.ran_with_grad:
                module = self.modules.get(mid)
                if module is not None and any(id(p) in held for p in parameters_of(module, recurse=False)):
                    return True
        return False

    def optimizer_id(self, optimizer: Any) -> Optional[int]:
        for held, fact in self.optimizers:
            if held is optimizer:
                return fact.id
        return None

    def _install_optimizer_tracking(self) -> None:
        probe = self
        self._applied: dict[int, list[_Applied]] = {}  # optimizer index -> gradients its last step applied
        self._stale_pending: dict[int, tuple[int, list[Site]]] = {}  # backward() calls that added onto them, where
        # optimizer index -> where its step() runs and its parameters' versions before it
        self._versions_before: dict[int, tuple[list[Site], list[tuple[torch.Tensor, int]]]] = {}
        # parameter id -> the last step() that changed it: optimizer index, versions before and after, where
        self._stepped_versions: dict[int, tuple[int, int, int, list[Site]]] = {}
        # optimizer index -> the parameters with a dense gradient at a SparseAdam step, and their embeddings
        self.dense_for_sparse: dict[int, tuple[list[int], list[int]]] = {}
        optimizer_init = torch.optim.Optimizer.__init__

        def init(optimizer: Any, params: Any, *args: Any, **kwargs: Any) -> None:
            site, frame = probe.caller_site()
            # An optimizer class of the script's own reaches here from its own __init__
            # (`super().__init__(params, defaults)`), and one built inside another's (SAM's
            # `base_optimizer(self.param_groups)`) from that one's: it was built where the script
            # called the outer class, with the names that frame has (the model, the head left out).
            outer = frame
            while outer is not None and _optimizer_method(outer):
                outer = probe.user_frame(outer.f_back)
            if outer is not None and outer is not frame:
                site, frame = site_of(outer), outer
            probe.learn_names(frame)
            optimizer_init(optimizer, params, *args, **kwargs)
            held = optimizer_tensors(optimizer)
            # Models copied or unpickled without __init__ existed before this optimizer: adopted
            # at an earlier event than its own, they are not "built after the optimizer".
            probe.adopt(frame, {id(p) for p in held})
            probe.events += 1
            probe.remember_params(held)
            probe.lr_zero.update(
                id(p) for group in optimizer.param_groups if _is_zero(group.get("lr")) for p in group_tensors(group)
            )
            probe.learn_names(frame)
            fact = OptimizerFact(
                id=len(probe.optimizers),
                cls=class_name(optimizer),
                site=site,
                name=None,
                built_event=probe.events,
                scope_modules=probe.scope_modules(frame),
                initial_lr=_largest_lr(optimizer),
                needs_closure=_needs_closure(optimizer),
                callers=_callers(probe, frame),
            )
            probe.optimizers.append((optimizer, fact))

        torch.optim.Optimizer.__init__ = init  # type: ignore[method-assign]
        self._install_scheduler_tracking()

        optimizer_load = torch.optim.Optimizer.load_state_dict

        def load_state_dict(optimizer: Any, *args: Any, **kwargs: Any) -> Any:
            result = optimizer_load(optimizer, *args, **kwargs)
            # A state resumed from a saved run (GF019: the learning rate it ended at comes with it).
            site, _ = probe.caller_site()
            for held, fact in probe.optimizers:
                if held is optimizer and site is not None:
                    fact.loaded = site
            return result

        torch.optim.Optimizer.load_state_dict = load_state_dict  # type: ignore[method-assign]

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
            site, frame = probe.caller_site(3)
            index = probe.optimizer_id(optimizer)
            probe.record_call("step", index, site)
            held = optimizer_tensors(optimizer)
            if index is not None:
                probe._note_one_shot_groups(probe.optimizers[index][1], optimizer, site)
            nonzero = [p for p in held if p.grad is not None and bool(p.grad.any())]
            probe.nonzero_grad.update(id(p) for p in nonzero)
            for p in nonzero:
                probe.grad_peak[id(p)] = max(probe.grad_peak.get(id(p), 0.0), _peak(p.grad))
            # Gradients user code assigned (`p.grad = g` of a torch.autograd.grad) arrive without a
            # backward() after them: the step that applies them sees them.
            probe.got_grad.update(id(p) for p in held if p.grad is not None)
            probe.grad_at_step.update(id(p) for p in held if p.grad is not None)
            probe.trainable_at_step.update(id(p) for p in held if p.requires_grad)
            # Parameters that no optimizer holds too: a non-zero gradient that nothing applies is a
            # module left out of training (GF018), an always-zero one is not.
            holders = {id(q) for other, _ in probe.optimizers for q in optimizer_tensors(other)}
            for pid, p in list(probe.param_objects.items()):
                if pid not in probe.nonzero_grad and pid not in holders and p.grad is not None and bool(p.grad.any()):
                    probe.nonzero_grad.add(pid)
            if index is not None and not nonzero:
                probe.optimizers[index][1].steps_without_grad += 1
            if index is not None and index not in probe.dense_for_sparse and isinstance(optimizer, torch.optim.SparseAdam):
                # SparseAdam raises at a dense gradient: which parameters had one, and the
                # embeddings that hold them (a weight tied to a Linear makes the sum dense, GF029).
                dense = [p for p in held if p.grad is not None and not p.grad.is_sparse]
                if dense:
                    ids = {id(p) for p in dense}
                    embeddings = [
                        mid for mid, m in probe.modules.items()
                        if isinstance(m, (nn.Embedding, nn.EmbeddingBag)) and id(m.weight) in ids
                    ]
                    probe.dense_for_sparse[index] = ([id(p) for p in dense], embeddings)
            probe.gradients_at_step(index, held)
            if index is not None and len(probe.optimizers[index][1].lrs) < 400:
                probe.optimizers[index][1].lrs.append(_largest_lr(optimizer))
            if index is not None:
                # Cleared when the step returns: one still set at the end raised (GF053).
                given = (len(args) > 1 and args[1] is not None) or kwargs.get("closure") is not None
                probe.optimizers[index][1].unclosed_step = None if given else site
                probe._applied_again(index, site)
                probe._versions_before[index] = (probe.site_chain(frame), [(p, p._version) for p in held])

        optimizer_module.register_optimizer_step_pre_hook(before_step)

        def after_step(optimizer: Any, args: Any, kwargs: Any) -> None:
            probe.events += 1
            probe.step_count += 1
            for index, (held, fact) in enumerate(probe.optimizers):
                if held is optimizer:
                    with probe.channel.busy():
                        fact.steps += 1
                        fact.unclosed_step = None
                        probe.channel.step(index)
                    probe.copy_grads_applied(optimizer_tensors(optimizer))
                    probe._watch_applied(index, optimizer)
                    sites, versions = probe._versions_before.pop(index, ([], []))
                    for p, before in versions:
                        if p._version != before:
                            probe._stepped_versions[id(p)] = (index, before, p._version, sites)
            # The user's for and while loops end themselves after a few training iterations
            # (loops.py), so the script reaches its later phases; this bound is for what they
            # cannot shorten (a while loop with an else or in a generator, a library's training loop).
            # Steps a loop takes past its cut for a branch not yet run count apart (loops.py).
            if probe.loops.counted()[0] >= probe.max_steps * 20 or probe.step_count >= probe.max_steps * 20 * EXTEND:
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
                site, frame = probe.caller_site()
                if len(probe.schedulers) < 50:
                    callers = probe.site_chain(frame.f_back) if frame is not None else []
                    probe.schedulers.append(SchedulerFact(class_name(scheduler), site, probe.optimizer_id(optimizer), callers=callers))
                    counted[id(scheduler)] = probe.schedulers[-1]

            kind.__init__ = init  # type: ignore[method-assign]
        # Whether a scheduler was ever stepped (GF019: a warm-up from 0 whose step() is never
        # called). Each class with a step() of its own is patched; a call counted twice through
        # super().step() still says it stepped.
        counted: dict[int, SchedulerFact] = {}
        schedulers = (lr_scheduler.LRScheduler, lr_scheduler.ReduceLROnPlateau)
        for kind in {k for k in vars(lr_scheduler).values() if isinstance(k, type) and issubclass(k, schedulers) and "step" in vars(k)}:
            def step(scheduler: Any, *args: Any, _original: Any = kind.step, **kwargs: Any) -> Any:
                fact = counted.get(id(scheduler))
                if fact is not None:
                    fact.steps += 1
                return _original(scheduler, *args, **kwargs)

            kind.step = step  # type: ignore[method-assign]
        # Where a saved state was loaded into a scheduler: a schedule resumed at its end (GF019).
        for kind in {k for k in vars(lr_scheduler).values() if isinstance(k, type) and issubclass(k, schedulers) and "load_state_dict" in vars(k)}:
            def load_state_dict(scheduler: Any, *args: Any, _original: Any = kind.load_state_dict, **kwargs: Any) -> Any:
                result = _original(scheduler, *args, **kwargs)
                fact = counted.get(id(scheduler))
                site, _ = probe.caller_site()
                if fact is not None and site is not None:
                    fact.loaded = site
                return result

            kind.load_state_dict = load_state_dict  # type: ignore[method-assign]
