"""GF017: the loss goes through an operation with no gradient (argmax, a comparison, an int cast).

The modules ran with gradients on, yet the loss has no ``grad_fn``: somewhere on the way an
operation returned a result that carries no gradient — ``argmax``, ``>``, ``==``, ``.long()`` — and
``loss.backward()`` raises "element 0 of tensors does not require grad". There is no mechanical
fix (the loss itself has to be a differentiable function, e.g. cross-entropy instead of an
accuracy): gradfix points at the operation and explains (display-only).
"""

from __future__ import annotations

from gradfix.findings import Applicability, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.trace import Trace

_NON_DIFFERENTIABLE = {
    "argmax", "argmin", "gt", "lt", "ge", "le", "eq", "ne", "greater", "less", "greater_equal",
    "less_equal", "equal", "long", "int", "short", "bool", "byte", "to", "type",
}


class NondifferentiableLoss(Rule):
    code = "GF017"
    title = "loss computed through a non-differentiable operation"
    applicability = Applicability.DISPLAY_ONLY

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        backward = trace.graphless_backward()
        if backward is None or backward.no_grad_forwards or not backward.grad_enabled:
            return []  # a graph switched off is GF002/GF011's
        if not any(m.ran_with_grad for m in trace.modules):
            return []
        cuts = [c for c in trace.cuts if c.op in _NON_DIFFERENTIABLE and project.is_editable(c.site.file)]
        if not cuts:
            return []
        # The cut nearest before the backward call in the same file is the likeliest culprit.
        site = backward.site
        same_file = [c for c in cuts if site is not None and c.site.file == site.file and c.site.line <= site.line]
        cut = max(same_file, key=lambda c: c.site.line) if same_file else cuts[-1]
        message = (
            f"the loss has no grad_fn although the model ran with gradients on: `{cut.op}` here returns a "
            "result with no gradient, and backward() crashed; use a differentiable loss "
            "(e.g. cross-entropy on the logits instead of an accuracy or a threshold)"
        )
        params = [p.name for p in trace.params if p.requires_grad and not p.got_grad]
        return [self.finding(project, cut.site, message, params, blocking=True)]
