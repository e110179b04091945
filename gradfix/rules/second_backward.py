"""GF024: backward() went through a graph that an earlier backward() had already freed.

torch raises "Trying to backward through the graph a second time". Two faults give it, and the
Trace tells them apart. A state carried across iterations (a truncated-BPTT hidden state, an EMA
or memory bank, a running loss total that is backpropagated) is computed with gradients in one
iteration and read by the next, so each new loss reaches back into the graph the previous
backward() freed: the probe saw a step or an earlier call of the same backward() before the
crash, and names that the loop reads before assigning them held tensors with a grad_fn when it
crashed. The fix detaches each such state once it is computed (``h = h.detach()``, or
``tuple(t.detach() for t in h)`` for an LSTM's ``(h, c)``), one name at a time, then all of them;
the re-run decides. A state kept on an object (``self.hidden`` that the model's ``forward``
reads and stores again at every call, or that a Trainer's loop does) is named by its attribute
path and detached where it is stored; a last candidate starts it afresh at every call with the
class's own ``__init__`` statement for it. Two losses from one forward, each with its own
backward() and no step or zero_grad between them (a multi-task loss), are the other fault: the
first backward() gets ``retain_graph=True``. That is never offered for a carried state, where it
would hide the bug and let the graph grow with every iteration, nor when a module keeps a value it
computed once in ``__init__`` from its parameters (GF043's). A third fault: a value computed with
gradients once, before the loop, that every iteration reads (``training_seq = to_channels(raw)``,
an embedding table looked up once, class prototypes): the loop never assigns the name, the probe
saw it holding a graph, and one statement of the same function binds it before the loop. The
candidates compute it under ``torch.no_grad()``, detach it, or move the statement into the loop
before its first read; the move comes first when an optimizer holds the parameters of the modules
the statement names (those must keep training), last otherwise. Parameters no optimizer holds may
lose their gradient under these candidates: they were never trained. A fourth: ``with
parametrize.cached():`` entered once around the training loop, so the parametrized weights are
computed once with a graph that the first backward() frees; the ``with`` is moved into the
innermost loop around the backward(), or dropped.
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import re
import textwrap
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence, Union

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile
from gradfix.torch_api import module_alias
from gradfix.trace import BackwardFact, CallEvent, Site, Trace
from gradfix.verify import judge

_MESSAGE = "Trying to backward through the graph a second time"
_MAX_NAMES = 6
_BACKWARD_FUNCTIONS = {"torch.autograd.backward"}
_Loop = Union[cst.For, cst.While]
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_BRANCHES = (cst.If, cst.For, cst.While, cst.Try, cst.TryStar, cst.Match, cst.IfExp, cst.BooleanOperation)


@dataclass
class _Use:
    name: str
    write: bool
    node: cst.CSTNode  # the Name (or the statement for an augmented assignment's read)


def _path(node: cst.BaseExpression) -> Optional[str]:
    """``self.hidden``, ``model.encoder.state``: an attribute chain on a name, as code."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name) or not parts:
        return None
    return ".".join([node.value, *reversed(parts)])


class _Flow(cst.CSTVisitor):
    """Reads and writes of plain names and of attribute chains (``self.hidden``) in a loop or
    method body, in the order they execute (the value of an assignment before its targets);
    nested functions and classes are not the body's code."""

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
        elif isinstance(target, cst.Attribute) and (path := _path(target)) is not None:
            target.value.visit(self)  # `self.h = ...` reads self and writes self.h
            self.uses.append(_Use(path, True, target))
        else:  # `x[i] = ...`: reads x
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
        elif isinstance(node.target, cst.Attribute) and (path := _path(node.target)) is not None:
            self.uses.append(_Use(path, False, node.target))
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
        path = _path(node)
        if path is not None:
            self.uses.append(_Use(path, False, node))
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

    name: str  # as the code where it is carried names it: `h`, `self.hidden`
    read: cst.CSTNode  # the first read, before any assignment
    assigned: cst.BaseStatement  # the statement that last assigns it
    after: Optional[cst.BaseStatement]  # the statement the detach goes after
    kind: str = "tensor"  # what the probe saw: tensor, tuple or list
    source: Optional[SourceFile] = None  # the file, when not the crash's (a model's forward in models.py)
    # or, when it cannot go after the assignment: the statement it goes before, guarded against
    # the state's first value (`None`)
    before: Optional[cst.BaseStatement] = None
    where: str = ""  # `FMRILSTM.forward`: the method that carries it from one call to the next
    # the statement that starts the state afresh (`self.hidden = self.init_hidden()` of __init__),
    # and the statement it goes before: no state kept from one batch to the next
    reset: Optional[str] = None
    reset_before: Optional[cst.BaseStatement] = None


_ONCE = "a value is computed once with gradients before the loop"


@dataclass
class _Once:
    """A name bound once before the loop to a value with a graph, and read by the loop."""

    name: str
    statement: cst.SimpleStatementLine  # the binding
    value: cst.BaseExpression  # what it is bound to
    single: bool  # `name = value`, alone on its line: the value can be detached in place
    read: cst.CSTNode  # the loop's first read
    first: cst.BaseStatement  # the statement of the loop body that reads it first


def _made_before(source: SourceFile, loop: _Loop, graph: dict[str, str]) -> list[_Once]:
    """Names the loop reads and never assigns that held a graph when the script crashed, each
    bound by a single statement of the same function before the loop, outside it."""
    flow = _Flow()
    loop.body.visit(flow)
    if isinstance(loop, cst.For):
        loop.target.visit(flow)  # the loop's own variable is assigned by the loop
    written = {u.name for u in flow.uses if u.write}
    scope = next((a for a in source.ancestors(loop) if isinstance(a, (cst.FunctionDef, cst.Lambda))), None)
    outer = _Flow()
    if isinstance(scope, cst.FunctionDef):
        scope.body.visit(outer)
    else:
        for statement in source.module.body:
            statement.visit(outer)
    inside = set(map(id, _descendants(loop)))
    start = source.range(loop).start.line
    found: list[_Once] = []
    seen: set[str] = set()
    for use in flow.uses:
        name = use.name
        if use.write or name in seen or name in written or name not in graph:
            continue
        seen.add(name)
        writes = [
            u for u in outer.uses
            if u.name == name and u.write and id(u.node) not in inside and source.range(u.node).start.line < start
        ]
        if not writes:
            continue
        statement = source.statement_of(writes[-1].node)
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        if isinstance(small, cst.Assign):
            value: Optional[cst.BaseExpression] = small.value
            single = len(small.targets) == 1 and _spelled(small.targets[0].target) == name
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            value, single = small.value, _spelled(small.target) == name
        else:
            continue
        first = _top_statement(source, use.node, loop.body)
        if value is None or first is None or not isinstance(source.parent(statement), (cst.IndentedBlock, cst.Module)):
            continue
        found.append(_Once(name, statement, value, single, use.node, first))
    return found


def _spelled(target: cst.BaseExpression) -> Optional[str]:
    return target.value if isinstance(target, cst.Name) else _path(target)


def _descendants(node: cst.CSTNode) -> list[cst.CSTNode]:
    found = [node]
    for child in node.children:
        found += _descendants(child)
    return found


def _params_through(trace: Trace, scope: dict[str, int], value: cst.BaseExpression) -> tuple[list[str], list[str]]:
    """The parameters of the modules (or the parameters themselves) that an expression names,
    as the crashed frame knew them: those an optimizer holds, and those none does."""
    flow = _Flow()
    value.visit(flow)
    prefixes: set[str] = set()
    read = {u.name for u in flow.uses}
    # `model.item_emb(ids)` reads `model` on the way to `model.item_emb`: only the longest path counts.
    for use in flow.uses:
        if any(other.startswith(f"{use.name}.") for other in read):
            continue
        if use.name in scope:
            module = next((m for m in trace.modules if m.id == scope[use.name]), None)
            prefixes.update(n for n in (module.path, module.name) if module is not None and n)
        if trace.param(use.name) is not None:
            prefixes.add(use.name)
    params = [p for p in trace.params if p.reached and any(p.name == x or p.name.startswith(f"{x}.") for x in prefixes)]
    return [p.name for p in params if p.optimizers], [p.name for p in params if not p.optimizers]


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


def _top_statement(source: SourceFile, node: cst.CSTNode, body: cst.BaseSuite) -> Optional[cst.BaseStatement]:
    """The statement of ``body`` (directly in it) that contains ``node``."""
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else []
    for ancestor in [node, *source.ancestors(node)]:
        if any(ancestor is s for s in statements):
            return ancestor  # type: ignore[return-value]
    return None


def _carried_by_method(source: SourceFile, method: cst.FunctionDef, attr: str) -> Optional[_Carried]:
    """``self.<attr>`` read by a method before the method assigns it: kept on the object from one
    call to the next (``out, self.hidden = self.lstm(x, self.hidden)`` in ``forward``)."""
    if not method.params.params or method.decorators:
        return None
    name = f"{method.params.params[0].name.value}.{attr}"
    flow = _Flow()
    method.body.visit(flow)
    uses = [u for u in flow.uses if u.name == name]
    # The first read that no unconditional write comes before: a write under `if self.c is None:`
    # does not always run, and then the read gets what the previous call left.
    first = None
    for index, use in enumerate(uses):
        if use.write and not any(isinstance(a, _BRANCHES) for a in _between(source, use.node, method)):
            return None
        if not use.write:
            first = index
            break
    if first is None or not any(u.write for u in uses[first:]):
        return None
    opening = uses[0].node  # its first use, perhaps a write under `if self.h is None:`
    uses = uses[first:]
    last = max(i for i, u in enumerate(uses) if u.write)
    assigned = source.statement_of(uses[last].node)
    if not isinstance(assigned, cst.SimpleStatementLine):
        return None
    read_later = any(not u.write for u in uses[last + 1 :])
    inner_loop = any(isinstance(a, (cst.For, cst.While)) for a in _between(source, assigned, method))
    if not (read_later or inner_loop):
        return _Carried(name, uses[0].node, assigned, assigned)
    # Detaching after the assignment would cut this call's own graph (a cell unrolled over the
    # steps of a sequence): the state the previous call left is detached before it is first read.
    before = _top_statement(source, opening, method.body)
    if before is None:
        return None
    return _Carried(name, uses[0].node, assigned, None, before=before)


def _describe(source: SourceFile, state: _Carried) -> str:
    read, assigned = source.range(state.read).start.line, source.range(state.assigned).start.line
    inside = f" by {state.where}() from one call to the next" if state.where else ""
    if read == assigned:
        return f"{state.name} is read before it is assigned{inside}, at line {read}"
    return f"{state.name} is read at line {read}, before line {assigned} assigns it{inside}"


def _detach(name: str, kind: str) -> str:
    if kind == "tuple":
        return f"{name} = tuple(t.detach() for t in {name})"
    if kind == "list":
        return f"{name} = [t.detach() for t in {name}]"
    if kind.startswith("nested:"):
        # The shape comes from the run: only its own small vocabulary is read, and anything
        # malformed gives the plain detach (whose re-run then fails, and the candidate with it).
        text = kind[len("nested:"):]
        if re.fullmatch(r"[a-z0-9(),]{1,200}", text):
            try:
                return f"{name} = {_detached(name, _parse_shape(text))}"
            except (IndexError, ValueError, KeyError, RecursionError):
                pass
    return f"{name} = {name}.detach()"


_Shape = tuple[str, list["_Shape"]]


def _parse_shape(text: str) -> _Shape:
    """The probe's description of a nested state (``tuple(named(tensor,tensor),tensor)``) as a
    tree: ``("tuple", [("named", [("tensor", []), ...]), ("tensor", [])])``."""
    def parse(at: int) -> tuple[_Shape, int]:
        end = at
        while end < len(text) and text[end] not in "(),":
            end += 1
        kind = text[at:end]
        if end < len(text) and text[end] == "(" and kind in ("tuple", "list", "named"):
            children: list[_Shape] = []
            end += 1
            while True:
                child, end = parse(end)
                children.append(child)
                if text[end] == ",":
                    end += 1
                    continue
                return (kind, children), end + 1  # past ")"
        if end < len(text) and text[end] == "(":  # dict(n)
            close = text.index(")", end)
            return (kind, []), close + 1
        return (kind, []), end

    return parse(0)[0]


def _detached(expression: str, shape: _Shape) -> str:
    """The expression rebuilt with every tensor in it detached, keeping its structure."""
    kind, children = shape
    if kind == "tensor":
        return f"{expression}.detach()"
    if kind == "dict":
        return f"{{k: v.detach() for k, v in {expression}.items()}}"
    if kind in ("tuple", "list", "named"):
        if all(child == ("tensor", []) for child in children):
            each = f"(t.detach() for t in {expression})"
            return {"tuple": f"tuple{each}", "list": f"[t.detach() for t in {expression}]", "named": f"type({expression})(*{each})"}[kind]
        parts = [_detached(f"{expression}[{i}]", child) for i, child in enumerate(children)]
        if kind == "list":
            return f"[{', '.join(parts)}]"
        if kind == "named":
            return f"type({expression})({', '.join(parts)})"
        return f"({', '.join(parts)}{',' if len(parts) == 1 else ''})"
    return expression  # None, a number: kept as it is


def _insert_after(source: SourceFile, statement: cst.BaseStatement, lines: list[str]) -> Edit:
    """Lines inserted right after a statement, at its indentation."""
    start, end = source.statement_lines(statement, with_comments=False)
    indent = source.indentation(source.range(statement).start.line)
    text = "".join(f"{indent}{line}\n" for line in lines)
    if end == len(source.text) and not source.text.endswith("\n"):
        text = "\n" + text
    position = source.position(end)
    return Edit(position, position, text)


def _graph_made_once(trace: Trace) -> bool:
    """A module attribute computed once, outside any module call (in ``__init__``), from a
    trainable leaf that no module registers and that a loss reached (``torch.exp(nn.Parameter(t))``),
    or from parameters that changed while it did not: every backward() after the first goes
    through the graph it keeps, and retain_graph=True would hide that rather than fix it."""
    for a in trace.attributes:
        if a.kind != "tensor" or a.is_leaf or a.count != 1 or a.in_call:
            continue
        leaves = [p for n in a.leaves if (p := trace.param(n)) is not None]
        own = trace.param(f"{a.owner_name}.{a.attr}")
        if any(p.module is None and p.reached for p in leaves):
            return True
        if own is not None and not own.changed and any(p.module is not None and p.changed for p in leaves):
            return True
    return False


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
            if _graph_made_once(trace):
                return []  # retain_graph=True would only hide it: GF043's
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
        graph = crash.graph_locals
        carried: list[_Carried] = []
        for loop in _loops(source, call):
            carried = _carried(source, loop, set(graph))[:_MAX_NAMES]
            if carried:
                for state in carried:
                    state.kind = graph[state.name]
                    self._reset_in_loop(source, call, loop, state)
                break
        # State kept on an object (`self.hidden` of the model, written by its forward): the loop
        # never names it, the class that carries it from one call to the next does.
        carried += self._kept_on_objects(trace, project, source, call, {s.name for s in carried})
        carried = carried[:_MAX_NAMES]
        if not carried:
            return self._made_once(trace, project, source, call)
        candidates = [self._detach_candidate([state], source) for state in carried]
        by_file: dict[str, list[_Carried]] = {}
        for state in carried:
            by_file.setdefault((state.source or source).path, []).append(state)
        if len(carried) > 1 and len(by_file) == 1:
            # An LSTM's h and c, kept apart: each one alone still carries a graph.
            candidates.append(self._detach_candidate(carried, source))
        for state in carried:
            if state.reset is not None and state.reset_before is not None:
                where = state.source or source
                indent = where.indentation(where.range(state.reset_before).start.line)
                line = where.range(state.reset_before).start.line
                candidates.append(self.candidate(
                    f"start {state.name} afresh before line {line} ({state.reset.partition(' = ')[2]}): carry no state from one batch to the next",
                    where.path, [where.insert_lines(line, f"{indent}{state.reset}\n")],
                ))
        described = "; ".join(_describe(state.source or source, state) for state in carried)
        message = (
            f"the script crashed: {crash.type}: {_MESSAGE}; a value computed with gradients in one iteration is carried "
            f"into the next ({described}), so the new loss reaches back into the graph that the previous backward() freed"
        )
        return [self.finding(project, crash.site, message, self._claimed(trace), candidates[: _MAX_NAMES + 2], blocking=True)]

    def _cached_around(self, trace: Trace, project: Project, source: SourceFile, call: cst.Call) -> list[Finding]:
        """``with parametrize.cached():`` around the training loop: the parametrized weights are
        computed once, with a graph, and every iteration reuses them, so the second backward()
        reaches into the graph the first one freed. The context belongs around one forward and
        backward: it is moved into the innermost loop around the backward(), or dropped."""
        crash = trace.crash
        assert crash is not None and crash.site is not None
        loops = _loops(source, call)
        def caches(item: cst.WithItem) -> bool:
            return isinstance(item.item, cst.Call) and "torch.nn.utils.parametrize.cached" in source.qualified_names(item.item.func)

        context = next((a for a in source.ancestors(call) if isinstance(a, cst.With) and any(caches(i) for i in a.items)), None)
        if context is None or not loops or not isinstance(context.body, cst.IndentedBlock) or len(context.items) != 1:
            return []  # `with cached(), other():` would take the other context along: not moved
        inner = loops[0]
        if not any(a is context for a in source.ancestors(inner)) or not isinstance(inner.body, cst.IndentedBlock):
            return []  # the context is inside the loop already: not what freed the graph
        line = source.range(context).start.line
        around = context.with_changes(body=cst.IndentedBlock(body=inner.body.body), leading_lines=())
        moved_loop = inner.with_changes(body=inner.body.with_changes(body=[around]))
        rewritten = context.deep_replace(inner, moved_loop)
        assert isinstance(rewritten, cst.With) and isinstance(rewritten.body, cst.IndentedBlock)
        unwrapped = list(rewritten.body.body)
        first = unwrapped[0]
        unwrapped[0] = first.with_changes(leading_lines=[*context.leading_lines, *first.leading_lines])  # type: ignore[union-attr]
        candidates = [self.candidate(
            f"enter `{source.code(context.items[0].item)}` once per iteration of the loop at line {source.range(inner).start.line}, "
            "around its forward and backward, instead of around the whole training loop",
            source.path, [source.replace_statement(context, cst.FlattenSentinel(unwrapped))],
        )]
        dropped = [*context.body.body]
        dropped[0] = dropped[0].with_changes(leading_lines=[*context.leading_lines, *dropped[0].leading_lines])  # type: ignore[union-attr]
        candidates.append(self.candidate(
            f"drop `{source.code(context.items[0].item)}` at line {line}: the weights are computed at every forward",
            source.path, [source.replace_statement(context, cst.FlattenSentinel(dropped))],
        ))
        message = (
            f"the script crashed: {crash.type}: {_MESSAGE}; `with {source.code(context.items[0].item)}:` at line {line} is entered "
            "once around the training loop, so the parametrized weights are computed once, with a graph, and every "
            "iteration's loss reaches back into the graph that the first backward() freed"
        )
        return [self.finding(project, crash.site, message, self._claimed(trace), candidates, blocking=True)]

    def _made_once(self, trace: Trace, project: Project, source: SourceFile, call: cst.Call) -> list[Finding]:
        """A tensor computed with gradients once, before the loop, that every iteration reads
        (a data set mapped through a layer, an embedding table looked up once, class prototypes):
        the first backward() frees its graph and the second reaches back into it."""
        crash = trace.crash
        assert crash is not None and crash.site is not None
        found: list[_Once] = []
        for loop in _loops(source, call):
            found = _made_before(source, loop, crash.graph_locals)[:_MAX_NAMES]
            if found:
                break
        if not found:
            return self._cached_around(trace, project, source, call)
        torch = module_alias(source, "torch")
        candidates: list[Candidate] = []
        described = []
        for once in found:
            held, free = _params_through(trace, crash.scope_modules, once.value)
            line = source.range(once.statement).start.line
            read = source.range(once.read).start.line
            through = ""
            if held:
                through = f"; its graph goes through {short_list(held)}, which an optimizer holds"
            elif free:
                through = f"; its graph goes through {short_list(free)}, which no optimizer holds"
            described.append(f"{once.name}, computed at line {line} and read at line {read}{through}")
            fixed: list[Candidate] = []
            if torch is not None:
                guarded = cst.With(
                    items=[cst.WithItem(item=cst.parse_expression(f"{torch}.no_grad()", config=source.module.config_for_parsing))],
                    body=cst.IndentedBlock(body=[once.statement.with_changes(leading_lines=())]),
                    leading_lines=once.statement.leading_lines,
                )
                fixed.append(self.candidate(
                    f"compute {once.name} under {torch}.no_grad() at line {line}: a fixed value, with no graph to go back into",
                    source.path, [source.replace_statement(once.statement, guarded)],
                ))
            if once.single:
                value = once.value
                if not isinstance(value, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) or value.lpar:
                    value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                detached = cst.Call(func=cst.Attribute(value=value, attr=cst.Name("detach")))
                fixed.append(self.candidate(
                    f"detach {once.name} where line {line} computes it: keep its value, not its graph",
                    source.path, [source.replace_node(once.value, detached)],
                ))
            moved = self._move_into_loop(source, once)
            if held:
                # The layers it goes through train: compute it at every step. Cutting its graph
                # instead could still verify (they get gradients by another path) and would stop
                # them learning through this one: not offered.
                fixed = [moved] if moved is not None else []
            elif moved is not None:
                fixed.append(moved)
            candidates += fixed
        message = (
            f"the script crashed: {crash.type}: {_MESSAGE}; {_ONCE} and read by every iteration "
            f"({'; '.join(described)}), so each loss after the first reaches back into the graph that the first backward() freed"
        )
        return [self.finding(project, crash.site, message, self._claimed(trace), candidates[:_MAX_NAMES], blocking=True)]

    def _move_into_loop(self, source: SourceFile, once: "_Once") -> Optional[Candidate]:
        """The statement moved to the loop body, just before the statement that first reads it."""
        start, end = source.statement_lines(once.statement, with_comments=False)
        text = textwrap.dedent(source.text[start:end])
        line = source.range(once.first).start.line
        indent = source.indentation(line)
        edits = [
            source.remove_statement(once.statement, moved=True),
            source.insert_lines(line, textwrap.indent(text, indent)),
        ]
        moved = self.candidate(
            f"compute {once.name} in the loop, before line {line} reads it: a new graph at every step",
            source.path, edits,
        )
        # It now runs at every step: from inputs that change between steps (a random draw, a
        # batch), it computes another value than the one computed once.
        moved.applicability = Applicability.UNSAFE
        return moved

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        """A value computed once from layers no optimizer holds, computed under no_grad or
        detached: those layers no longer get gradients, and were never meant to train."""
        if _ONCE not in finding.message:
            return judge(finding, candidate, before, run)
        kept = [p if p.optimizers else dataclasses.replace(p, got_grad=False) for p in before.params]
        return judge(finding, candidate, dataclasses.replace(before, params=kept), run)

    def _detach_candidate(self, states: list[_Carried], source: SourceFile) -> Candidate:
        where = states[0].source or source
        by_statement: dict[int, tuple[cst.BaseStatement, bool, list[str]]] = {}
        for state in states:
            detach = _detach(state.name, state.kind)
            if state.after is not None:
                by_statement.setdefault(id(state.after), (state.after, True, []))[2].append(detach)
            elif state.before is not None:
                # Before the first read the state may still be its first value (None).
                indent = where.module.default_indent
                by_statement.setdefault(id(state.before), (state.before, False, []))[2].extend(
                    [f"if {state.name} is not None:", f"{indent}{detach}"]
                )
        edits = [
            _insert_after(where, statement, lines) if after else _insert_before(where, statement, lines)
            for statement, after, lines in by_statement.values()
        ]
        if len(states) == 1:
            state = states[0]
            anchor = state.after or state.before
            assert anchor is not None
            line = where.range(anchor).start.line
            place = f"after line {line}" if state.after is not None else f"before line {line}"
            inside = f" in {state.where}" if state.where else ""
            return self.candidate(
                f"detach {state.name}{inside} {place}: keep its value for the next iteration, not its graph", where.path, edits,
            )
        inside = f" in {states[0].where}" if len({s.where for s in states}) == 1 and states[0].where else ""
        return self.candidate(
            f"detach {', '.join(s.name for s in states)}{inside}: keep their values for the next iteration, not their graphs",
            where.path, edits,
        )

    def _kept_on_objects(self, trace: Trace, project: Project, source: SourceFile, call: cst.Call, taken: set[str]) -> list[_Carried]:
        """Attributes the probe saw holding a graph (``self.model.hidden``) that a method of their
        object's class reads before it assigns them."""
        crash = trace.crash
        assert crash is not None
        found: list[_Carried] = []
        seen: set[tuple[str, int, str]] = set()  # the same state reached by two names (`model.h`, `net.h`)
        for key, kind in crash.graph_locals.items():
            if "." not in key or key in taken:
                continue
            owner, _, attr = key.rpartition(".")
            located = self._class_of(trace, project, source, call, owner)
            if located is None:
                continue
            where, cls = located
            for method in _methods(cls):
                if method.name.value == "__init__" or (where.path, id(method), attr) in seen:
                    continue
                state = _carried_by_method(where, method, attr)
                if state is None:
                    continue
                seen.add((where.path, id(method), attr))
                state.kind, state.source, state.where = kind, where, f"{cls.name.value}.{method.name.value}"
                reset = _initial_value(where, cls, method, attr)
                if reset is not None:
                    state.reset, state.reset_before = reset, _top_statement(where, state.read, method.body)
                found.append(state)
        return found

    def _reset_in_loop(self, source: SourceFile, call: cst.Call, loop: _Loop, state: _Carried) -> None:
        """A state on the training object itself (`self.hidden` of a Trainer) starts afresh as its
        constructor set it, before the loop reads it."""
        method = next((a for a in source.ancestors(call) if isinstance(a, cst.FunctionDef)), None)
        cls = _class_of_method(source, method) if method is not None else None
        if method is None or cls is None or not method.params.params:
            return
        me = method.params.params[0].name.value
        if not state.name.startswith(f"{me}.") or state.name.count(".") != 1:
            return
        reset = _initial_value(source, cls, method, state.name.partition(".")[2])
        if reset is not None:
            state.reset, state.reset_before = reset, _top_statement(source, state.read, loop.body)

    def _class_of(self, trace: Trace, project: Project, source: SourceFile, call: cst.Call, owner: str) -> Optional[tuple[SourceFile, cst.ClassDef]]:
        """The user class of the object an attribute path starts from: the crashed method's own
        class for its ``self``; else the class of the module the run knew by that name."""
        method = next((a for a in source.ancestors(call) if isinstance(a, cst.FunctionDef)), None)
        if method is not None and method.params.params and owner == method.params.params[0].name.value:
            cls = _class_of_method(source, method)
            return None if cls is None else (source, cls)
        classes = {m.cls for m in trace.modules if owner in (m.name, m.path)}
        if len(classes) != 1:
            return None
        module_name, _, name = classes.pop().rpartition(".")
        if module_name == "__main__":
            path: Optional[str] = trace.script
        else:
            path = next((
                candidate
                for folder in (os.path.dirname(trace.script), project.root)
                for candidate in (os.path.join(folder, *module_name.split(".")) + ".py",)
                if os.path.isfile(candidate)
            ), None)
        if path is None or not project.is_editable(path):
            return None
        where = project.source(path)
        matches = [c for c in _classes(where.module.body) if c.name.value == name]
        return (where, matches[0]) if len(matches) == 1 else None


def _classes(body: Sequence[cst.CSTNode]) -> Iterator[cst.ClassDef]:
    """The classes a module defines at its top level, also under ``if __name__ == "__main__":``."""
    for statement in body:
        if isinstance(statement, cst.ClassDef):
            yield statement
        elif isinstance(statement, (cst.If, cst.Try, cst.With)):
            for child in statement.children:
                if isinstance(child, cst.IndentedBlock):
                    yield from _classes(child.body)


def _methods(cls: cst.ClassDef) -> list[cst.FunctionDef]:
    return [s for s in cls.body.body if isinstance(s, cst.FunctionDef)] if isinstance(cls.body, cst.IndentedBlock) else []


def _class_of_method(source: SourceFile, method: cst.FunctionDef) -> Optional[cst.ClassDef]:
    block = source.parent(method)
    owner = source.parent(block) if isinstance(block, cst.IndentedBlock) else None
    return owner if isinstance(owner, cst.ClassDef) else None


def _initial_value(source: SourceFile, cls: cst.ClassDef, method: cst.FunctionDef, attr: str) -> Optional[str]:
    """``self.hidden = self.init_hidden()`` as the class's ``__init__`` writes it, when another
    method can run the same statement: it reads only ``self`` and the module's own names."""
    init = next((m for m in _methods(cls) if m.name.value == "__init__"), None)
    if init is None or not init.params.params or not method.params.params:
        return None
    me = init.params.params[0].name.value
    if method.params.params[0].name.value != me:
        return None
    values = []
    for statement in init.body.body if isinstance(init.body, cst.IndentedBlock) else []:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and _path(small.targets[0].target) == f"{me}.{attr}":
                values.append(small.value)
    if len(values) != 1:
        return None
    flow = _Flow()
    values[0].visit(flow)
    reads = {u.name for u in flow.uses if "." not in u.name}
    local = {p.name.value for p in init.params.params[1:]} | {p.name.value for p in init.params.kwonly_params}
    shared = _module_names(source) | set(dir(builtins))
    if any(name != me and (name in local or name not in shared) for name in reads):
        return None
    return f"{me}.{attr} = {source.code(values[0])}"


def _module_names(source: SourceFile) -> set[str]:
    """Names the module binds at its top level: imports, functions, classes, constants."""
    names: set[str] = set()
    for statement in source.module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            names.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                    for alias in small.names:
                        bound = alias.asname.name if alias.asname is not None else alias.name
                        while isinstance(bound, cst.Attribute):
                            bound = bound.value
                        if isinstance(bound, cst.Name):
                            names.add(bound.value)
                elif isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            names.add(target.target.value)
    return names


def _insert_before(source: SourceFile, statement: cst.BaseStatement, lines: list[str]) -> Edit:
    """Lines inserted right before a statement, at its indentation."""
    line = source.range(statement).start.line
    indent = source.indentation(line)
    return source.insert_lines(line, "".join(f"{indent}{text}\n" for text in lines))
