"""GF031: the loss was turned into a Python number before ``backward()``.

``loss = criterion(out, y).item()``, a ``loss = loss.item()`` added to log it, ``float(loss)``,
``loss.tolist()``, ``loss.detach().cpu().numpy()``, ``sum(l.item() for l in losses)`` or a helper
that returns ``loss.item()``: the name then holds a float (an int, a list, a numpy value), which has
no graph, and ``loss.backward()`` raises ``AttributeError: 'float' object has no attribute
'backward'``. gradfix reads the crash and its site (the ``backward`` of a name), then the
bindings of that name that reach the call in the same function: the nearest one before it, and
those in branches or ``+=`` updates up to the assignment that always runs first. Where such a
binding makes a number, the fix drops the trailing ``.item()`` / ``.tolist()`` / ``.numpy()`` /
``.detach()`` chain (inside ``float(...)``, ``sum(...)`` of a generator, arithmetic, or the helper's
``return``). Where the name is read again as a number (``running += loss``), the first candidate
also reads ``loss.item()`` there, so the logging keeps its floats and holds no graph. A pure logging
rebinding (``loss = loss.item()``) is renamed (``loss_value = loss.item()``, and its readers with
it), or removed; the re-run decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Union

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Site, Trace

_MESSAGE = re.compile(r"^'(?P<type>float|int|bool|list|tuple|numpy\.[\w.]+)' object has no attribute 'backward'")
# The trailing calls that take a loss out of autograd: `.cpu()` and `.detach()` only ever lead up
# to the call that makes the number (`.item()`, `.tolist()`, `.numpy()`).
_NUMBER_METHODS = {"item", "tolist", "numpy"}
_CHAIN_METHODS = _NUMBER_METHODS | {"detach", "cpu"}
_CASTS = {"builtins.float", "builtins.int"}
_MAX_CANDIDATES = 6
_Binding = Union[cst.Assign, cst.AugAssign, cst.AnnAssign]


def _strip_chain(expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """``criterion(out, y).detach().cpu().item()`` -> ``criterion(out, y)``; None without a number call."""
    node, numbered = expr, False
    while True:
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in _CHAIN_METHODS
            and (not node.args or node.func.attr.value == "numpy")  # numpy(force=True)
        ):
            numbered = numbered or node.func.attr.value in _NUMBER_METHODS
            node = node.func.value
        elif isinstance(node, cst.Attribute) and node.attr.value == "data":
            node = node.value
        else:
            break
    return node if numbered else None


def _as_tensor(source: SourceFile, expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """The expression with the calls that make a number out of the loss taken out, where the
    number is the expression's value: the chain itself, a ``float()``/``int()`` around it, the
    items of ``sum(...)``, the operands of arithmetic. None when nothing there makes a number."""
    stripped = _strip_chain(expr)
    if stripped is not None:
        return stripped
    if isinstance(expr, cst.Call) and len(expr.args) == 1 and expr.args[0].keyword is None and not expr.args[0].star:
        names = source.qualified_names(expr.func)
        inner = expr.args[0].value
        if names & _CASTS:
            return _as_tensor(source, inner) or inner
        if "builtins.sum" in names and isinstance(inner, (cst.GeneratorExp, cst.ListComp)):
            element = _as_tensor(source, inner.elt)
            if element is None:
                return None
            return expr.with_changes(args=[expr.args[0].with_changes(value=inner.with_changes(elt=element))])
    if isinstance(expr, cst.BinaryOperation):
        left, right = _as_tensor(source, expr.left), _as_tensor(source, expr.right)
        if left is None and right is None:
            return None
        return expr.with_changes(left=left or expr.left, right=right or expr.right)
    if isinstance(expr, cst.UnaryOperation):
        operand = _as_tensor(source, expr.expression)
        return None if operand is None else expr.with_changes(expression=operand)
    return None


@dataclass
class _Plan:
    """What makes the name a number, and how each place changes."""

    replaced: list[tuple[cst.BaseExpression, cst.BaseExpression]] = field(default_factory=list)
    rebinding: Optional[cst.SimpleStatementLine] = None  # `loss = loss.item()`: nothing but a number of itself
    statements: list[cst.BaseStatement] = field(default_factory=list)  # the bindings, in source order


def _lines(source: SourceFile, plan: _Plan) -> str:
    """Where the number is made: the changed expressions, or the logging rebinding."""
    nodes = [old for old, _ in plan.replaced] or ([plan.rebinding] if plan.rebinding is not None else [])
    return ", ".join(str(line) for line in sorted({source.range(node).start.line for node in nodes}))


def _binding_of(source: SourceFile, node: cst.CSTNode) -> Optional[_Binding]:
    parent = source.parent(node)
    while isinstance(parent, (cst.AssignTarget, cst.Tuple, cst.List, cst.Element, cst.StarredElement)):
        parent = source.parent(parent)
    return parent if isinstance(parent, (cst.Assign, cst.AugAssign, cst.AnnAssign)) else None


def _start(source: SourceFile, node: cst.CSTNode) -> tuple[int, int]:
    where = source.range(node).start
    return (where.line, where.column)


def _function_or_lambda_of(source: SourceFile, node: cst.CSTNode) -> Optional[Union[cst.FunctionDef, cst.Lambda]]:
    """The function (or lambda) whose body holds the node; None at module level."""
    return next((a for a in source.ancestors(node) if isinstance(a, (cst.FunctionDef, cst.Lambda))), None)  # type: ignore[misc]


def _local_function(source: SourceFile, call: cst.Call) -> Optional[cst.FunctionDef]:
    """The function of this file that ``helper(...)`` or ``self.helper(...)`` calls."""
    func = call.func
    if isinstance(func, cst.Name):
        scope = source.scopes.get(func)
        assignments = list(scope[func.value]) if scope is not None else []
        if len(assignments) == 1 and isinstance(assignments[0].node, cst.FunctionDef):
            return assignments[0].node
        return None
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        method = _function_or_lambda_of(source, call)
        if not isinstance(method, cst.FunctionDef) or not method.params.params:
            return None
        if method.params.params[0].name.value != func.value.value:
            return None
        cls = next((a for a in source.ancestors(method) if isinstance(a, cst.ClassDef)), None)
        if cls is None or not isinstance(cls.body, cst.IndentedBlock):
            return None
        found = [s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value == func.attr.value]
        return found[0] if len(found) == 1 else None
    return None


def _returns(function: cst.FunctionDef) -> list[cst.Return]:
    """The function's own ``return`` statements (not those of functions nested in it)."""
    found: list[cst.Return] = []

    class Collect(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_Return(self, node: cst.Return) -> None:
            found.append(node)

    function.visit(Collect())
    return found


def _fresh_name(source: SourceFile, base: str) -> Optional[str]:
    taken = {n.value for n in descendants(source.module, cst.Name)}
    for suffix in ("_value", "_number", "_item"):
        if f"{base}{suffix}" not in taken and f"{base}{suffix}".isidentifier():
            return f"{base}{suffix}"
    return None


class LossToNumber(Rule):
    code = "GF031"
    title = "loss turned into a Python number before backward()"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or crash.type != "AttributeError":
            return []
        match = _MESSAGE.match(crash.message)
        if match is None or not project.is_editable(crash.site.file):
            return []
        source = project.source(crash.site.file)
        receiver = self._receiver(source, crash.site)
        if receiver is None:
            return []
        if isinstance(receiver, cst.Name):
            plan = self._plan(source, receiver)
        else:
            # `sum(l.item() for l in losses).backward()`: the number is made in the call itself
            new = _as_tensor(source, receiver)
            plan = _Plan([(receiver, new)]) if new is not None else None
        if plan is None or not plan.replaced and plan.rebinding is None:
            return []
        candidates = self._candidates(source, receiver, plan)
        if not candidates:
            return []
        what = source.code(receiver)
        message = (
            f"the script crashed: {crash.type}: {crash.message}; `{what}` holds a {match.group('type')}, "
            f"not the loss tensor: line {_lines(source, plan)} turned it into one, and a number "
            "has no graph to backpropagate"
        )
        return [self.finding(project, crash.site, message, trace.optimized_params_that_ran(), candidates, blocking=True)]

    @staticmethod
    def _receiver(source: SourceFile, site: Site) -> Optional[cst.BaseExpression]:
        """What ``.backward`` was read from, at the crash site (the attribute or the whole call)."""
        attributes = [a for a in source.nodes_at(site, cst.Attribute) if a.attr.value == "backward"]
        attributes += [
            c.func for c in source.nodes_at(site, cst.Call) if isinstance(c.func, cst.Attribute) and c.func.attr.value == "backward"
        ]
        for attribute in attributes:
            if isinstance(source.parent(attribute), cst.Call) and source.parent(attribute).func is attribute:  # type: ignore[union-attr]
                return attribute.value
        return None

    def _plan(self, source: SourceFile, name: cst.Name) -> Optional[_Plan]:
        """The bindings of ``name`` that reach the backward call, in the same scope: the nearest
        before it, going back through branches and ``+=`` updates to the first assignment that
        always runs before it. Each that makes a number is changed."""
        scope = source.scopes.get(name)
        if scope is None:
            return None
        before = _start(source, name)
        bindings = []
        for assignment in scope.assignments[name.value]:
            if assignment.scope is not scope or not isinstance(assignment.node, cst.CSTNode):
                continue
            try:
                where = _start(source, assignment.node)
            except KeyError:
                continue
            if where < before:
                bindings.append((where, assignment.node))
        bindings.sort(key=lambda item: item[0], reverse=True)
        plan = _Plan()
        for _, node in bindings:
            binding = _binding_of(source, node) if isinstance(node, cst.Name) else None
            if binding is None:
                break  # a loop variable, a parameter, an import: nothing this rule can read
            statement = source.statement_of(binding)
            value = binding.value
            number = self._number(source, binding, name.value) if value is not None else None
            if number is not None:
                replaced, rebinding = number
                plan.replaced += replaced
                plan.statements.insert(0, statement)  # type: ignore[arg-type]
                if rebinding and isinstance(statement, cst.SimpleStatementLine):
                    plan.rebinding = statement
            if isinstance(binding, cst.AugAssign):
                continue  # `total += ...` reads the earlier value too
            if self._dominates(source, statement, name):
                break
        if len(plan.statements) > 1 and plan.rebinding is not None:
            return None  # a logging rebinding among other number bindings: no single reading of it
        if plan.rebinding is not None:
            plan.replaced = []
        return plan if plan.statements else None

    @staticmethod
    def _dominates(source: SourceFile, statement: Optional[cst.BaseStatement], name: cst.Name) -> bool:
        """The statement's block also holds the backward call: it always runs before it."""
        if statement is None:
            return True
        block = source.parent(statement)
        return any(ancestor is block for ancestor in source.ancestors(name))

    def _number(
        self, source: SourceFile, binding: _Binding, name: str
    ) -> Optional[tuple[list[tuple[cst.BaseExpression, cst.BaseExpression]], bool]]:
        """The changes that make this binding a tensor again, and whether it only rebinds the name
        to a number of itself (``loss = loss.item()``, ``loss = float(loss)``)."""
        value = binding.value
        assert value is not None
        new = _as_tensor(source, value)
        if new is not None:
            rebinding = (
                isinstance(binding, cst.Assign)
                and len(binding.targets) == 1
                and isinstance(binding.targets[0].target, cst.Name)
                and isinstance(new, cst.Name)
                and new.value == name
            )
            return [(value, new)], rebinding
        if isinstance(value, cst.Call):
            function = _local_function(source, value)
            if function is None:
                return None
            replaced = []
            for returned in _returns(function):
                if returned.value is not None and (made := _as_tensor(source, returned.value)) is not None:
                    replaced.append((returned.value, made))
            return (replaced, False) if replaced else None
        return None

    def _readers(self, source: SourceFile, name: cst.Name, plan: _Plan) -> list[cst.Name]:
        """Where the number is read after it is made (``running += loss``, ``print(f"{loss:.3f}")``),
        up to the next binding of the name, in the same function (its comprehensions included):
        not the backward call, and not a method of it (``loss.item()`` is a tensor's too)."""
        scope = source.scopes.get(name)
        if scope is None:
            return []
        last = source.range(plan.statements[-1]).end
        start = (last.line, last.column)
        later = [
            where for a in scope.assignments[name.value]
            if a.scope is scope and isinstance(a.node, cst.CSTNode) and (where := _start(source, a.node)) > start
        ]
        end = min(later, default=(1 << 30, 0))
        owner = _function_or_lambda_of(source, name)
        found: dict[int, cst.Name] = {}
        for inner in set(source.scopes.values()):
            if inner is None:
                continue
            for access in inner.accesses[name.value]:
                node = access.node
                if not isinstance(node, cst.Name) or node is name or id(node) in found:
                    continue
                if not any(r.scope is scope for r in access.referents) or _function_or_lambda_of(source, node) is not owner:
                    continue
                if not start < _start(source, node) < end:
                    continue
                parent = source.parent(node)
                if isinstance(parent, cst.Attribute) and parent.value is node:
                    continue
                found[id(node)] = node
        return sorted(found.values(), key=lambda n: _start(source, n))

    def _candidates(self, source: SourceFile, receiver: cst.BaseExpression, plan: _Plan) -> list[Candidate]:
        candidates: list[Candidate] = []
        readers = self._readers(source, receiver, plan) if isinstance(receiver, cst.Name) else []
        what = source.code(receiver)
        if plan.rebinding is not None:
            assert isinstance(receiver, cst.Name)
            line = source.range(plan.rebinding).start.line
            fresh = _fresh_name(source, receiver.value)
            assign = plan.rebinding.body[0]
            if not self._dominates(source, plan.rebinding, receiver):
                # Logged only in some iterations (`if step % 100 == 0:`): reads outside that branch
                # saw the tensor at other times, and the new name would not exist there.
                block = source.parent(plan.rebinding)
                readers = [node for node in readers if any(a is block for a in source.ancestors(node))]
            if readers and fresh is not None and isinstance(assign, cst.Assign):
                target = assign.targets[0].target
                edits = [source.replace_node(target, cst.Name(fresh))]
                edits += [source.replace_node(node, cst.Name(fresh)) for node in readers]
                candidates.append(self.candidate(
                    f"keep the number under its own name: {fresh} = {source.code(assign.value)} (line {line}) and "
                    f"{len(readers)} later read{'s' if len(readers) > 1 else ''} of it; {what} stays the loss tensor",
                    source.path, edits,
                ))
            candidates.append(self.candidate(
                f"remove line {line} (`{source.code(assign).strip()}`): {what} stays the loss tensor",
                source.path, [source.remove_statement(plan.rebinding)],
            ))
            return candidates[:_MAX_CANDIDATES]
        edits = [source.replace_node(old, new) for old, new in plan.replaced]
        lines = _lines(source, plan)
        if readers:
            item = [
                source.replace_node(node, cst.Call(cst.Attribute(cst.Name(node.value), cst.Name("item"))))
                for node in readers
            ]
            candidates.append(self.candidate(
                f"keep {what} a tensor (line {lines}) and read {what}.item() where the number is used "
                f"({len(readers)} place{'s' if len(readers) > 1 else ''})",
                source.path, edits + item,
            ))
        candidates.append(self.candidate(f"keep {what} a tensor: drop the call that makes a number of it (line {lines})", source.path, edits))
        return candidates[:_MAX_CANDIDATES]
