"""GF083: an operation with no derivative for an input that requires grad, where torch has a
differentiable twin: the first ``backward()`` (or the forward itself) raises, and nothing trains.

* ``x.scatter(dim, index, src, reduce="add")`` (and ``torch.scatter``, ``scatter_``): the
  ``reduce=`` overload has no derivative ("derivative for aten::scatter is not implemented",
  raised by ``backward()``); ``scatter_add`` sums the same way and is differentiable, and
  ``reduce="multiply"`` is ``scatter_reduce(..., reduce="prod")``.
* ``torch.fake_quantize_per_tensor_affine(x, scale, zero_point, qmin, qmax)`` with a trainable
  ``scale`` (learned step sizes, LSQ): "is not differentiable with respect to argument 'scale'",
  raised by the forward; ``torch._fake_quantize_learnable_per_tensor_affine`` takes the same
  arguments (a float zero point) and passes gradients to the scale and zero point. The same for
  ``fake_quantize_per_channel_affine`` and its learnable twin.

The crash is read from the run (torch's own message names the operation). gradfix finds the calls
of that operation in the file that raised and the files that built the run's modules, and proposes
each rewritten as its twin, and all of them together; the re-run decides. Safe: the twin computes
the same values and adds the gradient that was missing.
"""

from __future__ import annotations

import re
from typing import Callable, Optional

import libcst as cst

from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_NOT_IMPLEMENTED = re.compile(r"derivative for (?:aten::)?(\w+) is not implemented")
_NOT_DIFFERENTIABLE = re.compile(r"The function '(\w+)' is not differentiable with respect to argument")


def _scatter_twin(source: SourceFile, call: cst.Call) -> list[tuple[str, str]]:
    """``t.scatter(dim, index, src, reduce="add")`` -> ``t.scatter_add(dim, index, src)``."""
    func = call.func
    method = isinstance(func, cst.Attribute) and func.attr.value in ("scatter", "scatter_")
    function = bool(source.qualified_names(func) & {"torch.scatter"})
    if not (method or function):
        return []
    reduce = call_argument(call, 4 if function else 3, "reduce")
    if reduce is None or not isinstance(reduce.value, cst.SimpleString):
        return []
    kind = reduce.value.evaluated_value
    kept = [a for a in call.args if a is not reduce]
    args = ", ".join(source.code(a.value) if a.keyword is None else f"{a.keyword.value}={source.code(a.value)}" for a in kept)
    in_place = "_" if method and func.attr.value == "scatter_" else ""  # type: ignore[union-attr]
    head = f"{source.code(func.value)}." if method else "torch."  # type: ignore[union-attr]
    if kind == "add":
        return [(f"{head}scatter_add{in_place}({args})", f"scatter_add{in_place}")]
    if kind == "multiply":
        return [(f"{head}scatter_reduce{in_place}({args}, reduce=\"prod\")", f"scatter_reduce{in_place}")]
    return []


def _fake_quantize_twin(per: str, axis: bool) -> Callable[[SourceFile, cst.Call], list[tuple[str, str]]]:
    """``torch.fake_quantize_per_X_affine(x, scale, zp, [axis,] qmin, qmax)`` -> its learnable twin,
    with the zero point as a float (the learnable ops take it so). Per tensor, a second candidate
    reshapes the scale and zero point to one element: the learnable op refuses a 0-d scale
    (``nn.Parameter(torch.tensor(0.1))``), which the plain one takes."""

    def twin(source: SourceFile, call: cst.Call) -> list[tuple[str, str]]:
        if not source.qualified_names(call.func) & {f"torch.fake_quantize_per_{per}_affine"}:
            return []
        names = ["input", "scale", "zero_point", *(["axis"] if axis else []), "quant_min", "quant_max"]
        values = [call_argument(call, i, name) for i, name in enumerate(names)]
        if any(v is None for v in values) or len(call.args) != len(names):
            return []
        codes = [source.code(v.value) for v in values]  # type: ignore[union-attr]
        zero_point = f"{source.operand_code(values[2].value)}.float()"  # type: ignore[union-attr]
        head = source.code(call.func).rsplit(".", 1)[0] if isinstance(call.func, cst.Attribute) else "torch"
        name = f"_fake_quantize_learnable_per_{per}_affine"
        shaped = [[*codes[:2], zero_point, *codes[3:]]]
        if not axis:
            shaped.append([codes[0], f"{source.operand_code(values[1].value)}.reshape(1)", f"{zero_point}.reshape(1)", *codes[3:]])  # type: ignore[union-attr]
        return [(f"{head}.{name}({', '.join(args)})", name) for args in shaped]

    return twin


# torch's name for the failing op (as its message spells it) -> how to rewrite a call of it
_TWINS: dict[str, Callable[[SourceFile, cst.Call], list[tuple[str, str]]]] = {
    "scatter": _scatter_twin,
    "fake_quantize_per_tensor_affine": _fake_quantize_twin("tensor", axis=False),
    "fake_quantize_per_channel_affine": _fake_quantize_twin("channel", axis=True),
}


def _failing_op(message: str) -> Optional[str]:
    match = _NOT_IMPLEMENTED.search(message) or _NOT_DIFFERENTIABLE.search(message)
    if match is None:
        return None
    name = match.group(1).lstrip("_")
    # the message names the kernel torch dispatched to: `_fake_quantize_per_tensor_affine_cachemask_tensor_qparams`
    return next((op for op in _TWINS if name == op or name.startswith(f"{op}_")), None)


class OpWithoutDerivative(Rule):
    code = "GF083"
    title = "operation with no derivative where a differentiable twin exists"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None:
            return []
        op = _failing_op(crash.message)
        if op is None:
            return []
        # by variant (the twin as it is, then with one-element scales): each call alone, then all together
        variants: dict[int, list[Candidate]] = {}
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for call in descendants(source.module, cst.Call):
                for variant, (text, name) in enumerate(_TWINS[op](source, call)):
                    edit = source.replace_node(call, cst.parse_expression(text))
                    line = source.range(call).start.line
                    shaped = " (scale and zero point of one element)" if variant else ""
                    variants.setdefault(variant, []).append(self.candidate(
                        f"call `{name}` at line {line}{shaped}: the same values, differentiable", path, [edit],
                    ))
        candidates: list[Candidate] = []
        for variant in sorted(variants):
            found = variants[variant]
            together = self.together(found, f"rewrite all {len(found)} calls of `{op}`{' with one-element scales' if variant else ''}")
            candidates += [*found, *([together] if together is not None else [])]
        if not candidates:
            return []
        message = (
            f"the script crashed: {crash.type}: `{op}` has no derivative for an input that requires grad "
            "(torch has a differentiable twin); nothing trains"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]
