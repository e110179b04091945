"""GF071: float16 autocast with no ``GradScaler``: small gradients round to exactly 0.

Under ``torch.autocast(..., dtype=torch.float16)`` (or CUDA's autocast with no ``dtype``, whose
default is float16) the layers compute in float16, and so do the gradients that flow back through
them. float16's smallest step above 0 is about 6e-8: a loss term that is small, weighted down
(``1e-3 * ray_loss``) and averaged over many elements gives each output a gradient below that,
which rounds to 0. The layers that only that term reaches get a gradient of exactly 0 at every
step and never change, while the rest of the model trains. That is what ``GradScaler`` is for: it
multiplies the loss before ``backward()`` and divides the gradients before the step.

The probe records each float16 autocast region user code opens (the call, after gradfix's CUDA
emulation made it the CPU's) and how many enabled ``GradScaler``s the run made. The rule fires when
a run with such a region and no enabled scaler left parameters an optimizer holds with a gradient
that was zero at every step. Whether the rounding is the cause only a re-run can tell, so the
finding is a conjecture: the candidates are ``dtype=torch.bfloat16`` in each region (float32's
range, no scaler needed), each alone, then all together. (A ``GradScaler`` around the training
step, ``scaler.scale(loss).backward()``, ``scaler.step(optimizer)``, ``scaler.update()``, is the
other fix; gradfix does not write it yet: the docs page shows it.) It is reported only when the
re-run shows those parameters training, and names those. Autocast in float16 with a scaler, and bfloat16
autocast, give nothing.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.torch_api import module_alias
from gradfix.trace import HalfAutocast, Trace

# The autocast classes; each takes ``dtype`` second among its positional arguments (after
# ``device_type``, or after ``enabled`` in torch.cuda.amp's and torch.cpu.amp's).
_AUTOCASTS = {
    "torch.autocast", "torch.amp.autocast", "torch.amp.autocast_mode.autocast",
    "torch.cuda.amp.autocast", "torch.cuda.amp.autocast_mode.autocast",
    "torch.cpu.amp.autocast", "torch.cpu.amp.autocast_mode.autocast",
}
_HALF = {"torch.float16", "torch.half"}


class Float16AutocastWithoutScaler(Rule):
    code = "GF071"
    title = "float16 autocast with no GradScaler: gradients round to 0"
    # bfloat16 keeps fewer digits than float16 and wants a GPU that has it (Ampere or later): it
    # changes the run's numbers, so the user opts in
    applicability = Applicability.UNSAFE
    claims_what_trains = True

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.half_autocasts or trace.enabled_scalers or not trace.steps:
            return []
        zero = [
            p.name for p in trace.params
            # changed or not: AdamW's weight decay moves them with a zero gradient too
            if p.optimizers and p.requires_grad and p.is_leaf and p.grad_at_step and not p.nonzero_grad
        ]
        if not zero:
            return []
        regions = [(region, call) for region in trace.half_autocasts if (call := _autocast_call(project, region)) is not None]
        if not regions:
            return []
        candidates = []
        for region, call in regions:
            source = project.source(region.site.file)
            edit = _bfloat16(source, call)
            if edit is not None:
                candidates.append(self.candidate(
                    "run autocast in bfloat16 (float32's range: no gradient rounds to 0, no scaler needed)",
                    source.path, [edit], at=_at(source, region),
                ))
        if len(candidates) > 1:
            candidates.append(Candidate(
                "run every float16 autocast region in bfloat16",
                _merged(candidates), self.applicability,
            ))
        if not candidates:
            return []
        region = regions[0][0]
        message = (
            f"autocast runs in float16 here and the run made no GradScaler: {short_list(zero)} "
            f"{'gets' if len(zero) == 1 else 'get'} a gradient that is exactly 0 at every step, as float16 rounds "
            "gradients below about 6e-8 to 0 (a small or down-weighted loss term averaged over many elements)"
        )
        found = self.finding(project, region.site, message, zero, candidates)
        found.conjecture = True  # zero gradients have other causes; only the re-run shows it was the rounding
        return [found]



def _autocast_call(project: Project, region: HalfAutocast) -> Optional[cst.Call]:
    if not project.is_editable(region.site.file):
        return None
    source = project.source(region.site.file)
    for call in source.nodes_at(region.site, cst.Call):
        if source.qualified_names(call.func) & _AUTOCASTS:
            return call
    return None


def _bfloat16(source: SourceFile, call: cst.Call) -> Optional[Edit]:
    """``dtype=torch.bfloat16`` in an autocast call: in place of its float16 ``dtype``, or added
    where it gave none (CUDA's default is float16)."""
    torch = module_alias(source, "torch")
    if torch is None:
        return None
    bfloat16 = cst.parse_expression(f"{torch}.bfloat16")
    arg = call_argument(call, 1, "dtype")
    if arg is not None:
        if not source.qualified_names(arg.value) & _HALF:
            return None  # a dtype the source names otherwise (a variable): the run said float16, the text does not show it
        return source.replace_node(arg.value, bfloat16)
    if any(a.star for a in call.args):
        return None
    dtype = cst.Arg(keyword=cst.Name("dtype"), value=bfloat16, equal=cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
    args = list(call.args)
    if args:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return source.replace_node(call, call.with_changes(args=[*args, dtype]))


def _at(source: SourceFile, region: HalfAutocast) -> tuple[str, int, int]:
    return (region.site.file, region.site.line, source.char_column(region.site.line, region.site.column) or 0)


def _merged(candidates: list[Candidate]) -> list:  # type: ignore[type-arg]
    from gradfix.edits import Patch

    files: dict[str, list[Edit]] = {}
    for candidate in candidates:
        for patch in candidate.patches:
            files.setdefault(patch.path, []).extend(patch.edits)
    return [Patch(path, sorted(edits, key=lambda e: e.start)) for path, edits in files.items()]
