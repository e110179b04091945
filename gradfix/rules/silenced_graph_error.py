"""GF027: ``loss.requires_grad = True`` silences "element 0 of tensors does not require grad".

When the loss was computed with gradients off (a ``@torch.no_grad()`` training function, a
``with torch.no_grad():`` around the forward pass, a graph cut), backward() raises. A common
"fix" found online is to mark the loss itself: ``loss.requires_grad = True`` or
``loss.requires_grad_()``. The error goes away, and so does all training: the loss is now a leaf
of its own, backward() computes its gradient and nothing else, every parameter's ``.grad`` stays
None and every ``step()`` does nothing. The probe sees a backward() on a loss that requires grad
but has no ``grad_fn``, and finds the marking on the loss's name (also through a copy,
``loss = loss.clone().requires_grad_()``). The fix removes the marking, so the error it hid comes
back, and the repair loop goes on to the fault that cut the graph (GF002, GF008, GF011 ...); the
chain is judged at the end, by the parameters changing. The finding is blocking, fixed before the
others: a cut that another rule removed on its own would leave the marking in place.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import BackwardFact, Trace

_SILENCED = "does not require grad"


# Methods that give the same values as their tensor: marking a copy marks the loss.
_COPIES = {"clone", "detach", "float", "double", "contiguous"}


def _is_true(node: Optional[cst.BaseExpression]) -> bool:
    return node is None or (isinstance(node, cst.Name) and node.value == "True")


def _root(node: cst.BaseExpression) -> Optional[str]:
    """The name a chain of attributes and method calls starts from: ``loss`` in ``loss.clone()``."""
    while True:
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            node = node.value
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            node = node.func.value
        else:
            return None


def _copies_only(node: cst.BaseExpression) -> bool:
    """``loss``, ``loss.clone()``, ``loss.detach().float()``: the loss itself, or a plain copy of it."""
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _COPIES and not node.args:
        node = node.func.value
    return isinstance(node, cst.Name)


class SilencedGraphError(Rule):
    code = "GF027"
    title = "loss marked requires_grad by hand: the graph error is silenced, nothing trains"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        backward = next((b for b in trace.backwards if b.requires_grad and not b.has_grad_fn and b.site is not None), None)
        if backward is None or not project.is_editable(backward.site.file):  # type: ignore[union-attr]
            return []
        # Parameters that some optimizer holds and that never received a gradient: what the silenced
        # error was about. With none (the loss is a tensor trained on purpose), there is nothing to say.
        params = [p.name for p in trace.params if p.optimizers and p.requires_grad and not p.got_grad and p.module is not None]
        if not params:
            return []
        source = project.source(backward.site.file)  # type: ignore[union-attr]
        markings = self._markings(source, self._loss_names(source, backward))
        edits = [e for e in (self._unmark(source, node) for node in markings) if e is not None]
        if not edits:
            return []
        message = (
            f"the loss passed to backward() has no graph and was marked `requires_grad` by hand, which "
            f"silences torch's \"does not require grad\" error: {short_list(params)} never receive a gradient"
        )
        candidate = self.candidate("remove the marking, so the error it hid shows where the graph was cut", source.path, edits)
        site = source.site(markings[0])
        # Blocking: the marking hides torch's error and, with it, the fault that cut the graph (a
        # detach() that GF008 could remove on its own would leave the marking in place).
        return [self.finding(project, site, message, params, [candidate], blocking=True)]

    @staticmethod
    def _loss_names(source: SourceFile, backward: BackwardFact) -> set[str]:
        calls = [c for c in source.nodes_at(backward.site, cst.Call) if isinstance(c.func, cst.Attribute) and c.func.attr.value == "backward"]  # type: ignore[arg-type]
        if calls:
            return {n.value for n in descendants(calls[-1].func.value, cst.Name)}  # type: ignore[attr-defined]
        call = source.nodes_at(backward.site, cst.Call)  # torch.autograd.backward(loss)
        return {n.value for c in call for a in c.args[:1] for n in descendants(a.value, cst.Name)}

    @staticmethod
    def _markings(source: SourceFile, names: set[str]) -> list[cst.CSTNode]:
        """``loss.requires_grad = True`` statements and ``loss.requires_grad_()`` calls on the loss's
        names, also through copies (``loss.clone().requires_grad_()``) or assigned to the loss's name."""
        found: list[cst.CSTNode] = []
        for node in descendants(source.module, cst.CSTNode):
            if isinstance(node, cst.Assign) and len(node.targets) == 1 and _is_true(node.value):
                target = node.targets[0].target
                if isinstance(target, cst.Attribute) and target.attr.value == "requires_grad" and _root(target.value) in names:
                    found.append(node)
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "requires_grad_":
                if not _is_true(node.args[0].value if node.args else None):
                    continue
                assign = source.parent(node)
                assigned = (
                    isinstance(assign, cst.Assign) and len(assign.targets) == 1
                    and isinstance(assign.targets[0].target, cst.Name) and assign.targets[0].target.value in names
                )
                if _root(node.func.value) in names or assigned:
                    found.append(node)
        return sorted(found, key=lambda n: (source.range(n).start.line, source.range(n).start.column))

    @staticmethod
    def _unmark(source: SourceFile, node: cst.CSTNode) -> Optional[Edit]:
        statement = source.statement_of(node)
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return None
        small = statement.body[0]
        alone = small is node or (isinstance(small, cst.Expr) and small.value is node)
        if isinstance(small, cst.Assign) and small.value is node and isinstance(node, cst.Call):
            # `loss = loss.requires_grad_()` or `loss = loss.clone().requires_grad_()`: the same
            # values, marked: the line goes.
            receiver = node.func.value  # type: ignore[attr-defined]
            alone = isinstance(small.targets[0].target, cst.Name) and _root(receiver) == small.targets[0].target.value and _copies_only(receiver)
        if alone:
            return source.remove_statement(statement)
        if isinstance(node, cst.Call):
            return source.replace_node(node, node.func.value)  # type: ignore[attr-defined]
        return None

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        after = run.trace
        crash = after.crash
        if crash is not None and _SILENCED in crash.message and after.backwards and not after.backwards[-1].has_grad_fn:
            return Verdict(True, "the error it hid is back; gradfix goes on from there", partial=True)
        return super().verify(finding, candidate, before, run)
