"""A torch function mode the probe keeps active while the script runs.

It does two things that need to see every torch call:

* **CUDA on the CPU.** Scripts that call ``.cuda()`` or use ``device="cuda"`` unconditionally run
  on the CPU here. A move to "cuda" returns a *copy*, as on a real GPU, so the GPU-only bug of
  ``torch.randn(3, requires_grad=True).cuda()`` (a non-leaf) shows up on a CPU machine too.
  ``torch.cuda.is_available()`` stays honest.
* **Graph cuts.** Where user code turns a tensor that carries a gradient into one that does not
  (``.detach()``, ``.data``, ``.item()``, ``argmax``, comparisons, integer casts, a re-wrap in
  ``torch.tensor``), the op and its exact source span are recorded.
"""

from __future__ import annotations

import sys
import weakref
from typing import TYPE_CHECKING, Any, Callable

import torch
from torch.overrides import TorchFunctionMode

if TYPE_CHECKING:
    from gradfix.sandbox.probe import Probe

_DATA = torch._C.TensorBase.__dict__["data"]
_CUT_METHODS = {
    "detach", "item", "tolist", "numpy", "argmax", "argmin", "long", "int", "short", "bool", "byte",
    "gt", "lt", "ge", "le", "eq", "ne", "__gt__", "__lt__", "__ge__", "__le__", "__eq__", "__ne__",
    "greater", "less", "greater_equal", "less_equal", "equal", "to", "type",
}
_REWRAPS = {"tensor", "as_tensor"}


def _is_cuda(device: Any) -> bool:
    if isinstance(device, torch.device):
        return device.type == "cuda"
    if isinstance(device, str):
        return device.split(":")[0] == "cuda"
    return False


class ProbeMode(TorchFunctionMode):
    def __init__(self, probe: "Probe"):
        super().__init__()
        self.probe = probe
        # id -> tensor for tensors that live "on cuda": moving them there again returns them as is
        self.on_cuda: weakref.WeakValueDictionary[int, torch.Tensor] = weakref.WeakValueDictionary()

    def _mark(self, value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            self.on_cuda[id(value)] = value
        self.probe.cuda_emulated = True
        return value

    def _to_cuda(self, tensor: torch.Tensor, dtype: Any = None) -> torch.Tensor:
        if self.on_cuda.get(id(tensor)) is tensor and dtype in (None, tensor.dtype):
            return tensor
        moved = tensor.to(dtype=dtype) if dtype is not None else tensor
        if moved is tensor:
            moved = tensor.clone()  # a real device move makes a new tensor (a non-leaf if it needs grad)
        return self._mark(moved)

    def __torch_function__(self, func: Callable, types: Any, args: tuple = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name == "cuda" and args and isinstance(args[0], torch.Tensor):
            return self._to_cuda(args[0])
        if name == "pin_memory" and args and isinstance(args[0], torch.Tensor) and not torch.cuda.is_available():
            self.probe.cuda_emulated = True
            return args[0]  # page-locked memory is a transfer speed-up; on the CPU there is no transfer
        if name == "to" and args and isinstance(args[0], torch.Tensor):
            device, dtype, _, _ = torch._C._nn._parse_to(*args[1:], **kwargs)
            if _is_cuda(device):
                return self._to_cuda(args[0], dtype)
        if "device" in kwargs and _is_cuda(kwargs["device"]):
            return self._mark(func(*args, **{**kwargs, "device": "cpu"}))

        if (name in ("copy_", "__setitem__") or (name == "__set__" and getattr(func, "__self__", None) is _DATA)) and args:
            self._maybe_load(args[0])
        result = func(*args, **kwargs)
        if name in _CUT_METHODS or name in _REWRAPS or (name == "__get__" and getattr(func, "__self__", None) is _DATA):
            self._maybe_cut(name, func, args, kwargs, result)
        return result

    def _maybe_load(self, target: Any) -> None:
        """``weight.data.copy_(vectors)`` / ``weight.data = t`` / ``weight[:] = t`` in user code: pretrained values."""
        caller = sys._getframe(2)
        if isinstance(target, torch.Tensor) and caller is not None and caller.f_code.co_filename in self.probe.user:
            from gradfix.sandbox.probe import _storage

            storage = _storage(target)
            if storage is not None:
                self.probe.loaded_storage.add(storage)

    def _maybe_cut(self, name: str, func: Callable, args: tuple, kwargs: dict, result: Any) -> None:
        if not torch.is_grad_enabled():
            return  # evaluation and logging under no_grad cut nothing that was going to be trained
        first = args[0] if args else None
        if name in _REWRAPS:
            if not (kwargs.get("requires_grad") or (isinstance(first, torch.Tensor) and first.requires_grad)):
                return
        elif not (isinstance(first, torch.Tensor) and first.requires_grad):
            return
        elif isinstance(result, torch.Tensor) and result.requires_grad:
            return
        caller = sys._getframe(2)  # the frame that called the torch function (past the mode's dispatch)
        while caller is not None and caller.f_code.co_filename.endswith(("overrides.py", "_tensor.py")):
            caller = caller.f_back
        if caller is None or caller.f_code.co_filename not in self.probe.user:
            return  # torch's own internals (optimizers read .data): not the user's graph
        op = "data" if name == "__get__" else name.strip("_")
        self.probe.record_cut(op, caller)


def patch_cuda_runtime(probe: "Probe") -> None:
    """CUDA housekeeping calls that would raise on a CPU build become no-ops, and say so."""
    if torch.cuda.is_available():
        return

    def noop(result: Any = None) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            # Only the script's own calls mean it expects a GPU; torch.compile asks too, on the CPU.
            if sys._getframe(1).f_code.co_filename in probe.user:
                probe.cuda_emulated = True
            return result

        return call

    for name in ("synchronize", "empty_cache", "reset_peak_memory_stats", "set_device", "ipc_collect"):
        if hasattr(torch.cuda, name):
            setattr(torch.cuda, name, noop())
    for name in ("memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved"):
        if hasattr(torch.cuda, name):
            setattr(torch.cuda, name, noop(0))
    torch.cuda.current_device = noop(0)
    torch.cuda.get_device_name = noop("gradfix: CUDA emulated on the CPU")

    class Event:
        """Timing events: they record nothing, and every interval is 0 ms."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            probe.cuda_emulated = True

        def record(self, *args: Any, **kwargs: Any) -> None:
            pass

        def synchronize(self) -> None:
            pass

        def wait(self, *args: Any, **kwargs: Any) -> None:
            pass

        def query(self) -> bool:
            return True

        def elapsed_time(self, other: Any) -> float:
            return 0.0

    torch.cuda.Event = Event  # type: ignore[misc,assignment]
