"""Normalisations over one element (GF057): a softmax, log_softmax, softmin or cross-entropy run
with gradients on, on a tensor that requires grad, over a dimension of size 1. The output is a
constant (softmax 1, log_softmax 0, a loss of 0) and the gradient it passes back is exactly 0, so
nothing before it learns through it. Seen by the function mode (function_mode.py) at every call of
those ops; recorded once per site, with the user's call (a torch module's own call, nn.Softmax or
nn.CrossEntropyLoss, is reported at the user's call of the module, with where the module was
built), the input's shape, whether the input was the values a ``topk`` / ``max`` selected, and the
trainable leaves it was computed from."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Optional

import torch
import torch.nn as nn

from gradfix.sandbox.facts import class_name, site_of
from gradfix.trace import OneElementNorm

if TYPE_CHECKING:
    from gradfix.sandbox.probe import Probe

OPS = frozenset({"softmax", "log_softmax", "softmin", "cross_entropy"})
# grad_fn classes of the values a selection returns: normalising them afterwards normalises the
# k values it kept (one, for k=1), not the scores it chose among
_SELECTIONS = frozenset({"TopkBackward0", "MaxBackward0", "KthvalueBackward0"})
_LIMIT = 32  # sites recorded, at most
_LEAVES = 64  # leaves named per site, at most


def _over_one(name: str, args: tuple, kwargs: dict) -> Optional[tuple[torch.Tensor, int]]:
    """The input and the dimension normalised over, when that dimension has size 1."""
    tensor = args[0] if args else kwargs.get("input")
    if not isinstance(tensor, torch.Tensor) or not tensor.requires_grad or tensor.dim() == 0:
        return None
    if name == "cross_entropy":
        dim: Any = 1 if tensor.dim() >= 2 else 0  # the class dimension
    else:
        dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
        if dim is None:
            dim = 0 if tensor.dim() in (1, 3) else 1  # F.softmax's implicit (deprecated) choice
        if type(dim) is not int or not -tensor.dim() <= dim < tensor.dim():
            return None
        dim %= tensor.dim()
    if tensor.shape[dim] != 1:
        return None
    return tensor, dim


class NormalisationWatch:
    """The function mode's part that watches softmax-like ops over a dimension of size 1."""

    def __init__(self, probe: "Probe"):
        self.probe = probe
        self.sites: dict[tuple[Any, ...], OneElementNorm] = {}
        self.leaves: dict[tuple[Any, ...], list[int]] = {}  # ids of the leaves, per site

    def called(self, name: str, func: Callable, args: tuple, kwargs: dict) -> None:
        """Before the op runs (a cross-entropy over one class given the index 1 raises)."""
        if not torch.is_grad_enabled():
            return
        found = _over_one(name, args, kwargs)
        if found is None:
            return
        tensor, dim = found
        own = getattr(func, "__code__", None)
        frame: Any = sys._getframe(2)  # the frame that called the torch function (past the mode's dispatch)
        while frame is not None and (frame.f_code is own or frame.f_code.co_filename.endswith(("overrides.py", "_tensor.py"))):
            frame = frame.f_back
        module = None
        if frame is not None and frame.f_code.co_filename not in self.probe.user:
            # Only a torch module's own forward (nn.Softmax, nn.CrossEntropyLoss) speaks for the
            # user's code: a softmax inside a library's function (attention) is not theirs to edit.
            owner = frame.f_locals.get("self") if frame.f_code.co_name == "forward" else None
            if not isinstance(owner, nn.Module) or not type(owner).__module__.startswith("torch.nn."):
                return
            module = owner
            frame = self.probe.user_frame(frame.f_back)
        if frame is None:
            return
        site = site_of(frame)
        module_site = self.probe.module_sites.get(id(module)) if module is not None else None
        key = (name, site.file, site.line, site.column, module_site)
        fact = self.sites.get(key)
        if fact is not None:
            fact.count += 1
            return
        if len(self.sites) >= _LIMIT:
            return
        grad_fn = tensor.grad_fn
        target = args[1] if len(args) > 1 else kwargs.get("target")
        self.sites[key] = OneElementNorm(
            op=name,
            site=site,
            dim=dim,
            shape=list(tensor.shape),
            module=class_name(module) if module is not None else "",
            module_site=module_site,
            selected=grad_fn is not None and type(grad_fn).__name__ in _SELECTIONS,
            int_target=name == "cross_entropy" and isinstance(target, torch.Tensor) and not target.is_floating_point(),
        )
        # One walk of the graph per site: named at the end, when it is known which never trained.
        self.leaves[key] = [
            pid for pid, leaf in self.probe.reachable([tensor]).items()
            if isinstance(leaf, nn.Parameter) or pid in self.probe.param_objects
        ]

    def facts(self, names_of: dict[int, str]) -> list[OneElementNorm]:
        """The sites, each with the leaves behind it that never held a non-zero gradient."""
        for key, fact in self.sites.items():
            fact.leaves = sorted(
                names_of[pid] for pid in self.leaves.get(key, []) if pid in names_of and pid not in self.probe.nonzero_grad
            )[:_LEAVES]
        return list(self.sites.values())
