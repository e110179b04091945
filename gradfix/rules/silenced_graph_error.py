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

The same silencing comes in two statements: the loss turned into a number to log it
(``loss = float(criterion(out, y))``, ``v = loss.item()``, ``.tolist()``, ``.cpu().numpy()``,
``np.asarray(...)``, ``{k: v.item() for k, v in terms.items()}``), then, in a later statement of the
same block, re-wrapped as a new leaf (``torch.tensor(loss, requires_grad=True)``,
``torch.as_tensor(v).requires_grad_()``, ``Variable(torch.FloatTensor([v]), requires_grad=True)``).
Unwrapped alone it would give backward() a float. The candidates keep the loss a tensor: the
re-wrap made of the tensor the number came from (``loss = terms["total"]``, or nothing when that
is the loss's own name); the tensor kept under the loss's name and ``.item()`` read where the
number is used; the same under the number's name; the same without the ``.item()`` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import dotted_path
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
_TENSOR = {"torch.tensor", "torch.as_tensor", "torch.Tensor", "torch.from_numpy"}
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


def _start(source: SourceFile, node: cst.CSTNode) -> tuple[int, int]:
    where = source.range(node).start
    return (where.line, where.column)


def _item(name: str) -> cst.Call:
    return cst.Call(cst.Attribute(cst.Name(name), cst.Name("item")))


def _assigned(statement: cst.BaseStatement, name: str) -> Optional[cst.BaseExpression]:
    """The value of ``name = <value>``, a statement alone on its line; None for anything else."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if isinstance(target, cst.Name) and target.value == name:
            return small.value
    return None


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _target_names(e.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def _binds(statement: cst.CSTNode, name: str) -> bool:
    """Whether the statement (or a block in it) binds ``name``: an assignment, a loop, a ``with ... as``."""
    for node in descendants(statement, cst.CSTNode):
        if isinstance(node, cst.AssignTarget):
            targets = [node.target]
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr)):
            targets = [node.target]
        elif isinstance(node, cst.AsName) and isinstance(node.name, cst.BaseExpression):
            targets = [node.name]
        else:
            continue
        if any(name == found for target in targets for found in _target_names(target)):
            return True
    return False


def _copies_only(node: cst.BaseExpression) -> bool:
    """``loss``, ``loss.clone()``, ``loss.detach().float()``: the loss itself, or a plain copy of it."""
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _COPIES and not node.args:
        node = node.func.value
    return isinstance(node, cst.Name)


# What turns a loss into a Python number (or a numpy value) in a statement of its own, before a
# later statement re-wraps it: `float(loss)`, `np.asarray(loss.item())`, and the trailing calls.
_NUMBER_CASTS = {"builtins.float", "numpy.asarray", "numpy.array", "numpy.float32", "numpy.float64"}
_NUMBER_CALLS = {"item", "tolist", "numpy"}
# One value put in a list to make a tensor of it again: `torch.FloatTensor([v])`.
_LIST_TENSORS = {"torch.FloatTensor", "torch.DoubleTensor", "torch.Tensor", "torch.tensor", "torch.as_tensor"}
_MAX_CANDIDATES = 6


def _tensor_of_number(source: SourceFile, expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """The tensor a number is made of: ``criterion(out, y)`` in ``float(criterion(out, y))``, ``loss``
    in ``loss.detach().cpu().numpy()`` or ``np.asarray(loss.item())``; None when ``expr`` makes no number."""
    if (
        isinstance(expr, cst.Call) and len(expr.args) == 1 and expr.args[0].keyword is None and not expr.args[0].star
        and source.qualified_names(expr.func) & _NUMBER_CASTS
    ):
        inner = expr.args[0].value
        return _tensor_of_number(source, inner) or strip_cuts(inner)
    node, numbered = expr, False
    while True:
        if isinstance(node, cst.Attribute) and node.attr.value == "data":
            node = node.value
        elif isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute) and node.func.attr.value in {"detach", "cpu"} | _NUMBER_CALLS:
            numbered = numbered or node.func.attr.value in _NUMBER_CALLS
            node = node.func.value
        else:
            return node if numbered else None


def _dict_of_numbers(source: SourceFile, expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """``terms`` in ``{k: v.item() for k, v in terms.items()}``: a dict of the numbers of a dict of tensors."""
    if not isinstance(expr, cst.DictComp) or expr.for_in.inner_for_in is not None or expr.for_in.ifs:
        return None
    target, iterated = expr.for_in.target, expr.for_in.iter
    if not (isinstance(target, cst.Tuple) and len(target.elements) == 2 and isinstance(target.elements[1].value, cst.Name)):
        return None
    if not (
        isinstance(iterated, cst.Call) and not iterated.args and isinstance(iterated.func, cst.Attribute)
        and iterated.func.attr.value == "items" and dotted_path(iterated.func.value) is not None
    ):
        return None
    tensor = _tensor_of_number(source, expr.value)
    same = isinstance(tensor, cst.Name) and tensor.value == target.elements[1].value.value  # type: ignore[union-attr]
    if not same or source.code(expr.key).strip() != source.code(target.elements[0].value).strip():
        return None
    return iterated.func.value


def _one_value(source: SourceFile, node: cst.BaseExpression) -> cst.BaseExpression:
    """``v`` in ``torch.FloatTensor([v])``; anything else as it is."""
    if (
        isinstance(node, cst.Call) and len(node.args) == 1 and node.args[0].keyword is None
        and isinstance(node.args[0].value, cst.List) and len(node.args[0].value.elements) == 1
        and isinstance(node.args[0].value.elements[0], cst.Element)
        and source.qualified_names(node.func) & _LIST_TENSORS
    ):
        return node.args[0].value.elements[0].value
    return node


@dataclass
class _RoundTrip:
    """A loss turned into a number in one statement and re-wrapped as a new leaf in a later one."""

    marking: cst.CSTNode  # the re-wrap, or the `.requires_grad_()` on it
    rewrap: cst.SimpleStatementLine  # `loss = torch.tensor(v, requires_grad=True)`
    target: str  # `loss`
    value: Union[cst.Name, cst.Subscript]  # what the re-wrap was made of: `v`, `logged["total"]`
    name: str  # the number's name: `v`, `logged`
    binding: cst.SimpleStatementLine  # `v = float(criterion(out, y))`
    made: cst.BaseExpression  # the binding's value: `float(criterion(out, y))`
    tensor: cst.BaseExpression  # what the number is made of: `criterion(out, y)`, `terms` for a dict


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
        # A number made in an earlier statement and re-wrapped here: unwrapped alone it is a float;
        # the loss must stay a tensor where the number was made.
        trips = [trip for trip in (self._round_trip(source, m) for m in markings) if trip is not None]
        numbers = [n for c in trace.cuts if c.numbers and c.site.file == source.path for n in source.nodes_at(c.site, cst.Call)]
        markings = [
            m for m in markings
            if any(m is trip.marking for trip in trips)
            or not (any(m is n for n in numbers) and isinstance(m, cst.Call) and m.args and strip_cuts(m.args[0].value) is m.args[0].value)
        ]
        trip = trips[0] if trips else None
        others = [node for node in markings if trip is None or node is not trip.marking]
        edits = [e for e in (self._unmark(source, node) for node in others) if e is not None]
        if not edits and trip is None:
            return []
        if trip is None:
            message = (
                f"the loss passed to backward() has no graph and was marked `requires_grad` by hand, which "
                f"silences torch's \"does not require grad\" error: {short_list(params)} never receive a gradient"
            )
            candidates = [self.candidate("remove the marking, so the error it hid shows where the graph was cut", source.path, edits)]
        else:
            message = (
                f"the loss passed to backward() is a new leaf made at line {source.range(trip.rewrap).start.line} from "
                f"`{trip.name}`, which line {source.range(trip.binding).start.line} turned into a number: it has no graph, "
                f"and marking it `requires_grad` silences torch's \"does not require grad\" error: "
                f"{short_list(params)} never receive a gradient"
            )
            candidates = self._round_trip_candidates(source, trip, edits)
            if not candidates:
                return []
        site = source.site(markings[0])
        # Blocking: the marking hides torch's error and, with it, the fault that cut the graph (a
        # detach() that GF008 could remove on its own would leave the marking in place).
        return [self.finding(project, site, message, params, candidates, blocking=True)]

    # -- a number re-wrapped in a later statement ------------------------------------------------

    @staticmethod
    def _round_trip(source: SourceFile, marking: cst.CSTNode) -> Optional[_RoundTrip]:
        """``loss = torch.tensor(v, requires_grad=True)`` (or ``torch.as_tensor(v).requires_grad_()``,
        ``Variable(torch.FloatTensor([v]), requires_grad=True)``, ``torch.tensor(logged["total"], ...)``)
        where the nearest statement before it, in the same block, that binds ``v`` makes it a number
        of a tensor (or ``logged`` a dict of the numbers of a dict of tensors)."""
        statement = source.statement_of(marking)
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return None
        assign = statement.body[0]
        if not (
            isinstance(assign, cst.Assign) and assign.value is marking and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
        ):
            return None
        wrap = marking
        if isinstance(marking, cst.Call) and isinstance(marking.func, cst.Attribute) and marking.func.attr.value == "requires_grad_":
            wrap = marking.func.value
            if not (isinstance(wrap, cst.Call) and source.qualified_names(wrap.func) & _TENSOR):
                return None
        elif _rewrapped(source, marking) is None:
            return None
        if not isinstance(wrap, cst.Call) or not wrap.args or wrap.args[0].keyword is not None:
            return None
        value = _one_value(source, wrap.args[0].value)
        if isinstance(value, cst.Name):
            name = value.value
        elif (
            isinstance(value, cst.Subscript) and isinstance(value.value, cst.Name) and len(value.slice) == 1
            and isinstance(value.slice[0].slice, cst.Index) and isinstance(value.slice[0].slice.value, (cst.SimpleString, cst.Integer))
        ):
            name = value.value.value
        else:
            return None
        body = list(getattr(source.parent(statement), "body", ()))
        index = next((i for i, s in enumerate(body) if s is statement), None)
        for earlier in reversed(body[:index] if index is not None else []):
            made = _assigned(earlier, name)
            if made is not None:
                tensor = _dict_of_numbers(source, made) if isinstance(value, cst.Subscript) else _tensor_of_number(source, made)
                if tensor is None:
                    return None
                return _RoundTrip(marking, statement, assign.targets[0].target.value, value, name, earlier, made, tensor)  # type: ignore[arg-type]
            if _binds(earlier, name):
                return None
        return None

    def _round_trip_candidates(self, source: SourceFile, trip: _RoundTrip, others: list[Edit]) -> list[Candidate]:
        """Most conservative first: the re-wrap made of the tensor the number came from; the tensor
        kept under the loss's name, ``.item()`` where the number is used, the re-wrap removed; the
        same under the number's name; the same without the ``.item()`` reads. The re-run decides."""
        candidates: list[Candidate] = []
        seen: set[tuple[tuple[int, int, int, int, str], ...]] = set()

        def add(description: str, edits: list[Edit]) -> None:
            key = tuple(sorted((e.start.line, e.start.column, e.end.line, e.end.column, e.replacement) for e in edits))
            if key not in seen:
                seen.add(key)
                candidates.append(self.candidate(description, source.path, edits + others))

        first, line = source.range(trip.binding).start.line, source.range(trip.rewrap).start.line
        block = list(getattr(source.parent(trip.rewrap), "body", ()))
        between = block[next(i for i, s in enumerate(block) if s is trip.binding) + 1 : next(i for i, s in enumerate(block) if s is trip.rewrap)]
        root = _root(trip.tensor)
        if dotted_path(trip.tensor) is not None and root is not None and not any(_binds(s, root) for s in [trip.binding, *between]):
            # `v = loss.item()` ... `loss = torch.tensor(v, requires_grad=True)`: the tensor is still there.
            new = trip.tensor if isinstance(trip.value, cst.Name) else trip.value.with_changes(value=trip.tensor)
            if source.module.code_for_node(new).strip() == trip.target:
                description = f"remove the re-wrap at line {line}: `{trip.target}` is still the loss tensor, and `{trip.name}` (line {first}) still holds the number"
            else:
                description = f"make `{trip.target}` the tensor `{source.module.code_for_node(new)}` (line {line}) instead of a new leaf made from its number"
            add(description, [source.replace_node(trip.marking, new)])
        if not isinstance(trip.value, cst.Name):
            return candidates[:_MAX_CANDIDATES]
        reads, all_reads = self._reads(source, trip)
        places = f"{len(reads)} place{'s' if len(reads) != 1 else ''}"
        target_read = any(n.value == trip.target for s in between for n in descendants(s, cst.Name))
        assign = trip.binding.body[0]
        assert isinstance(assign, cst.Assign)
        if trip.target != trip.name and all_reads and not target_read:
            edits = [source.replace_node(assign.targets[0].target, cst.Name(trip.target)), source.replace_node(trip.made, trip.tensor)]
            edits += [source.replace_node(n, _item(trip.target)) for n in reads]
            edits.append(source.remove_statement(trip.rewrap))
            add(
                f"keep the loss a tensor under `{trip.target}` (line {first}), read `{trip.target}.item()` where the "
                f"number is used ({places}), and remove the re-wrap (line {line})", edits,
            )
        unwrap = [source.replace_node(trip.made, trip.tensor), source.replace_node(trip.marking, cst.Name(trip.name))]
        rest = "remove the re-wrap" if trip.target == trip.name else f"make `{trip.target}` that tensor"
        if reads:
            add(
                f"keep `{trip.name}` the loss tensor (line {first}), read `{trip.name}.item()` where the number is used "
                f"({places}), and {rest} (line {line})",
                unwrap + [source.replace_node(n, _item(trip.name)) for n in reads],
            )
        add(f"keep `{trip.name}` the loss tensor (line {first}) and {rest} (line {line})", unwrap)
        return candidates[:_MAX_CANDIDATES]

    @staticmethod
    def _reads(source: SourceFile, trip: _RoundTrip) -> tuple[list[cst.Name], bool]:
        """Where the number is read as a number, from its binding to the next binding of its name
        (not in the re-wrap, not as a method's receiver); and whether those are all its reads."""
        assign = trip.binding.body[0]
        assert isinstance(assign, cst.Assign)
        scope = source.scopes.get(assign.targets[0].target)
        if scope is None:
            return [], False
        end_of_binding = source.range(trip.binding).end
        start = (end_of_binding.line, end_of_binding.column)
        later = [
            where for a in scope.assignments[trip.name]
            if isinstance(a.node, cst.CSTNode) and (where := _start(source, a.node)) > start
        ]
        end = min(later, default=(1 << 30, 0))
        found: dict[int, cst.Name] = {}
        complete = True
        for inner in {id(s): s for s in source.scopes.values() if s is not None}.values():
            for access in inner.accesses[trip.name]:
                node = access.node
                if not isinstance(node, cst.Name) or id(node) in found or not any(r.scope is scope for r in access.referents):
                    continue
                if any(a is trip.rewrap for a in source.ancestors(node)):
                    continue
                parent = source.parent(node)
                if not start < _start(source, node) < end or (isinstance(parent, cst.Attribute) and parent.value is node):
                    complete = False
                    continue
                found[id(node)] = node
        return sorted(found.values(), key=lambda n: _start(source, n)), complete

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
