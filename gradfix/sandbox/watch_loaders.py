"""Modules a DataLoader's worker processes run. With ``num_workers > 0`` the Dataset's
``__getitem__`` (and the collate function) run in other processes, which the probe does not
watch: a module called there (an embedding looked up per item, a feature extractor applied in the
data pipeline) never runs here, and what it computes crosses to the training process as plain
data, without a graph. An optimizer may hold its parameters and step; no loss reaches them.

When user code starts iterating such a loader, the objects its dataset and collate function hold
are searched (attributes, lists, tuples and dicts, a few levels deep) for modules, and each is
recorded with the path it was found by (``dataset.vocab.embedding``) and the user line that
iterated the loader. GF018 counts them among the modules that took part in the run."""

from __future__ import annotations

import functools
import sys
import types
from typing import Any, Optional

import torch
import torch.nn as nn

from gradfix.sandbox.facts import modules_of, site_of
from gradfix.trace import Site

_DEPTH = 4  # attribute levels searched below the dataset
_OBJECTS = 2048  # objects looked at per loader, at most
_SKIP = (torch.Tensor, type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, str, bytes, int, float, bool)


def _modules_held(roots: list[tuple[str, Any]]) -> list[tuple[str, nn.Module]]:
    """Modules reachable from these objects, breadth first, each by the first path found; a
    module is not searched further (its submodules are its own)."""
    found: list[tuple[str, nn.Module]] = []
    seen: set[int] = set()
    level = roots
    looked = 0
    for _ in range(_DEPTH + 1):
        following: list[tuple[str, Any]] = []
        for path, value in level:
            if id(value) in seen or looked >= _OBJECTS or value is None or isinstance(value, _SKIP):
                continue
            seen.add(id(value))
            looked += 1
            if isinstance(value, nn.Module):
                found.append((path, value))
                continue
            if isinstance(value, dict):
                items = [(f"{path}[{k!r}]", v) for k, v in list(value.items())[:64] if isinstance(k, (str, int))]
            elif isinstance(value, (list, tuple)):
                items = [(f"{path}[{i}]", v) for i, v in enumerate(value[:64])]
            elif isinstance(value, types.MethodType):
                items = [(path, value.__self__)]
            else:
                attributes = getattr(value, "__dict__", None)
                items = [(f"{path}.{k}", v) for k, v in list(attributes.items())[:128]] if isinstance(attributes, dict) else []
            following += items
        level = following
    return found


class LoaderWatch:
    """The probe's part that records modules run in DataLoader workers; mixed into
    :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_loader_tracking(self) -> None:
        probe = self
        # module id -> (the path it was found by from the loader, the user line that iterated it)
        self.worker_modules: dict[int, tuple[str, Optional[Site]]] = {}
        self._loaders_seen: dict[int, Any] = {}  # kept alive: an id stays its loader's
        from torch.utils.data import DataLoader

        original = DataLoader.__iter__

        @functools.wraps(original)
        def __iter__(loader: Any) -> Any:
            if probe._loaders_seen.get(id(loader)) is not loader and getattr(loader, "num_workers", 0):
                probe._loaders_seen[id(loader)] = loader
                with probe.channel.busy():  # type: ignore[attr-defined]
                    probe._note_worker_modules(loader, sys._getframe(1))
            return original(loader)

        DataLoader.__iter__ = __iter__  # type: ignore[method-assign]

    def _note_worker_modules(self, loader: Any, caller: types.FrameType) -> None:
        frame = self.user_frame(caller)  # type: ignore[attr-defined]
        site = site_of(frame) if frame is not None else None
        # The loader by the name the iterating frame gives it (`loader.dataset.vocab.embedding`).
        scope = {**(frame.f_globals if frame is not None else {}), **(frame.f_locals if frame is not None else {})}
        name = next((n for n, v in scope.items() if v is loader and n.isidentifier()), "<DataLoader>")
        if frame is not None and name == "<DataLoader>" and isinstance(scope.get("self"), object):
            name = next((f"self.{n}" for n, v in getattr(scope.get("self"), "__dict__", {}).items() if v is loader), name)
        roots = [(f"{name}.dataset", loader.__dict__.get("dataset")), (f"{name}.collate_fn", loader.__dict__.get("collate_fn"))]
        for path, module in _modules_held(roots):
            for inner in modules_of(module):
                self.worker_modules.setdefault(id(inner), (path, site))
