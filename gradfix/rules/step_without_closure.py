"""GF053: an optimizer whose ``step()`` needs a closure is stepped the plain way.

L-BFGS evaluates the loss several times per step (its inner iterations, its line search), so its
``step(closure)`` takes a function that clears the gradients, runs the forward, computes the loss,
calls ``backward()`` and returns the loss. Called as ``loss.backward(); optimizer.step()``, it
raises ``TypeError: LBFGS.step() missing 1 required positional argument: 'closure'``. So does any
optimizer of the script's own whose ``step`` takes a ``closure`` without a default (a line search):
the probe reads each optimizer's ``step`` signature when it is built, and records the ``step()``
call made without a closure that never returned. The same fault hides in a training function that
served Adam in a first phase and is handed L-BFGS in a second one.

The fix builds the closure from the statements the user wrote around the step: their
``zero_grad()`` (the one after the step moves in; none, and the optimizer's own is added), the
statements whose results carry the graph (the forward and the loss; read from the crashed frame:
the names bound to tensors with a ``grad_fn``), what is computed from them, the ``backward()`` and
what runs between it and the step (gradient clipping). Statements that carry no graph (moving a
batch to the device, sampling collocation points) stay outside, so every evaluation sees the same
batch. The first candidate moves them into ``def closure(): ... return loss`` and calls
``loss = optimizer.step(closure)`` when the loss is read afterwards (logging; the step returns it),
with logging of the loss between ``backward()`` and ``step()`` moved after the step. The second
leaves the user's statements where they are and defines the closure from copies of them, for when
other values the forward computed are read after the step. Every optimizer of ``torch.optim``
accepts a closure, so a training function shared by Adam and L-BFGS serves both after the fix. The
re-run decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

import libcst as cst
from libcst.metadata import Scope

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import BindsAndReads, SourceFile, descendants
from gradfix.trace import OptimizerFact, Site, Trace

_Block = Union[cst.IndentedBlock, cst.Module]
_CLOSURE_NAMES = ("closure", "closure_fn", "loss_closure")


class _Names(BindsAndReads):
    """:class:`BindsAndReads` of a statement that moves into a closure."""

    # A nested function or class binds its own name here; what it reads is read when it runs.
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.binds.add(node.name.value)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.binds.add(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


@dataclass
class _Unit:
    node: cst.BaseStatement
    binds: set[str]
    reads: set[str]
    first: set[str] = field(default_factory=set)

    @property
    def plain_binds(self) -> set[str]:
        return {b for b in self.binds if "." not in b}

    @property
    def early_reads(self) -> set[str]:
        """Plain names it reads before it binds them (a ``for`` target is bound first)."""
        return {r for r in self.reads if "." not in r} - self.first


def _unit(statement: cst.BaseStatement) -> _Unit:
    names = _Names()
    statement.visit(names)
    return _Unit(statement, names.binds, names.reads, names.first)


def _overlap(a: set[str], b: set[str]) -> bool:
    """Do two sets of paths touch (``out`` and ``out.mean``, ``self`` and ``self.loss``)?"""
    return any(x == y or x.startswith(y + ".") or y.startswith(x + ".") for x in a for y in b)


def _without(paths: set[str], bound: set[str]) -> set[str]:
    return {p for p in paths if not any(p == b or p.startswith(b + ".") for b in bound)}


def _only_call(statement: cst.BaseStatement) -> Optional[cst.Call]:
    """The call of a line that is one expression statement and nothing else."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            return small.value
    return None


def _method_call(statement: cst.BaseStatement, method: str) -> Optional[cst.Call]:
    call = _only_call(statement)
    if call is not None and isinstance(call.func, cst.Attribute) and call.func.attr.value == method:
        return call
    return None


def _calls_method(statement: cst.BaseStatement, methods: set[str]) -> bool:
    return any(isinstance(c.func, cst.Attribute) and c.func.attr.value in methods for c in descendants(statement, cst.Call))


@dataclass
class _Plan:
    """The statements of the block around the step, sorted for the closure."""

    units: list[_Unit]
    step: int
    backward: int
    returned: cst.BaseExpression  # what the closure returns: the loss
    loss_name: Optional[str]  # the plain name bound to the loss, when there is one
    closure: list[int]  # the statements that go into the closure, in order
    after: list[int]  # statements that read only the loss, or keep counts (logging): they run after the step
    hoisted: list[int]  # statements of the span that carry no graph and read nothing of the closure's
    zero_grad: Optional[int]  # the user's zero_grad() before the backward
    zero_grad_after: Optional[int]  # the user's zero_grad() after the step, when there is none before


class StepWithoutClosure(Rule):
    code = "GF053"
    title = "optimizer that needs a closure stepped without one"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or crash.type != "TypeError":
            return []
        optimizer = self._stepped(trace)
        if optimizer is None or optimizer.unclosed_step is None or not project.is_editable(optimizer.unclosed_step.file):
            return []
        site = optimizer.unclosed_step
        source = project.source(site.file)
        if source.ignored(site.line, self.code):
            return []
        calls = [
            c for c in source.nodes_at(site, cst.Call)
            if isinstance(c.func, cst.Attribute) and c.func.attr.value == "step" and not c.args
        ]
        params = [n for n in optimizer.params if (p := trace.param(n)) is not None and p.requires_grad]
        kind = optimizer.cls.rsplit(".", 1)[-1]
        candidates: list[Candidate] = []
        call_code = f"{kind}.step()"
        if calls:
            call_code = source.code(calls[0])
            backward_site = trace.backwards[-1].site if trace.backwards else None
            candidates = self._candidates(source, calls[0], set(crash.graph_locals), backward_site)
        message = (
            f"the script crashed: {crash.type}: {crash.message}; {kind}'s step() takes a closure that "
            f"re-evaluates the loss (it may call it several times per step), and `{call_code}` gave none"
        )
        return [self.finding(project, site, message, params, candidates, blocking=True)]

    @staticmethod
    def _stepped(trace: Trace) -> Optional[OptimizerFact]:
        """The optimizer whose step() needs a closure, called without one where the script crashed."""
        crash = trace.crash
        assert crash is not None and crash.site is not None
        for optimizer in trace.optimizers:
            site = optimizer.unclosed_step
            # The TypeError is raised as the call binds its arguments: the user's call is the
            # innermost user frame.
            if optimizer.needs_closure and site is not None and site.same_place(crash.site):
                return optimizer
        return None

    # -- the closure ------------------------------------------------------------------------------

    def _candidates(self, source: SourceFile, call: cst.Call, graph: set[str], backward_site: Optional[Site]) -> list[Candidate]:
        statement = source.statement_of(call)
        block = source.parent(statement) if statement is not None else None
        if statement is None or _only_call(statement) is not call or not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return []
        plan = self._plan(source, block, list(block.body).index(statement), graph, backward_site)
        if plan is None:
            return []
        assert isinstance(call.func, cst.Attribute)
        receiver = source.code(call.func.value)
        name = self._closure_name(source, statement)
        if name is None:
            return []
        candidates = []
        moved = self._moved(source, block, plan, receiver, name)
        if moved is not None:
            candidates.append(moved)
        candidates.append(self._copied(source, block, plan, receiver, name))
        return candidates

    def _plan(self, source: SourceFile, block: _Block, step: int, graph: set[str], backward_site: Optional[Site]) -> Optional[_Plan]:
        units = [_unit(s) for s in block.body]
        backward = next((i for i in range(step - 1, -1, -1) if _runs_backward(source, units[i].node, backward_site)), None)
        if backward is None:
            return None
        # Where this step's iteration begins: after the previous backward() or step() of the block.
        begin = next((i + 1 for i in range(backward - 1, -1, -1) if _calls_method(units[i].node, {"backward", "step"})), 0)
        returned, loss_name = self._loss(units[backward])
        if returned is None:
            return None
        graph = graph | ({loss_name} if loss_name else set())
        # The statements the loss is built from (in this block), and of them those whose results
        # carry the graph: what each evaluation of the closure must run again.
        needed = set(units[backward].reads)
        core: set[int] = set()
        for index in range(backward - 1, begin - 1, -1):
            unit = units[index]
            if not _overlap(unit.binds, needed):
                continue
            needed = _without(needed, unit.binds) | unit.reads
            if _overlap(unit.binds, graph):
                core.add(index)
        if not core and not units[backward].binds:
            return None  # the loss was built before this block: nothing here computes it again
        zero_grad = next((i for i in range(backward - 1, begin - 1, -1) if _method_call(units[i].node, "zero_grad")), None)
        zero_grad_after = None
        if zero_grad is None:
            for index in range(step + 1, len(units)):
                if _method_call(units[index].node, "zero_grad"):
                    zero_grad_after = index
                    break
                if _calls_method(units[index].node, {"backward", "step"}):
                    break
        start = min([*core, backward] + ([zero_grad] if zero_grad is not None else []))
        closure: list[int] = []
        after: list[int] = []
        hoisted: list[int] = []
        bound: set[str] = set()
        for index in range(start, step):
            unit = units[index]
            reads_closure = _overlap(unit.reads, bound)
            if index in core or index in (backward, zero_grad):
                closure.append(index)
            elif reads_closure and index > backward and self._reads_only(unit, bound, loss_name):
                after.append(index)  # logging the loss: once per step, after it
            elif reads_closure or index > backward:
                closure.append(index)  # computed from the forward, or gradient clipping
            else:
                hoisted.append(index)
                continue
            if index in closure:
                bound |= unit.binds
        # Names the closure binds are its own: one it reads before binding (`x = x.to(device)`,
        # `total += loss.item()`) would raise UnboundLocalError. Such a statement that the forward
        # does not need leaves the closure: after the step, or before it.
        while True:
            local = {b for i in closure for b in units[i].plain_binds}
            seen: set[str] = set()
            bad = None
            for index in closure:
                if units[index].early_reads & (local - seen):
                    bad = index
                    break
                seen |= units[index].plain_binds
            if bad is None:
                break
            if bad in core or bad in (backward, zero_grad):
                return None
            others = {b for i in closure if i != bad for b in units[i].binds}
            closure.remove(bad)
            reads = units[bad].reads
            if bad < backward and not _overlap(reads, others):
                hoisted.append(bad)
            elif not _overlap(reads, _without(others, {loss_name} if loss_name else set())):
                after.append(bad)  # bookkeeping (`seen += len(y)`, `total += loss.item()`): once per step
            else:
                return None
            if any(_overlap(units[j].reads, units[bad].binds) for j in closure):
                return None  # the closure needs what it computes
        after.sort()
        hoisted.sort()
        return _Plan(units, step, backward, returned, loss_name, closure, after, hoisted, zero_grad, zero_grad_after)

    @staticmethod
    def _reads_only(unit: _Unit, bound: set[str], loss_name: Optional[str]) -> bool:
        """Of the names ``bound``, the statement reads the loss only."""
        return loss_name is not None and not _overlap(unit.reads, _without(bound, {loss_name}))

    @staticmethod
    def _loss(backward: _Unit) -> tuple[Optional[cst.BaseExpression], Optional[str]]:
        """What the closure returns, and the plain name bound to it: the receiver of
        ``loss.backward()``, or the name bound by ``loss = helper(...)`` whose helper calls it."""
        call = _method_call(backward.node, "backward")
        if call is not None:
            assert isinstance(call.func, cst.Attribute)
            value = call.func.value
            if _Names.path(value) is not None:
                path = _Names.path(value)
                return value, path if path is not None and "." not in path else None
            # `(l1 + l2).backward()`: computed again for the return, it is the same value
            if not descendants(value, cst.Call):
                return value.with_changes(lpar=[], rpar=[]) if isinstance(value, cst.BinaryOperation) else value, None
            return None, None
        statement = backward.node
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
            small = statement.body[0]
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.value, cst.Call):
                target = small.targets[0].target
                path = _Names.path(target)
                if path is not None:
                    return target, path if "." not in path else None
        return None, None

    @staticmethod
    def _closure_name(source: SourceFile, statement: cst.BaseStatement) -> Optional[str]:
        """A name for the closure that the step's scope uses for nothing else."""
        scope = source.scopes.get(statement)
        for name in _CLOSURE_NAMES:
            if scope is None or (not scope.assignments[name] and not scope.accesses[name]):
                return name
        return None

    # -- the two shapes -----------------------------------------------------------------------------

    def _moved(self, source: SourceFile, block: _Block, plan: _Plan, receiver: str, name: str) -> Optional[Candidate]:
        """The user's statements move into the closure; the step returns the loss."""
        units = plan.units
        inside = plan.closure
        local = {b for i in inside for b in units[i].plain_binds}
        read_outside = self._read_outside(source, block, plan, local)
        if read_outside - ({plan.loss_name} if plan.loss_name else set()):
            return None  # the forward's other values are read after the step: the copy keeps them
        # A statement that stays before the closure must not change what the closure reads.
        for h in plan.hoisted:
            if any(j < h and _overlap(units[j].reads, units[h].binds) for j in inside):
                return None
        body: list[cst.BaseStatement] = []
        if plan.zero_grad is None:
            if plan.zero_grad_after is not None:
                body.append(units[plan.zero_grad_after].node)
            else:
                body.append(cst.parse_statement(f"{receiver}.zero_grad()\n", config=source.module.config_for_parsing))
        body += [units[i].node.with_changes(leading_lines=()) if i == inside[0] else units[i].node for i in inside]
        assign = plan.loss_name is not None and plan.loss_name in read_outside
        step = self._step(source, units[plan.step].node, receiver, name, plan.loss_name if assign else None)
        first = min(inside + plan.hoisted + plan.after)
        # The def takes the comments and blank lines above the first statement it takes in.
        definition = self._definition(
            source, name, body, plan.returned, units[inside[0]].node.leading_lines, first == 0 and not plan.hoisted,
        )
        new = [units[i].node for i in plan.hoisted] + [definition, step] + [units[i].node for i in plan.after]
        last = plan.step
        if plan.zero_grad_after is not None and plan.zero_grad is None:
            new += [units[i].node for i in range(plan.step + 1, plan.zero_grad_after)]
            last = plan.zero_grad_after
        edit = _replace_range(source, block, first, last, new)
        call = f"{plan.loss_name} = {receiver}.step({name})" if assign else f"{receiver}.step({name})"
        if plan.zero_grad is None and plan.zero_grad_after is None:
            what = f"move the forward, the loss and backward() into `def {name}()`, which clears the gradients first,"
        else:
            what = f"move zero_grad(), the forward, the loss and backward() into `def {name}()`"
        return self.candidate(f"{what} and call `{call}`", source.path, [edit])

    def _copied(self, source: SourceFile, block: _Block, plan: _Plan, receiver: str, name: str) -> Candidate:
        """The user's statements stay; the closure runs copies of them again at each evaluation."""
        units = plan.units
        body: list[cst.BaseStatement] = []
        if plan.zero_grad is None:
            if plan.zero_grad_after is not None:
                body.append(units[plan.zero_grad_after].node)
            else:
                body.append(cst.parse_statement(f"{receiver}.zero_grad()\n", config=source.module.config_for_parsing))
        # Copies: the comments above them stay with the originals.
        body += [units[i].node.with_changes(leading_lines=()) for i in plan.closure]
        step_node = units[plan.step].node
        definition = self._definition(source, name, body, plan.returned, step_node.leading_lines, False)
        step = self._step(source, step_node, receiver, name, None).with_changes(leading_lines=())
        edit = _replace_range(source, block, plan.step, plan.step, [definition, step])
        clears = "zero_grad()" if plan.zero_grad is not None or plan.zero_grad_after is not None else f"{receiver}.zero_grad()"
        return self.candidate(
            f"define `{name}()` running {clears}, the forward, the loss and backward() again, and call "
            f"`{receiver}.step({name})`",
            source.path, [edit],
        )

    @staticmethod
    def _definition(
        source: SourceFile, name: str, body: list[cst.BaseStatement], returned: cst.BaseExpression,
        leading: Sequence[cst.EmptyLine], opens_block: bool,
    ) -> cst.FunctionDef:
        body = [body[0].with_changes(leading_lines=()), *body[1:]]
        if not opens_block and all(line.comment is not None for line in leading):
            leading = [cst.EmptyLine(indent=False), *leading]  # a nested def stands apart (pycodestyle E306)
        ret = cst.SimpleStatementLine([cst.Return(value=returned)])
        return cst.FunctionDef(
            name=cst.Name(name),
            params=cst.Parameters(),
            body=cst.IndentedBlock(body=[*body, ret]),
            leading_lines=leading,
        )

    @staticmethod
    def _step(source: SourceFile, statement: cst.BaseStatement, receiver: str, name: str, target: Optional[str]) -> cst.BaseStatement:
        text = f"{target} = {receiver}.step({name})\n" if target else f"{receiver}.step({name})\n"
        new = cst.parse_statement(text, config=source.module.config_for_parsing)
        assert isinstance(statement, cst.SimpleStatementLine) and isinstance(new, cst.SimpleStatementLine)
        return statement.with_changes(body=new.body)

    @staticmethod
    def _read_outside(source: SourceFile, block: _Block, plan: _Plan, names: set[str]) -> set[str]:
        """Of ``names``, those the scope of the step reads anywhere outside the closure's statements
        (after the step, in the next iteration, after the loop, in a comprehension)."""
        statement = plan.units[plan.step].node
        scope = source.scopes.get(statement)
        if scope is None:
            return set(names)
        spans = [source.range(plan.units[i].node) for i in plan.closure]

        def inside(node: cst.CSTNode) -> bool:
            where = source.range(node)
            return any(
                (s.start.line, s.start.column) <= (where.start.line, where.start.column)
                and (where.end.line, where.end.column) <= (s.end.line, s.end.column)
                for s in spans
            )

        scopes = {s for s in source.scopes.values() if s is not None}
        found = set()
        for name in names:
            for other in scopes:
                if other is not scope and not (_within(other, scope) and not other.assignments[name]):
                    continue
                if any(not inside(access.node) for access in other.accesses[name]):
                    found.add(name)
                    break
        return found


def _runs_backward(source: SourceFile, statement: cst.BaseStatement, site: Optional[Site]) -> bool:
    """The statement calls ``backward()``, or holds the user frame of the last backward() the run
    saw, or calls a function of this file that holds it (``loss = train_batch(...)``)."""
    if _calls_method(statement, {"backward"}):
        return True
    if site is None or site.file != source.path:
        return False
    where = source.range(statement)
    if where.start.line <= site.line <= where.end.line:
        return True
    called = set()
    for call in descendants(statement, cst.Call):
        if isinstance(call.func, cst.Name):
            called.add(call.func.value)
        elif isinstance(call.func, cst.Attribute):
            called.add(call.func.attr.value)
    for function in descendants(source.module, cst.FunctionDef):
        if function.name.value in called:
            span = source.range(function)
            if span.start.line <= site.line <= span.end.line:
                return True
    return False


def _within(scope: Scope, outer: Scope) -> bool:
    parent = scope.parent
    while parent is not None and parent is not parent.parent:
        if parent is outer:
            return True
        parent = parent.parent
    return parent is outer


def _replace_range(source: SourceFile, block: _Block, first: int, last: int, new: list[cst.BaseStatement]) -> Edit:
    """Replace statements ``first`` to ``last`` of a block by others, rendered by libcst at the
    block's indentation."""
    body = list(block.body)
    changed = block.with_changes(body=[*body[:first], *new, *body[last + 1 :]])
    new_code = source.module.deep_replace(block, changed).code if block is not source.module else changed.code  # type: ignore[union-attr]
    start, _ = source.statement_lines(body[first], with_comments=False)
    start -= sum(len(source.code(line)) for line in body[first].leading_lines)
    _, end = source.statement_lines(body[last], with_comments=False)
    prefix, suffix = source.text[:start], source.text[end:]
    while not (new_code.startswith(prefix) and new_code.endswith(suffix)) and suffix:
        # libcst also re-rendered the block footer (comments after the statements): widen.
        cut = suffix.find("\n") + 1 or len(suffix)
        suffix = suffix[cut:]
    if not new_code.startswith(prefix):
        raise ValueError("statement replacement changed text before the statements")
    replacement = new_code[len(prefix) : len(new_code) - len(suffix)]
    return Edit(source.position(start), source.position(len(source.text) - len(suffix)), replacement)
