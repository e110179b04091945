"""Modules a DataLoader's worker processes run. With ``num_workers > 0`` the Dataset's
``__getitem__`` (and the collate function) run in other processes, which the probe does not
watch: a module called there (an embedding looked up per item, a feature extractor applied in the
data pipeline) never runs here, and what it computes crosses to the training process as plain
data, without a graph. An optimizer may hold its parameters and step; no loss reaches them.

When user code starts iterating such a loader, what its dataset and collate function hold is
searched (attributes, lists, tuples and dicts, the globals and closure cells of functions of the
user's code, a ``functools.partial``'s arguments, a few levels deep) for modules, and each is
recorded with the path it was found by (``loader.dataset.vocab.embedding``) and the user line that
iterated the loader. A bound method's object is not searched: ``collate_fn=self.collate`` says
nothing about what else ``self`` holds. A module found that ran in the training process too (a
model a Dataset mines hard negatives with) is not a worker's alone, and is dropped with all of
its submodules when the Trace is written. GF018 counts the rest among the modules that took part.

The search reads user objects, which may raise on any access or be huge: every read is guarded,
dictionaries are read through an iterator, and the objects looked at are bounded."""

from __future__ import annotations

import functools
import itertools
import sys
import types
import weakref
from typing import Any, Iterable, Optional

import torch
import torch.nn as nn

from gradfix.sandbox.facts import named_modules_of, site_of
from gradfix.trace import EmptyLoader, Site

_DEPTH = 5  # levels searched below the dataset and the collate function
_OBJECTS = 2048  # objects looked at per loader, at most
_ITEMS = 64  # items read per container, at most
_SKIP = (torch.Tensor, type, types.ModuleType, types.BuiltinFunctionType, str, bytes, int, float, bool, complex)


def _first(items: Iterable[Any]) -> list[Any]:
    return list(itertools.islice(items, _ITEMS))


class LoaderWatch:
    """The probe's part that records modules run in DataLoader workers; mixed into
    :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_loader_tracking(self) -> None:
        probe = self
        # per module found: (the path it was found by, the user line that iterated the loader,
        # the ids of it and its submodules with their paths)
        self._worker_finds: list[tuple[str, Optional[Site], list[tuple[int, str]]]] = []
        self._loaders_seen: "weakref.WeakSet[Any]" = weakref.WeakSet()  # not kept alive: persistent workers end with their loader
        from torch.utils.data import DataLoader

        original = DataLoader.__iter__

        self.empty_loaders: dict[tuple[str, int], EmptyLoader] = {}
        # each loader's latest epoch (its iterator), neither kept alive: a loop cut early skips
        # the epoch it iterates to its short last batch (loops.py)
        self.loader_epochs: "weakref.WeakKeyDictionary[Any, weakref.ref[Any]]" = weakref.WeakKeyDictionary()

        @functools.wraps(original)
        def __iter__(loader: Any) -> Any:
            if len(probe.empty_loaders) < 8:
                probe._note_if_empty(loader, sys._getframe(1))
            if getattr(loader, "num_workers", 0) and loader not in probe._loaders_seen:
                probe._loaders_seen.add(loader)
                with probe.channel.busy():  # type: ignore[attr-defined]
                    probe._note_worker_modules(loader, sys._getframe(1))
            epoch = original(loader)
            try:
                probe.loader_epochs[loader] = weakref.ref(epoch)
            except TypeError:  # a loader or an iterator of the script's own that takes no weak reference
                pass
            return epoch

        DataLoader.__iter__ = __iter__  # type: ignore[method-assign]

    def _note_if_empty(self, loader: Any, caller: types.FrameType) -> None:
        """A map-style loader with no batch in it, iterated by user code: once per line."""
        try:
            if len(loader) != 0:
                return
            samples = len(loader.dataset)
        except Exception:  # an iterable dataset has no length; the script's own len() may raise
            return
        frame = self.user_frame(caller)  # type: ignore[attr-defined]
        if frame is None:
            return
        site = site_of(frame)
        batch_size = loader.batch_size if isinstance(loader.batch_size, int) else None
        self.empty_loaders.setdefault((site.file, site.line), EmptyLoader(site, samples, batch_size, bool(loader.drop_last)))

    def _note_worker_modules(self, loader: Any, caller: types.FrameType) -> None:
        frame = self.user_frame(caller)  # type: ignore[attr-defined]
        site = site_of(frame) if frame is not None else None
        name = "<DataLoader>"
        if frame is not None:
            # The loader by the name the iterating frame gives it (`loader`, `self.loader`).
            scope = {**frame.f_globals, **frame.f_locals}
            name = next((n for n, v in scope.items() if v is loader and n.isidentifier()), name)
            holder = scope.get("self")
            if name == "<DataLoader>" and isinstance(getattr(holder, "__dict__", None), dict):
                name = next((f"self.{n}" for n, v in holder.__dict__.items() if v is loader), name)
        roots = [(f"{name}.dataset", loader.__dict__.get("dataset")), (f"{name}.collate_fn", loader.__dict__.get("collate_fn"))]
        for path, module in self._modules_held(roots):
            try:
                inner = [(id(sub), f"{path}.{sub_path}" if sub_path else path) for sub_path, sub in named_modules_of(module)]
            except Exception:  # a module of the script's that breaks its own traversal
                continue
            self._worker_finds.append((path, site, inner))

    def _modules_held(self, roots: list[tuple[str, Any]]) -> list[tuple[str, nn.Module]]:
        """Modules reachable from these objects, breadth first, each by the first path found; a
        module is not searched further (its submodules are its own)."""
        found: list[tuple[str, nn.Module]] = []
        seen: set[int] = set()
        level = roots
        for _ in range(_DEPTH + 1):
            following: list[tuple[str, Any]] = []
            for path, value in level:
                if len(seen) >= _OBJECTS:
                    return found
                if id(value) in seen or value is None:
                    continue
                seen.add(id(value))
                try:
                    if isinstance(value, _SKIP):
                        continue
                    if isinstance(value, nn.Module):
                        found.append((path, value))
                        continue
                    following += self._held_by(path, value)
                except Exception:  # an object of the script's that raises when looked at
                    continue
            level = following
        return found

    def _held_by(self, path: str, value: Any) -> list[tuple[str, Any]]:
        """What one object holds, each with its path."""
        if isinstance(value, dict):
            return [(f"{path}[{k!r}]", v) for k, v in _first(iter(value.items())) if isinstance(k, (str, int))]
        if isinstance(value, (list, tuple)):
            return [(f"{path}[{i}]", v) for i, v in enumerate(_first(iter(value)))]
        if isinstance(value, functools.partial):
            return [(path, value.func), *((path, a) for a in _first(iter(value.args))), *((path, v) for v in _first(iter(value.keywords.values())))]
        if isinstance(value, types.MethodType):
            return [(path, value.__func__)]  # its function's globals, not the object it is bound to
        if isinstance(value, types.FunctionType):
            code = value.__code__
            if code.co_filename not in self.user:  # type: ignore[attr-defined]
                return []
            # The globals it names (a module-level embedding, a helper function it calls) and
            # what its closure holds (a lambda or a factory's inner function).
            named = [(n, value.__globals__[n]) for n in _first(iter(code.co_names)) if n in value.__globals__]
            cells = [(path, cell.cell_contents) for cell in _first(iter(value.__closure__ or ())) if _filled(cell)]
            return [*named, *cells]
        held: list[tuple[str, Any]] = []
        attributes = getattr(value, "__dict__", None)
        if isinstance(attributes, dict):
            held += [(f"{path}.{k}", v) for k, v in _first(iter(attributes.items())) if isinstance(k, str)]
        for slot in _first(iter(getattr(type(value), "__slots__", ()) or ())):
            if isinstance(slot, str) and hasattr(value, slot):
                held.append((f"{path}.{slot}", getattr(value, slot)))
        # The methods a DataLoader calls on it run in the workers: what they name runs there too.
        for method in ("__getitem__", "__iter__", "__call__"):
            function = getattr(type(value), method, None)
            if isinstance(function, types.FunctionType):
                held.append((path, function))
        return held

    def worker_modules(self, ran: set[int]) -> dict[int, tuple[str, Optional[Site]]]:
        """Modules that ran only in worker processes, as far as the run can tell: each module found
        none of whose parts ran in the training process, and its submodules, by their paths."""
        modules: dict[int, tuple[str, Optional[Site]]] = {}
        for _, site, inner in self._worker_finds:
            if any(mid in ran for mid, _ in inner):
                continue
            for mid, path in inner:
                modules.setdefault(mid, (path, site))
        return modules


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # an empty cell
        return False
    return True
