"""GF027: ``loss.requires_grad = True`` silences "element 0 of tensors does not require grad".

When the loss was computed with gradients off (a ``@torch.no_grad()`` training function, a
``with torch.no_grad():`` around the forward pass, a graph cut), backward() raises. A common
"fix" found online is to mark the loss itself: ``loss.requires_grad = True`` or
``loss.requires_grad_()``, or to re-wrap it into a new tensor that requires grad:
``loss = Variable(loss, requires_grad=True)``, ``Variable(loss.data, requires_grad=True)``,
``nn.Parameter(loss)``, ``torch.tensor(loss, requires_grad=True)``. The error goes away, and so
does all training: the loss is now a leaf of its own, backward() computes its gradient and
nothing else, every parameter's ``.grad`` stays None and every ``step()`` does nothing. The probe
sees a backward() on a loss that requires grad but has no ``grad_fn``, and finds the marking on
the loss's name (also through a copy, ``loss = loss.clone().requires_grad_()``) or in the
expression backward() is called on. The fix removes the marking (a re-wrap becomes the value it
was made from), so the error it hid comes back, and the repair loop goes on to the fault that cut
the graph (GF002, GF008, GF011 ...); the chain is judged at the end, by the parameters changing.
The finding is blocking, fixed before the others: a cut that another rule removed on its own
would leave the marking in place.
"""

from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import strip_cuts
from gradfix.trace import BackwardFact, Trace

_SILENCED = "does not require grad"


# Methods that give the same values as their tensor: marking a copy marks the loss.
_COPIES = {"clone", "detach", "float", "double", "contiguous"}
# New tensors made from the loss's values: `Variable(loss, requires_grad=True)`, `nn.Parameter(loss)`,
# `torch.tensor(loss.item(), requires_grad=True)`. Marked trainable, they silence the error the same way.
_VARIABLE = {"torch.autograd.Variable", "torch.autograd.variable.Variable"}
_PARAMETER = {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}
_TENSOR = {"torch.tensor", "torch.as_tensor", "torch.Tensor"}
# What takes the value out of the graph inside the re-wrap (`Variable(loss.data, ...)`): it goes too.
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


def _rewrapped(source: SourceFile, node: cst.CSTNode, marked: bool = False) -> Optional[cst.BaseExpression]:
    """For a re-wrap of a value into a new tensor that requires grad (or into any new tensor, when
    ``marked``: a ``.requires_grad_()`` follows), the value it was made from; None otherwise."""
    if not isinstance(node, cst.Call) or not node.args or node.args[0].keyword is not None:
        return None
    names = source.qualified_names(node.func)
    if not names & (_VARIABLE | _PARAMETER | _TENSOR):
        return None
    keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
    positional = [a.value for a in node.args if a.keyword is None]
    if "requires_grad" in keywords:
        wants = _is_true(keywords["requires_grad"])
    elif names & (_VARIABLE | _PARAMETER) and len(positional) > 1:
        wants = _is_true(positional[1])
    else:
        wants = bool(names & _PARAMETER)  # a Parameter requires grad unless told otherwise
    value = strip_cuts(node.args[0].value)
    if marked and names & _TENSOR and value is node.args[0].value:
        return None  # `torch.tensor(total).requires_grad_()` may re-wrap a float: GF008 rebuilds those
    return value if wants or marked else None


_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)


def _assigned_to(source: SourceFile, node: cst.CSTNode, names: set[str]) -> bool:
    """``loss = <node>`` (or ``loss = <node>.to(device)``) for one of ``names``."""
    child, parent = node, source.parent(node)
    while isinstance(parent, (cst.Attribute, cst.Call)) and (
        (isinstance(parent, cst.Attribute) and parent.value is child) or (isinstance(parent, cst.Call) and parent.func is child)
    ):
        child, parent = parent, source.parent(parent)
    return (
        isinstance(parent, cst.Assign) and parent.value is child and len(parent.targets) == 1
        and isinstance(parent.targets[0].target, cst.Name) and parent.targets[0].target.value in names
    )


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
        receivers = self._receivers(source, backward)
        markings = self._markings(source, {n.value for r in receivers for n in descendants(r, cst.Name)}, receivers)
        # `torch.tensor(total, requires_grad=True)` of a float summed from `.item()`s: unwrapped, it
        # is a float; GF008 rebuilds the loss from the tensors instead.
        numbers = [n for c in trace.cuts if c.numbers and c.site.file == source.path for n in source.nodes_at(c.site, cst.Call)]
        markings = [
            m for m in markings
            if not (any(m is n for n in numbers) and isinstance(m, cst.Call) and m.args and strip_cuts(m.args[0].value) is m.args[0].value)
        ]
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
    def _receivers(source: SourceFile, backward: BackwardFact) -> list[cst.BaseExpression]:
        """What backward() was called on: ``loss`` in ``loss.backward()`` or ``torch.autograd.backward(loss)``."""
        calls = [c for c in source.nodes_at(backward.site, cst.Call) if isinstance(c.func, cst.Attribute) and c.func.attr.value == "backward"]  # type: ignore[arg-type]
        if calls:
            return [calls[-1].func.value]  # type: ignore[attr-defined]
        call = source.nodes_at(backward.site, cst.Call)  # type: ignore[arg-type]
        return [a.value for c in call for a in c.args[:1]]

    @staticmethod
    def _markings(source: SourceFile, names: set[str], receivers: Sequence[cst.BaseExpression] = ()) -> list[cst.CSTNode]:
        """``loss.requires_grad = True`` statements and ``loss.requires_grad_()`` calls on the loss's
        names, also through copies (``loss.clone().requires_grad_()``) or assigned to the loss's name;
        re-wraps of a value into a new tensor that requires grad (``Variable(loss, requires_grad=True)``,
        ``nn.Parameter(loss)``) assigned to the loss's name or called backward() on."""
        found: list[cst.CSTNode] = []
        for receiver in receivers:
            found += [c for c in descendants(receiver, cst.Call) if _rewrapped(source, c) is not None]
        for node in descendants(source.module, cst.CSTNode):
            if isinstance(node, cst.Assign) and len(node.targets) == 1 and _is_true(node.value):
                target = node.targets[0].target
                if isinstance(target, cst.Attribute) and target.attr.value == "requires_grad" and _root(target.value) in names:
                    found.append(node)
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "requires_grad_":
                if not _is_true(node.args[0].value if node.args else None):
                    continue
                if _root(node.func.value) in names or _assigned_to(source, node, names):
                    found.append(node)
            elif isinstance(node, cst.Call) and _rewrapped(source, node) is not None and _assigned_to(source, node, names):
                found.append(node)
        unique = list({id(n): n for n in found}.values())
        return sorted(unique, key=lambda n: (source.range(n).start.line, source.range(n).start.column))

    @staticmethod
    def _unmark(source: SourceFile, node: cst.CSTNode) -> Optional[Edit]:
        statement = source.statement_of(node)
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return None
        small = statement.body[0]
        value = _rewrapped(source, node)
        if value is None and isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "requires_grad_":
            # `torch.tensor(loss.item()).requires_grad_()`: the re-wrap goes with the marking.
            value = _rewrapped(source, node.func.value, marked=True)
        if value is not None:
            # The value the new tensor was made from; `loss = Variable(loss, requires_grad=True)` goes whole.
            if (
                isinstance(small, cst.Assign) and small.value is node and len(small.targets) == 1
                and source.code(small.targets[0].target).strip() == source.module.code_for_node(value).strip()
            ):
                return source.remove_statement(statement)
            parent = source.parent(node)
            if not isinstance(value, _ATOMIC) and not value.lpar and not isinstance(parent, (cst.Arg, cst.Assign, cst.Return, cst.Element)):
                value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return source.replace_node(node, value)
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
