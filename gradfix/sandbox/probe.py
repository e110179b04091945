"""The probe: instrumentation installed inside the sandboxed child before the user's script runs.

It patches torch (module construction and calls, optimizers, backward, ``requires_grad``,
``load_state_dict``) and turns what it sees into a :class:`~gradfix.trace.Trace`. Every fact is
tied to the user-code frame that caused it. The probe only observes: it never changes what the
script computes, except that it ends the run by itself after enough optimizer steps.
"""

from __future__ import annotations

import argparse
import os
import sys
import types
from typing import Any, Callable, Optional

import torch
import torch.nn as nn
import torch.optim.optimizer as optimizer_module

from gradfix.trace import (
    AttributeFact,
    BackwardFact,
    CallEvent,
    Crash,
    Cut,
    InPlaceOp,
    ModuleCall,
    ModuleFact,
    OptimizerFact,
    ParamFact,
    SchedulerFact,
    Site,
    Trace,
    TypoSet,
)

_PROBE_FILE = os.path.abspath(__file__)
_TORCH_DIR = os.path.dirname(os.path.realpath(torch.__file__)) + os.sep


class UserCode:
    """Decides which files belong to the user's project (the code the probe reports on)."""

    def __init__(self, roots: list[str]):
        self.roots = [os.path.realpath(r) + os.sep for r in roots]
        excluded = {sys.prefix, sys.base_prefix, sys.exec_prefix}
        excluded.update(p for p in sys.path if "site-packages" in p or "dist-packages" in p)
        excluded.add(os.path.dirname(os.path.dirname(_PROBE_FILE)))  # gradfix itself
        self.excluded = [os.path.realpath(p) + os.sep for p in excluded if p]
        self._cache: dict[str, bool] = {}

    def __contains__(self, filename: str) -> bool:
        known = self._cache.get(filename)
        if known is None:
            path = os.path.realpath(filename) if not filename.startswith("<") else ""
            known = bool(path) and any(path.startswith(r) for r in self.roots) and not any(
                path.startswith(x) for x in self.excluded
            )
            self._cache[filename] = known
        return known


def site_of(frame: types.FrameType, lasti: Optional[int] = None, lineno: Optional[int] = None) -> Site:
    """The exact source span of the instruction a frame is executing (columns need 3.11+)."""
    code = frame.f_code
    lasti = frame.f_lasti if lasti is None else lasti
    line = frame.f_lineno if lineno is None else lineno
    column = end_line = end_column = None
    positions = getattr(code, "co_positions", None)
    if positions is not None and lasti >= 0:
        for index, pos in enumerate(positions()):
            if index == lasti // 2:
                if pos[0] is not None:
                    line, end_line, column, end_column = pos
                break
    return Site(
        file=os.path.realpath(code.co_filename),
        line=line or 0,
        column=column,
        end_line=end_line,
        end_column=end_column,
        function=code.co_name,
    )


_HOLDER_TYPES = (types.SimpleNamespace, argparse.Namespace)


def _held(name: str, value: Any) -> Any:
    """``name.attr`` for what a plain holder keeps: a non-module ``self`` (a Trainer), a dataclass
    instance, a SimpleNamespace or an argparse Namespace; ``name["key"]`` for a small dict. Other objects are not looked into: a
    Python module's namespace alone has thousands of entries. Called for every global at every
    top-level forward: the common case (not a holder) must cost one type lookup."""
    kind = type(value)
    if kind is dict and len(value) <= 64:  # weights kept by hand: `params["w"]`
        return [(f"{name}[{key!r}]", inner) for key, inner in value.items() if type(key) is str]
    if name == "self":
        if isinstance(value, nn.Module):
            return ()
    elif kind not in _HOLDER_TYPES and "__dataclass_fields__" not in kind.__dict__:
        return ()
    return [(f"{name}.{attr}", inner) for attr, inner in getattr(value, "__dict__", {}).items()]


def _storage(tensor: torch.Tensor) -> Optional[int]:
    """Where a tensor's values live; None for an uninitialised lazy parameter (nn.LazyLinear)."""
    try:
        return tensor.untyped_storage().data_ptr()
    except (RuntimeError, ValueError):
        return None


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def _largest_lr(optimizer: Any) -> Optional[float]:
    rates = [group.get("lr") for group in optimizer.param_groups]
    try:
        return max(float(rate) for rate in rates if rate is not None)
    except (TypeError, ValueError, RuntimeError):  # no groups, or a rate that is not a number
        return None


_IN_SIZES = ("in_features", "in_channels", "num_features", "input_size", "embed_dim", "d_model")


def _in_size(module: nn.Module) -> Optional[int]:
    """The input size a built-in layer was made for (what a layer built in forward was sized by)."""
    for attr in _IN_SIZES:
        value = module.__dict__.get(attr)
        if type(value) is int:
            return value
    return None


def _class_name(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


class Probe:
    def __init__(
        self,
        script: str,
        argv: list[str],
        user_code: UserCode,
        max_steps: int,
        max_backwards: int,
        on_stop: Callable[[Trace], None],
    ):
        self.script = script
        self.argv = argv
        self.user = user_code
        self.max_steps = max_steps
        self.max_backwards = max_backwards
        self.on_stop = on_stop
        self.events = 0
        self.modules: dict[int, nn.Module] = {}  # id -> module, in construction order
        self.module_sites: dict[int, Optional[Site]] = {}
        self.module_names: dict[int, str] = {}
        self._named_locally: set[int] = set()  # modules whose name came from a function's locals
        self.ran_with_grad: set[int] = set()
        self.ran_without_grad: set[int] = set()
        self.loaded: set[int] = set()
        self.loads: list[Site] = []
        self.optimizers: list[tuple[Any, OptimizerFact]] = []
        self.tensor_names: dict[int, str] = {}  # bare tensors handed to optimizers
        self.initial: dict[int, torch.Tensor] = {}  # parameter id -> value when first seen
        self.param_objects: dict[int, torch.Tensor] = {}
        self.got_grad: set[int] = set()
        self.nonzero_grad: set[int] = set()  # held a gradient with a non-zero element at some step
        self.reached: set[int] = set()
        self.frozen_at: dict[int, list[Site]] = {}
        self.frozen_callers: dict[int, list[Site]] = {}  # the user call one level up, when there is one
        self.backwards: list[BackwardFact] = []
        self.pending_no_grad: list[Site] = []
        self.depth = 0
        self.in_backward = False
        self.crash: Optional[Crash] = None
        self.late_stop = ""  # why the run ended after its loops were shortened, when not by finishing
        self.finished_trace: Optional[Trace] = None
        self.module_events: dict[int, int] = {}
        self.assignments: dict[tuple[int, str], tuple[Optional[Site], Optional[int], int]] = {}
        self.cuts: dict[tuple[str, str, int, Optional[int]], Cut] = {}
        self.inplace_ops: dict[tuple[Any, ...], InPlaceOp] = {}  # by (op, user code, instruction) or (op, module)
        self.inplace_count = 0
        self.order: list[CallEvent] = []
        self.grad_switches: list[Site] = []
        self.typos: list[TypoSet] = []
        self.schedulers: list[SchedulerFact] = []
        self.step_count = 0
        from gradfix.sandbox.loops import LoopCap

        self.loops = LoopCap(self, max_steps)
        self.cuda_emulated = False
        self.loaded_storage: set[int] = set()  # storages user code copied values into

    # -- frames -----------------------------------------------------------------------------------

    def user_frame(self, frame: Optional[types.FrameType]) -> Optional[types.FrameType]:
        while frame is not None and frame.f_code.co_filename not in self.user:
            frame = frame.f_back
        return frame

    def caller_site(self, depth: int = 2) -> tuple[Optional[Site], Optional[types.FrameType]]:
        frame = self.user_frame(sys._getframe(depth))
        return (site_of(frame) if frame is not None else None), frame

    def learn_names(self, frame: Optional[types.FrameType]) -> None:
        """Remember the names that user code binds to modules and tensors in this frame."""
        if frame is None:
            return
        local = frame.f_code.co_name != "<module>"
        scope = {} if local else dict(frame.f_globals)
        scope.update(frame.f_locals)
        for name, value in scope.items():
            if name.startswith("__"):
                continue
            self._learn(name, value, local)
            for inner_name, inner in _held(name, value):
                self._learn(inner_name, inner, local)

    def _learn(self, name: str, value: Any, local: bool = False) -> None:
        if isinstance(value, nn.Module):
            if id(value) in self.modules and id(value) not in self.module_names:
                self.module_names[id(value)] = name
                if local:
                    self._named_locally.add(id(value))
        elif isinstance(value, torch.Tensor) and id(value) in self.param_objects:
            self.tensor_names.setdefault(id(value), name)

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

    def scope_modules(self, frame: Optional[types.FrameType]) -> dict[str, int]:
        """Names bound to recorded modules in a user frame (``self.x`` for a non-module ``self``)."""
        scope: dict[str, int] = {}
        if frame is None:
            return scope
        names = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
        names.update(frame.f_locals)
        for name, value in names.items():
            if isinstance(value, nn.Module) and id(value) in self.modules:
                scope[name] = id(value)
            for inner_name, inner in _held(name, value):
                if isinstance(inner, nn.Module) and id(inner) in self.modules:
                    scope[inner_name] = id(inner)
        return scope

    def adopt(self, frame: Optional[types.FrameType], held: Optional[set[int]] = None) -> None:
        """Record the modules a user frame holds that were never built under the probe's eyes: a
        whole model unpickled by ``torch.load`` or copied by ``copy.deepcopy`` skips ``__init__``.
        With ``held``, only those whose parameters an optimizer holds (a model being trained, not
        a frozen copy kept as a target). Their values were given, not initialised here: loaded."""
        if frame is None:
            return
        names = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
        names.update(frame.f_locals)
        values = [v for name, value in names.items() for v in [value, *(inner for _, inner in _held(name, value))]]
        for value in values:
            if not isinstance(value, nn.Module) or id(value) in self.modules:
                continue
            if held is not None and not any(id(p) in held for p in value.parameters()):
                continue
            for sub in value.modules():
                if id(sub) not in self.modules:
                    self.modules[id(sub)] = sub
                    self.module_events[id(sub)] = self.events
                    self.module_sites[id(sub)] = None
                    self.loaded.add(id(sub))

    def scope_optimizers(self, frame: Optional[types.FrameType]) -> dict[str, int]:
        found: dict[str, int] = {}
        if frame is None:
            return found
        names = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
        names.update(frame.f_locals)
        candidates = list(names.items())
        owner = names.get("self")
        if owner is not None:
            candidates += [(f"self.{k}", v) for k, v in getattr(owner, "__dict__", {}).items()]
        for name, value in candidates:
            if isinstance(value, torch.optim.Optimizer):
                index = self.optimizer_id(value)
                if index is not None:
                    found.setdefault(name, index)
        return found

    def remember_params(self, params: Any) -> bool:
        """Record each parameter's value when first seen; False if some are still uninitialised
        (a lazy module before its first forward): ask again later."""
        if torch._C._are_functorch_transforms_active():
            return False  # inside vmap/grad the "parameters" are batched stand-ins that must not escape
        complete = True
        for p in params:
            if isinstance(p, nn.parameter.UninitializedTensorMixin):
                complete = False
            elif isinstance(p, torch.Tensor) and id(p) not in self.param_objects:
                self.param_objects[id(p)] = p
                self.initial[id(p)] = p.detach().clone()
        return complete

    # -- installation -----------------------------------------------------------------------------

    def install(self) -> None:
        probe = self

        module_init = nn.Module.__init__

        def init(module: nn.Module, *args: Any, **kwargs: Any) -> None:
            module_init(module, *args, **kwargs)
            if kwargs.get("_weight") is not None:  # nn.Embedding.from_pretrained(vectors): given values
                probe.loaded.add(id(module))
            if id(module) in probe.modules:
                return
            probe.events += 1
            probe.modules[id(module)] = module
            probe.module_events[id(module)] = probe.events
            frame = sys._getframe(1)
            # Skip the __init__ chain of this module's own classes to reach the constructing call.
            while frame is not None and frame.f_locals.get("self") is module:
                frame = frame.f_back
            frame = probe.user_frame(frame)
            probe.module_sites[id(module)] = site_of(frame) if frame is not None else None

        nn.Module.__init__ = init  # type: ignore[method-assign]

        module_call = nn.Module.__call__

        def call(module: nn.Module, *args: Any, **kwargs: Any) -> Any:
            probe.events += 1
            grad = torch.is_grad_enabled()
            (probe.ran_with_grad if grad else probe.ran_without_grad).add(id(module))
            if id(module) not in probe.initial_seen and probe.remember_params(module.parameters()):
                probe.initial_seen.add(id(module))
            site = None
            if probe.depth == 0:
                site, frame = probe.caller_site()
                probe.learn_names(frame)
                if not grad and site is not None and any(p.requires_grad for p in module.parameters()):
                    probe.pending_no_grad.append(site)
            probe.depth += 1
            try:
                return module_call(module, *args, **kwargs)
            except Exception as error:
                probe.note_module_call(error, module, args, site)
                raise
            finally:
                probe.depth -= 1

        self.initial_seen: set[int] = set()
        nn.Module.__call__ = call  # type: ignore[method-assign]

        load_state_dict = nn.Module.load_state_dict

        def load(module: nn.Module, *args: Any, **kwargs: Any) -> Any:
            result = load_state_dict(module, *args, **kwargs)
            probe.loaded.update(id(m) for m in module.modules())
            site, _ = probe.caller_site()
            if site is not None:
                probe.loads.append(site)
            return result

        nn.Module.load_state_dict = load  # type: ignore[method-assign]

        for embedding in (nn.Embedding, nn.EmbeddingBag):
            def from_pretrained(cls: Any, *args: Any, _original: Any = embedding.from_pretrained.__func__, **kwargs: Any) -> Any:
                module = _original(cls, *args, **kwargs)
                probe.loaded.add(id(module))  # given vectors, not a random initialisation
                return module

            embedding.from_pretrained = classmethod(from_pretrained)  # type: ignore[method-assign,assignment]

        load_own = nn.Module._load_from_state_dict

        def load_from_state_dict(module: nn.Module, *args: Any, **kwargs: Any) -> Any:
            # Loaders that bypass load_state_dict (per-module loading, as large libraries do).
            probe.loaded.add(id(module))
            return load_own(module, *args, **kwargs)

        nn.Module._load_from_state_dict = load_from_state_dict  # type: ignore[method-assign]

        self._install_freeze_tracking()
        self._install_optimizer_tracking()
        self._install_backward_tracking()
        self._install_attribute_tracking()
        self._install_switch_tracking()
        self._install_typo_tracking()
        from gradfix.sandbox.function_mode import ProbeMode, patch_cuda_runtime

        patch_cuda_runtime(self)
        self.loops.install()
        self.mode = ProbeMode(self)
        self.mode.__enter__()  # active until the process ends

    def _install_attribute_tracking(self) -> None:
        """Where user code assigns tensors, modules and lists of modules to module attributes."""
        probe = self
        module_setattr = nn.Module.__setattr__

        def setattr_(module: nn.Module, name: str, value: Any) -> None:
            interesting = isinstance(value, (torch.Tensor, nn.Module, list, dict, tuple))
            caller = sys._getframe(1) if interesting else None
            if caller is not None and isinstance(value, nn.Module) and caller.f_code.co_filename not in probe.user:
                # `model.classifier[-1] = layer` goes through Sequential.__setitem__: find the user's line.
                caller = probe.user_frame(caller)
            if caller is None or caller.f_code.co_filename not in probe.user:
                module_setattr(module, name, value)
                return
            old = module.__dict__.get("_modules", {}).get(name)
            module_setattr(module, name, value)
            probe.events += 1
            replaced = id(old) if isinstance(old, nn.Module) and old is not value else None
            probe.assignments[(id(module), name)] = (site_of(caller), replaced, probe.events)
            if isinstance(value, torch.Tensor) and value.requires_grad and not isinstance(value, nn.Parameter):
                probe.remember_params([value])
            if isinstance(value, nn.Parameter) and caller.f_locals.get("self") is not module:
                # `model.embed.weight = nn.Parameter(word2vec)` from outside the module: given values,
                # not the module's own random initialisation.
                probe.loaded.add(id(module))

        nn.Module.__setattr__ = setattr_  # type: ignore[method-assign]

    def _install_switch_tracking(self) -> None:
        probe = self
        from torch.autograd import grad_mode

        switch_init = grad_mode.set_grad_enabled.__init__

        def init(switch: Any, mode: bool) -> None:
            if not mode:
                site, _ = probe.caller_site()
                if site is not None:
                    probe.grad_switches.append(site)
            switch_init(switch, mode)

        grad_mode.set_grad_enabled.__init__ = init  # type: ignore[method-assign]

    def _install_typo_tracking(self) -> None:
        """``p.require_grad = False`` sets an attribute torch never reads: record it."""
        probe = self

        def get(tensor: torch.Tensor) -> Any:
            try:
                return tensor.__dict__["require_grad"]
            except KeyError:
                raise AttributeError("'Tensor' object has no attribute 'require_grad'") from None

        def set_(tensor: torch.Tensor, value: Any) -> None:
            site, _ = probe.caller_site()
            if site is not None:
                probe.remember_params([tensor])
                probe.typos.append(TypoSet(name=str(id(tensor)), value=bool(value), site=site))
            tensor.__dict__["require_grad"] = value

        torch.Tensor.require_grad = property(get, set_)  # type: ignore[attr-defined]

    def record_cut(self, op: str, frame: types.FrameType) -> None:
        site = site_of(frame)
        key = (op, site.file, site.line, site.column)
        if key in self.cuts:
            self.cuts[key].count += 1
        elif len(self.cuts) < 200:
            self.cuts[key] = Cut(op=op, site=site)

    def record_inplace(
        self,
        op: str,
        frame: types.FrameType,
        module: Optional[nn.Module],
        inplace_arg: bool,
        touched: tuple[str, list[str], list[list[int]]],
    ) -> None:
        """An in-place op on a graph tensor, once per user instruction, or per torch module that did
        it (``frame`` is then that module's forward): where, and what it modified (grad_fn classes
        and shapes, to match against autograd's message)."""
        self.inplace_count += 1
        key = (op, id(module)) if module is not None else (op, frame.f_code, frame.f_lasti)
        event = self.inplace_ops.get(key)
        grad_fn, related, shapes = touched
        if event is None:
            user = self.user_frame(frame) if module is not None else frame
            if user is None or len(self.inplace_ops) >= 64:
                return
            base = op[:-1] if op.endswith("_") and not op.startswith("__") else ""
            event = self.inplace_ops[key] = InPlaceOp(
                op=op,
                site=site_of(user),
                inplace_arg=inplace_arg,
                in_module=module is not None,
                module=_class_name(module) if module is not None else None,
                module_site=self.module_sites.get(id(module)) if module is not None else None,
                grad_fn=grad_fn,
                out_of_place=bool(base) and hasattr(torch.Tensor, base),
                count=0,
            )
        event.count += 1
        event.last = self.inplace_count
        for name in related:
            if name not in event.related and name != event.grad_fn and len(event.related) < 6:
                event.related.append(name)
        for shape in shapes:
            if shape not in event.shapes and len(event.shapes) < 6:
                event.shapes.append(shape)

    def record_call(self, kind: str, optimizer: Optional[int], site: Optional[Site]) -> None:
        if len(self.order) < 200:
            self.order.append(CallEvent(kind=kind, optimizer=optimizer, site=site))

    def _install_freeze_tracking(self) -> None:
        probe = self
        base = torch._C.TensorBase.requires_grad
        base_requires_grad_ = torch._C.TensorBase.requires_grad_

        def record(param: torch.Tensor, value: bool) -> None:
            if not value:
                sites = probe.frozen_at.setdefault(id(param), [])
                if len(sites) >= 8:  # a GAN freezes its discriminator at every step: enough seen
                    return
                site, frame = probe.caller_site(3)
                if site is not None:
                    sites.append(site)
                    # Frozen inside a helper (`set_trainable(model.head, False)`): the call that
                    # chose this parameter is one user frame further out.
                    outer = probe.user_frame(frame.f_back) if frame is not None else None
                    if outer is not None:
                        probe.frozen_callers.setdefault(id(param), []).append(site_of(outer))

        def set_requires_grad(param: torch.Tensor, value: bool) -> None:
            record(param, value)
            base.__set__(param, value)

        def requires_grad_(param: torch.Tensor, requires_grad: bool = True) -> torch.Tensor:
            record(param, requires_grad)
            return base_requires_grad_(param, requires_grad)

        nn.Parameter.requires_grad = property(base.__get__, set_requires_grad)  # type: ignore
        nn.Parameter.requires_grad_ = requires_grad_  # type: ignore[method-assign]

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
            probe.adopt(frame, {id(p) for p in held})
            probe.learn_names(frame)
            fact = OptimizerFact(
                id=len(probe.optimizers),
                cls=_class_name(optimizer),
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
                    probe.schedulers.append(SchedulerFact(_class_name(scheduler), site, probe.optimizer_id(optimizer)))

            kind.__init__ = init  # type: ignore[method-assign]

    def _install_backward_tracking(self) -> None:
        probe = self
        tensor_backward = torch.Tensor.backward
        autograd_backward = torch.autograd.backward

        def observe(tensors: Any, run: Callable[[], Any]) -> Any:
            if probe.in_backward:
                return run()
            probe.events += 1  # counted before running: a backward that raises still got this far
            site, frame = probe.caller_site(3)
            probe.learn_names(frame)
            roots = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)
            fact = BackwardFact(
                site=site,
                grad_enabled=torch.is_grad_enabled(),
                requires_grad=any(t.requires_grad for t in roots),
                has_grad_fn=any(t.grad_fn is not None for t in roots),
                no_grad_forwards=probe.pending_no_grad,
                scope_optimizers=probe.scope_optimizers(frame),
            )
            probe.pending_no_grad = []
            probe.record_call("backward", None, site)
            leaves = probe.reachable(roots)
            probe.remember_params(leaves.values())  # bare tensors trained by hand count too
            probe.learn_names(frame)
            reached = set(leaves)
            probe.reached.update(reached)
            probe.backwards.append(fact)
            fact_reached = reached
            probe.in_backward = True
            try:
                result = run()
            finally:
                probe.in_backward = False
            for pid in fact_reached:
                probe._reached_names.setdefault(len(probe.backwards) - 1, set()).add(pid)
            for pid, p in probe.all_params().items():
                if p.grad is not None:
                    probe.got_grad.add(pid)
            if len(probe.backwards) >= probe.max_backwards:
                probe.stop(stopped_early=True)
            return result

        self._reached_names: dict[int, set[int]] = {}

        def backward(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            return observe(tensor, lambda: tensor_backward(tensor, *args, **kwargs))

        def functional_backward(tensors: Any, *args: Any, **kwargs: Any) -> Any:
            return observe(tensors, lambda: autograd_backward(tensors, *args, **kwargs))

        torch.Tensor.backward = backward  # type: ignore[method-assign]
        torch.autograd.backward = functional_backward

    # -- facts ------------------------------------------------------------------------------------

    def reachable(self, roots: list[torch.Tensor]) -> dict[int, torch.Tensor]:
        """The leaf tensors that a backward from these roots would accumulate into, by id."""
        found: dict[int, torch.Tensor] = {}
        seen: set[int] = set()
        stack = [t.grad_fn for t in roots if t.grad_fn is not None]
        found.update((id(t), t) for t in roots if t.grad_fn is None and t.requires_grad)
        while stack:
            node = stack.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            variable = getattr(node, "variable", None)
            if variable is not None:
                found[id(variable)] = variable
            stack.extend(next_node for next_node, _ in node.next_functions)
        return found

    def all_params(self) -> dict[int, torch.Tensor]:
        for module in list(self.modules.values()):
            for p in module.parameters():
                self.param_objects.setdefault(id(p), p)
        return self.param_objects

    def note_module_call(self, error: BaseException, module: nn.Module, args: tuple, site: Optional[Site]) -> None:
        if site is None and self.depth > 1:
            site, _ = self.caller_site(3)
        calls = getattr(error, "_gradfix_module_calls", None)
        if calls is None:
            calls = []
            try:
                error._gradfix_module_calls = calls  # type: ignore[attr-defined]
            except AttributeError:
                return
        floating = [p.dtype for p in module.parameters() if p.is_floating_point()]
        calls.append(
            ModuleCall(
                module=id(module),
                cls=_class_name(module),
                site=site,
                arg_dtypes=[_dtype_name(a.dtype) if isinstance(a, torch.Tensor) else None for a in args],
                arg_ids=[id(a) if isinstance(a, torch.Tensor) else None for a in args],
                param_dtype=_dtype_name(floating[0]) if floating else None,
            )
        )

    def record_crash(self, error: BaseException) -> None:
        tb = error.__traceback__
        user_tb = innermost = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename in self.user:
                user_tb = tb
            innermost = tb
            tb = tb.tb_next
        if self.loops.cut and self.step_count and innermost is not None and not innermost.tb_frame.f_code.co_filename.startswith(_TORCH_DIR):
            # Plain Python failing after gradfix shortened a training loop (an assertion on the
            # final accuracy, an index into a loss history) is the shortening's doing, not the
            # script's: the run ends there, as if it had finished.
            self.late_stop = f"{type(error).__name__} after gradfix shortened the training loops"
            return
        site = None
        scope: dict[str, int] = {}
        graph_locals: dict[str, str] = {}
        if user_tb is not None:
            frame = user_tb.tb_frame
            site = site_of(frame, lasti=user_tb.tb_lasti, lineno=user_tb.tb_lineno)
            self.adopt(frame)  # the model handed to a crashed optimizer may come from torch.load
            self.learn_names(frame)
            scope = self.scope_modules(frame)
            graph_locals = self.graph_locals(frame)
        self.crash = Crash(
            type=type(error).__name__,
            message=str(error).strip().splitlines()[0] if str(error).strip() else "",
            site=site,
            scope_modules=scope,
            module_calls=list(getattr(error, "_gradfix_module_calls", [])),
            graph_locals=graph_locals,
        )

    @staticmethod
    def graph_locals(frame: types.FrameType, limit: int = 32) -> dict[str, str]:
        """Names in a frame bound to tensors that carry a graph (a grad_fn), or to small tuples or
        lists of tensors some of which do (an LSTM's ``(h, c)``): how GF024 tells a state carried
        from one iteration into the next. Names and kinds only; no value leaves the child."""
        names = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
        names.update(frame.f_locals)
        found: dict[str, str] = {}
        for name, value in names.items():
            if len(found) >= limit:
                break
            if name.startswith("__"):
                continue
            if isinstance(value, torch.Tensor):
                if value.grad_fn is not None:
                    found[name] = "tensor"
            elif type(value) in (tuple, list) and 0 < len(value) <= 8:
                if all(isinstance(v, torch.Tensor) for v in value) and any(v.grad_fn is not None for v in value):
                    found[name] = type(value).__name__
        return found

    def record_exit(self, code: int, message: str = "") -> None:
        if self.loops.cut and self.step_count:
            self.late_stop = f"exit status {code} after gradfix shortened the training loops"
            return
        said = f": {message}" if message else ""
        self.crash = Crash(type="SystemExit", message=f"exited with status {code}{said}", site=None, exit_code=code)

    # -- the end ----------------------------------------------------------------------------------

    def stop(self, stopped_early: bool = False, timed_out: bool = False) -> None:
        self.on_stop(self.finish(stopped_early=stopped_early, timed_out=timed_out))

    def finish(self, stopped_early: bool = False, timed_out: bool = False) -> Trace:
        if self.finished_trace is not None:
            return self.finished_trace
        main = sys.modules.get("__main__")
        if main is not None:
            for name, value in list(vars(main).items()):
                if name.startswith("__"):
                    continue
                # The script's own global names are what its author calls the models: they win
                # over a helper's parameter name (`fit(model, ...)` called for `first`, then `second`).
                if isinstance(value, nn.Module) and id(value) in self._named_locally:
                    self.module_names[id(value)] = name
                    self._named_locally.discard(id(value))
                self._learn(name, value)
        params = self.all_params()
        for mid, module in self.modules.items():
            if any(_storage(p) in self.loaded_storage for p in module.parameters(recurse=False)):
                self.loaded.add(mid)
        children: dict[int, list[int]] = {}
        contained: set[int] = set()
        for mid, module in self.modules.items():
            kids = [id(m) for m in module.modules() if m is not module and id(m) in self.modules]
            children[mid] = kids
            contained.update(kids)
        roots = [mid for mid in self.modules if mid not in contained]

        paths = self._module_paths(roots)
        root_names = {mid: paths[mid] for mid in roots}
        owner: dict[int, tuple[int, str]] = {}
        for mid in roots:
            for pname, p in self.modules[mid].named_parameters():
                owner.setdefault(id(p), (mid, f"{root_names[mid]}.{pname}"))
        attributes = self._attribute_facts(paths)
        for fact in attributes:
            if fact.kind == "tensor":
                value = self.modules[fact.owner].__dict__.get(fact.attr)
                if isinstance(value, torch.Tensor):
                    self.tensor_names[id(value)] = f"{fact.owner_name}.{fact.attr}"

        optimizer_of: dict[int, list[int]] = {}
        for optimizer, fact in self.optimizers:
            fact.params = []
            fact.unnamed_params = 0
            for group in optimizer.param_groups:
                for p in group["params"]:
                    optimizer_of.setdefault(id(p), []).append(fact.id)
        facts: list[ParamFact] = []
        names_of: dict[int, str] = {}
        for pid, p in params.items():
            if pid in owner:
                module_id, name = owner[pid]
            else:
                module_id, name = None, self.tensor_names.get(pid, f"<tensor#{len(names_of)}>")
            names_of[pid] = name
            initial = self.initial.get(pid)
            changed = initial is not None and (
                initial.shape != p.shape or not torch.equal(initial, p.detach())
            )
            facts.append(
                ParamFact(
                    name=name,
                    module=module_id,
                    shape=list(p.shape),
                    dtype=_dtype_name(p.dtype),
                    requires_grad=bool(p.requires_grad),
                    is_leaf=bool(p.is_leaf),
                    got_grad=pid in self.got_grad,
                    nonzero_grad=pid in self.nonzero_grad,
                    reached=pid in self.reached,
                    optimizers=optimizer_of.get(pid, []),
                    changed=bool(changed),
                    frozen_at=self.frozen_at.get(pid, []),
                    frozen_callers=self.frozen_callers.get(pid, []),
                    is_parameter=isinstance(p, torch.nn.Parameter),
                    constant=initial is not None and initial.numel() > 0 and bool((initial == initial.reshape(-1)[0]).all()),
                )
            )
        for optimizer, fact in self.optimizers:
            for group in optimizer.param_groups:
                for p in group["params"]:
                    fact.params.append(names_of.get(id(p), "?"))
        for index, pids in self._reached_names.items():
            self.backwards[index].reached = sorted(names_of[p] for p in pids if p in names_of)

        modules = [
            ModuleFact(
                id=mid,
                cls=_class_name(module),
                name=root_names.get(mid, self.module_names.get(mid)),
                site=self.module_sites.get(mid),
                children=children[mid],
                num_params=sum(1 for _ in module.parameters()),
                in_size=_in_size(module),
                ran_with_grad=mid in self.ran_with_grad,
                ran_without_grad=mid in self.ran_without_grad,
                loaded=mid in self.loaded,
                path=paths.get(mid),
                created_event=self.module_events.get(mid, 0),
            )
            for mid, module in self.modules.items()
        ]
        typos = [
            TypoSet(name=names_of.get(int(t.name), self.tensor_names.get(int(t.name), "?")), value=t.value, site=t.site)
            for t in self.typos
        ]
        self.finished_trace = Trace(
            script=self.script,
            argv=self.argv,
            torch_version=torch.__version__,
            finished=self.crash is None and not timed_out,
            stopped_early=stopped_early or bool(self.loops.cut),
            loops_cut=self.loops.cut,
            late_stop=self.late_stop,
            timed_out=timed_out,
            events=self.events,
            crash=self.crash,
            modules=modules,
            params=facts,
            optimizers=[fact for _, fact in self.optimizers],
            backwards=self.backwards,
            loads=self.loads,
            attributes=attributes,
            cuts=list(self.cuts.values()),
            inplace_ops=list(self.inplace_ops.values()),
            order=self.order,
            grad_switches=self.grad_switches,
            typos=typos,
            schedulers=self.schedulers,
            cuda_emulated=self.cuda_emulated,
        )
        return self.finished_trace

    def _module_paths(self, roots: list[int]) -> dict[int, str]:
        """Full names of modules: roots by the names user code gave them, the rest by attribute path."""
        by_name: dict[str, list[int]] = {}
        for mid in roots:
            name = self.module_names.get(mid)
            if name is not None:
                by_name.setdefault(name, []).append(mid)
        names: dict[int, str] = {}
        for name, mids in by_name.items():
            # A name bound twice (`model = Net()` again) belongs to the module built last.
            mids.sort(key=lambda m: self.module_events.get(m, 0))
            names[mids[-1]] = name
            for older in mids[:-1]:
                site = self.module_sites.get(older)
                names[older] = f"{name}@{site.line if site else '?'}"
        paths: dict[int, str] = {}

        def walk(mid: int, name: str) -> None:
            for sub_path, sub in self.modules[mid].named_modules():
                if id(sub) in self.modules:
                    paths.setdefault(id(sub), f"{name}.{sub_path}" if sub_path else name)

        for mid, name in names.items():
            walk(mid, name)
        # Modules kept in a plain list/dict attribute are roots of their own: name them by it.
        for (owner, attr), _ in self.assignments.items():
            value = self.modules[owner].__dict__.get(attr) if owner in self.modules else None
            items = list(value.items()) if isinstance(value, dict) else list(enumerate(value)) if isinstance(value, (list, tuple)) else []
            for key, member in items:
                if isinstance(member, nn.Module) and id(member) in roots and id(member) not in names and owner in paths:
                    names[id(member)] = f"{paths[owner]}.{attr}.{key}"  # as nn.ModuleList/Dict would name it
                    walk(id(member), names[id(member)])
        unnamed = 0
        for mid in roots:
            if mid not in names:
                unnamed += 1
                names[mid] = f"<{type(self.modules[mid]).__name__}#{unnamed}>"
                walk(mid, names[mid])
        return paths

    def _attribute_facts(self, paths: dict[int, str]) -> list[AttributeFact]:
        facts = []
        for (owner, attr), (site, replaced, event) in self.assignments.items():
            module = self.modules.get(owner)
            if module is None:
                continue
            owner_name = paths.get(owner, "?")
            value = module.__dict__.get(attr)
            if attr in module.__dict__.get("_modules", {}):
                value = module._modules[attr]
                facts.append(AttributeFact(owner, owner_name, attr, "module", site, replaced=replaced, event=event))
            elif isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter):
                facts.append(
                    AttributeFact(
                        owner, owner_name, attr, "tensor", site,
                        requires_grad=bool(value.requires_grad), is_leaf=bool(value.is_leaf), event=event,
                    )
                )
            elif isinstance(value, (list, tuple, dict)):
                members = value.values() if isinstance(value, dict) else value
                ids = [id(m) for m in members if isinstance(m, nn.Module) and id(m) in self.modules]
                if ids:
                    facts.append(AttributeFact(
                        owner, owner_name, attr, "modules", site, members=ids, event=event, mapping=isinstance(value, dict)
                    ))
        return facts
