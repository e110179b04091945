"""How the probe describes what it sees: where in the user's code (``site_of``, ``UserCode``) and
what (class names, dtypes, storages). Shared by every part of the probe."""

from __future__ import annotations

import os
import sys
import types
from typing import Any, Optional

import torch

from gradfix.trace import Site


_PROBE_FILE = os.path.abspath(__file__)


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
    return site_in(frame.f_code, frame.f_lasti if lasti is None else lasti, frame.f_lineno if lineno is None else lineno)


def site_in(code: types.CodeType, lasti: int, line: Optional[int]) -> Site:
    """The span of one instruction of a code object: for a place remembered without its frame
    (a frame kept alive would keep its locals alive)."""
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


def storage_of(tensor: torch.Tensor) -> Optional[int]:
    """Where a tensor's values live; None for an uninitialised lazy parameter (nn.LazyLinear)."""
    try:
        return tensor.untyped_storage().data_ptr()
    except (RuntimeError, ValueError):
        return None


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def class_name(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def torch_class_name(obj: Any) -> str:
    """The first class in ``obj``'s MRO that torch defines: the layer a user class extends."""
    for cls in type(obj).__mro__:
        if cls.__module__ == "torch" or cls.__module__.startswith("torch."):
            return f"{cls.__module__}.{cls.__qualname__}"
    return ""


# A module's parameters and submodules, walked with nn.Module's own methods, taken when gradfix
# loads: a user class may override them with another signature (`higher`'s patched modules take
# no `recurse`) or another meaning, and a script may replace them on nn.Module itself.
_PARAMETERS = torch.nn.Module.parameters
_NAMED_PARAMETERS = torch.nn.Module.named_parameters
_MODULES = torch.nn.Module.modules
_NAMED_MODULES = torch.nn.Module.named_modules
_NAMED_BUFFERS = torch.nn.Module.named_buffers


def parameters_of(module: torch.nn.Module, recurse: bool = True) -> Any:
    return _PARAMETERS(module, recurse=recurse)


def named_parameters_of(module: torch.nn.Module) -> Any:
    return _NAMED_PARAMETERS(module)


def modules_of(module: torch.nn.Module) -> Any:
    return _MODULES(module)


def named_modules_of(module: torch.nn.Module) -> Any:
    return _NAMED_MODULES(module)


def named_buffers_of(module: torch.nn.Module, recurse: bool = True) -> Any:
    return _NAMED_BUFFERS(module, recurse=recurse)


def key_order(keys: list[Any]) -> str:
    """How a plain dict's keys stand to the registering containers: "str" when all are strings (an
    nn.ModuleDict takes them), "range" when they are the ints 0..n-1 in the order written (an
    nn.ModuleList holds them so), "other" otherwise (nn.ModuleDict refuses an int or a tuple)."""
    if all(isinstance(k, str) for k in keys):
        return "str"
    if all(type(k) is int for k in keys) and keys == list(range(len(keys))):
        return "range"
    return "other"


def plain_container_items(value: Any) -> tuple[list[tuple[list[Any], Any]], str, str]:
    """The members of a plain list/tuple/dict, each with its key path, the container's key order
    (key_order; a list's is "str") and its inner kind: "" when it holds its members itself, "dict"
    or "list" when every value is a non-empty dict (with string keys) or list of them, flattened
    one level (`self.w[rel] = {"w": nn.Parameter(...)}` is held as nn.ModuleDict of nn.ParameterDict
    would hold it)."""
    pairs = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
    keys = key_order([k for k, _ in pairs]) if isinstance(value, dict) else "str"
    values = [v for _, v in pairs]
    for inner, kinds in (("dict", dict), ("list", (list, tuple))):
        if values and all(isinstance(v, kinds) and v for v in values):
            if inner == "dict" and not all(isinstance(k, str) for v in values for k in v):
                break
            nested = [
                ([key, sub], member) for key, v in pairs
                for sub, member in (v.items() if isinstance(v, dict) else enumerate(v))
            ]
            return nested, keys, inner
    return [([key], member) for key, member in pairs], keys, ""


def group_tensors(group: Any) -> list[torch.Tensor]:
    """The tensors a param group holds, read without using anything up. torch keeps them as a
    list, but a script may store a one-shot iterable after the optimizer was built
    (``param_groups[0]["params"] = model.parameters()``): the probe reading it would consume
    what the script's own ``zero_grad()``/``step()`` were to read, so such a group (and any other
    object whose reading could run user code) holds nothing the probe may see."""
    params = group.get("params") if isinstance(group, dict) else None
    if not isinstance(params, (list, tuple, set, frozenset)):
        return []
    return [p for p in params if isinstance(p, torch.Tensor)]


def optimizer_tensors(optimizer: Any) -> list[torch.Tensor]:
    """Every tensor the optimizer's groups hold, group by group (see :func:`group_tensors`)."""
    return [p for group in optimizer.param_groups for p in group_tensors(group)]


def one_shot_group(group: Any) -> Optional[str]:
    """The class of a group's ``params`` when it is an iterator (a generator, ``filter``,
    ``map``, ``iter(...)``): torch reads it once, at the first ``zero_grad()`` or ``step()``, and
    holds nothing after. None for a container, read afresh each time."""
    params = group.get("params") if isinstance(group, dict) else None
    if params is None or isinstance(params, (list, tuple, set, frozenset, torch.Tensor)):
        return None
    try:
        one_shot = hasattr(type(params), "__next__") and iter(params) is params
    except Exception:  # an object of the script's whose __iter__ raises: not an iterator we know
        return None
    return type(params).__name__ if one_shot else None
