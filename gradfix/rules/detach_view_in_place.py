"""GF106: ``detach_()`` called on a view: "RuntimeError: Can't detach views in-place. Use detach()
instead." Truncated backpropagation through time cuts the carried hidden state at each window
with ``for s in state: s.detach_()``, written for an LSTM's ``(h, c)`` tuple; with a GRU or an RNN
the state is one tensor, iterating it yields views of its first dimension, and the second window
fails. The same error comes from ``h[0].detach_()``, or from a state sliced before it is kept.
Nothing trains past the first window.

The evidence is the run's: the crash message at a ``.detach_()`` call in the user's code. The fix
rebinds instead of detaching in place: a loop (or a list comprehension written as a statement)
whose body is only ``s.detach_()`` over a name or an attribute, and the statements
``hidden[0].detach_()``, ``hidden[1].detach_()`` left from an LSTM, become ``state =
state.detach() if isinstance(state, torch.Tensor) else tuple(s.detach() for s in state)`` (a
tensor, or a tuple of them, as the code was written for); a plain ``x.detach_()`` statement on a
name or an attribute becomes ``x = x.detach()``; ``x = x.detach_()`` becomes ``x = x.detach()``.
Not when the name is a parameter of a helper that does not return it (``def detach_hidden(h):``):
rebinding it there changes nothing the caller sees, and the finding comes without a fix. The
re-run decides. Safe: the
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


def _detach_call(node: cst.CSTNode) -> Optional[cst.BaseExpression]:
    """``x`` of ``x.detach_()``."""
    if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute) and node.func.attr.value == "detach_":
        return node.func.value
    return None


def _detached(statement: cst.CSTNode) -> Optional[cst.BaseExpression]:
    """``x`` of a statement that is only ``x.detach_()``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1 or not isinstance(statement.body[0], cst.Expr):
        return None
    return _detach_call(statement.body[0].value)


def _element_of(target: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """``state`` of ``state[0]``, for a name or an attribute ``state``."""
    if isinstance(target, cst.Subscript) and isinstance(target.value, (cst.Name, cst.Attribute)):
        return target.value
    return None


def _rebinds_a_local(source: SourceFile, node: cst.CSTNode, whole: cst.BaseExpression) -> bool:
    """Rebinding ``whole`` changes nothing its caller sees: a parameter of the enclosing function,
    which that function does not return (``def detach_hidden(hidden): for h in hidden: ...``)."""
    if not isinstance(whole, cst.Name):
        return False
    function = next((a for a in source.ancestors(node) if isinstance(a, cst.FunctionDef)), None)
    if function is None or whole.value not in {p.name.value for p in function.params.params}:
        return False
    return not any(
        r.value is not None and any(n.value == whole.value for n in descendants(r.value, cst.Name))
        for r in descendants(function, cst.Return)
    )


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
        config = source.module.config_for_parsing
        small = statement.body[0] if len(statement.body) == 1 else None
        if isinstance(small, cst.Assign) and _detach_call(small.value) is not None:
            # `context = context.detach_()`: the out-of-place call, its result kept as before
            call = small.value
            new = call.with_changes(func=call.func.with_changes(attr=cst.Name("detach")))  # type: ignore[union-attr]
            return self.candidate("call `detach()` instead of `detach_()`: the result is kept either way", source.path, [source.replace_node(call, new)])
        target = _detached(statement)
        if target is None and isinstance(small, cst.Expr) and isinstance(small.value, cst.ListComp):
            # `[s.detach_() for s in state]`, written as a loop
            comp = small.value
            each = _detach_call(comp.elt)
            if isinstance(each, cst.Name) and isinstance(comp.for_in.target, cst.Name) and each.value == comp.for_in.target.value and comp.for_in.inner_for_in is None and not comp.for_in.ifs:
                return self._rebind_whole(source, statement, each.value, comp.for_in.iter, [statement])
            return None
        if target is None:
            return None
        loop = source.parent(source.parent(statement))
        if (
            isinstance(loop, cst.For) and isinstance(loop.target, cst.Name) and isinstance(target, cst.Name)
            and target.value == loop.target.value and len(loop.body.body) == 1 and loop.orelse is None
        ):
            return self._rebind_whole(source, loop, target.value, loop.iter, [loop])
        whole = _element_of(target)
        if whole is not None:
            # `hidden[0].detach_()` (and `hidden[1].detach_()` beside it): the whole state, once
            block = source.parent(statement)
            siblings = [
                s for s in getattr(block, "body", ())
                if (t := _detached(s)) is not None and (e := _element_of(t)) is not None and source.code(e) == source.code(whole)
            ]
            return self._rebind_whole(source, statement, "s", whole, siblings)
        if not isinstance(target, (cst.Name, cst.Attribute)) or _rebinds_a_local(source, statement, target):
            return None
        spelled = source.code(target)
        edit = source.replace_node(statement, cst.parse_statement(f"{spelled} = {spelled}.detach()\n", config=config))
        return self.candidate(f"rebind `{spelled}` to `{spelled}.detach()` instead of detaching the view in place", source.path, [edit])

    def _rebind_whole(
        self, source: SourceFile, at: cst.CSTNode, each: str, whole: cst.BaseExpression, replaced: list[cst.CSTNode],
    ) -> Optional[Candidate]:
        """``whole`` rebound to its detached copy (a tensor, or a tuple of them, as the code was
        written for), in place of the statements that detached its elements."""
        if not isinstance(whole, (cst.Name, cst.Attribute)) or _rebinds_a_local(source, at, whole):
            return None
        spelled = source.code(whole)
        tensor, imports = spelled_or_imported(source, "torch.Tensor")
        text = f"{spelled} = {spelled}.detach() if isinstance({spelled}, {tensor}) else tuple({each}.detach() for {each} in {spelled})\n"
        new = cst.parse_statement(text, config=source.module.config_for_parsing)
        edits = [*imports, source.replace_node(replaced[0], new), *(source.remove_statement(s) for s in replaced[1:])]  # type: ignore[arg-type]
        return self.candidate(
            f"rebind `{spelled}` to its detached copy (a tensor, or a tuple of them) instead of detaching its elements, "
            "which are views of it, in place",
            source.path, edits,
        )
