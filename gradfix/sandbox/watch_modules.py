"""Modules: their construction, calls (with gradients on or off, and which top-level call made an
output), loading, the attributes user code assigns to them, and every ``requires_grad`` change on
their parameters."""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any, Optional

import torch
import torch.nn as nn

from gradfix.sandbox.facts import class_name, dtype_name, modules_of, optimizer_tensors, parameters_of, plain_container_items, site_of
from gradfix.trace import AttributeFact, InnerNoGradCall, ModuleCall, OptionalArgsCall, Site, TypoSet
from gradfix.sandbox.watch_autograd import GRAD_OFF_CHAIN

# Flags users set on a module meaning `requires_grad_(...)`; torch reads none of them on a module.
MODULE_FLAG_ATTRS = ("requires_grad", "require_grad", "trainable")


FORWARD_TAG = "gradfix.forward"  # the key of a module call's tag in its output's grad_fn metadata
# A module's first calls say how the script calls it: its optional arguments are not watched after.
_OPTIONAL_CALLS_PER_MODULE = 4
# Where a module's output went is read from the calls that ran it with gradients on: its first ones.
_GRAD_CALLS_PER_MODULE = 4
_GRAD_CALL_SITES = 3
IN_SIZES = ("in_features", "in_channels", "num_features", "input_size", "embed_dim", "d_model")


def in_size(module: nn.Module) -> Optional[int]:
    """The input size a built-in layer was made for (what a layer built in forward was sized by)."""
    for attr in IN_SIZES:
        value = module.__dict__.get(attr)
        if type(value) is int:
            return value
    return None


class ModuleWatch:
    """The probe's part that watches modules; mixed into :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_module_tracking(self) -> None:
        """Module construction, calls (with grad on or off), loading of pretrained values."""
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
            if probe.optimizers and frame is not None:
                # Built after an optimizer: the names its frame has for that optimizer (GF013's param group).
                probe.module_optimizer_names[id(module)] = probe.scope_optimizers(frame)

        nn.Module.__init__ = init  # type: ignore[method-assign]

        module_train = nn.Module.train

        def train(module: nn.Module, mode: bool = True) -> nn.Module:
            # `model.eval()` from user code (train(False) through eval, not train's own recursion
            # into children): where the script switched a module to evaluation mode
            caller = sys._getframe(1)
            if not mode and caller.f_code is not module_train.__code__ and len(probe.eval_sites.get(id(module), ())) < 4:
                frame = probe.user_frame(caller)
                if frame is not None:
                    probe.eval_sites.setdefault(id(module), []).append(site_of(frame))
            return module_train(module, mode)

        nn.Module.train = train  # type: ignore[method-assign]

        module_call = nn.Module.__call__

        def call(module: nn.Module, *args: Any, **kwargs: Any) -> Any:
            probe.events += 1
            grad = torch.is_grad_enabled()
            (probe.ran_with_grad if grad else probe.ran_without_grad).add(id(module))
            if id(module) not in probe.initial_seen and probe.remember_params(parameters_of(module)):
                probe.initial_seen.add(id(module))
            site = None
            if probe.depth == 0:
                if grad and not module.training:
                    probe.eval_with_grad.add(id(module))  # a training forward in evaluation mode
                site, frame = probe.caller_site()
                probe.root_batch = next((a.shape[0] for a in args if isinstance(a, torch.Tensor) and a.dim() > 0), None)
                if id(module) not in probe.modules:
                    probe.adopt_rebound(frame, module)
                probe.learn_names(frame)
                if not grad and site is not None and any(p.requires_grad for p in parameters_of(module)):
                    if not probe.pending_no_grad:
                        probe.pending_no_grad_chain = probe.site_chain(frame, GRAD_OFF_CHAIN)
                    probe.pending_no_grad.append(site)
            elif not grad and probe.outer_grad and len(probe.inner_no_grad) < 32:
                # Gradients went off between the enclosing forward and this call: only where they
                # switch, so a frozen backbone's own submodules are not walked on every step.
                inner, _ = probe.caller_site()
                if inner is not None and any(p.requires_grad for p in parameters_of(module)):
                    key = (id(module), inner.line, inner.column)
                    probe.inner_no_grad.setdefault(key, InnerNoGradCall(id(module), inner))
            if probe.optional_calls_seen.get(id(module), 0) < _OPTIONAL_CALLS_PER_MODULE:
                probe.note_optional_args(module, args, kwargs)
            if grad and probe.grad_calls_seen.get(id(module), 0) < _GRAD_CALLS_PER_MODULE:
                probe.note_grad_call(module, sys._getframe(1))
            outer = probe.outer_grad
            probe.outer_grad = grad
            probe.depth += 1
            try:
                result = module_call(module, *args, **kwargs)
            except Exception as error:
                probe.note_module_call(error, module, args, site)
                raise
            finally:
                probe.depth -= 1
                probe.outer_grad = outer
            if site is not None and grad:
                probe.tag_forward(result, module, frame)
            probe.note_weights_call(module, args, kwargs, result)
            return result

        self.initial_seen: set[int] = set()
        self.optional_calls_seen: dict[int, int] = {}
        self.grad_calls_seen: dict[int, int] = {}
        self.grad_calls: dict[int, list[list[Site]]] = {}
        self.optional_signatures: dict[type, Optional[tuple[inspect.Signature, dict[str, int]]]] = {}
        self.optional_calls: dict[tuple[int, str, int, Optional[int]], OptionalArgsCall] = {}
        self.module_optimizer_names: dict[int, dict[str, int]] = {}
        nn.Module.__call__ = call  # type: ignore[method-assign]

        load_state_dict = nn.Module.load_state_dict

        def load(module: nn.Module, *args: Any, **kwargs: Any) -> Any:
            result = load_state_dict(module, *args, **kwargs)
            probe.loaded.update(id(m) for m in modules_of(module))
            probe.note_loaded(module, args[0] if args else kwargs.get("state_dict"))  # a copy of another module
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

            def embedding_init(module: nn.Module, *args: Any, _original: Any = embedding.__init__, **kwargs: Any) -> None:
                _original(module, *args, **kwargs)
                # `nn.Embedding(n, d, _weight=vectors)`: given values (GloVe), not a random initialisation.
                # `_weight` is the eighth argument after self in both signatures.
                given = kwargs["_weight"] if "_weight" in kwargs else args[7] if len(args) > 7 else None
                if isinstance(given, torch.Tensor):
                    probe.loaded.add(id(module))

            embedding.__init__ = embedding_init  # type: ignore[method-assign]

        load_own = nn.Module._load_from_state_dict

        def load_from_state_dict(module: nn.Module, *args: Any, **kwargs: Any) -> Any:
            # Loaders that bypass load_state_dict (per-module loading, as large libraries do).
            probe.loaded.add(id(module))
            return load_own(module, *args, **kwargs)

        nn.Module._load_from_state_dict = load_from_state_dict  # type: ignore[method-assign]

    def _install_attribute_tracking(self) -> None:
        """Where user code assigns tensors, modules and lists of modules to module attributes."""
        probe = self
        module_setattr = nn.Module.__setattr__

        def setattr_(module: nn.Module, name: str, value: Any) -> None:
            if name in MODULE_FLAG_ATTRS and isinstance(value, bool):
                flag_set(module, name, value)
            interesting = isinstance(value, (torch.Tensor, nn.Module, list, dict, tuple))
            caller = sys._getframe(1) if interesting else None
            if caller is not None and isinstance(value, nn.Module) and caller.f_code.co_filename not in probe.user:
                # `model.classifier[-1] = layer` goes through Sequential.__setitem__: find the user's line.
                caller = probe.user_frame(caller)
            if caller is None or caller.f_code.co_filename not in probe.user:
                module_setattr(module, name, value)
                return
            old = module.__dict__.get("_modules", {}).get(name)
            old_param = module.__dict__.get("_parameters", {}).get(name)
            module_setattr(module, name, value)
            probe.events += 1
            replaced = id(old) if isinstance(old, nn.Module) and old is not value else None
            probe.assignments[(id(module), name)] = (site_of(caller), replaced, probe.events)
            if (
                isinstance(value, nn.Parameter)
                or (isinstance(value, nn.Module) and probe.depth > 0)
                or (isinstance(value, torch.Tensor) and value.grad_fn is not None)
                # A trainable leaf made inside a module call: once (lazily) or at every call (GF026).
                or (isinstance(value, torch.Tensor) and value.requires_grad and value.is_leaf and probe.depth > 0)
            ):
                # A parameter, or a layer made inside a module call: the frames that made it lead
                # to the statement of the training code that made it exist (a model's first call
                # making its parameters, after the optimizer took the ones that existed then). A
                # tensor that carries a graph: made once (in __init__) or at every call (GF043).
                count = probe.made.get((id(module), name), ([], False, None, 0))[3]
                batch = probe.root_batch if probe.depth > 0 else None
                probe.made[(id(module), name)] = (probe.site_chain(caller, limit=8), probe.depth > 0, batch, count + 1)
            if isinstance(value, nn.Parameter):
                probe.note_replaced_parameter(module, name, old_param, value)
            if isinstance(value, torch.Tensor) and value.requires_grad and not isinstance(value, nn.Parameter):
                probe.remember_params([value])
            if isinstance(value, nn.Parameter) and caller.f_locals.get("self") is not module:
                # `model.embed.weight = nn.Parameter(word2vec)` from outside the module: given values,
                # not the module's own random initialisation.
                probe.loaded.add(id(module))

        def flag_set(module: nn.Module, name: str, value: bool) -> None:
            # `encoder.requires_grad = True` on a module is a plain attribute: its parameters keep
            # their flag. Only an unfreeze of parameters that are frozen right now is a lost intent
            # (a module class may keep its own `trainable` flag; then nothing is frozen or it is
            # the class's own business, which the end-of-run check of the rule sorts out).
            if not value or getattr(type(module), name, None) is not None:
                return
            frozen = [p for p in parameters_of(module) if not p.requires_grad]
            if not frozen:
                return
            site, _ = probe.caller_site(3)
            if site is None:
                return
            probe.remember_params(frozen)
            for p in frozen:
                probe.typos.append(TypoSet(name=str(id(p)), value=value, site=site, attr=name, on_module=True))

        nn.Module.__setattr__ = setattr_  # type: ignore[method-assign]

        register_parameter = nn.Module.register_parameter

        def register_parameter_(module: nn.Module, name: str, param: Any) -> None:
            old_param = module.__dict__.get("_parameters", {}).get(name)
            register_parameter(module, name, param)
            caller = sys._getframe(1)
            # `self.register_parameter("s", nn.Parameter(...))` written in user code; the calls
            # torch makes for `self.s = nn.Parameter(...)` are seen by setattr_ above.
            if isinstance(param, nn.Parameter) and caller.f_code.co_filename in probe.user:
                probe.events += 1
                probe.assignments[(id(module), name)] = (site_of(caller), None, probe.events)
                count = probe.made.get((id(module), name), ([], False, None, 0))[3]
                batch = probe.root_batch if probe.depth > 0 else None
                probe.made[(id(module), name)] = (probe.site_chain(caller, limit=8), probe.depth > 0, batch, count + 1)
                probe.note_replaced_parameter(module, name, old_param, param)

        nn.Module.register_parameter = register_parameter_  # type: ignore[method-assign]

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

    def _install_freeze_tracking(self) -> None:
        probe = self
        base = torch._C.TensorBase.requires_grad
        base_requires_grad_ = torch._C.TensorBase.requires_grad_

        def record(param: torch.Tensor, value: bool) -> None:
            if value:
                site, _ = probe.caller_site(3)
                if site is not None:
                    probe.thawed.add(id(param))
                    key = (site.file, site.line)
                    if probe.backwards:
                        probe.thaws_in_training.add(key)
                    elif len(probe.thaws_before_training) < 32:
                        probe.thaws_before_training.setdefault(key, site)
                return
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

    def note_replaced_parameter(self, module: nn.Module, name: str, old: Any, new: nn.Parameter) -> None:
        """A parameter assigned over another one of the same name: which optimizers held the old
        one then. Assigning the same parameter again, or one no optimizer held, clears it."""
        held = []
        if isinstance(old, torch.Tensor) and old is not new:
            for optimizer, fact in self.optimizers:
                if any(p is old for p in optimizer_tensors(optimizer)):
                    held.append(fact.id)
        self.replaced_held[(id(module), name)] = held

    def _optional_parameters(self, cls: type) -> Optional[tuple[inspect.Signature, dict[str, int]]]:
        """For a class whose ``forward`` is user code: its signature and its parameters that default
        to None, each with its index among a call's positional arguments (-1: keyword-only)."""
        if cls in self.optional_signatures:
            return self.optional_signatures[cls]
        found = None
        forward = getattr(cls, "forward", None)
        if isinstance(forward, types.FunctionType) and forward.__code__.co_filename in self.user:  # type: ignore[attr-defined]
            try:
                signature: Optional[inspect.Signature] = inspect.signature(forward)
            except (TypeError, ValueError):
                signature = None
            if signature is not None:
                optional: dict[str, int] = {}
                for index, param in enumerate(list(signature.parameters.values())[1:]):
                    if param.default is None and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                        optional[param.name] = index if param.kind is param.POSITIONAL_OR_KEYWORD else -1
                if optional:
                    found = (signature, optional)
        self.optional_signatures[cls] = found
        return found

    def note_grad_call(self, module: nn.Module, frame: types.FrameType) -> None:
        """The user frames of a call that ran ``module`` with gradients on, innermost first (a
        layer inside a torch container is called from the line that called the container)."""
        self.grad_calls_seen[id(module)] = self.grad_calls_seen.get(id(module), 0) + 1
        if next(parameters_of(module), None) is None:
            # An activation or a dropout: nothing of it can be left without a gradient.
            self.grad_calls_seen[id(module)] = _GRAD_CALLS_PER_MODULE
            return
        chain = self.site_chain(frame, limit=3)  # type: ignore[attr-defined]
        known = self.grad_calls.setdefault(id(module), [])
        if chain and len(known) < _GRAD_CALL_SITES and all(not c[0].same_place(chain[0]) for c in known):
            known.append(chain)

    def note_optional_args(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        """A module whose forward takes optional arguments (``time_emb=None``) called from user
        code: which of them this call gave a value, and which it left out. Its first calls only."""
        self.optional_calls_seen[id(module)] = self.optional_calls_seen.get(id(module), 0) + 1
        found = self._optional_parameters(type(module))
        if found is None or len(self.optional_calls) >= 512:
            return
        caller = sys._getframe(2)
        if caller.f_code.co_filename not in self.user:  # type: ignore[attr-defined]
            return  # called by torch (a Sequential): no call of the user's to change
        signature, optional = found
        try:
            bound = signature.bind(module, *args, **kwargs).arguments
        except TypeError:
            return
        site = site_of(caller)
        key = (id(module), site.file, site.line, site.column)
        fact = self.optional_calls.get(key)
        if fact is None:
            fact = self.optional_calls[key] = OptionalArgsCall(
                module=id(module), site=site, omitted=[n for n in optional if n not in bound], positions=dict(optional),
            )
        fact.count += 1
        fact.omitted = [n for n in fact.omitted if n not in bound]
        fact.given += [n for n in optional if bound.get(n) is not None and n not in fact.given]

    def tag_forward(self, result: Any, module: nn.Module, frame: Any) -> None:
        """A top-level module call's outputs remember the call in their grad_fn's metadata: a
        backward that crashes because a step() changed the module since names the forward to run
        again (watch_optimizers.py)."""
        if next(parameters_of(module), None) is None:
            return  # a loss module: no step changes it
        outputs = result if type(result) in (tuple, list) else (result,)
        chain: Optional[list[Site]] = None
        for output in outputs[:8]:
            if isinstance(output, torch.Tensor) and output.grad_fn is not None:
                metadata = output.grad_fn.metadata
                if FORWARD_TAG not in metadata:
                    chain = chain if chain is not None else self.site_chain(frame)
                    metadata[FORWARD_TAG] = (id(module), chain)

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
        floating = [p.dtype for p in parameters_of(module) if p.is_floating_point()]
        calls.append(
            ModuleCall(
                module=id(module),
                cls=class_name(module),
                site=site,
                arg_dtypes=[dtype_name(a.dtype) if isinstance(a, torch.Tensor) else None for a in args],
                arg_ids=[id(a) if isinstance(a, torch.Tensor) else None for a in args],
                param_dtype=dtype_name(floating[0]) if floating else None,
            )
        )

    def _attribute_facts(self, paths: dict[int, str]) -> list[AttributeFact]:
        facts = []
        for (owner, attr), (site, replaced, event) in self.assignments.items():
            module = self.modules.get(owner)
            if module is None:
                continue
            owner_name = paths.get(owner, "?")
            value = module.__dict__.get(attr)
            chain, in_call, batch, count = self.made.get((owner, attr), ([], False, None, 0))
            made = {"chain": chain, "in_call": in_call, "batch": batch, "count": count}
            if attr in module.__dict__.get("_modules", {}):
                value = module._modules[attr]
                facts.append(AttributeFact(owner, owner_name, attr, "module", site, replaced=replaced, event=event, **made))
            elif isinstance(module.__dict__.get("_parameters", {}).get(attr), nn.Parameter):
                facts.append(AttributeFact(
                    owner, owner_name, attr, "parameter", site, event=event,
                    replaced_held=list(self.replaced_held.get((owner, attr), [])), **made,
                ))
            elif isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter):
                graph = {"chain": chain, "in_call": in_call, "count": count} if value.grad_fn is not None or in_call else {}
                facts.append(
                    AttributeFact(
                        owner, owner_name, attr, "tensor", site,
                        requires_grad=bool(value.requires_grad), is_leaf=bool(value.is_leaf), event=event, **graph,
                    )
                )
            elif isinstance(value, (list, tuple, dict)):
                items, keys, inner = plain_container_items(value)
                members = [member for _, member in items]
                shape = {"mapping": isinstance(value, dict), "keys": keys, "inner": inner}
                ids = [id(m) for m in members if isinstance(m, nn.Module) and id(m) in self.modules]
                if ids:
                    facts.append(AttributeFact(owner, owner_name, attr, "modules", site, members=ids, event=event, **shape))
                elif members and all(isinstance(m, torch.Tensor) and m.requires_grad and m.is_leaf for m in members):
                    # Trainable tensors in a plain container: named as nn.ParameterList/Dict would
                    # name them, the key only when it is a plain identifier, an int or a tuple of
                    # those (it is the script's data; a tuple is what str() makes it in the fix).
                    tensors = []
                    for index, (path, tensor) in enumerate(items):
                        labels = [_key_label(key) for key in path]
                        label = ".".join(labels) if None not in labels else str(index)
                        name = f"{owner_name}.{attr}.{label}"
                        self.tensor_names.setdefault(id(tensor), name)
                        tensors.append(self.tensor_names[id(tensor)])
                    facts.append(AttributeFact(owner, owner_name, attr, "tensors", site, event=event, tensors=tensors, **shape))
        return facts


def _key_label(key: Any) -> Optional[str]:
    """A container key as a parameter's name gives it (`rel_weight.cites`, `w.0`, `w.('a', 'b')`
    as str() makes a tuple key), or None for a key that is free text (the script's data)."""
    if isinstance(key, str):
        return key if key.isidentifier() and len(key) <= 40 else None
    if type(key) is int:
        return str(key)
    if isinstance(key, tuple) and all(_key_label(k) is not None for k in key) and len(str(key)) <= 60:
        return str(key)
    return None
