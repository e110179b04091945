"""GF067: parameters handed to an optimizer, or to one of its parameter groups, in a set.

torch refuses it: ``TypeError: optimizer parameters need to be organized in ordered collections,
but the ordering of tensors in sets will change between runs``, raised by the optimizer's
constructor or by ``add_param_group``. A set's order follows the tensors' ids, which change from
run to run, so the optimizer's state could not be saved and loaded again. Scripts build a set to
make ``p not in biases`` fast, to subtract the frozen parameters
(``set(model.parameters()) - set(frozen)``), or with a set comprehension of the no-decay ones.

The rule reads the set where it is given: the ``params`` of a group of the constructor (a list of group dicts
written there or bound once to a name), or of the group given to ``add_param_group``; written in
place (a set display, ``set(...)``, ``frozenset(...)``, a set comprehension, a ``-``, ``|``, ``&``
or ``^`` of sets) or bound once to a name. The candidates, each re-run:

1. **Build it as a list**, in the order it is filled: the set comprehension becomes a list
   comprehension, ``set(<generator>)`` a list comprehension, ``set()`` filled by ``.add`` in a
   loop over ``parameters()`` or ``named_parameters()`` a list filled by ``.append``. Only when
   nothing else reads the set (a membership test on a list of tensors compares them with ``==``)
   and its iterables are ordered; a loop over anything but a module's parameters could add one
   twice, which the set was removing.
2. **Keep the model's order**: ``[p for p in <m>.parameters() if p in <the set>]``, where ``<m>``
   is the module whose ``parameters()`` or ``named_parameters()`` the set was built from, and
   ``set(<m>.parameters()) - X`` as ``[p for p in <m>.parameters() if p not in X]``. Written in
   place only when reading the set's expression again gives the same parameters.

A set read only by membership tests (``p not in no_decay``) while the groups are lists is left alone.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.expressions import group_params, params_given
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_MESSAGE = "organized in ordered collections"
_SET_OPERATORS = (cst.Subtract, cst.BitOr, cst.BitAnd, cst.BitXor)
_PARAMETER_WALKS = {"parameters", "named_parameters"}
# A name bound to one of these is used up by its first reader: a second read gives nothing.
_ONE_SHOT_METHODS = {"parameters", "named_parameters", "children", "modules", "named_modules"}
_ONE_SHOT_FUNCTIONS = {"filter", "map", "iter", "zip", "reversed"}
_FRESH = ("p", "param", "tensor")


class ParamsInASet(Rule):
    code = "GF067"
    title = "parameters given to an optimizer in a set"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.type != "TypeError" or _MESSAGE not in crash.message:
            return []
        site = crash.site
        if site is None or not project.is_editable(site.file):
            return []
        source = project.source(site.file)
        given: list[cst.BaseExpression] = []
        for call in source.nodes_at(site, cst.Call):
            given = [e for e in _given_params(source, call) if _set_value(source, e) is not None]
            if given:
                break
        held = {n for optimizer in trace.optimizers for n in optimizer.params}
        params = [p.name for p in trace.params if p.requires_grad and p.name not in held]
        candidates: list[Candidate] = []
        for use in given:
            candidates += self._candidates(source, use, params)
        where = ", ".join(f"`{source.code(e)}`" for e in given) if given else "a set"
        message = (
            f"the script crashed: {crash.type}: {crash.message}: the optimizer was given {where}, whose order "
            f"changes between runs; parameters no optimizer holds: {short_list(params) or 'none'}"
        )
        return [self.finding(project, site, message, params, candidates, blocking=True)]

    def _candidates(self, source: SourceFile, use: cst.BaseExpression, params: list[str]) -> list[Candidate]:
        value = _set_value(source, use)
        assert value is not None
        candidates: list[Candidate] = []
        read_once = not isinstance(use, cst.Name) or _read_only_here(source, use)
        if read_once:
            built = _as_list(source, value)
            if built is not None:
                description, edits = built
                candidates.append(self.candidate(f"build the parameters as a list: {description}", source.path, edits, params))
        in_order = _in_model_order(source, use, value)
        if in_order is not None:
            new = cst.parse_expression(in_order, config=source.module.config_for_parsing)
            candidates.append(self.candidate(
                f"keep the model's order: {in_order}", source.path, [source.replace_node(use, new)], params,
            ))
        return candidates


# -- where the parameters are given --------------------------------------------------------------


def _bound_value(source: SourceFile, expr: cst.BaseExpression) -> cst.BaseExpression:
    """The value a name is bound to once, or the expression itself."""
    if isinstance(expr, cst.Name):
        bound = source.bound_once(expr)
        if bound is not None:
            return bound[0].value
    return expr


def _given_params(source: SourceFile, call: cst.Call) -> list[cst.BaseExpression]:
    """Each ``params`` the call hands to an optimizer: of each group of a constructor's list of
    groups, of the group given to ``add_param_group``, or the plain iterable a constructor got."""
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_param_group":
        if not call.args:
            return []
        params = group_params(_bound_value(source, call.args[0].value))
        return [params] if params is not None else []
    given = params_given(call)
    if given is None:
        return []
    groups = _bound_value(source, given)
    if isinstance(groups, (cst.List, cst.Tuple)):
        found = []
        for element in groups.elements:
            if isinstance(element, cst.Element):
                params = group_params(_bound_value(source, element.value))
                if params is not None:
                    found.append(params)
        if found:
            return found
    return [given]


def _is_set_call(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("set", "frozenset")


def _is_set_expr(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Set, cst.SetComp)) or _is_set_call(node):
        return True
    return isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _SET_OPERATORS) and _is_set_expr(node.left)


def _set_value(source: SourceFile, expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """The set an expression is, written there or bound once to the name."""
    value = _bound_value(source, expr)
    return value if _is_set_expr(value) else None


def _read_only_here(source: SourceFile, use: cst.Name) -> bool:
    """The name is read here and nowhere else, except by the ``.add`` calls that fill it."""
    bound = source.bound_once(use)
    if bound is None:
        return False
    # The references of the one assignment, so that reads inside comprehensions (scopes of their own) count.
    (assignment,) = source.scopes[use].assignments[use.value]
    for access in assignment.references:
        if access.node is use:
            continue
        parent = source.parent(access.node)
        if not (isinstance(parent, cst.Attribute) and parent.attr.value == "add"):
            return False
    return True


# -- the rewrites ----------------------------------------------------------------------------------


def _walks_parameters(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _PARAMETER_WALKS


def _as_list(source: SourceFile, value: cst.BaseExpression) -> Optional[tuple[str, list]]:  # type: ignore[type-arg]
    """The set's construction rewritten to build a list in the order it is filled."""
    if isinstance(value, cst.SetComp) and not _iterates_a_set(source, value.for_in):
        new = cst.ListComp(elt=value.elt, for_in=value.for_in, lbracket=cst.LeftSquareBracket(), rbracket=cst.RightSquareBracket())
        return "a list comprehension", [source.replace_node(value, new)]
    if _is_set_call(value) and len(value.args) == 1 and not value.args[0].star:  # type: ignore[attr-defined]
        inner = value.args[0].value  # type: ignore[attr-defined]
        if isinstance(inner, cst.GeneratorExp) and not _iterates_a_set(source, inner.for_in):
            new = cst.ListComp(elt=inner.elt, for_in=inner.for_in)
            return "a list comprehension", [source.replace_node(value, new)]
        if _walks_parameters(inner):
            return "list(...)", [source.replace_node(value, value.with_changes(func=cst.Name("list")))]  # type: ignore[attr-defined]
    if _is_set_call(value) and not value.args:  # type: ignore[attr-defined]
        return _filled_by_add(source, value)  # type: ignore[arg-type]
    return None


def _iterates_a_set(source: SourceFile, comp_for: Optional[cst.CompFor]) -> bool:
    while comp_for is not None:
        if _set_value(source, comp_for.iter) is not None:
            return True
        comp_for = comp_for.inner_for_in
    return False


def _filled_by_add(source: SourceFile, value: cst.Call) -> Optional[tuple[str, list]]:  # type: ignore[type-arg]
    """``s = set()`` then ``s.add(p)`` in loops over a module's parameters: a list and ``.append``."""
    assign = source.parent(value)
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return None
    target = assign.targets[0].target
    edits = [source.replace_node(value, cst.List(elements=[]))]
    assignments = list(source.scopes[target].assignments[target.value])
    if len(assignments) != 1:
        return None
    for access in assignments[0].references:
        parent = source.parent(access.node)
        if not (isinstance(parent, cst.Attribute) and parent.attr.value == "add"):
            continue
        loops = [a for a in source.ancestors(parent) if isinstance(a, cst.For)]
        # Each parameter comes once from one walk over parameters(); nested loops could add one twice.
        if len(loops) != 1 or not _walks_parameters(loops[0].iter):
            return None
        edits.append(source.replace_node(parent.attr, cst.Name("append")))
    if len(edits) == 1:
        return None
    return "a list filled by .append", edits


def _in_model_order(source: SourceFile, use: cst.BaseExpression, value: cst.BaseExpression) -> Optional[str]:
    """``[p for p in <m>.parameters() if p in <set>]``, ``<m>`` the module the set was built from."""
    receivers = {
        source.code(c.func.value)  # type: ignore[attr-defined]
        for c in descendants(value, cst.Call)
        if _walks_parameters(c) and not c.args
    }
    if len(receivers) != 1:
        return None
    module = receivers.pop()
    module_node = cst.parse_expression(module)
    if isinstance(use, cst.Name):
        if not _available_at(source, module_node, use):
            return None
    elif not _readable_again(source, value):
        return None
    # The new comprehension's variable must not hide a name the set's expression reads; the
    # expression's own comprehension variables live in scopes of their own.
    own = {n.value for comp_for in descendants(use, cst.CompFor) for n in descendants(comp_for.target, cst.Name)}
    read = {n.value for n in descendants(use, cst.Name)} - own | {n.value for n in descendants(module_node, cst.Name)}
    p = next((c for c in _FRESH if c not in read), None)
    if p is None:
        return None
    walk = f"{module}.parameters()"
    if (
        not isinstance(use, cst.Name)
        and isinstance(value, cst.BinaryOperation)
        and isinstance(value.operator, cst.Subtract)
        and _is_set_call(value.left)
        and len(value.left.args) == 1  # type: ignore[attr-defined]
        and source.code(value.left.args[0].value) == walk  # type: ignore[attr-defined]
    ):
        return f"[{p} for {p} in {walk} if {p} not in {source.operand_code(value.right)}]"
    return f"[{p} for {p} in {walk} if {p} in {source.operand_code(use)}]"


def _available_at(source: SourceFile, expr: cst.BaseExpression, at: cst.Name) -> bool:
    """Every name ``expr`` reads is bound in the scope where ``at`` is read."""
    scope = source.scopes.get(at)
    if scope is None:
        return False
    attributes = {id(a.attr) for a in descendants(expr, cst.Attribute)}
    return all(n.value in scope for n in descendants(expr, cst.Name) if id(n) not in attributes)


def _readable_again(source: SourceFile, expr: cst.BaseExpression) -> bool:
    """Evaluating the expression again gives the same tensors: no name it reads is bound to a
    one-shot iterator (``frozen = head.parameters()``), which the second read would find empty."""
    own = {n.value for comp_for in descendants(expr, cst.CompFor) for n in descendants(comp_for.target, cst.Name)}
    for name in descendants(expr, cst.Name):
        if name.value in own or source.scopes.get(name) is None:
            continue
        bound = source.bound_once(name) if name.value in source.scopes[name] else None
        if bound is None:
            continue
        value = bound[0].value
        if isinstance(value, cst.GeneratorExp):
            return False
        if isinstance(value, cst.Call):
            func = value.func
            if isinstance(func, cst.Attribute) and func.attr.value in _ONE_SHOT_METHODS:
                return False
            if isinstance(func, cst.Name) and func.value in _ONE_SHOT_FUNCTIONS:
                return False
    return True
