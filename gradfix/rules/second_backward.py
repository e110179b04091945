"""GF024: backward() went through a graph that an earlier backward() had already freed.

torch raises "Trying to backward through the graph a second time". Two faults give it, and the
Trace tells them apart. A state carried across iterations (a truncated-BPTT hidden state, an EMA
or memory bank, a running loss total that is backpropagated) is computed with gradients in one
iteration and read by the next, so each new loss reaches back into the graph the previous
backward() freed: the probe saw a step or an earlier call of the same backward() before the
crash, and names that the loop reads before assigning them held tensors with a grad_fn when it
crashed. The fix detaches each such state once it is computed (``h = h.detach()``, or
``tuple(t.detach() for t in h)`` for an LSTM's ``(h, c)``), one name at a time, then all of them;
the re-run decides. Two losses from one forward, each with its own backward() and no step or
zero_grad between them (a multi-task loss), are the other fault: the first backward() gets
``retain_graph=True``. That is never offered for a carried state, where it would hide the bug and
let the graph grow with every iteration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import BackwardFact, CallEvent, Site, Trace

_MESSAGE = "Trying to backward through the graph a second time"
_MAX_NAMES = 6
_BACKWARD_FUNCTIONS = {"torch.autograd.backward"}
_Loop = Union[cst.For, cst.While]
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


@dataclass
class _Use:
    name: str
    write: bool
    node: cst.CSTNode  # the Name (or the statement for an augmented assignment's read)


class _Flow(cst.CSTVisitor):
    """Reads and writes of plain names in a loop body, in the order they execute (the value of an
    assignment before its targets); nested functions and classes are not the loop's code."""

    def __init__(self) -> None:
        super().__init__()
        self.uses: list[_Use] = []

    def _targets(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.uses.append(_Use(target.value, True, target))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._targets(element.value)
        elif isinstance(target, cst.StarredElement):
            self._targets(target.value)
        else:  # `x[i] = ...`, `self.h = ...`: reads x and self
            target.visit(self)

    def visit_Assign(self, node: cst.Assign) -> bool:
        node.value.visit(self)
        for target in node.targets:
            self._targets(target.target)
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        node.value.visit(self)
        if isinstance(node.target, cst.Name):
            self.uses.append(_Use(node.target.value, False, node.target))
        self._targets(node.target)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        if node.value is not None:
            node.value.visit(self)
            self._targets(node.target)
        return False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
        node.value.visit(self)
        self._targets(node.target)
        return False

    def visit_For(self, node: cst.For) -> bool:
        node.iter.visit(self)
        self._targets(node.target)
        node.body.visit(self)
        if node.orelse is not None:
            node.orelse.visit(self)
        return False

    def visit_CompFor(self, node: cst.CompFor) -> bool:
        node.iter.visit(self)
        self._targets(node.target)
        for condition in node.ifs:
            condition.visit(self)
        if node.inner_for_in is not None:
            node.inner_for_in.visit(self)
        return False

    def visit_AsName(self, node: cst.AsName) -> bool:
        if isinstance(node.name, (cst.Name, cst.Tuple, cst.List)):
            self._targets(node.name)
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # not the keyword's name
        return False

    def visit_Name(self, node: cst.Name) -> bool:
        self.uses.append(_Use(node.value, False, node))
        return False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return False
        if isinstance(node, _COMPREHENSIONS):
            # The comprehension's own variables are not the loop's; the rest are reads.
            inner = _Flow()
            for child in node.children:
                child.visit(inner)
            own = {u.name for u in inner.uses if u.write}
            self.uses.extend(_Use(u.name, False, u.node) for u in inner.uses if not u.write and u.name not in own)
            return False
        return super().on_visit(node)


@dataclass
class _Carried:
    """A name the loop reads before it assigns it, and where its detach goes."""

    name: str
    read: cst.CSTNode  # the first read, before any assignment
    assigned: cst.BaseStatement  # the statement that last assigns it
    after: cst.BaseStatement  # the statement the detach goes after


def _is_backward(source: SourceFile, call: cst.Call) -> bool:
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "backward":
        return True
    return bool(source.qualified_names(call.func) & _BACKWARD_FUNCTIONS)


def _backward_call(source: SourceFile, site: Site) -> Optional[cst.Call]:
    calls = [c for c in source.nodes_at(site, cst.Call) if _is_backward(source, c)]
    return calls[-1] if calls else None


def _loops(source: SourceFile, node: cst.CSTNode) -> list[_Loop]:
    """The loops around a node in its own function, innermost first."""
    found: list[_Loop] = []
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            break
        if isinstance(ancestor, (cst.For, cst.While)):
            found.append(ancestor)
    return found


def _between(source: SourceFile, node: cst.CSTNode, outer: cst.CSTNode) -> list[cst.CSTNode]:
    """The ancestors of ``node`` below ``outer``."""
    found = []
    for ancestor in source.ancestors(node):
        if ancestor is outer:
            break
        found.append(ancestor)
    return found


def _last_statement(block: cst.BaseSuite) -> Optional[cst.BaseStatement]:
    body = list(block.body) if isinstance(block, cst.IndentedBlock) else []
    return body[-1] if body else None


def _ends_flow(statement: cst.BaseStatement) -> bool:
    """A body that ends in ``continue``/``break``/``return``/``raise``: nothing after it runs."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return any(isinstance(s, (cst.Continue, cst.Break, cst.Return, cst.Raise)) for s in statement.body)


def _carried(source: SourceFile, loop: _Loop, graph_names: set[str]) -> list[_Carried]:
    """Names the loop body reads before assigning them (its state from one iteration to the next)
    that held a tensor with a graph when the script crashed."""
    flow = _Flow()
    loop.body.visit(flow)
    own: set[str] = set()
    if isinstance(loop, cst.For):
        header = _Flow()
        header._targets(loop.target)
        own = {u.name for u in header.uses if u.write}
    last = _last_statement(loop.body)
    found: list[_Carried] = []
    seen: set[str] = set()
    for use in flow.uses:
        name = use.name
        if name in seen or name in own or name not in graph_names:
            continue
        seen.add(name)
        if use.write:
            continue  # assigned before it is read: a value of this iteration only
        writes = [i for i, u in enumerate(flow.uses) if u.name == name and u.write]
        if not writes:
            continue  # read but never assigned in the loop: not carried from one iteration to the next
        assigned = source.statement_of(flow.uses[writes[-1]].node)
        if not isinstance(assigned, cst.SimpleStatementLine):
            continue
        read_later = any(u.name == name and not u.write for u in flow.uses[writes[-1] + 1 :])
        # Read after its last assignment (`running = running + loss; running.backward()`, a loss
        # computed from the new `h`, or the next step of an inner loop that unrolls a cell):
        # detaching it there would cut this iteration's graph, so the detach goes at the end of
        # the body, where this iteration is done with it.
        inner_loop = any(isinstance(a, (cst.For, cst.While)) for a in _between(source, assigned, loop))
        after: Optional[cst.BaseStatement] = assigned
        if read_later or inner_loop:
            after = last if last is not None and not _ends_flow(last) else None
        if after is None:
            continue
        found.append(_Carried(name, use.node, assigned, after))
    return found


def _describe(source: SourceFile, state: _Carried) -> str:
    read, assigned = source.range(state.read).start.line, source.range(state.assigned).start.line
    if read == assigned:
        return f"{state.name} is read before it is assigned, at line {read}"
    return f"{state.name} is read at line {read}, before line {assigned} assigns it"


def _detach(name: str, kind: str) -> str:
    if kind == "tuple":
        return f"{name} = tuple(t.detach() for t in {name})"
    if kind == "list":
        return f"{name} = [t.detach() for t in {name}]"
    return f"{name} = {name}.detach()"


def _insert_after(source: SourceFile, statement: cst.BaseStatement, lines: list[str]) -> Edit:
    """Lines inserted right after a statement, at its indentation."""
    start, end = source.statement_lines(statement, with_comments=False)
    indent = source.indentation(source.range(statement).start.line)
    text = "".join(f"{indent}{line}\n" for line in lines)
    if end == len(source.text) and not source.text.endswith("\n"):
        text = "\n" + text
    position = source.position(end)
    return Edit(position, position, text)


def _events_before(order: list[CallEvent], site: Site) -> Optional[list[CallEvent]]:
    """The recorded calls before the crashing backward(), if the record reaches it."""
    for index in range(len(order) - 1, -1, -1):
        event = order[index]
        if event.kind == "backward" and event.site is not None and event.site.same_place(site):
            return order[:index]
    return None


class SecondBackward(Rule):
    code = "GF024"
    title = "backward through a graph that an earlier backward already freed"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or crash.type != "RuntimeError" or not crash.message.startswith(_MESSAGE):
            return []
        if not trace.backwards or not project.is_editable(crash.site.file):
            return []
        crashed = trace.backwards[-1]
        if crashed.site is None or not crashed.site.same_place(crash.site):
            return []  # the crash is not at the backward() the probe saw last: not this fault
        source = project.source(crash.site.file)
        call = _backward_call(source, crash.site)
        if call is None:
            return []
        before = _events_before(trace.order, crash.site)
        ran_here = any(b.site is not None and b.site.same_place(crash.site) for b in trace.backwards[:-1])
        partner = self._shared_graph_partner(trace, before, ran_here)
        if partner is not None:
            return self._shared_graph(trace, project, crashed, partner)
        stepped = trace.steps > 0 or any(e.kind == "step" for e in before or [])
        if not (ran_here or stepped):
            return []
        return self._carried_state(trace, project, source, call)

    @staticmethod
    def _shared_graph_partner(trace: Trace, before: Optional[list[CallEvent]], ran_here: bool) -> Optional[BackwardFact]:
        """The backward() just before the crashing one, when the two share one step: no step or
        zero_grad between them, and the crashing one never ran before (a loop that reaches it a
        second time is carrying something from the previous iteration)."""
        if not before or ran_here or len(trace.backwards) < 2:
            return None
        event = before[-1]
        if event.kind != "backward":
            return None  # a step or zero_grad in between: two separate updates
        previous = trace.backwards[-2]
        if previous.site is None or event.site is None or not previous.site.same_place(event.site):
            return None
        return previous

    def _claimed(self, trace: Trace) -> list[str]:
        return [p.name for p in trace.params if p.reached and p.requires_grad and p.is_leaf and p.optimizers]

    def _shared_graph(self, trace: Trace, project: Project, crashed: BackwardFact, first: BackwardFact) -> list[Finding]:
        assert trace.crash is not None and crashed.site is not None and first.site is not None
        if not project.is_editable(first.site.file):
            return []
        source = project.source(first.site.file)
        call = _backward_call(source, first.site)
        candidates: list[Candidate] = []
        if call is not None and not any(a.keyword is not None and a.keyword.value == "retain_graph" for a in call.args):
            keyword = cst.ensure_type(cst.parse_expression("f(retain_graph=True)"), cst.Call).args[0]
            args = list(call.args)
            if args:
                args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            candidates.append(self.candidate(
                f"keep the graph for the second backward(): pass retain_graph=True to the first one (line {first.site.line})",
                source.path, [source.replace_node(call, call.with_changes(args=[*args, keyword]))],
            ))
        message = (
            f"the script crashed: {trace.crash.type}: {_MESSAGE}; the backward() at line {first.site.line} freed the graph "
            f"that the backward() at line {crashed.site.line} goes through, with no optimizer step between them "
            "(two losses from one forward pass)"
        )
        return [self.finding(project, crashed.site, message, self._claimed(trace), candidates, blocking=True)]

    def _carried_state(self, trace: Trace, project: Project, source: SourceFile, call: cst.Call) -> list[Finding]:
        crash = trace.crash
        assert crash is not None and crash.site is not None
        carried: list[_Carried] = []
        for loop in _loops(source, call):
            carried = _carried(source, loop, set(crash.graph_locals))[:_MAX_NAMES]
            if carried:
                break
        if not carried:
            return []
        candidates = []
        for state in carried:
            edit = _insert_after(source, state.after, [_detach(state.name, crash.graph_locals[state.name])])
            line = source.range(state.after).start.line
            candidates.append(self.candidate(
                f"detach {state.name} after line {line}: keep its value for the next iteration, not its graph",
                source.path, [edit],
            ))
        if len(carried) > 1:
            # An LSTM's h and c, kept apart: each one alone still carries a graph.
            by_statement: dict[int, tuple[cst.BaseStatement, list[str]]] = {}
            for state in carried:
                by_statement.setdefault(id(state.after), (state.after, []))[1].append(_detach(state.name, crash.graph_locals[state.name]))
            edits = [_insert_after(source, statement, lines) for statement, lines in by_statement.values()]
            candidates.append(self.candidate(
                f"detach {', '.join(s.name for s in carried)}: keep their values for the next iteration, not their graphs",
                source.path, edits,
            ))
        described = "; ".join(_describe(source, s) for s in carried)
        message = (
            f"the script crashed: {crash.type}: {_MESSAGE}; a value computed with gradients in one iteration is carried "
            f"into the next ({described}), so the new loss reaches back into the graph that the previous backward() freed"
        )
        return [self.finding(project, crash.site, message, self._claimed(trace), candidates, blocking=True)]
