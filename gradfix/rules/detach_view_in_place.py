"""GF106: ``detach_()`` called on a view: "RuntimeError: Can't detach views in-place. Use detach()
instead." Truncated backpropagation through time cuts the carried hidden state at each window
with ``for s in state: s.detach_()``, written for an LSTM's ``(h, c)`` tuple; with a GRU or an RNN
the state is one tensor, iterating it yields views of its first dimension, and the second window
fails. The same error comes from ``h[0].detach_()``, or from a state sliced before it is kept.
Nothing trains past the first window.

The evidence is the run's: the crash message at a ``.detach_()`` call in the user's code. The fix
rebinds instead of detaching in place: a loop whose body is only ``s.detach_()`` over a name
becomes ``state = state.detach() if isinstance(state, torch.Tensor) else tuple(s.detach() for s in
state)`` (a tensor, or a tuple of them, as the loop was written for); a plain ``x.detach_()``
statement on a name or an attribute becomes ``x = x.detach()``. The re-run decides. Safe: the
values are the same; the graph is cut where it was meant to be.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import spelled_or_imported
from gradfix.trace import Trace

_MESSAGE = "Can't detach views in-place"


def _detached(statement: cst.CSTNode) -> Optional[cst.BaseExpression]:
    """``x`` of a statement that is only ``x.detach_()``, for a name or an attribute ``x``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1 or not isinstance(statement.body[0], cst.Expr):
        return None
    call = statement.body[0].value
    if not (isinstance(call, cst.Call) and not call.args and isinstance(call.func, cst.Attribute) and call.func.attr.value == "detach_"):
        return None
    target = call.func.value
    return target if isinstance(target, (cst.Name, cst.Attribute)) else None


class DetachViewInPlace(Rule):
    code = "GF106"
    title = "detach_() on a view"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message or not project.is_editable(crash.site.file):
            return []
        source = project.source(crash.site.file)
        candidates = [
            candidate for statement in descendants(source.module, cst.SimpleStatementLine)
            if source.range(statement).start.line == crash.site.line
            and (candidate := self._candidate(source, statement)) is not None
        ]
        message = (
            f"the script crashed: {crash.type}: {crash.message}; the tensor detached in place is a view (an element of a "
            "tensor iterated as if it were a tuple of states, a slice), which autograd cannot cut in place; nothing trains "
            "past the first window"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]

    def _candidate(self, source: SourceFile, statement: cst.SimpleStatementLine) -> Optional[Candidate]:
        target = _detached(statement)
        if target is None:
            return None
        loop = source.parent(source.parent(statement))
        if (
            isinstance(loop, cst.For) and isinstance(loop.target, cst.Name) and isinstance(target, cst.Name)
            and target.value == loop.target.value and isinstance(loop.iter, (cst.Name, cst.Attribute))
            and len(loop.body.body) == 1 and loop.orelse is None
        ):
            each, whole = target.value, source.code(loop.iter)
            tensor, imports = spelled_or_imported(source, "torch.Tensor")
            text = f"{whole} = {whole}.detach() if isinstance({whole}, {tensor}) else tuple({each}.detach() for {each} in {whole})\n"
            edits = [*imports, source.replace_node(loop, cst.parse_statement(text, config=source.module.config_for_parsing))]
            return self.candidate(
                f"rebind `{whole}` to its detached copy (a tensor, or a tuple of them) instead of detaching its elements, "
                "which are views of it, in place",
                source.path, edits,
            )
        spelled = source.code(target)
        text = f"{spelled} = {spelled}.detach()\n"
        edit = source.replace_node(statement, cst.parse_statement(text, config=source.module.config_for_parsing))
        return self.candidate(f"rebind `{spelled}` to `{spelled}.detach()` instead of detaching the view in place", source.path, [edit])
