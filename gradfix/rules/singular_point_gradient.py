"""GF092: a ``GradScaler`` skipped every optimizer step because the gradients held inf or NaN (or,
with no scaler, the optimizer stepped the NaN into the weights), and the run saw an op at a point
where its derivative is infinite: ``sqrt`` at 0 (a distance between a
point and itself, in an RBF kernel, a pairwise-distance loss, a GP), ``log`` at 0, ``acos`` or
``asin`` at 1. Nothing trains, and nothing says so: the scaler halves its scale at each skip and
goes on, and the loss is logged every step.

``d sqrt(x)/dx = 1 / (2 sqrt(x))`` is infinite at 0, and the chain rule multiplies it by the 0 of
the squared difference's own derivative: ``inf * 0`` is NaN, in every gradient behind that op.
Mixed precision has nothing to do with it; the scaler is what hides it. Without one the
parameters turn NaN at the first step, and every loss after it is NaN: they "changed", into NaN,
and the probe records which parameters end the run that way.

The probe counts the scaler's steps and the skipped ones, and records each op of that kind called
from user code, with gradients on, on a tensor that requires grad and holds such a point (once per
line). When every step was skipped, the candidates keep each recorded op's input off its singular
point: ``d.sqrt()`` -> ``d.clamp_min(1e-12).sqrt()``, ``torch.log(p)`` ->
``torch.log(p.clamp_min(1e-12))``, ``torch.acos(c)`` -> ``torch.acos(c.clamp(-1 + 1e-7, 1 - 1e-7))``,
(under any import alias), one op at a time, then all of them together. The re-run decides: the
scaler must step, and the parameters train and end finite. When the run saw no such op, every
step skipped (or every weight gone NaN) is still reported, without a fix (GF014, which would call
skipped steps a missing step, stands aside). Safe: the values change only where the input was at the singular point (below
``1e-12``, or within ``1e-7`` of 1), where the gradient is now 0 (or finite) instead of NaN.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile
from gradfix.trace import SingularInput, Trace
from gradfix.verify import judge

# The op -> how its input is kept off the singular point.
_GUARDS = {
    "sqrt": "clamp_min(1e-12)", "rsqrt": "clamp_min(1e-12)",
    "log": "clamp_min(1e-12)", "log2": "clamp_min(1e-12)", "log10": "clamp_min(1e-12)",
    "acos": "clamp(-1 + 1e-7, 1 - 1e-7)", "asin": "clamp(-1 + 1e-7, 1 - 1e-7)",
    "arccos": "clamp(-1 + 1e-7, 1 - 1e-7)", "arcsin": "clamp(-1 + 1e-7, 1 - 1e-7)",
}


def _guarded(source: SourceFile, op: str, singular: SingularInput) -> Optional[tuple[str, Edit]]:
    """The edit that guards the op's input at the recorded site: ``x.sqrt()``, or ``torch.sqrt(x)``
    under any import alias (``th.sqrt(x)``, ``from torch import sqrt``)."""
    for call in reversed(source.nodes_at(singular.site, cst.Call)):
        if f"torch.{op}" in source.qualified_names(call.func):
            arg = call_argument(call, 0, "input")
            if arg is None:
                continue
            given: cst.BaseExpression = arg.value
        elif isinstance(call.func, cst.Attribute) and call.func.attr.value == op and not call.args:
            given = call.func.value  # a method of the tensor
        else:
            continue
        guarded = f"{source.operand_code(given)}.{_GUARDS[op]}"
        return guarded, source.replace_node(given, cst.parse_expression(guarded, config=source.module.config_for_parsing))
    return None


class SingularPointGradient(Rule):
    code = "GF092"
    title = "NaN gradients from an op at a point where its derivative is infinite"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if trace.crash is not None:
            return []
        skipped_all = bool(trace.scaler_steps) and trace.scaler_skips >= trace.scaler_steps
        # Without a scaler the optimizer steps the NaN in: the parameters "change", into NaN.
        went_nan = [p.name for p in trace.params if p.nonfinite and p.optimizers and p.requires_grad]
        if not skipped_all and not went_nan:
            return []
        sites = [s for s in trace.singular_inputs if project.is_editable(s.site.file)]
        candidates: list[Candidate] = []
        named = []  # each op by gradfix's own name for it: what the run reports is not trusted text
        for singular in sites:
            op = next((known for known in _GUARDS if known == singular.op), None)
            source = project.source(singular.site.file)
            guarded = _guarded(source, op, singular) if op is not None else None
            if guarded is None:
                continue
            text, edit = guarded
            named.append((op, singular))
            candidates.append(self.candidate(
                f"keep the input of `{op}` at line {singular.site.line} off its singular point: `{text}`", source.path, [edit],
            ))
        if skipped_all:
            skipped = (
                f"the GradScaler skipped all {trace.scaler_steps} of its steps: the gradients held inf or NaN every time, so "
                "nothing trained"
            )
            params = trace.meant_to_train()
        else:
            skipped = f"{short_list(went_nan)} ended the run as NaN: the gradients held NaN, and the optimizer stepped it in"
            params = went_nan
        if not named:
            # Never silent: every step skipped, or weights turned NaN, is a run that trained nothing.
            steps = [c.sites[0] for c in trace.scaler_calls if c.kind == "step" and c.sites and project.is_editable(c.sites[0].file)]
            built = [o.site for o in trace.optimizers if o.site is not None and project.is_editable(o.site.file)]
            site = next(iter(steps if skipped_all else built), None)
            if site is None:
                return []
            finding = self.finding(project, site, f"{skipped}; the run saw no op at a point where its derivative is infinite", params)
            finding.no_fix = "the run shows no op whose input to keep off a singular point (a division by zero, an overflow?)"
            return [finding]
        together = self.together(candidates, f"guard all {len(candidates)} inputs")
        if together is not None:
            candidates.append(together)
        op, first = named[0]
        message = (
            f"{skipped}. `{op}` at line {first.site.line} is given an input at a point where its derivative is "
            f"infinite ({'1 or beyond' if op in ('acos', 'asin', 'arccos', 'arcsin') else '0'}), and the chain rule "
            "turns it into NaN in every gradient behind it"
        )
        return [self.finding(project, first.site, message, params, candidates)]

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        nan = [n for n in finding.params if (p := run.trace.param(n)) is not None and p.nonfinite]
        if verdict.verified and nan:
            return Verdict(False, f"{short_list(nan)} still end the run as NaN")
        return verdict
