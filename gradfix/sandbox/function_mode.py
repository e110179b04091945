"""A torch function mode the probe keeps active while the script runs.

It does these things, which need to see every torch call:

* **CUDA on the CPU.** Scripts that call ``.cuda()`` or use ``device="cuda"`` unconditionally run
  on the CPU here. A move to "cuda" returns a *copy*, as on a real GPU, so the GPU-only bug of
  ``torch.randn(3, requires_grad=True).cuda()`` (a non-leaf) shows up on a CPU machine too.
  The script's own ``torch.cuda.is_available()`` answers True (``device_count()`` 1), so a script
  that picks ``cuda if torch.cuda.is_available() else cpu`` takes the path its author's GPU machine
  takes; torch's own code still hears the truth (no pinned memory, no CUDA autocast or scaler).
* **Graph cuts.** Where user code turns a tensor that carries a gradient into one that does not
  (``.detach()``, ``.data``, ``.item()``, ``argmax``, comparisons, integer casts, a re-wrap in
  ``torch.tensor``, also of a list of such tensors), or puts it through an op whose gradient is 0
  (``round``, ``floor``, ``ceil``, ``sign``) or a random draw (``torch.normal(mu, sigma)``,
  ``bernoulli``, ``multinomial``; ``Distribution.sample()``, patched below), the op and its exact
  source span are recorded; for the ops with no gradient, the first time a site runs, the
  parameters its inputs were computed from (GF017 names the line where theirs was lost). A
  ``max``/``topk``/``sort``/``kthvalue`` over a dimension is recorded the same way (its
  indices carry no gradient), apart from the cuts: where a router's scores were only used to pick (GF060).
* **Writes into parameters** by user code (in-place ops, ``.data =``, ``torch._foreach_*_``, also
  through ``p.data`` and ``p.detach()``), once training has begun: momentum and EMA updates.
* **In-place ops on graph tensors.** ``x += y``, ``x.mul_(m)``, ``x[i] = v``, ``relu(x, inplace=True)``
  (also from inside ``nn.ReLU(inplace=True)``) on a tensor that requires grad and is not a leaf,
  with grad mode on: what autograd blames when backward() finds a saved tensor modified. On a leaf
  that requires grad (a parameter), recorded before torch refuses it. A library call that writes
  its table in place with gradients off inside it (``F.embedding``/``F.embedding_bag`` with
  ``max_norm``, as ``nn.Embedding(max_norm=...)`` calls it, renormalises the rows it looks up):
  torch allows it, so it is recorded as such, for a backward() through an earlier use of the table.
* **Graphs lost to grad mode.** A value computed in user code with gradients off from a tensor
  that requires grad (``(pred - target).abs()`` in a ``@torch.no_grad()`` loss helper) carries no
  graph; where that happened is remembered with the value and passed on to what is computed from
  it, so a backward() on a graph-less loss can say which line lost the graph. A cut's result is
  remembered the same way, as a cut. ``Variable(x, requires_grad=True)`` and ``nn.Parameter(x)``,
  which torch builds without a torch call, are cuts too when ``x`` carried a graph or came out of one.
* **Losses given two dtypes.** A loss function (``huber_loss``, ``mse_loss``, ``binary_cross_entropy``
  ...) called from user code with gradients on, with an input and a target of two floating dtypes
  (a float64 target for float32 predictions), once per site: some losses' backward refuses it (GF096).
* **Normalisations over one element** (watch_normalisation.py): a softmax, log_softmax or
  cross-entropy over a dimension of size 1 of a tensor that requires grad, whose gradient is 0.
"""

from __future__ import annotations

import functools
import sys
import weakref
from typing import TYPE_CHECKING, Any, Callable, Optional

import torch
from torch.overrides import TorchFunctionMode

from gradfix.sandbox.watch_normalisation import OPS as _NORMALISING, NormalisationWatch

if TYPE_CHECKING:
    from gradfix.sandbox.probe import Probe
    from gradfix.trace import Site

_DATA = torch._C.TensorBase.__dict__["data"]
_CUT_METHODS = {
    "detach", "item", "tolist", "numpy", "argmax", "argmin", "long", "int", "short", "bool", "byte",
    "gt", "lt", "ge", "le", "eq", "ne", "__gt__", "__lt__", "__ge__", "__le__", "__eq__", "__ne__",
    "greater", "less", "greater_equal", "less_equal", "equal", "to", "type", "argsort", "bucketize",
    # a sparse tensor's `_values()` is its values detached (`values()` keeps the graph)
    "_values",
}
_REWRAPS = {"tensor", "as_tensor"}
# Piecewise-constant ops: their result keeps a grad_fn, but the gradient through it is exactly 0.
_ZERO_GRADIENT = {"round", "floor", "ceil", "sign", "sgn", "trunc", "fix"}
# Ops whose gradient with respect to one argument is 0 when an option takes certain values: the op
# -> (that argument's keyword and position, the option's keyword and position, those values).
# Nearest-neighbour sampling reads the pixel a position rounds to: piecewise constant in the grid.
ZERO_GRADIENT_WHEN = {"grid_sample": ("grid", 1, "mode", 2, {"nearest"})}
# Dropout that drops everything in training (p >= 1: a TensorFlow keep probability of 1.0 ported
# as a drop probability): its output is 0, and so is the gradient to all that comes before it.
DROPPING_ALL = {"dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d"}
# A difference or a ratio of two equal values computed from the same parameters (an importance
# ratio whose "old" log-probabilities come from the policy being trained, in the graph): the two
# gradients cancel exactly, and what lies behind both gets a gradient of 0.
_CANCELLING = {"sub", "div"}
# Random draws whose result has no gradient, or a gradient of 0, to the mean, probabilities or rate.
_RANDOM_DRAWS = {"normal", "bernoulli", "multinomial", "poisson"}
# Ops whose result carries no gradient of their input, or a gradient of 0, and the plain cuts that
# return a tensor (`.detach()`, `.data`, a re-wrap): the parameters behind them are recorded, and
# whether their result went into a loss (GF017: the only path from those parameters to the loss).
# Selections that return (values, indices): the indices carry no gradient, and when only they are
# used (a router that picks an expert and never weights its output), nothing reaches the scores (GF060).
SELECTIONS = {"max", "topk", "sort", "kthvalue"}
# Ops that read entries at integer indices, by name: where their indices are (keyword, position).
_LOOKUPS = {
    "embedding": ("input", 0), "gather": ("index", 2), "index_select": ("index", 2),
    "take_along_dim": ("indices", 1), "__getitem__": (None, 1),
}
# Library calls that write a tensor they are given in place, under no_grad inside them: the call's
# name -> (the written tensor's keyword and position, the argument that turns the write on, its position).
_LIBRARY_WRITES = {
    "embedding": ("weight", 1, "max_norm", 3),
    "embedding_bag": ("weight", 1, "max_norm", 3),
}
_PLAIN_CUT_OPS = {"detach", "data", "tensor", "as_tensor", "_values"}
# A real quantized tensor has no gradient: `torch.quantize_per_tensor(w, ...).dequantize()` in a
# training forward (weights rounded to int8 "for QAT") leaves the weights behind it untrained.
_QUANTIZE = {"quantize_per_tensor", "quantize_per_channel"}
# Ops whose derivative is infinite or undefined at some inputs, and which inputs (GF092): a square
# root at 0 (d sqrt(x)/dx = 1/(2 sqrt(x))), a log at 0 or below, acos/asin at 1 or beyond. (torch's
# norms give a zero vector a gradient of 0: they are not among them.)
# loss functions whose input and target must share a floating dtype for backward (GF096)
_LOSSES = frozenset({
    "huber_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "kl_div", "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss", "margin_ranking_loss",
    "hinge_embedding_loss", "multilabel_soft_margin_loss", "cosine_embedding_loss", "triplet_margin_loss",
})
_SINGULAR = {
    "sqrt": "zero", "rsqrt": "zero",
    "log": "not positive", "log2": "not positive", "log10": "not positive",
    "acos": "not inside (-1, 1)", "asin": "not inside (-1, 1)", "arccos": "not inside (-1, 1)", "arcsin": "not inside (-1, 1)",
}
# Functions torch computes without a derivative that say nothing about it: the output of a
# tensor that requires grad simply has no grad_fn (torch.special's Bessel functions and orthogonal
# polynomials). Whatever they are given gets no gradient through them.
UNDIFFERENTIATED = {
    f"special_{name}" for name in (
        "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
        "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
        "spherical_bessel_j0", "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
        "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
        "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
        "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p",
    )
}
_NO_GRADIENT = (_CUT_METHODS - {"item", "tolist", "numpy"}) | _ZERO_GRADIENT | _RANDOM_DRAWS | _REWRAPS | SELECTIONS | _QUANTIZE | UNDIFFERENTIATED | {"__get__"}
_WATCHED = (
    _CUT_METHODS | _REWRAPS | _ZERO_GRADIENT | _RANDOM_DRAWS | SELECTIONS | set(ZERO_GRADIENT_WHEN) | _CANCELLING | DROPPING_ALL
    | _QUANTIZE | UNDIFFERENTIATED
)
# Names ending in "_" that write no values: metadata, sharing, autograd bookkeeping.
_NOT_WRITES = {"requires_grad_", "share_memory_", "detach_", "rename_", "retain_grad_"}
# In-place operators that reach the mode under their own name (``x += y`` arrives as add_).
_INPLACE_DUNDERS = {
    "__setitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__",
    "__ipow__", "__imatmul__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__",
}


def _is_cuda(device: Any) -> bool:
    if isinstance(device, torch.device):
        return device.type == "cuda"
    if isinstance(device, str):
        return device.split(":")[0] == "cuda"
    return False


def _mark_failed_op(error: Exception, name: str, args: tuple, kwargs: dict) -> None:
    """Tag an error a torch op raised on a tensor that requires grad (``fake_quantize`` handed a
    trainable scale). Such an op is often a C function called straight from the user's line, with
    no frame of torch's in the traceback, where a crash would look like plain Python failing after
    the loops were shortened (Probe.record_crash): fewer iterations do not make it fail."""
    if getattr(error, "_gradfix_failed_op", None) is not None:
        return  # an inner op's, already tagged
    values = [*args, *kwargs.values()]
    tensors = [t for v in values for t in (v[:16] if isinstance(v, (list, tuple)) else (v,)) if isinstance(t, torch.Tensor)]
    if any(t.requires_grad for t in tensors):
        try:
            error._gradfix_failed_op = name  # type: ignore[attr-defined]
        except AttributeError:
            pass

class ProbeMode(TorchFunctionMode):
    def __init__(self, probe: "Probe"):
        super().__init__()
        self.probe = probe
        # id -> tensor for tensors that live "on cuda": moving them there again returns them as is
        self.on_cuda: weakref.WeakValueDictionary[int, torch.Tensor] = weakref.WeakValueDictionary()
        # id -> (the tensor, where its value lost the graph: code, instruction, line, and whether by
        # a cut), for values computed with gradients off from tensors that required grad, values a
        # cut returned, and what was computed from them
        self.graphless: dict[int, tuple[weakref.ref, tuple[Any, int, Optional[int], bool]]] = {}
        # id -> (the tensor, the ops with no gradient it was computed from): results of those ops
        # and what is computed from them, with or without a graph, until a backward() takes one as
        # its loss (GF017: the op's result went into a loss, not only into a metric)
        self.from_cuts: dict[int, tuple[weakref.ref, frozenset]] = {}
        self.normalising = NormalisationWatch(probe)  # softmax-like ops over a dimension of size 1 (GF057)
        self.singular: dict[tuple[str, str, int, Optional[int]], "SingularInput"] = {}  # by op and site (GF092)
        self.mixed_losses: dict[tuple[str, int, Optional[int]], "MixedDtypeLoss"] = {}  # by site (GF096)

    def _mark(self, value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            self.on_cuda[id(value)] = value
        self.probe.cuda_emulated = True
        return value

    def _to_cuda(self, tensor: torch.Tensor, dtype: Any = None) -> torch.Tensor:
        if self.on_cuda.get(id(tensor)) is tensor and dtype in (None, tensor.dtype):
            return tensor
        moved = tensor.to(dtype=dtype) if dtype is not None else tensor
        if moved is tensor and not torch.nn.parameter.is_lazy(tensor):
            # A real device move makes a new tensor (a non-leaf if it needs grad). A lazy module's
            # parameter has no value to copy yet: it is filled in, on its device, by the first call.
            moved = tensor.clone()
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
            # _parse_to knows no `copy=`, which Tensor.to takes (GradScaler passes it on the CPU too)
            where = {key: value for key, value in kwargs.items() if key != "copy"}
            device, dtype, _, _ = torch._C._nn._parse_to(*args[1:], **where)
            if _is_cuda(device):
                return self._to_cuda(args[0], dtype)
        if "device" in kwargs and _is_cuda(kwargs["device"]):
            return self._mark(func(*args, **{**kwargs, "device": "cpu"}))

        if (name in ("copy_", "__setitem__") or (name == "__set__" and getattr(func, "__self__", None) is _DATA)) and args:
            self._maybe_load(args[0])
        # This runs on every torch call: one dict lookup on the name, then the tensor only for in-place ops.
        writes = _WRITES_IN_PLACE.get(name)
        if writes is None:
            writes = _WRITES_IN_PLACE[name] = _writes_in_place(name)
        if args and (writes or name[:1] == "_" and (
            name[:9] == "_foreach_" and name[-1:] == "_" or name == "__set__" and getattr(func, "__self__", None) is _DATA
        )):
            self.probe.note_write(args[0])  # a momentum or EMA update writing into a copy's parameters
        touched = _graph_target(args) if writes or ("inplace" in kwargs and kwargs["inplace"] is True) else None
        if touched is not None and not touched[0]:
            # A leaf that requires grad: torch refuses the op and raises, so it is recorded first.
            self._record_inplace(name, "inplace" in kwargs, args[0], touched, leaf=True)
        if name in _LIBRARY_WRITES:
            self._note_library_write(name, args, kwargs)
        # Between a backward() and the step(): a write that may wipe a gradient just computed.
        wiping = self.probe.grad_write_target(name, func, args, writes) if self.probe._live_grads and (writes or name == "__set__") else None
        if name in _NORMALISING:
            self.normalising.called(name, func, args, kwargs)
        if name in _LOSSES and len(args) > 1 and torch.is_grad_enabled():
            self._maybe_mixed_loss(name, args[0], args[1])  # before the call: BCE refuses in its forward
        try:
            result = func(*args, **kwargs)
        except Exception as error:
            _mark_failed_op(error, name, args, kwargs)
            raise
        if wiping is not None:
            self.probe.grad_written(wiping, name, args)
        if touched is not None:
            self._record_inplace(name, "inplace" in kwargs, args[0], touched)
        if name in _SINGULAR and args and torch.is_grad_enabled():
            self._maybe_singular(name, args[0], result)
        if name in _WATCHED or (name == "__get__" and getattr(func, "__self__", None) is _DATA):
            self._maybe_cut(name, func, args, kwargs, result)
            if (name == "detach" or name == "__get__") and args:
                self.probe.note_alias(args[0], result)  # `p.data.mul_(m)` writes into p
        if self.graphless or not torch.is_grad_enabled():
            self._note_graphless(func, args, kwargs, result)
        if self.from_cuts:
            if name in _LOOKUPS and torch.is_grad_enabled():
                self._note_lookup(name, args, kwargs)
            self._carry_cuts(args, kwargs, result)
        return result

    def _maybe_mixed_loss(self, name: str, given: Any, target: Any) -> None:
        """A loss given an input and a target of two floating dtypes, from user code (GF096)."""
        if not (isinstance(given, torch.Tensor) and isinstance(target, torch.Tensor)):
            return
        if given.dtype is target.dtype or not (given.is_floating_point() and target.is_floating_point()):
            return
        if not (given.requires_grad or target.requires_grad) or len(self.mixed_losses) >= 16:
            return
        frame = self.probe.user_frame(sys._getframe(2))
        if frame is None:
            return
        from gradfix.sandbox.facts import site_of
        from gradfix.trace import MixedDtypeLoss

        site = site_of(frame)
        key = (site.file, site.line, site.column)
        if key not in self.mixed_losses:
            self.mixed_losses[key] = MixedDtypeLoss(op=name, site=site, input_dtype=str(given.dtype).removeprefix("torch."), target_dtype=str(target.dtype).removeprefix("torch."))

    def _maybe_singular(self, name: str, given: Any, result: Any) -> None:
        """``sqrt`` of a 0 (a distance between equal points), ``log`` of a 0, ``acos`` of a 1, on a
        tensor that requires grad, called from user code: recorded once per site (GF092)."""
        if not (isinstance(given, torch.Tensor) and given.requires_grad and given.is_floating_point()):
            return
        if torch._C._functorch.is_functorch_wrapped_tensor(given):
            return  # under vmap or grad: reading its values (`.any()` to a bool) would raise in the script
        caller = sys._getframe(2)
        while caller is not None and caller.f_code.co_filename.endswith(("overrides.py", "_tensor.py", "functional.py")):
            caller = caller.f_back
        if caller is None or caller.f_code.co_filename not in self.probe.user:
            return
        from gradfix.sandbox.facts import site_of
        from gradfix.trace import SingularInput

        site = site_of(caller)
        key = (name, site.file, site.line, site.column)
        if key in self.singular:
            self.singular[key].count += 1
            return
        if len(self.singular) >= 32:
            return
        kind = _SINGULAR[name]
        try:
            with torch.no_grad():
                if kind == "zero":
                    hit = bool((given == 0).any())
                elif kind == "not positive":
                    hit = bool((given <= 0).any())
                else:  # outside the open interval (-1, 1)
                    hit = bool((given.abs() >= 1).any())
        except Exception:  # a tensor whose values cannot be read here (traced, fake): not looked at
            return
        if hit:
            self.singular[key] = SingularInput(op=name, site=site, count=1)

    def _note_lookup(self, name: str, args: tuple, kwargs: dict) -> None:
        """A lookup whose indices came out of an op with no gradient: that op's values were used to
        read rows of a table (``embedding``) or entries of a tensor (``gather``), not computed with."""
        keyword, position = _LOOKUPS[name]
        index = kwargs.get(keyword) if keyword is not None and keyword in kwargs else args[position] if len(args) > position else None
        indices = [v for v in index[:8] if isinstance(v, torch.Tensor)] if isinstance(index, tuple) else [index]
        op = name.strip("_")
        # integer indices only: a boolean mask selects, a float tensor is a value
        integers = [t for t in indices if isinstance(t, torch.Tensor) and not t.is_floating_point() and t.dtype is not torch.bool]
        for key in self.cuts_behind(integers):
            self.probe.note_lookup(key, op, sys._getframe(2))

    def _carry_cuts(self, args: tuple, kwargs: dict, result: Any) -> None:
        """What is computed from a result of an op with no gradient remembers that op."""
        keys: Optional[frozenset] = None
        for value in (*args, *kwargs.values()):
            for tensor in value[:16] if isinstance(value, (list, tuple)) else (value,):
                if isinstance(tensor, torch.Tensor):
                    known = self.from_cuts.get(id(tensor))
                    if known is not None and known[0]() is tensor:
                        keys = known[1] if keys is None else keys | known[1]
        if keys is not None:
            for made in result[:16] if isinstance(result, (list, tuple)) else (result,):
                self.remember_cut_result(made, keys)

    def remember_cut_result(self, tensor: Any, keys: frozenset) -> None:
        if not isinstance(tensor, torch.Tensor):
            return
        if len(self.from_cuts) > 4096:
            self.from_cuts = {k: v for k, v in self.from_cuts.items() if v[0]() is not None}
            if len(self.from_cuts) > 4096:
                return
        known = self.from_cuts.get(id(tensor))
        if known is not None and known[0]() is tensor:
            keys = keys | known[1]  # an in-place op's result is its input
        self.from_cuts[id(tensor)] = (weakref.ref(tensor), keys)

    def cuts_behind(self, tensors: list[torch.Tensor]) -> frozenset:
        """The ops with no gradient whose results these tensors were computed from."""
        found: frozenset = frozenset()
        for tensor in tensors:
            known = self.from_cuts.get(id(tensor))
            if known is not None and known[0]() is tensor:
                found |= known[1]
        return found

    def _note_graphless(self, func: Callable, args: tuple, kwargs: dict, result: Any) -> None:
        """A result without a graph: remember where its value lost the graph, when an input that
        carried one came in with gradients off (user code only), or an input already remembered."""
        if not isinstance(result, torch.Tensor) or result.requires_grad:
            return
        inputs = [*args, *kwargs.values()]
        inputs += [v for value in inputs if isinstance(value, (list, tuple)) for v in value[:8]]
        origin = None
        for value in inputs:
            if isinstance(value, torch.Tensor):
                known = self.graphless.get(id(value))
                if known is not None and known[0]() is value:
                    origin = known[1]
                    break
        if origin is None:
            if torch.is_grad_enabled() or not any(isinstance(v, torch.Tensor) and v.requires_grad for v in inputs):
                return
            # Past the dispatch (and a torch function's own Python frame, F.l1_loss): only an op
            # that user code called itself; ops inside torch's modules are theirs.
            own = getattr(func, "__code__", None)
            caller = sys._getframe(2)
            while caller is not None and (caller.f_code is own or caller.f_code.co_filename.endswith(("overrides.py", "_tensor.py"))):
                caller = caller.f_back
            if caller is None or caller.f_code.co_filename not in self.probe.user:
                return
            # The user frames that called it, innermost first: the op may run in a forward or a
            # helper whose caller turned gradients off (`with torch.no_grad(): out = net(x)`).
            callers = []
            outer = caller.f_back
            while outer is not None and len(callers) < 8:
                if outer.f_code.co_filename in self.probe.user:
                    callers.append((outer.f_code, outer.f_lasti, outer.f_lineno))
                outer = outer.f_back
            origin = (caller.f_code, caller.f_lasti, caller.f_lineno, False, tuple(callers))
        self._remember_graphless(result, origin)

    def _remember_graphless(self, tensor: torch.Tensor, origin: tuple[Any, int, Optional[int], bool]) -> None:
        if len(self.graphless) > 4096:
            self.graphless = {k: v for k, v in self.graphless.items() if v[0]() is not None}
            if len(self.graphless) > 4096:
                return
        self.graphless[id(tensor)] = (weakref.ref(tensor), origin)

    def note_rewrap(self, op: str, data: Any, made: Any, frame: Optional[Any]) -> None:
        """``Variable(x, requires_grad=True)`` / ``nn.Parameter(x)`` called by user code (``frame``)
        made a new leaf: a cut when ``x`` carried a graph, or its value came out of one."""
        if not isinstance(data, torch.Tensor) or not isinstance(made, torch.Tensor) or made.grad_fn is not None:
            return
        if not torch.is_grad_enabled() or frame is None or frame.f_code.co_filename not in self.probe.user:
            return
        if frame.f_code.co_name == "__init__":
            return  # a module built from another's values (a pruned copy of a weight): not the loss path
        known = self.graphless.get(id(data))
        if data.grad_fn is not None or (known is not None and known[0]() is data):
            self.probe.record_cut(op, frame)

    def graphless_origin(self, tensors: list[torch.Tensor]) -> Optional[tuple[Site, bool]]:
        """Where the value of one of these graph-less tensors lost its graph, if known, and whether
        a cut did it (rather than grad mode being off)."""
        from gradfix.sandbox.facts import site_in

        for tensor in tensors:
            known = self.graphless.get(id(tensor))
            if known is not None and known[0]() is tensor:
                code, lasti, line, cut = known[1][:4]
                return site_in(code, lasti, line), cut
        return None

    def graphless_callers(self, tensors: list[torch.Tensor]) -> list[Site]:
        """The user calls, innermost first, that led to the op where one of these tensors' value
        lost its graph with gradients off (empty for a cut, or when not known)."""
        from gradfix.sandbox.facts import site_in

        for tensor in tensors:
            known = self.graphless.get(id(tensor))
            if known is not None and known[0]() is tensor:
                callers = known[1][4] if len(known[1]) > 4 else ()
                return [site_in(code, lasti, line) for code, lasti, line in callers]
        return []

    def _record_inplace(
        self, name: str, inplace_arg: bool, target: torch.Tensor, touched: tuple[str, list[str], list[list[int]]],
        leaf: bool = False, library: bool = False, depth: int = 2,
    ) -> None:
        caller = sys._getframe(depth)  # the frame that called the torch function (past the mode's dispatch)
        while caller is not None and caller.f_code.co_filename.endswith(("overrides.py", "_tensor.py")):
            caller = caller.f_back
        # In torch's own code (nn.ReLU(inplace=True)): the module whose forward did it is the
        # innermost one on the way out to the user's line; the fix is where it was built.
        frame, module = caller, None
        while frame is not None and frame.f_code.co_filename not in self.probe.user:
            if frame.f_code.co_name == "forward":
                owner = frame.f_locals.get("self")
                if isinstance(owner, torch.nn.Module) and id(owner) in self.probe.modules:
                    module = owner
                    break  # the probe finds the user's line once per module, not at every call
            frame = frame.f_back
        if frame is None:
            return
        after = target.grad_fn
        if after is not None:
            touched[1].append(type(after).__name__)  # autograd names it when the tensor was saved as an input
        self.probe.record_inplace(name, frame, module, inplace_arg, touched, target if leaf or library else None, library)

    def _note_library_write(self, name: str, args: tuple, kwargs: dict) -> None:
        """A call about to write a tensor that requires grad in place (the rows an embedding with
        ``max_norm`` looks up): a forward that used the tensor before saved the old values."""
        keyword, position, switch, switch_position = _LIBRARY_WRITES[name]
        on = kwargs.get(switch, args[switch_position] if len(args) > switch_position else None)
        written = kwargs.get(keyword, args[position] if len(args) > position else None)
        if on is None or not torch.is_grad_enabled() or not isinstance(written, torch.Tensor) or not written.requires_grad:
            return
        touched = (type(written.grad_fn).__name__ if written.grad_fn is not None else "", [], [list(written.shape)])
        self._record_inplace(f"{name}_renorm_", False, written, touched, library=True, depth=3)

    def _maybe_load(self, target: Any) -> None:
        """``weight.data.copy_(vectors)`` / ``weight.data = t`` / ``weight[:] = t`` in user code: pretrained values."""
        caller = sys._getframe(2)
        if isinstance(target, torch.Tensor) and caller is not None and caller.f_code.co_filename in self.probe.user:
            from gradfix.sandbox.facts import storage_of

            storage = storage_of(target)
            if storage is not None:
                self.probe.loaded_storage.add(storage)

    def _maybe_cut(self, name: str, func: Callable, args: tuple, kwargs: dict, result: Any) -> None:
        if not torch.is_grad_enabled():
            return  # evaluation and logging under no_grad cut nothing that was going to be trained
        if name in ZERO_GRADIENT_WHEN:
            self._maybe_zero_gradient_option(name, args, kwargs)
            return
        if name in _CANCELLING:
            self._maybe_cancelling(name, args, kwargs)
            return
        if name in DROPPING_ALL:
            self._maybe_drops_everything(name, args, kwargs)
            return
        first = args[0] if args else None
        if name in _REWRAPS:
            # `torch.tensor([l1, l2])`: a list of graph tensors is copied into a tensor without one too
            listed = isinstance(first, (list, tuple)) and any(isinstance(v, torch.Tensor) and v.requires_grad for v in first)
            if not (kwargs.get("requires_grad") or (isinstance(first, torch.Tensor) and first.requires_grad) or listed):
                return
        elif name in _RANDOM_DRAWS:
            # `torch.normal(mu, sigma)`: a draw's gradient is 0 (or none) whatever its mean or rate
            if not any(isinstance(v, torch.Tensor) and v.requires_grad for v in (*args, *kwargs.values())):
                return
        elif not (isinstance(first, torch.Tensor) and first.requires_grad):
            return
        elif name in SELECTIONS:
            if not (isinstance(result, tuple) and len(result) == 2):
                return  # `x.max()`, `torch.max(a, b)`: values only, with their gradient
        elif isinstance(result, torch.Tensor) and result.requires_grad and name not in _ZERO_GRADIENT:
            return
        caller = sys._getframe(2)  # the frame that called the torch function (past the mode's dispatch)
        while caller is not None and caller.f_code.co_filename.endswith(("overrides.py", "_tensor.py")):
            caller = caller.f_back
        if caller is None or caller.f_code.co_filename not in self.probe.user:
            return  # torch's own internals (optimizers read .data): not the user's graph
        op = "data" if name == "__get__" else name[2:-2] if name[:2] == "__" == name[-2:] else name
        # What the op was given that requires grad, for the ops with no gradient (GF017): the
        # parameters behind it, found by walking the graph once per site.
        given = [*args, *kwargs.values()]
        given += [v for value in given if isinstance(value, (list, tuple)) for v in value[:16]]  # `torch.tensor([l1, l2])`
        inputs = tuple(v for v in given if isinstance(v, torch.Tensor) and v.requires_grad) if name in _NO_GRADIENT else ()
        key = self.probe.record_cut(
            op, caller, numbers=name in _REWRAPS and not isinstance(first, torch.Tensor), inputs=inputs,
            # a selection's, and a plain cut's, line may serve several layers or models in turn
            walks=8 if name in SELECTIONS or op in _PLAIN_CUT_OPS else 1,
        )
        if inputs and key is not None:
            # of a selection, only the indices are cut off; its values keep their gradient
            self.remember_cut_result(result[1] if name in SELECTIONS else result, frozenset([key]))
        if isinstance(result, torch.Tensor) and not result.requires_grad:
            self._remember_graphless(result, (caller.f_code, caller.f_lasti, caller.f_lineno, True))


    def _maybe_cancelling(self, name: str, args: tuple, kwargs: dict) -> None:
        """``logp - old_logp`` (``p / old_p``) where both are in the graph and equal: a gradient of
        0 to everything behind them, recorded once per user line with the parameters behind the
        second (GF017). A value minus a detached copy of itself is the straight-through idiom, and
        a constant has no grad: only two tensors that both have a grad_fn count."""
        if len(args) < 2 or kwargs.get("out") is not None:
            return
        first, second = args[0], args[1]
        if not (
            isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor)
            and first.grad_fn is not None and second.grad_fn is not None and first.shape == second.shape
        ):
            return
        caller = sys._getframe(3)  # past _maybe_cut and the mode's dispatch
        while caller is not None and caller.f_code.co_filename.endswith(("overrides.py", "_tensor.py")):
            caller = caller.f_back
        if caller is None or caller.f_code.co_filename not in self.probe.user:
            return
        if first.dtype.is_floating_point and torch.equal(first.detach(), second.detach()):
            self.probe.record_cut(name, caller, inputs=(second,))

    def _maybe_zero_gradient_option(self, name: str, args: tuple, kwargs: dict) -> None:
        """``F.grid_sample(image, grid, mode="nearest")`` with a grid that requires grad: the grid's
        gradient is 0, and the parameters behind it are recorded as behind a ``round`` are (GF017)."""
        keyword, position, option, option_position, zeroing = ZERO_GRADIENT_WHEN[name]
        value = kwargs.get(option, args[option_position] if len(args) > option_position else None)
        given = kwargs.get(keyword, args[position] if len(args) > position else None)
        if not (isinstance(value, str) and value in zeroing and isinstance(given, torch.Tensor) and given.requires_grad):
            return
        # called through torch.nn.functional: the site is the user's line that called it
        caller = self.probe.user_frame(sys._getframe(3))
        if caller is not None:
            self.probe.record_cut(name, caller, inputs=(given,))


    def _maybe_drops_everything(self, name: str, args: tuple, kwargs: dict) -> None:
        """``F.dropout(x, p=1.0, training=True)`` (``nn.Dropout(1.0)`` in training mode) on a
        tensor that requires grad: recorded as a ``round`` is (GF017), at the user's line."""
        given = kwargs.get("input", args[0] if args else None)
        p = kwargs.get("p", args[1] if len(args) > 1 else 0.5)
        training = kwargs.get("training", kwargs.get("train", args[2] if len(args) > 2 else True))
        if not (isinstance(given, torch.Tensor) and given.requires_grad and isinstance(p, (int, float)) and p >= 1 and training):
            return
        caller = self.probe.user_frame(sys._getframe(3))
        if caller is not None:
            self.probe.record_cut("dropout", caller, inputs=(given,))


def _writes_in_place(name: str) -> bool:
    """``add_``, ``masked_fill_``, ``__setitem__``: torch's in-place ops, by name."""
    if name in _INPLACE_DUNDERS:
        return True
    return name[-1:] == "_" and name[:1] != "_" and name not in _NOT_WRITES


_WRITES_IN_PLACE: dict[str, bool] = {}  # by function name: the test runs once per name


def _graph_target(args: tuple) -> Optional[tuple[str, list[str], list[list[int]]]]:
    """What an in-place op is about to modify, when it is part of the graph: its grad_fn class, its
    view base's, and their shapes; for a leaf that requires grad (autograd refuses an in-place op on
    it at once, with its own message), no grad_fn class. None for anything else: no grad mode, no grad."""
    if not args or not torch.is_grad_enabled():
        return None
    target = args[0]
    if not isinstance(target, torch.Tensor) or not target.requires_grad:
        return None  # metrics summed in place (`correct += ...`) end here
    grad_fn = target.grad_fn
    if grad_fn is None:
        return "", [], [list(target.shape)]
    related: list[str] = []
    shapes = [list(target.shape)]
    base = target._base
    if base is not None and base.grad_fn is not None:
        related.append(type(base.grad_fn).__name__)
        shapes.append(list(base.shape))
    return type(grad_fn).__name__, related, shapes


def _on_cpu(map_location: Any) -> Any:
    """``map_location`` with every CUDA device in it replaced by the CPU (itself when it names none)."""
    if _is_cuda(map_location):
        return "cpu"
    if isinstance(map_location, dict) and any(_is_cuda(v) for v in map_location.values()):
        return {k: "cpu" if _is_cuda(v) else v for k, v in map_location.items()}
    return map_location


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
    honest_available, honest_count = torch.cuda.is_available, torch.cuda.device_count

    def is_available() -> bool:
        return sys._getframe(1).f_code.co_filename in probe.user or honest_available()

    def device_count() -> int:
        return 1 if sys._getframe(1).f_code.co_filename in probe.user else honest_count()

    torch.cuda.is_available = is_available
    torch.cuda.device_count = device_count

    # A checkpoint saved and loaded "on the GPU" (`torch.load(f, map_location=device)` with the
    # device the script chose) loads on the CPU, as the tensors it saved live there: torch's own
    # check asks the honest is_available() and would refuse.
    honest_load = torch.load

    def load(f: Any, map_location: Any = None, *args: Any, **kwargs: Any) -> Any:
        if probe.user_frame(sys._getframe(1)) is not None:
            mapped = _on_cpu(map_location)
            if mapped is not map_location:
                probe.cuda_emulated = True
                map_location = mapped
        return honest_load(f, map_location, *args, **kwargs)

    torch.load = load

    # Mixed precision written for the GPU runs as CPU mixed precision, with the same dtype: a
    # float16 model under a "cuda" GradScaler must fail here as it fails there (GF025), not train
    # in float32 because torch turned autocast and the scaler off for want of a GPU.
    from torch.amp import autocast_mode, grad_scaler

    autocast_init, scaler_init = autocast_mode.autocast.__init__, grad_scaler.GradScaler.__init__

    def autocast(self: Any, device_type: str, *args: Any, **kwargs: Any) -> None:
        if device_type == "cuda" and probe.user_frame(sys._getframe(1)) is not None:
            probe.cuda_emulated = probe.cuda_autocast_emulated = True
            device_type = "cpu"
            if kwargs.get("dtype", args[0] if args else None) is None:
                kwargs = {**kwargs, "dtype": torch.float16}  # CUDA autocast's default; the CPU's is bfloat16
        autocast_init(self, device_type, *args, **kwargs)

    def scaler(self: Any, device: str = "cuda", *args: Any, **kwargs: Any) -> None:
        if device == "cuda" and probe.user_frame(sys._getframe(1)) is not None:
            probe.cuda_emulated = True
            device = "cpu"
        scaler_init(self, device, *args, **kwargs)

    autocast_mode.autocast.__init__ = autocast  # type: ignore[method-assign]
    grad_scaler.GradScaler.__init__ = scaler  # type: ignore[method-assign]

    # A custom Function decorated for "cuda" autocast must see the CPU region the emulation made of
    # a "cuda" one (``torch.cuda.amp.custom_fwd`` comes here too), and only such a region: in a
    # script that opens CPU regions only, a "cuda" decorator does nothing, as on any machine. Which
    # is known when the Function runs, not when its class is defined.
    def on_emulated_device(decorate: Callable[..., Any]) -> Callable[..., Any]:
        def decorator(function: Any = None, *args: Any, device_type: str, **kwargs: Any) -> Any:
            if device_type != "cuda":
                return decorate(function, *args, device_type=device_type, **kwargs)
            if function is None:  # `@custom_fwd(device_type=...)`: the function comes next
                return lambda function: decorator(function, *args, device_type=device_type, **kwargs)
            as_cuda = decorate(function, *args, device_type="cuda", **kwargs)
            as_cpu = decorate(function, *args, device_type="cpu", **kwargs)

            @functools.wraps(function)
            def call(*call_args: Any, **call_kwargs: Any) -> Any:
                chosen = as_cpu if probe.cuda_autocast_emulated else as_cuda
                return chosen(*call_args, **call_kwargs)

            return call

        return decorator

    for name in ("custom_fwd", "custom_bwd"):
        emulated = on_emulated_device(getattr(autocast_mode, name))
        setattr(autocast_mode, name, emulated)
        setattr(torch.amp, name, emulated)
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


def patch_rewraps(probe: "Probe") -> None:
    """Watch ``Variable(...)`` and ``nn.Parameter(...)``: new leaves made from a tensor's values,
    which the function mode does not see."""
    from torch.autograd import variable

    def call(cls: Any, *args: Any, **kwargs: Any) -> Any:
        made = type.__call__(cls, *args, **kwargs)
        probe.mode.note_rewrap("Variable", args[0] if args else kwargs.get("data"), made, sys._getframe(1))
        return made

    type(variable.Variable).__call__ = call  # type: ignore[method-assign]
    parameter_new = torch.nn.Parameter.__new__

    def new(cls: Any, data: Any = None, requires_grad: bool = True) -> Any:
        made = parameter_new(cls, data, requires_grad)
        probe.mode.note_rewrap("Parameter", data, made, sys._getframe(1))
        return made

    torch.nn.Parameter.__new__ = staticmethod(new)  # type: ignore[method-assign,assignment]


def patch_sampling(probe: "Probe") -> None:
    """Watch ``Distribution.sample()`` called by user code with gradients on: it draws under
    ``no_grad``, so the draw carries no gradient to the tensors the distribution was built from
    (``rsample()``, where the distribution has one, does)."""
    from torch import distributions

    def watch(sample: Callable) -> Callable:
        @functools.wraps(sample)
        def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1)  # torch's own calls (Independent's of its base) are not the user's
            if not torch.is_grad_enabled() or caller.f_code.co_filename not in probe.user:
                return sample(self, *args, **kwargs)
            inputs = _graph_inputs(self, 3)
            key = probe.record_cut("sample", caller, inputs=tuple(inputs), distribution=self) if inputs else None
            drawn = sample(self, *args, **kwargs)
            if key is not None:
                probe.mode.remember_cut_result(drawn, frozenset([key]))
            if inputs and isinstance(drawn, torch.Tensor) and not drawn.requires_grad:
                # What is computed from the draw remembers where its value left the graph, as a cut.
                probe.mode._remember_graphless(drawn, (caller.f_code, caller.f_lasti, caller.f_lineno, True))
            return drawn

        return watched

    kinds = [k for k in vars(distributions).values() if isinstance(k, type) and issubclass(k, distributions.Distribution)]
    for kind in kinds:
        if "sample" in kind.__dict__:
            kind.sample = watch(kind.__dict__["sample"])  # type: ignore[method-assign]


def _graph_inputs(value: Any, depth: int) -> list[torch.Tensor]:
    """The tensors that require grad a distribution was built from: its own, its base
    distribution's, its transforms' and its components' (a few levels down)."""
    from torch.distributions import Distribution
    from torch.distributions.transforms import Transform

    if isinstance(value, torch.Tensor):
        return [value] if value.requires_grad else []
    if depth == 0:
        return []
    if isinstance(value, (Distribution, Transform)):
        return [t for v in list(vars(value).values())[:32] for t in _graph_inputs(v, depth - 1)]
    if isinstance(value, (list, tuple)):
        return [t for v in value[:8] for t in _graph_inputs(v, depth - 1)]
    return []
