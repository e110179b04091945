"""GF084: a gradient differentiated again, taken by ``torch.autograd.grad`` without
``create_graph=True``: the gradient comes back as a plain tensor, with no graph, and the second
derivative (``u_xx`` of a physics-informed residual, a Hessian-vector product, a gradient
penalty's own gradient) raises "element 0 of tensors does not require grad and does not have a
grad_fn". Nothing trains.

``retain_graph=True`` keeps the forward graph for another ``grad``; it does not make the
gradient differentiable, which only ``create_graph=True`` does (and it implies ``retain_graph``).

The crash is read from the run (torch's message). gradfix finds the ``torch.autograd.grad`` calls
(under any import alias) without ``create_graph=True`` in the file that raised and the files that
built the run's modules, and proposes ``create_graph=True`` on each of them, and on all of them
together; the re-run decides which verifies. The message is torch's for any backward through a
value with no graph (a loss computed under ``no_grad`` too), so the finding is a conjecture: it is
reported only when one of its candidates verifies. Safe: the values are the same, and the graph of
the gradient is what the code that differentiates it needs.
"""

from __future__ import annotations

import libcst as cst

from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import Trace

_MESSAGE = "does not require grad and does not have a grad_fn"
_GRAD = {"torch.autograd.grad"}


_CREATE_GRAPH = 4  # grad(outputs, inputs, grad_outputs, retain_graph, create_graph, ...)


def _without_create_graph(source: SourceFile, call: cst.Call) -> bool:
    if not source.qualified_names(call.func) & _GRAD or any(a.star for a in call.args):
        return False
    given = call_argument(call, _CREATE_GRAPH, "create_graph")
    return given is None or (isinstance(given.value, cst.Name) and given.value.value == "False")


class GradWithoutCreateGraph(Rule):
    code = "GF084"
    title = "gradient differentiated again, taken without create_graph=True"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message:
            return []
        candidates = self.keyword_candidates(
            trace, project, _without_create_graph, "create_graph", "True",
            lambda _, line: f"pass create_graph=True to torch.autograd.grad at line {line}: the gradient it returns can be differentiated",
            position=_CREATE_GRAPH,
        )
        if not candidates:
            return []
        together = self.together(candidates, f"pass create_graph=True to all {len(candidates)} torch.autograd.grad calls")
        if together is not None:
            candidates.append(together)
        message = (
            f"the script crashed: {crash.type}: a gradient taken by torch.autograd.grad without create_graph=True has no "
            "graph, and differentiating it again fails; nothing trains"
        )
        finding = self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)
        # The message is torch's for any backward through a graph-less value (a loss computed
        # under no_grad too): that a gradient was the value is shown only by a candidate verifying.
        finding.conjecture = True
        return [finding]
