"""Names: what the user's code calls each module and tensor (``model``, ``self.encoder``,
``weights['bias']``), learned from the frames the probe sees, so that a parameter is reported as
``model.linear.weight`` and a fix can name what the user's code names."""

from __future__ import annotations

import argparse
import types
from typing import Any, Optional

import torch
import torch.nn as nn

from gradfix.sandbox.facts import modules_of, named_modules_of, parameters_of, plain_container_items

_HOLDER_TYPES = (types.SimpleNamespace, argparse.Namespace)


_DATA_PARALLEL = {"DistributedDataParallel", "DataParallel"}


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


class Names:
    """The probe's part that learns names; mixed into :class:`~gradfix.sandbox.probe.Probe`."""

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
            if held is not None and not any(id(p) in held for p in parameters_of(value)):
                continue
            self._adopt(value)

    def adopt_rebound(self, frame: Optional[types.FrameType], module: nn.Module) -> None:
        """Record a module called from user code that was never built under the probe's eyes when
        the frame binds it to a name a recorded module had: ``model = copy.deepcopy(best)`` or
        ``model = torch.load(path)`` after ``model = Net()``; or when every parameter of it is a
        copy of another (``target_actor = copy.deepcopy(actor)``, an EMA, a frozen reference): it
        is then recorded as a target made by ``load_state_dict`` is, so its calls and its name are
        seen (GF059 needs both). A module unpickled under a name of its own stays unrecorded."""
        if frame is None:
            return
        names = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
        names.update(frame.f_locals)
        known = set(self.module_names.values())
        if any(value is module and name in known for name, value in names.items()):
            self._adopt(module)
            return
        params = list(parameters_of(module))
        if params and all(self.copy_source(p) is not None for p in params):  # type: ignore[attr-defined]
            self._adopt(module)
            kept = self._copies.get(id(module))  # type: ignore[attr-defined]
            if kept is not None:
                # Written into before its first call: named then, by the outermost frame that held
                # it (`self.G_ema` of a Trainer), which this call's frame may not (`trainer.G_ema`).
                self.module_names.setdefault(id(module), kept[0])

    def _adopt(self, value: nn.Module) -> None:
        for sub in modules_of(value):
            if id(sub) not in self.modules:
                self.adopted.add(id(sub))  # type: ignore[attr-defined]
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
            for sub_path, sub in named_modules_of(self.modules[mid]):
                if id(sub) in self.modules:
                    paths.setdefault(id(sub), f"{name}.{sub_path}" if sub_path else name)

        for mid, name in names.items():
            walk(mid, name)
        # Modules kept in a plain list/dict attribute are roots of their own: name them by it.
        for (owner, attr), _ in self.assignments.items():
            value = self.modules[owner].__dict__.get(attr) if owner in self.modules else None
            items = plain_container_items(value)[0] if isinstance(value, (list, tuple, dict)) else []
            for path, member in items:
                if isinstance(member, nn.Module) and id(member) in roots and id(member) not in names and owner in paths:
                    # as nn.ModuleList/Dict (of them, when nested) would name it
                    names[id(member)] = ".".join([f"{paths[owner]}.{attr}", *map(str, path)])
                    walk(id(member), names[id(member)])
        # Modules only a DataLoader's worker processes ran (watch_loaders.py): by the path the
        # loader holds them at.
        taken = set(names.values())
        for mid in roots:
            held = getattr(self, "only_in_workers", {}).get(mid)
            if mid not in names and held is not None and held[0] not in taken:
                taken.add(held[0])
                names[mid] = held[0]
                walk(mid, held[0])
        unnamed = 0
        for mid in roots:
            if mid not in names:
                unnamed += 1
                module = self.modules[mid]
                inner = getattr(module, "module", None)
                if type(module).__name__ in _DATA_PARALLEL and isinstance(inner, nn.Module) and id(inner) in self.modules:
                    # A wrapper no user name holds (Lightning wraps the LightningModule given to
                    # fit() in DDP): its parameters are named by the class the user wrote.
                    walk(id(inner), f"<{type(inner).__name__}#{unnamed}>")
                names[mid] = f"<{type(module).__name__}#{unnamed}>"
                walk(mid, names[mid])
        return paths
