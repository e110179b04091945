"""GF005: a tensor meant to be trained is not a leaf: it was moved (or scaled) after it was made trainable.

``torch.randn(3, requires_grad=True).to(device)`` (or ``.cuda()``, ``.double()``) returns a *new*
tensor computed from the trainable one: a non-leaf, whose ``.grad`` stays None; the optimizer
refuses it ("can't optimize a non-leaf Tensor"). Any cast after ``nn.Parameter(...)`` likewise
stores a plain tensor instead of the registered parameter: ``nn.Parameter(t).to(device)``,
``nn.Parameter(t, requires_grad=True).to(torch.float64)``, ``.double()``, ``.half()``, ``.float()``,
``.cuda()``, ``.cpu()``, ``.type(...)`` and chains of them. On the CPU ``.to("cpu")`` returns the
same tensor and hides the bug; gradfix's CUDA emulation makes it visible. The fix makes the tensor
where it should live: ``torch.randn(3, device=device, requires_grad=True)``, or, for a parameter,
moves every cast onto the tensor it wraps, ``nn.Parameter(t.to(torch.float64), requires_grad=True)``
(a cast to the dtype the factory already gives is dropped). It keeps the script's own device: it
never replaces ``cuda``. ``torch.randn(3).requires_grad_().to(device)`` becomes
``torch.randn(3).to(device).requires_grad_()``, and ``torch.randn(3).requires_grad_() * 0.01``
becomes ``(torch.randn(3) * 0.01).requires_grad_()``.

Any other non-leaf given to the optimizer (the crashed frame holds it with a ``grad_fn``): a slice
``text_embedding[:, 1:5]`` of a tensor that requires grad, a view ``flat[:n].view(3, 4)``, a
``torch.cat`` of leaves, arithmetic on a leaf, is made a leaf of its own: its one assignment
becomes ``<value>.detach().clone().requires_grad_(True)``, or ``nn.Parameter(<value>.detach().clone())``,
or, for a slice of a tensor made trainable by a statement of its own, ``<value>.clone().requires_grad_()``
without that statement. The re-run keeps the first that trains: a script that goes on reading the
source tensor instead of the new leaf rejects them all.

A name or attribute made trainable by one statement and replaced by a move of itself by another
(``self.p = torch.tensor(v, requires_grad=True)``, then ``self.p = self.p.to(device=d, dtype=t)``;
also a cast, view, slice or scaling, after ``requires_grad_()``, ``.requires_grad = True`` or
``nn.Parameter(...)``) gets every fix that applies, smallest first: ``nn.Parameter(<the move>)``
for a parameter, ``self.p.detach().to(...).requires_grad_()``, the move's keywords given to the
factories (the move removed), ``requires_grad`` moved after the move. The first that verifies is
offered; the report lists the others that verified.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import libcst as cst
from libcst.metadata import GlobalScope

from gradfix.edits import Edit, Patch
from gradfix.expressions import group_params, parenthesized
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import TENSOR_FACTORIES, made_from_data, module_alias
from gradfix.trace import Site, Trace
from gradfix.verify import judge

# `.type_as(x)` casts to x's dtype and moves to x's device: a copy like the others.
_FACTORY_MOVES = {"to", "cuda", "double", "float", "half", "bfloat16", "type_as"}
# Every cast that returns a copy of a parameter: none of them gives back an nn.Parameter.
_MOVES = _FACTORY_MOVES | {"cpu", "type"}
_DTYPE_OF_MOVE = {"double": "float64", "float": "float32", "half": "float16", "bfloat16": "bfloat16"}
_DTYPES = {f"torch.{d}" for d in ("float64", "float32", "float16", "bfloat16", "double", "float", "half")}
_CANONICAL = {"float64": "float64", "double": "float64", "float32": "float32", "float": "float32",
              "float16": "float16", "half": "float16", "bfloat16": "bfloat16"}
_PARAMETER = {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )


_MAX_CANDIDATES = 6
# Methods that return a view of their tensor: a trainable slice of it is a copy of the slice.
_VIEWS = {"view", "reshape", "narrow", "select", "unsqueeze", "squeeze", "t", "transpose", "permute", "expand", "flatten"}


def _chain(value: cst.BaseExpression, calls: list[tuple[str, list[cst.Arg]]]) -> cst.BaseExpression:
    for method, args in calls:
        value = cst.Call(func=cst.Attribute(value=value, attr=cst.Name(method)), args=args)
    return value


def _switches_on(node: cst.BaseExpression) -> bool:
    """``x.requires_grad_()`` / ``x.requires_grad_(True)``."""
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "requires_grad_"):
        return False
    if not node.args:
        return True
    flag = node.args[0].value
    return len(node.args) == 1 and isinstance(flag, cst.Name) and flag.value == "True"


def _is_move(source: SourceFile, value: Optional[cst.BaseExpression]) -> bool:
    """A move or a cast of a tensor (``.to(device)``, ``.double()``), or any cast of an ``nn.Parameter``
    (``.cpu()`` and ``.type(...)`` as well): kept on a module, the result is a copy, no parameter."""
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
        return False
    return value.func.attr.value in _FACTORY_MOVES or _parameter_call(source, value) is not None


def _parameter_call(source: SourceFile, value: cst.BaseExpression) -> Optional[cst.Call]:
    """The ``nn.Parameter(...)`` call under a chain of casts (``nn.Parameter(t).to(device).double()``)."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _MOVES:
        value = value.func.value
        if isinstance(value, cst.Call) and source.qualified_names(value.func) & _PARAMETER:
            return value
    return None


def _cast_dtype(source: SourceFile, cast: cst.Call) -> Optional[str]:
    """The dtype a pure dtype cast converts to: ``.double()``, ``.to(torch.float64)``, ``.to(dtype=torch.half)``."""
    assert isinstance(cast.func, cst.Attribute)
    method = cast.func.attr.value
    if method in _DTYPE_OF_MOVE:
        return None if cast.args else _DTYPE_OF_MOVE[method]
    if method not in ("to", "type") or len(cast.args) != 1:
        return None
    keyword = cast.args[0].keyword
    if keyword is not None and keyword.value != "dtype":
        return None
    found = source.qualified_names(cast.args[0].value) & _DTYPES
    return _CANONICAL.get(found.pop().rsplit(".", 1)[-1]) if len(found) == 1 else None


def _already_of_dtype(source: SourceFile, tensor: cst.BaseExpression, cast: cst.Call) -> bool:
    """``torch.zeros(n, dtype=torch.float64)`` cast with ``.double()``: the cast changes nothing."""
    wanted = _cast_dtype(source, cast)
    if wanted is None or not isinstance(tensor, cst.Call) or not source.qualified_names(tensor.func) & TENSOR_FACTORIES:
        return False
    made = next((a.value for a in tensor.args if a.keyword is not None and a.keyword.value == "dtype"), None)
    found = source.qualified_names(made) & _DTYPES if made is not None else set()
    return len(found) == 1 and _CANONICAL.get(found.pop().rsplit(".", 1)[-1]) == wanted


def _group_tensors(given: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The tensors of parameter groups given as one name: ``{"params": self.env_params, "lr": 1e-2}``,
    ``dict(params=w, lr=0.1)`` (a list under ``"params"`` is read with the other lists)."""
    groups = [*descendants(given, cst.Dict), *descendants(given, cst.Call)]
    found = [group_params(group) for group in groups]
    return [value for value in found if isinstance(value, (cst.Name, cst.Attribute))]


def _derived_root(source: SourceFile, value: cst.BaseExpression, wanted: str) -> Optional[cst.BaseExpression]:
    """Where ``value`` reads the tensor spelled ``wanted`` at the root of a move, cast, view, slice or
    scaling of it: ``X.to(device=d, dtype=t)``, ``X.double()[:, :4]``, ``X * 0.01``; None otherwise."""
    node = value
    while True:
        if isinstance(node, cst.BinaryOperation):
            sides = [
                side if isinstance(side, (cst.Name, cst.Attribute)) and source.code(side) == wanted else _derived_root(source, side, wanted)
                for side in (node.left, node.right)
            ]
            found = [side for side in sides if side is not None]
            return found[0] if len(found) == 1 else None
        if node is not value and isinstance(node, (cst.Name, cst.Attribute)) and source.code(node) == wanted:
            return node
        if isinstance(node, cst.Subscript):
            node = node.value
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _MOVES | _VIEWS:
            node = node.func.value
        else:
            return None


@dataclass
class _Moved:
    """A tensor given to the optimizer that one statement replaced with a move of itself
    (``self.w = self.w.to(device=d, dtype=t)``) after others made it trainable."""

    name: str  # as the optimizer's argument spells it
    move: cst.Assign  # the statement that made it a non-leaf
    root: cst.BaseExpression  # where the move reads the tensor it replaces
    others: list[cst.Assign]  # the other assignments to it (in its scope, or its class for `self.`)
    switches: list[cst.SimpleStatementLine]  # `X.requires_grad_()`, `X.requires_grad = True` statements


def _moved_in_place(source: SourceFile, target: cst.BaseExpression, call: cst.Call) -> Optional[_Moved]:
    """The one statement that replaced ``target`` with a move of itself, with the statements that
    assign it or make it trainable: in the name's scope, in the class of the optimizer's call for
    ``self.<attr>``, in the file for other attributes. None when anything else binds it (a loop, a
    tuple unpacking, ``+=``) or when not exactly one statement moves it."""
    wanted = source.code(target)
    scope = None
    region: Optional[cst.CSTNode] = source.module
    if isinstance(target, cst.Name):
        scope = source.scopes.get(target)
        if scope is None:
            return None
        # The scope that binds it: the function's own, or the module's for a global it only reads.
        bound_in = {assignment.scope for assignment in scope[target.value]}
        if len(bound_in) != 1:
            return None
        scope = bound_in.pop()
        bindings = len(scope.assignments[target.value])
    elif wanted.startswith("self."):
        region = next((a for a in source.ancestors(call) if isinstance(a, cst.ClassDef)), None)
        bindings = None
    else:
        bindings = None
    if region is None:
        return None
    assigns: list[cst.Assign] = []
    switches: list[cst.SimpleStatementLine] = []
    for line in descendants(region, cst.SimpleStatementLine):
        if scope is not None and source.scopes.get(line) is not scope:
            continue
        for small in line.body:
            if isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                if isinstance(small, cst.Assign) and any(
                    isinstance(t, cst.Attribute) and t.attr.value == "requires_grad" and source.code(t.value) == wanted
                    for t in targets
                ):
                    if len(line.body) != 1 or not (isinstance(small.value, cst.Name) and small.value.value == "True"):
                        return None
                    switches.append(line)
                elif any(source.code(t) == wanted for t in targets):
                    if not isinstance(small, cst.Assign) or len(small.targets) != 1 or len(line.body) != 1:
                        return None
                    assigns.append(small)
                elif any(wanted in {source.code(n) for n in descendants(t, (cst.Name, cst.Attribute))} for t in targets):  # type: ignore[arg-type]
                    return None  # unpacked into, or a part of it assigned: not a plain rebinding
            elif isinstance(small, cst.Expr) and _switches_on(small.value):
                assert isinstance(small.value, cst.Call) and isinstance(small.value.func, cst.Attribute)
                if source.code(small.value.func.value) == wanted:
                    if len(line.body) != 1:
                        return None
                    switches.append(line)
    if bindings is not None and bindings != len(assigns):
        return None
    moves = [(a, root) for a in assigns if (root := _derived_root(source, a.value, wanted)) is not None]
    if len(moves) != 1:
        return None
    move, root = moves[0]
    return _Moved(wanted, move, root, [a for a in assigns if a is not move], switches)


def _global_read_in_function(source: SourceFile, name: cst.BaseExpression) -> bool:
    """A module's global given to an optimizer built in a function: the probe records the crashed
    frame's own names only, so it cannot say whether this one is the non-leaf."""
    if not isinstance(name, cst.Name):
        return False
    scope = source.scopes.get(name)
    if scope is None or isinstance(scope, GlobalScope):
        return False
    return bool(scope[name.value]) and all(isinstance(a.scope, GlobalScope) for a in scope[name.value])


def _without_flag(factory: cst.Call) -> Optional[cst.Call]:
    """``torch.zeros(3, requires_grad=True)`` -> ``torch.zeros(3)``; None without the flag."""
    args = list(factory.args)
    flag = next((i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == "requires_grad"), None)
    if flag is None or not (isinstance(args[flag].value, cst.Name) and args[flag].value.value == "True"):
        return None
    del args[flag]
    if args and flag == len(args):  # the flag was last: its predecessor's comma goes too
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return factory.with_changes(args=args)


class NonLeafParameter(Rule):
    code = "GF005"
    title = "trainable tensor is not a leaf (moved, scaled or sliced after requires_grad)"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        crash = trace.crash
        if crash is not None and crash.site is not None and "non-leaf Tensor" in crash.message:
            if project.is_editable(crash.site.file):
                findings += self._optimizer_args(project, crash.site, f"{crash.type}: {crash.message}", crash.graph_locals)
        for attribute in trace.attributes:
            if attribute.kind != "tensor" or attribute.is_leaf or not attribute.requires_grad:
                continue
            if attribute.site is None or not project.is_editable(attribute.site.file):
                continue
            source = project.source(attribute.site.file)
            value = source.assigned_value(attribute.site.line, attribute.attr)
            if not _is_move(source, value) or made_from_data(source, value):
                continue  # a result kept on self (an attention map), or data (a PINN's inputs), is no parameter
            edit = self._rewrite(source, value) if value is not None else None
            name = f"{attribute.owner_name}.{attribute.attr}"
            candidates = [self._candidate(source, [edit])] if edit else []
            message = (
                f"`{name}` is a copy of the parameter made by a device/dtype move, not the parameter: it is "
                f"not registered, so {attribute.owner_name}.parameters() misses it and it never updates"
            )
            findings.append(self.finding(project, attribute.site, message, [name], candidates))
        return findings

    def _optimizer_args(self, project: Project, site: Site, crash: str, graph_locals: dict[str, str]) -> list[Finding]:
        source = project.source(site.file)
        edits: list[Edit] = []
        names: list[str] = []
        # The tensors given to the optimizer that the crashed frame holds with a grad_fn: the
        # non-leaves, whatever made them (a slice, a view, a move, arithmetic, torch.cat).
        nonleaves: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []
        reassigned: list[_Moved] = []
        alternatives: list[list[Edit]] = []  # per rewritten tensor, every way to make it a leaf, smallest first
        for call in source.nodes_at(site, cst.Call):
            if not call.args:
                continue
            # `[w, b]`, `list(model.parameters()) + [self.log_temp]`: every element of every list in the
            # argument, or in the list a name given to it was bound to (`params = [w, b]`)
            given = call.args[0].value
            if isinstance(given, cst.Name):
                given = self._single_assignment(source, given) or given
            elements = [
                e.value
                for collection in descendants(given, (cst.List, cst.Tuple))  # type: ignore[arg-type]
                for e in collection.elements
                if isinstance(e.value, (cst.Name, cst.Attribute))
            ] + _group_tensors(given) + self._returned_tensors(source, given)
            for element in elements:
                value = self._single_assignment(source, element)
                if value is None and (graph_locals.get(source.code(element)) == "tensor" or _global_read_in_function(source, element)):
                    # assigned more than once: `self.w = self.w.to(device)` after it was made trainable
                    moved = _moved_in_place(source, element, call)
                    if moved is not None and all(m.move is not moved.move for m in reassigned):
                        reassigned.append(moved)
                ways = self._rewrites(source, value) if value is not None else []
                if ways and ways[0] not in edits:
                    edits.append(ways[0])
                    alternatives.append(ways)
                    names.append(source.code(element))
                if value is not None and graph_locals.get(source.code(element)) == "tensor":
                    if all(v is not value for _, v in nonleaves):
                        nonleaves.append((element, value))
        if reassigned:
            candidates = self._moved_in_place_candidates(source, reassigned, edits)
        else:
            candidates = [self._candidate(source, edits)] if edits else []
            # The next way for each tensor (its smallest again when it has no other): the keywords
            # a `.type_as(data)` would give the factory, or the flag after the cast.
            for k in range(1, max((len(w) for w in alternatives), default=0)):
                other = [w[min(k, len(w) - 1)] for w in alternatives]
                if other != edits and all(c.patches[0].edits != sorted(other, key=lambda e: e.start) for c in candidates):
                    candidates.append(replace(
                        self._candidate(source, other),
                        description="make the tensor on its device and dtype another way (the cast's dtype and device as "
                        "the factory's keywords, or requires_grad after the casts)",
                    ))
        candidates += self._fresh_leaves(source, nonleaves, candidates)
        names += [source.code(e) for e, _ in nonleaves if source.code(e) not in names]
        names += [m.name for m in reassigned if m.name not in names]
        subject = f"{short_list(names)} {'is' if len(names) == 1 else 'are'}" if names else "a tensor given to it is"
        replaced = "".join(
            f"; line {source.range(m.move).start.line} replaces `{m.name}` with a copy computed from it" for m in reassigned
        )
        message = (
            f"the script crashed: {crash}; {subject} computed from a tensor after requires_grad=True was set "
            f"(by a move, a cast, arithmetic, a slice or a view), so the optimizer cannot update it{replaced}"
        )
        return [self.finding(project, site, message, names, candidates, blocking=True)]

    def _moved_in_place_candidates(self, source: SourceFile, moved: list[_Moved], edits: list[Edit]) -> list[Candidate]:
        """``X = X.to(device=d, dtype=t)`` after ``X`` was made trainable, every way the evidence
        allows, smallest first; the re-run judges. A parameter (``X = nn.Parameter(...)`` earlier)
        is wrapped again after the move; otherwise the move makes a new leaf
        (``X.detach().to(...).requires_grad_()``), the factories make the tensor where the move
        would take it (and the move goes), or the flag moves after the move."""
        ways: list[tuple[str, list[Optional[list[Edit]]]]] = []
        parameter = [self._parameter_after_move(source, m) for m in moved]
        detached = [self._detached_at_move(source, m) for m in moved]
        if any(self._wrapped_in_parameter(source, m) for m in moved):
            ways.append(("wrap the moved tensor in a new parameter: `<tensor> = nn.Parameter(<tensor>.to(...))`", parameter))
        ways += [
            ("make a new leaf where it is moved, cast or scaled: `<tensor> = <tensor>.detach().to(...).requires_grad_()`", detached),
            ("make the tensor on its device and dtype (the move's arguments as the factory's keywords) and drop the move",
             [self._made_where_moved(source, m) for m in moved]),
            ("make the tensor trainable after the move, not before: `<tensor> = <tensor>.to(...).requires_grad_()`",
             [self._trainable_after_move(source, m) for m in moved]),
        ]
        candidates: list[Candidate] = []
        seen: list[list[Edit]] = []
        for description, found in ways:
            if any(part is None for part in found):
                continue
            together = sorted({e for e in edits + [e for part in found if part for e in part]}, key=lambda e: e.start)
            if any(a.end > b.start for a, b in zip(together, together[1:])) or together in seen:
                continue
            seen.append(together)
            candidates.append(Candidate(description, [Patch(source.path, together)], self.applicability))
        return candidates[:_MAX_CANDIDATES]

    @staticmethod
    def _wrapped_in_parameter(source: SourceFile, moved: _Moved) -> bool:
        return any(isinstance(a.value, cst.Call) and source.qualified_names(a.value.func) & _PARAMETER for a in moved.others)

    @staticmethod
    def _detached_at_move(source: SourceFile, moved: _Moved) -> Optional[list[Edit]]:
        """``X = X.to(...)`` -> ``X = X.detach().to(...).requires_grad_()``: the same values, a leaf."""
        value = moved.move.value.deep_replace(moved.root, _chain(moved.root, [("detach", [])]))
        assert isinstance(value, cst.BaseExpression)
        return [source.replace_node(moved.move.value, _chain(parenthesized(value), [("requires_grad_", [])]))]

    def _parameter_after_move(self, source: SourceFile, moved: _Moved) -> Optional[list[Edit]]:
        """``X = X.to(...)`` -> ``X = nn.Parameter(X.to(...))``, as the file spells ``nn``: a
        parameter of a non-leaf is a leaf of the same values."""
        parameter = module_alias(source, "torch.nn.Parameter") or module_alias(source, "torch.nn.parameter.Parameter")
        if parameter is None:
            nn = module_alias(source, "torch.nn")
            parameter = f"{nn}.Parameter" if nn is not None else None
        if parameter is None or not all(part.isidentifier() for part in parameter.split(".")):
            return None
        value = moved.move.value
        return [source.replace_node(value, cst.Call(func=cst.parse_expression(parameter), args=[cst.Arg(value)]))]

    def _made_where_moved(self, source: SourceFile, moved: _Moved) -> Optional[list[Edit]]:
        """``X = torch.tensor(v, requires_grad=True)`` ... ``X = X.to(device=d, dtype=t)`` ->
        ``X = torch.tensor(v, device=d, dtype=t, requires_grad=True)`` and no move: only when every
        other assignment is such a factory and nothing else makes it trainable."""
        value = moved.move.value
        if moved.switches or not moved.others or not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
            return None
        if value.func.value is not moved.root or value.func.attr.value not in _FACTORY_MOVES:
            return None
        added = self._keywords(source, value.func.attr.value, value.args)
        if added is None:
            return None
        edits = []
        for assign in moved.others:
            factory = assign.value
            if not (isinstance(factory, cst.Call) and source.qualified_names(factory.func) & TENSOR_FACTORIES):
                return None
            args = list(factory.args)
            position = next((i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == "requires_grad"), None)
            if position is None or _without_flag(factory) is None:
                return None
            if any(a.keyword is not None and a.keyword.value in {k.keyword.value for k in added if k.keyword} for a in args):
                return None  # already given a device (or dtype) the move then changes
            comma = args[position - 1].comma if position else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            keywords = [a.with_changes(comma=comma) for a in added]
            edits.append(source.replace_node(factory, factory.with_changes(args=[*args[:position], *keywords, *args[position:]])))
        statement = source.statement_of(moved.move)
        assert statement is not None
        return [*edits, source.remove_statement(statement)]

    @staticmethod
    def _trainable_after_move(source: SourceFile, moved: _Moved) -> Optional[list[Edit]]:
        """Every statement that makes ``X`` trainable before the move no longer does, and the move
        ends with ``.requires_grad_()``: ``requires_grad=True`` of a factory, a trailing
        ``.requires_grad_()``, and ``X.requires_grad_()`` / ``X.requires_grad = True`` statements."""
        edits = [source.remove_statement(line) for line in moved.switches]
        for assign in moved.others:
            value = assign.value
            if _switches_on(value):
                assert isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                edits.append(source.replace_node(value, value.func.value))
            elif isinstance(value, cst.Call) and source.qualified_names(value.func) & TENSOR_FACTORIES and (plain := _without_flag(value)):
                edits.append(source.replace_node(value, plain))
            elif isinstance(value, cst.Call) and source.qualified_names(value.func) & _PARAMETER:
                return None
        if not edits:
            return None
        return [*edits, source.replace_node(moved.move.value, _chain(parenthesized(moved.move.value), [("requires_grad_", [])]))]

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        """The judge's verdict; when the crash is gone and the fixed run names the tensors the crash
        was about otherwise (``dx.params``, the module attribute it is also kept as, for
        ``self.env_params``), by the tensors the optimizer built at the crashed call holds."""
        verdict = judge(finding, candidate, before, run)
        after = run.trace
        claimed = finding.params if candidate.params is None else candidate.params
        if (verdict.verified and not verdict.partial) or not finding.blocking or after.crash is not None or all(after.param(n) for n in claimed):
            return verdict
        # The optimizer that crashed was never built: the one built in its place comes after the
        # same optimizers, in the same function.
        index = len(before.optimizers)
        crashed = before.crash.site if before.crash is not None else None
        if crashed is None or index >= len(after.optimizers):
            return verdict
        built = after.optimizers[index]
        if built.site is None or (built.site.file, built.site.function) != (crashed.file, crashed.function):
            return verdict
        held = [
            n for n in built.params
            if (p := after.param(n)) is not None and p.requires_grad and (p.module is None or before.param(n) is None)
        ]
        if not held:
            return verdict
        named = [n for n in claimed if after.param(n)]
        verdict = judge(finding, replace(candidate, params=named + [n for n in held if n not in named]), before, run)
        if verdict.verified:
            candidate.params = verdict.trained or named + held  # the report names them as the fixed run does
        return verdict

    def _fresh_leaves(
        self, source: SourceFile, nonleaves: list[tuple[cst.BaseExpression, cst.BaseExpression]], before: list[Candidate],
    ) -> list[Candidate]:
        """Every non-leaf given to the optimizer made into a leaf of its own, several ways; the
        re-run keeps the first that trains. The moves and casts first (made where the tensor
        lives), then a detached copy made trainable, then an ``nn.Parameter`` of it, then the
        copy of a slice whose source is no longer made trainable itself."""
        if not nonleaves:
            return []
        ways: list[tuple[str, list[Optional[Edit]]]] = []
        rewritten = [self._rewrite(source, v) for _, v in nonleaves]
        if any(rewritten) and not all(rewritten):
            ways.append((
                "make the tensors on their device and dtype (and scale them) first, then make them trainable; "
                "the others a new leaf: `.detach().clone().requires_grad_(True)`",
                [edit or self._detached_leaf(source, v) for edit, (_, v) in zip(rewritten, nonleaves)],
            ))
        ways += [
            ("make a new leaf from it: `<value>.detach().clone().requires_grad_(True)`",
             [self._detached_leaf(source, v) for _, v in nonleaves]),
            ("make a new parameter from it: `nn.Parameter(<value>.detach().clone())`",
             [self._parameter_of(source, v) for _, v in nonleaves]),
        ]
        sliced = [self._copy_of_slice(source, v) for _, v in nonleaves]
        if all(pair is not None for pair in sliced):
            ways.append((
                "copy the slice and make the copy trainable, not the tensor it is cut from: `.clone().requires_grad_()`",
                [edit for pair in sliced if pair is not None for edit in pair],
            ))
        candidates: list[Candidate] = []
        seen = [sorted(c.patches[0].edits, key=lambda e: e.start) for c in before]
        for description, found in ways:
            if any(edit is None for edit in found):
                continue
            edits = sorted({e for e in found if e is not None}, key=lambda e: e.start)
            if any(a.end > b.start for a, b in zip(edits, edits[1:])) or edits in seen:
                continue
            seen.append(edits)
            candidates.append(Candidate(description, [Patch(source.path, edits)], self.applicability))
        return candidates[:_MAX_CANDIDATES]

    @staticmethod
    def _detached_leaf(source: SourceFile, value: cst.BaseExpression) -> Optional[Edit]:
        """``x[:, 1:5]`` -> ``x[:, 1:5].detach().clone().requires_grad_(True)``: a leaf with the same values."""
        leaf = _chain(parenthesized(value), [("detach", []), ("clone", []), ("requires_grad_", [cst.Arg(cst.Name("True"))])])
        return source.replace_node(value, leaf)

    @staticmethod
    def _parameter_of(source: SourceFile, value: cst.BaseExpression) -> Optional[Edit]:
        """``x[:, 1:5]`` -> ``nn.Parameter(x[:, 1:5].detach().clone())``, as the file spells ``nn``."""
        parameter = module_alias(source, "torch.nn.Parameter") or module_alias(source, "torch.nn.parameter.Parameter")
        if parameter is None:
            nn = module_alias(source, "torch.nn")
            parameter = f"{nn}.Parameter" if nn is not None else None
        if parameter is None or not all(part.isidentifier() for part in parameter.split(".")):
            return None
        copy = _chain(parenthesized(value), [("detach", []), ("clone", [])])
        return source.replace_node(value, cst.Call(func=cst.parse_expression(parameter), args=[cst.Arg(copy)]))

    @staticmethod
    def _copy_of_slice(source: SourceFile, value: cst.BaseExpression) -> Optional[tuple[Edit, Edit]]:
        """``emb.requires_grad_(True)`` ... ``ctx = emb[:, 1:5]``: the slice copied and made trainable,
        and the statement that made its source trainable removed (the only one, in the same scope)."""
        base = value
        while isinstance(base, cst.Subscript) or (
            isinstance(base, cst.Call) and isinstance(base.func, cst.Attribute) and base.func.attr.value in _VIEWS
        ):
            base = base.value if isinstance(base, cst.Subscript) else base.func.value  # type: ignore[union-attr]
        if base is value or not isinstance(base, cst.Name):
            return None
        scope = source.scopes.get(base)
        if scope is None:
            return None
        switches = []
        for access in scope.accesses[base.value]:
            node = access.node
            parent = source.parent(node)
            statement = source.statement_of(node)
            if not isinstance(parent, cst.Attribute) or parent.value is not node or parent.attr.value not in ("requires_grad_", "requires_grad"):
                continue
            if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
                return None
            small = statement.body[0]
            on = cst.Name("True")
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and small.value.func is parent:
                flag = small.value.args[0].value if small.value.args else on
            elif isinstance(small, cst.Assign) and any(t.target is parent for t in small.targets):
                flag = small.value
            else:
                return None
            if not (isinstance(flag, cst.Name) and flag.value == "True"):
                return None
            switches.append(statement)
        if len(switches) != 1:
            return None
        copy = _chain(parenthesized(value), [("clone", []), ("requires_grad_", [])])
        return source.remove_statement(switches[0]), source.replace_node(value, copy)

    def _candidate(self, source: SourceFile, edits: list[Edit]) -> Candidate:
        return Candidate(
            description="make the tensor on its device and dtype (and scale it) first, then make it trainable",
            patches=[Patch(source.path, sorted(edits, key=lambda e: e.start))],
            applicability=self.applicability,
        )

    def _returned_tensors(self, source: SourceFile, given: cst.BaseExpression) -> list[cst.BaseExpression]:
        """The tensors held by a name given to the optimizer (``list(params.values())``) that is bound
        once to what a function of this file returns, when that function returns a dict, list or
        tuple of its own names (``return {"w_loc": w_loc, "b_loc": b_loc}``): those names, each
        followed to its one assignment in the function like any other element."""
        found: list[cst.BaseExpression] = []
        values = [given] + [self._single_assignment(source, name) for name in descendants(given, cst.Name)]
        for value in values:
            if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)):
                continue
            functions = [
                f for f in source.module.body if isinstance(f, cst.FunctionDef) and f.name.value == value.func.value
            ]
            if len(functions) != 1:
                continue
            returns = [r.value for r in descendants(functions[0], cst.Return) if r.value is not None]
            if len(returns) != 1:
                continue
            for element in descendants(returns[0], (cst.Element, cst.DictElement)):  # type: ignore[arg-type]
                if isinstance(element.value, cst.Name):
                    found.append(element.value)
        return found

    @staticmethod
    def _single_assignment(source: SourceFile, target: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        """The value of the one assignment to this name (in its scope) or attribute (in the file)."""
        if isinstance(target, cst.Name):
            scope = source.scopes.get(target)
            if scope is None:
                return None
            assignments = list(scope.assignments[target.value])
            if len(assignments) != 1 or not isinstance(assignments[0].node, cst.Name):
                return None
            node = source.parent(assignments[0].node)
            assign = source.parent(node) if isinstance(node, cst.AssignTarget) else None
            return assign.value if isinstance(assign, cst.Assign) else None
        wanted = source.code(target)
        values = [
            node.value
            for node in source.positions
            if isinstance(node, cst.Assign) and any(source.code(t.target) == wanted for t in node.targets)
        ]
        return values[0] if len(values) == 1 else None

    def _rewrite(self, source: SourceFile, value: cst.BaseExpression) -> Optional[Edit]:
        """The smallest of :meth:`_rewrites`."""
        ways = self._rewrites(source, value)
        return ways[0] if ways else None

    def _rewrites(self, source: SourceFile, value: cst.BaseExpression) -> list[Edit]:
        """Every way to make ``factory(..., requires_grad=True).move(x)`` or ``Parameter(t, ...).move(x)``
        a leaf, in this order: the move's arguments given to the factory as keywords,
        or the flag moved after the casts; ``factory(..., requires_grad=True) * 0.01``, scaled first
        and made trainable after. The re-run judges between them."""
        if isinstance(value, cst.BinaryOperation):
            scaled = self._scale_first(source, value)
            return [scaled] if scaled else []
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
            return []
        move = value.func.attr.value
        inner = value.func.value
        if move not in _MOVES:
            return []
        trainable_last = self._trainable_last(source, value)
        if trainable_last is not None:
            return [trainable_last]
        parameter = _parameter_call(source, value)
        if parameter is not None:
            inside = self._cast_inside(source, value, parameter)
            return [inside] if inside else []
        # The move's arguments as the factory's keywords first (the tensor made where it lives),
        # then the flag after the casts (a chain of casts, `.type(...)`, a `.type_as(x)` of an expression).
        return [edit for edit in (self._keywords_to_factory(source, value), self._flag_after_casts(source, value)) if edit]

    def _keywords_to_factory(self, source: SourceFile, value: cst.Call) -> Optional[Edit]:
        """``torch.randn(3, requires_grad=True).to(device)`` -> ``torch.randn(3, device=device, requires_grad=True)``."""
        assert isinstance(value.func, cst.Attribute)
        move = value.func.attr.value
        inner = value.func.value
        if not isinstance(inner, cst.Call) or move not in _FACTORY_MOVES:
            return None
        names = source.qualified_names(inner.func)
        if not names & TENSOR_FACTORIES:
            return None
        position = next(
            (i for i, a in enumerate(inner.args) if a.keyword is not None and a.keyword.value == "requires_grad"), None
        )
        if position is None:
            return None
        added = self._keywords(source, move, value.args)
        if added is None:
            return None
        given = {a.keyword.value for a in inner.args if a.keyword is not None}
        if any(a.keyword is not None and a.keyword.value in given for a in added):
            return None  # the factory already names a dtype (or device) the move then changes
        args = list(inner.args)
        comma = args[position - 1].comma if position else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        added = [a.with_changes(comma=comma) for a in added]
        return source.replace_node(value, inner.with_changes(args=[*args[:position], *added, *args[position:]]))

    @staticmethod
    def _flag_after_casts(source: SourceFile, value: cst.Call) -> Optional[Edit]:
        """``torch.randn(1, p, requires_grad=True).type_as(data)`` -> ``torch.randn(1, p).type_as(data).requires_grad_()``:
        the factory makes a plain tensor, every cast after it runs, and the cast result is made trainable."""
        node: cst.BaseExpression = value
        while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _MOVES:
            node = node.func.value
        if not (isinstance(node, cst.Call) and source.qualified_names(node.func) & TENSOR_FACTORIES):
            return None
        plain = _without_flag(node)
        if plain is None:
            return None
        cast = value.deep_replace(node, plain)
        assert isinstance(cast, cst.BaseExpression)
        return source.replace_node(value, _chain(cast, [("requires_grad_", [])]))

    @staticmethod
    def _cast_inside(source: SourceFile, value: cst.Call, parameter: cst.Call) -> Optional[Edit]:
        """``nn.Parameter(t, requires_grad=True).to(dtype).cuda()`` -> ``nn.Parameter(t.to(dtype).cuda(),
        requires_grad=True)``: every cast after the wrapper moves onto the tensor it wraps, in the
        same order; a cast to the dtype the tensor is already made with is dropped."""
        data = next((i for i, a in enumerate(parameter.args) if a.keyword is not None and a.keyword.value == "data"), None)
        if data is None:
            if not parameter.args or parameter.args[0].keyword is not None or parameter.args[0].star:
                return None
            data = 0
        casts: list[cst.Call] = []
        node: cst.BaseExpression = value
        while node is not parameter:
            assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
            casts.append(node)
            node = node.func.value
        tensor = parameter.args[data].value
        if not isinstance(tensor, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not tensor.lpar:
            # `torch.ones(1) * 1.5` takes the cast as a whole: `(torch.ones(1) * 1.5).double()`
            tensor = tensor.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        for cast in reversed(casts):
            assert isinstance(cast.func, cst.Attribute)
            if _already_of_dtype(source, tensor, cast):
                continue
            tensor = cst.Call(func=cst.Attribute(value=tensor, attr=cst.Name(cast.func.attr.value)), args=cast.args)
        args = list(parameter.args)
        args[data] = args[data].with_changes(value=tensor)
        return source.replace_node(value, parameter.with_changes(args=args))

    @staticmethod
    def _trainable_last(source: SourceFile, value: cst.Call) -> Optional[Edit]:
        """``torch.randn(3).requires_grad_().to(device)`` -> ``torch.randn(3).to(device).requires_grad_()``:
        every move and cast before the tensor is made trainable, in the same order."""
        moves: list[cst.Call] = []
        node: cst.BaseExpression = value
        while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _MOVES:
            moves.append(node)
            node = node.func.value
        switch = node
        if not moves or not (_switches_on(switch) and isinstance(switch, cst.Call) and isinstance(switch.func, cst.Attribute)):
            return None
        tensor = switch.func.value
        for move in reversed(moves):
            assert isinstance(move.func, cst.Attribute)
            tensor = move.with_changes(func=move.func.with_changes(value=tensor))
        return source.replace_node(value, switch.with_changes(func=switch.func.with_changes(value=tensor)))

    @staticmethod
    def _scale_first(source: SourceFile, value: cst.BinaryOperation) -> Optional[Edit]:
        """``torch.randn(20, 4, requires_grad=True) * 0.01`` -> ``(torch.randn(20, 4) * 0.01).requires_grad_()``;
        ``torch.randn(20, 4).requires_grad_() * 0.01`` likewise."""
        for side in ("left", "right"):
            factory = getattr(value, side)
            if _switches_on(factory):
                computed = value.with_changes(**{side: factory.func.value})
                computed = computed.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                return source.replace_node(value, factory.with_changes(func=factory.func.with_changes(value=computed)))
            if not isinstance(factory, cst.Call) or not source.qualified_names(factory.func) & TENSOR_FACTORIES:
                continue
            args = list(factory.args)
            flag = next((i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == "requires_grad"), None)
            if flag is None or not (isinstance(args[flag].value, cst.Name) and args[flag].value.value == "True"):
                continue
            del args[flag]
            if args and flag == len(args):  # the flag was last: its predecessor's comma goes too
                args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            computed = value.with_changes(**{side: factory.with_changes(args=args)})
            computed = computed.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return source.replace_node(value, cst.Call(func=cst.Attribute(value=computed, attr=cst.Name("requires_grad_"))))
        return None

    @staticmethod
    def _keywords(source: SourceFile, move: str, args: tuple) -> Optional[list[cst.Arg]]:  # type: ignore[type-arg]
        torch = module_alias(source, "torch") or "torch"
        if move in _DTYPE_OF_MOVE:
            return None if args else [_keyword("dtype", cst.parse_expression(f"{torch}.{_DTYPE_OF_MOVE[move]}"))]
        if move == "cuda":
            return None if args else [_keyword("device", cst.SimpleString('"cuda"'))]
        if move == "type_as":
            # `.type_as(data)`: data's dtype and device; only a plain name, not an expression run twice
            if len(args) != 1 or args[0].keyword is not None or not isinstance(args[0].value, (cst.Name, cst.Attribute)):
                return None
            other = args[0].value
            return [_keyword("dtype", cst.Attribute(other, cst.Name("dtype"))), _keyword("device", cst.Attribute(other, cst.Name("device")))]
        added = []
        for arg in args:
            if arg.keyword is not None:
                if arg.keyword.value not in ("device", "dtype"):
                    return None
                added.append(_keyword(arg.keyword.value, arg.value))
            elif source.qualified_names(arg.value) & _DTYPES:
                added.append(_keyword("dtype", arg.value))
            else:
                added.append(_keyword("device", arg.value))
        return added or None
