"""GF054: the same parameter in two parameter groups of one optimizer.

torch refuses it: ``ValueError: some parameters appear in more than one parameter group``, raised
by the optimizer's constructor, or by ``add_param_group`` given parameters the optimizer already
holds. It happens where groups are built by hand: a helper that splits parameters into BN and
non-BN groups walks ``model.modules()`` and takes each module's ``parameters()`` (which recurse
into its children, so a block's parameters come again with each of its layers); two
``named_parameters()`` filters that both match the norm weights; a head listed in the base group
(``model.parameters()``) and in a group of its own with another learning rate; a fine-tuning stage
that adds the head's group to an optimizer built over the whole model.

The probe records, when torch raises this, each group's parameters (named as the script names
them), which group was refused, and the groups the constructor had not reached. The candidates,
each re-run: where the source shows the recursion (a ``parameters()`` or ``named_parameters()``
call on the variable of a loop or comprehension over ``modules()``/``named_modules()``, in the
groups' expressions, the statements that build the lists they name, or the helpers those call),
``recurse=False``, so that each module gives its own parameters once; where two groups are
comprehensions over the same ``named_parameters()``, the larger one's condition also excludes
what the other's matches; then the larger group (the later one when they are as large) keeps only
the parameters the others do not hold, by identity (``all(p is not q for q in other)``), then the
smaller one; for ``add_param_group``, the base group built without the added parameters, or the
added group without those the optimizer already holds.
"""

from __future__ import annotations

import os
from typing import Iterator, Optional, Union

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.expressions import group_params, params_given
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import GroupClash, Trace

_MESSAGE = "more than one parameter group"
_RECURSING = {"parameters", "named_parameters"}
_MODULE_WALKS = {"modules", "named_modules"}
# One-shot values: a name bound to one cannot be read again to filter another group by it.
_ONE_SHOT_METHODS = {"parameters", "named_parameters", "children", "modules", "named_modules"}
_ONE_SHOT_FUNCTIONS = {"filter", "map", "iter", "zip", "reversed"}
_COMPREHENSIONS = (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)
_MAX_CANDIDATES = 6

Located = tuple[SourceFile, cst.BaseExpression]


class ParameterInTwoGroups(Rule):
    code = "GF054"
    title = "a parameter in two parameter groups"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        clash = trace.group_clash
        crash = trace.crash
        if clash is None or crash is None or _MESSAGE not in crash.message:
            return []
        site = clash.site or crash.site
        if site is None or not project.is_editable(site.file):
            return []
        groups = [list(dict.fromkeys(n for n in group if n != "?")) for group in clash.groups]
        overlaps = _overlaps(groups)
        refused = clash.refused
        if refused >= len(groups) or not overlaps.get(refused):
            return []
        source = project.source(site.file)
        candidates: list[Candidate] = []
        # The exact span names one call; without columns, every call on the line, the outermost first.
        calls = sorted(source.nodes_at(site, cst.Call), key=lambda c: source.code(c).count("\n") * 10000 + len(source.code(c)), reverse=True)
        for call in calls:
            if clash.optimizer is None:
                exprs = _group_exprs(project, source, call)
                if exprs is not None and len(exprs) == len(groups):
                    candidates = self._candidates(project, dict(enumerate(exprs)), groups, overlaps)
                    break
            elif isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_param_group":
                candidates = self._added(trace, project, source, call, clash, groups, overlaps)
                break
        trainable = {p.name for p in trace.params if p.requires_grad}
        params = [n for n in dict.fromkeys(n for group in groups for n in group) if n in trainable]
        earlier = sorted(i for i in overlaps[refused] if i < refused)
        shared = [n for n in groups[refused] if any(n in groups[i] for i in earlier)]
        if clash.optimizer is None:
            where = f"group {refused} of the optimizer holds {_count(shared)} that group{'s' if len(earlier) > 1 else ''} {_and(earlier)} hold{'' if len(earlier) > 1 else 's'} too"
        else:
            where = f"add_param_group() was given {_count(shared)} that the optimizer's group{'s' if len(earlier) > 1 else ''} {_and(earlier)} already hold{'' if len(earlier) > 1 else 's'}"
        later = sorted(i for i in overlaps if i > refused)
        more = f"; group{'s' if len(later) > 1 else ''} {_and(later)}, not reached yet, share{'' if len(later) > 1 else 's'} parameters too" if later else ""
        message = f"the script crashed: {crash.type}: {crash.message}: {where} ({short_list(shared)}){more}"
        return [self.finding(project, site, message, params, candidates[:_MAX_CANDIDATES], blocking=True)]

    # -- the constructor's groups ---------------------------------------------------------------

    def _candidates(
        self, project: Project, located: dict[int, Located], groups: list[list[str]], overlaps: dict[int, set[int]],
    ) -> list[Candidate]:
        involved = sorted(overlaps)
        candidates = self._recursion(project, [located[i] for i in involved if i in located])
        order = sorted(involved, key=lambda i: (-len(groups[i]), -i))  # the larger group first, then the later
        for i in order:
            others = sorted(overlaps[i])
            if i in located and all(j in located for j in others):
                name_filter = self._name_filter(located[i], [located[j] for j in others], i, others)
                if name_filter is not None:
                    candidates.append(name_filter)
        for i in order:
            others = sorted(overlaps[i])
            if i in located and all(j in located for j in others):
                filtered = self._identity_filter(located[i], [located[j][1] for j in others], i, others)
                if filtered is not None:
                    candidates.append(filtered)
        return candidates

    def _added(
        self, trace: Trace, project: Project, source: SourceFile, call: cst.Call, clash: GroupClash,
        groups: list[list[str]], overlaps: dict[int, set[int]],
    ) -> list[Candidate]:
        """``optimizer.add_param_group({...})`` given parameters the optimizer already holds."""
        if not call.args or not isinstance(call.func, cst.Attribute):
            return []
        added = _params_of_group(source, call.args[0].value)
        if added is None:
            return []
        refused = clash.refused
        located: dict[int, Located] = {refused: (source, added)}
        built = next((o for o in trace.optimizers if o.id == clash.optimizer), None)
        if built is not None and built.site is not None and project.is_editable(built.site.file):
            home = project.source(built.site.file)
            constructors = home.nodes_at(built.site, cst.Call)
            exprs = _group_exprs(project, home, constructors[0]) if constructors else None
            if exprs is not None and len(exprs) == refused:
                located.update(enumerate(exprs))
        candidates = self._recursion(project, [located[i] for i in sorted(overlaps) if i in located])
        held = sorted((i for i in overlaps[refused] if i < refused and i in located), key=lambda i: (-len(groups[i]), -i))
        for i in held:
            home, expr = located[i]
            # The base group is built before the added one is: the added one's expression must mean
            # the same thing there.
            if home.path == source.path and _available_at(home, added, expr):
                line = source.range(call).start.line
                filtered = self._identity_filter(
                    (home, expr), [added], i, [refused],
                    f"build the optimizer's group {i} without the parameters that add_param_group() adds at line {line}",
                )
                if filtered is not None:
                    candidates.append(filtered)
        holder = source.code(call.func.value)
        read = [added, call.func.value]
        p, group, q = _fresh(read, ("p", "param", "tensor")), _fresh(read, ("group", "held_group", "g")), _fresh(read, ("q", "other", "held"))
        if p and group and q and len({p, group, q}) == 3:
            text = f"[{p} for {p} in {_iterable_code(source, added)} if all({p} is not {q} for {group} in {holder}.param_groups for {q} in {group}[\"params\"])]"
            new = cst.parse_expression(text, config=source.module.config_for_parsing)
            candidates.append(self.candidate(
                "add only the parameters the optimizer does not hold yet", source.path, [source.replace_node(added, new)],
            ))
            candidates[-1].applicability = Applicability.UNSAFE
        return candidates

    # -- the candidates -------------------------------------------------------------------------

    def _recursion(self, project: Project, located: list[Located]) -> list[Candidate]:
        """``recurse=False`` on the ``parameters()`` calls of loops over ``modules()`` that build the groups."""
        loops: dict[tuple[str, int], list[tuple[SourceFile, cst.Call]]] = {}
        seen: set[tuple[str, int]] = set()
        for source, expr in located:
            for home, region in _regions(project, source, expr):
                for call, loop in _recursing_calls(home, region):
                    where = home.range(call).start
                    if (home.path, where.line * 10000 + where.column) in seen:
                        continue
                    seen.add((home.path, where.line * 10000 + where.column))
                    loops.setdefault((home.path, home.range(loop).start.line), []).append((home, call))
        candidates: list[Candidate] = []
        edits_of = {key: [(home.path, _no_recursion(home, call)) for home, call in calls] for key, calls in loops.items()}
        if len(loops) > 1:
            for key, edits in edits_of.items():
                candidates.append(self._edits(f"take each module's own parameters only (recurse=False) in the loop at line {key[1]}", edits))
        if loops:
            edits = [edit for found in edits_of.values() for edit in found]
            lines = sorted({key[1] for key in loops})
            where = f"line {lines[0]}" if len(lines) == 1 else f"lines {_and(lines)}"
            candidates.append(self._edits(
                f"take each module's own parameters only (recurse=False) in the loop over modules() at {where}: its parameters() also yield its children's", edits,
            ))
        return candidates

    def _edits(self, description: str, edits: list[tuple[str, Edit]]) -> Candidate:
        by_path: dict[str, list[Edit]] = {}
        for path, edit in edits:
            by_path.setdefault(path, []).append(edit)
        patches = [Patch(path, sorted(found, key=lambda e: e.start)) for path, found in sorted(by_path.items())]
        return Candidate(description, patches, self.applicability)

    def _name_filter(self, group: Located, others: list[Located], index: int, other_indexes: list[int]) -> Optional[Candidate]:
        """Two comprehensions over the same ``named_parameters()``: the group's condition also
        excludes what the others' conditions match (``and "norm" not in n``)."""
        source, expr = group
        mine = _comprehension(source, expr)
        if mine is None:
            return None
        comp, for_in = mine
        if not for_in.ifs or for_in.inner_for_in is not None:
            return None
        own = {source.code(part) for test in for_in.ifs for part in _conjuncts(test.test)}
        added: list[str] = []
        for other_source, other_expr in others:
            theirs = _comprehension(other_source, other_expr) if other_source.path == source.path else None
            if theirs is None:
                return None
            other_for = theirs[1]
            if other_for.inner_for_in is not None or len(other_for.ifs) != 1:
                return None
            if source.code(other_for.target) != source.code(for_in.target) or source.code(other_for.iter) != source.code(for_in.iter):
                return None
            for text in _negation(other_for.ifs[0].test):
                if text not in own and text not in added:
                    added.append(text)
        if not added:
            return None
        last = for_in.ifs[-1]
        test = last.test
        kept = source.code(test) if not isinstance(test, (cst.BooleanOperation, cst.IfExp, cst.Lambda)) or _is_and(test) else f"({source.code(test)})"
        text = " and ".join([kept, *(_and_operand(t) for t in added)])
        new = cst.parse_expression(text, config=source.module.config_for_parsing)
        described = " and ".join(added)
        return self.candidate(
            f"group {index} keeps the parameters that group{'s' if len(other_indexes) > 1 else ''} {_and(other_indexes)} do{'' if len(other_indexes) > 1 else 'es'} not match: `{described}`",
            source.path, [source.replace_node(test, new)],
        )

    def _identity_filter(
        self, group: Located, others: list[cst.BaseExpression], index: int, other_indexes: list[int], description: str = "",
    ) -> Optional[Candidate]:
        source, expr = group
        if any(not _readable_again(source, other) for other in others):
            return None
        if any(source.code(other) == source.code(expr) for other in others):
            return None  # the same list given twice: filtering one by the other would leave it empty
        p, q = _fresh([expr, *others], ("p", "param", "tensor")), _fresh([expr, *others], ("q", "other", "held"))
        if not p or not q or p == q:
            return None
        conditions = " and ".join(f"all({p} is not {q} for {q} in {_iterable_code(source, other)})" for other in others)
        text = f"[{p} for {p} in {_iterable_code(source, expr)} if {conditions}]"
        new = cst.parse_expression(text, config=source.module.config_for_parsing)
        shown = source.code(expr)
        named = f" (`{shown}`)" if len(shown) <= 40 and "\n" not in shown else ""
        description = description or (
            f"group {index}{named} keeps only the parameters that group{'s' if len(other_indexes) > 1 else ''} "
            f"{_and(other_indexes)} do{'' if len(other_indexes) > 1 else 'es'} not hold"
        )
        candidate = self.candidate(description, source.path, [source.replace_node(expr, new)])
        # Which group's options (learning rate, weight decay) the shared parameters keep is a choice.
        candidate.applicability = Applicability.UNSAFE
        return candidate


# -- which groups share parameters ------------------------------------------------------------


def _overlaps(groups: list[list[str]]) -> dict[int, set[int]]:
    """For each group that shares parameters with another: the groups it shares them with."""
    sets = [set(group) for group in groups]
    found: dict[int, set[int]] = {}
    for i, mine in enumerate(sets):
        for j, theirs in enumerate(sets):
            if i != j and mine & theirs:
                found.setdefault(i, set()).add(j)
    return found


def _count(names: list[str]) -> str:
    return "1 parameter" if len(names) == 1 else f"{len(names)} parameters"


def _and(items: list[int]) -> str:
    words = [str(i) for i in items]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


# -- where the groups are written -------------------------------------------------------------


def _params_of_group(source: SourceFile, group: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """The ``params`` of a group written as ``{"params": ...}`` or ``dict(params=...)``, or a name bound once to one."""
    if isinstance(group, cst.Name):
        bound = source.bound_once(group)
        if bound is None:
            return None
        group = bound[0].value
    return group_params(group)


def _group_exprs(project: Project, source: SourceFile, call: cst.Call) -> Optional[list[Located]]:
    """Each group's ``params`` expression, in order, for an optimizer's constructor call: a list of
    group dicts written there, bound to a name, or returned by a helper (a function of the project,
    a method called on ``self``); a plain iterable is one group."""
    given = params_given(call)
    if given is None:
        return None
    found = _groups_literal(project, source, given)
    if found is None:
        return [(source, given)]
    home, literal = found
    exprs = []
    for element in literal.elements:
        if not isinstance(element, cst.Element):
            return None  # `*groups`: which group is which is not written here
        params = _params_of_group(home, element.value)
        if params is None:
            return None
        exprs.append((home, params))
    return exprs


def _groups_literal(
    project: Project, source: SourceFile, given: cst.BaseExpression, depth: int = 2,
) -> Optional[tuple[SourceFile, Union[cst.List, cst.Tuple]]]:
    def is_groups(node: cst.BaseExpression) -> bool:
        return isinstance(node, (cst.List, cst.Tuple)) and any(
            isinstance(e, cst.Element) and isinstance(e.value, (cst.Dict, cst.Call)) and _params_of_group(source, e.value) is not None
            for e in node.elements
        )

    if is_groups(given):
        return source, given  # type: ignore[return-value]
    if isinstance(given, cst.Name):
        bound = source.bound_once(given)
        if bound is not None and is_groups(bound[0].value):
            return source, bound[0].value  # type: ignore[return-value]
        return None
    if isinstance(given, cst.Call) and depth > 0:
        # `AdamW(param_groups(model, wd))`, `AdamW(self.param_groups())`: the helper's one return statement
        for home, function in _called(project, source, given):
            returns = [r for r in descendants(function, cst.Return) if r.value is not None]
            if len(returns) == 1:
                found = _groups_literal(project, home, returns[0].value, depth - 1)  # type: ignore[arg-type]
                if found is not None:
                    return found
    return None


def _functions(source: SourceFile, name: str) -> list[cst.FunctionDef]:
    return [f for f in descendants(source.module, cst.FunctionDef) if f.name.value == name]


# -- where the groups' lists were built ------------------------------------------------------


def _free_names(expr: cst.CSTNode) -> list[cst.Name]:
    """The names an expression reads (not attribute names, keywords, or its comprehensions' own variables)."""
    own: set[str] = set()
    for comp_for in descendants(expr, cst.CompFor):
        own.update(n.value for n in descendants(comp_for.target, cst.Name))
    found = []
    for name in descendants(expr, cst.Name):
        if name.value in own:
            continue
        found.append(name)
    attrs = {id(a.attr) for a in descendants(expr, cst.Attribute)}
    keywords = {id(a.keyword) for a in descendants(expr, cst.Arg) if a.keyword is not None}
    return [n for n in found if id(n) not in attrs and id(n) not in keywords]


def _regions(project: Project, source: SourceFile, node: cst.CSTNode, depth: int = 2) -> Iterator[tuple[SourceFile, cst.CSTNode]]:
    """The code that built a group's list: its expression, the statements that bind or fill the
    names it reads, and the bodies of the helpers those call (two levels deep)."""
    regions: list[cst.CSTNode] = [node]
    for name in _free_names(node):
        scope = source.scopes.get(name)
        if scope is None or name.value not in scope:
            continue
        for assignment in scope[name.value]:
            bound = getattr(assignment, "node", None)
            if bound is None or isinstance(bound, (cst.Param, cst.FunctionDef, cst.ClassDef, cst.Import, cst.ImportFrom)):
                continue
            statement = source.statement_of(bound)
            if statement is not None and not any(statement is r for r in regions):
                regions.append(statement)
        for access in scope.accesses[name.value]:
            filled = _filled(source, access.node)
            if filled is not None and not any(filled is r for r in regions):
                regions.append(filled)
    for region in regions:
        yield source, region
    if depth == 0:
        return
    for region in regions:
        for call in descendants(region, cst.Call):
            for home, function in _called(project, source, call):
                yield from _regions(project, home, function.body, depth - 1)


def _filled(source: SourceFile, node: cst.CSTNode) -> Optional[cst.CSTNode]:
    """For a read of a list that fills it (``decay.append(p)``, ``.extend``, ``+=``): the outermost
    loop around it in its function, or its statement."""
    parent = source.parent(node)
    fills = isinstance(parent, cst.Attribute) and parent.attr.value in ("append", "extend", "insert") or isinstance(parent, cst.AugAssign)
    if not fills:
        return None
    outer: Optional[cst.CSTNode] = source.statement_of(node)
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            break
        if isinstance(ancestor, (cst.For, cst.While)):
            outer = ancestor
    return outer


def _called(project: Project, source: SourceFile, call: cst.Call) -> list[tuple[SourceFile, cst.FunctionDef]]:
    """The helpers a call runs whose code the project holds: a function of this file, a method of
    the enclosing class (``self.split(...)``), or a function imported from a module of the project."""
    func = call.func
    if isinstance(func, cst.Name):
        local = _functions(source, func.value)
        if local:
            return [(source, f) for f in local]
        found = []
        for qualified in source.qualified_names(func):
            module, _, name = qualified.rpartition(".")
            home = _module_source(project, source, module)
            if home is not None:
                found += [(home, f) for f in _functions(home, name)]
        return found
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
        cls = next((a for a in source.ancestors(call) if isinstance(a, cst.ClassDef)), None)
        if cls is not None:
            return [(source, f) for f in descendants(cls, cst.FunctionDef) if f.name.value == func.attr.value]
    return []


def _module_source(project: Project, source: SourceFile, module: str) -> Optional[SourceFile]:
    if not module or not all(part.isidentifier() for part in module.split(".")):
        return None
    for base in (os.path.dirname(source.path), project.root):
        path = os.path.join(base, *module.split(".")) + ".py"
        if os.path.isfile(path) and project.is_editable(path):
            return project.source(path)
    return None


def _recursing_calls(source: SourceFile, region: cst.CSTNode) -> Iterator[tuple[cst.Call, cst.CSTNode]]:
    """``m.parameters()`` / ``m.named_parameters()`` (recursing, as by default) where ``m`` is the
    variable of a loop or comprehension over ``modules()``: the call and that loop."""
    for call in descendants(region, cst.Call):
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in _RECURSING and isinstance(func.value, cst.Name)):
            continue
        if any(arg.keyword is None or arg.keyword.value == "recurse" for arg in call.args):
            continue  # recurse given, by keyword or by position
        loop = _walking_modules(source, call, func.value.value)
        if loop is not None:
            yield call, loop


def _walking_modules(source: SourceFile, call: cst.Call, name: str) -> Optional[cst.CSTNode]:
    child: cst.CSTNode = call
    for ancestor in source.ancestors(call):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        if isinstance(ancestor, cst.For) and child is ancestor.body and name in _targets(ancestor.target):
            return ancestor if _modules_walk(source, ancestor.iter) else None
        if isinstance(ancestor, _COMPREHENSIONS):
            comp_for: Optional[cst.CompFor] = ancestor.for_in
            while comp_for is not None:
                if name in _targets(comp_for.target) and not _inside(call, comp_for.iter):
                    return ancestor if _modules_walk(source, comp_for.iter) else None
                comp_for = comp_for.inner_for_in
        child = ancestor
    return None


def _inside(node: cst.CSTNode, container: cst.CSTNode) -> bool:
    return any(n is node for n in descendants(container, type(node)))


def _targets(target: cst.CSTNode) -> set[str]:
    return {n.value for n in descendants(target, cst.Name)}


def _walks(node: cst.CSTNode) -> bool:
    return any(
        isinstance(c.func, cst.Attribute) and c.func.attr.value in _MODULE_WALKS for c in descendants(node, cst.Call)
    )


def _modules_walk(source: SourceFile, iterable: cst.BaseExpression) -> bool:
    """The loop goes over ``x.modules()`` or ``x.named_modules()``, written there or bound to the name it reads."""
    if _walks(iterable):
        return True
    for name in _free_names(iterable):
        scope = source.scopes.get(name)
        if scope is None or name.value not in scope:
            continue
        for assignment in scope[name.value]:
            node = getattr(assignment, "node", None)
            if node is None or isinstance(node, (cst.Param, cst.FunctionDef, cst.ClassDef)) or isinstance(source.parent(node), cst.Param):
                continue
            statement = source.statement_of(node)
            if isinstance(statement, cst.SimpleStatementLine) and _walks(statement):
                return True
    return False


def _no_recursion(source: SourceFile, call: cst.Call) -> Edit:
    args = [*call.args, cst.Arg(value=cst.Name("False"), keyword=cst.Name("recurse"), equal=cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))]
    return source.replace_node(call, call.with_changes(args=args))


# -- writing the filters -----------------------------------------------------------------------


def _iterable_code(source: SourceFile, expr: cst.BaseExpression) -> str:
    """An expression's code, parenthesised where ``for x in <it>`` would read it otherwise."""
    code = source.code(expr)
    bare_tuple = isinstance(expr, cst.Tuple) and not expr.lpar
    if bare_tuple or isinstance(expr, (cst.IfExp, cst.Lambda, cst.NamedExpr, cst.Yield)):
        return f"({code})"
    return code


def _fresh(exprs: list[cst.BaseExpression], choices: tuple[str, ...]) -> Optional[str]:
    """A variable for a comprehension that none of the expressions reads."""
    used = {n.value for expr in exprs for n in descendants(expr, cst.Name)}
    return next((c for c in choices if c not in used), None)


def _readable_again(source: SourceFile, expr: cst.BaseExpression) -> bool:
    """Reading the expression once more gives the same parameters: no name it reads is bound to a
    one-shot iterator (``params = model.parameters()``), which a second reader would find empty."""
    for name in _free_names(expr):
        scope = source.scopes.get(name)
        if scope is None or name.value not in scope:
            continue
        for assignment in scope[name.value]:
            node = getattr(assignment, "node", None)
            if node is None or not isinstance(node, cst.Name):
                continue
            statement = source.statement_of(node)
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and _one_shot(source, small.value):
                    return False
    return True


def _one_shot(source: SourceFile, value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.GeneratorExp):
        return True
    if not isinstance(value, cst.Call):
        return False
    if isinstance(value.func, cst.Attribute) and value.func.attr.value in _ONE_SHOT_METHODS:
        return True
    return isinstance(value.func, cst.Name) and value.func.value in _ONE_SHOT_FUNCTIONS


def _available_at(source: SourceFile, expr: cst.BaseExpression, at: cst.BaseExpression) -> bool:
    """Every name ``expr`` reads is bound where ``at`` is evaluated, before it."""
    scope = source.scopes.get(at)
    statement = source.statement_of(at)
    if scope is None or statement is None:
        return False
    line = source.range(statement).start.line
    for name in _free_names(expr):
        if name.value not in scope:
            return False
        ok = False
        for assignment in scope[name.value]:
            node = getattr(assignment, "node", None)
            if node is None or assignment.scope is not scope or isinstance(node, cst.Param) or isinstance(source.parent(node), cst.Param):
                ok = True  # a builtin, an import, a global, a parameter of the function
            elif source.range(node).start.line < line:
                ok = True
        if not ok:
            return False
    return True


def _comprehension(source: SourceFile, expr: cst.BaseExpression) -> Optional[tuple[cst.CSTNode, cst.CompFor]]:
    """A list or generator comprehension, written there or bound once to the name."""
    if isinstance(expr, cst.Name):
        bound = source.bound_once(expr)
        if bound is None:
            return None
        expr = bound[0].value
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "list" and len(expr.args) == 1:
        expr = expr.args[0].value
    if isinstance(expr, (cst.ListComp, cst.GeneratorExp)):
        return expr, expr.for_in
    return None


def _is_and(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.And) and not node.lpar


def _conjuncts(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    if _is_and(node):
        return [*_conjuncts(node.left), *_conjuncts(node.right)]  # type: ignore[attr-defined]
    return [node]


_NEGATED = {
    cst.In: cst.NotIn, cst.NotIn: cst.In, cst.Equal: cst.NotEqual, cst.NotEqual: cst.Equal, cst.Is: cst.IsNot, cst.IsNot: cst.Is,
    cst.LessThan: cst.GreaterThanEqual, cst.GreaterThanEqual: cst.LessThan, cst.GreaterThan: cst.LessThanEqual, cst.LessThanEqual: cst.GreaterThan,
}
_PLAIN = (cst.Name, cst.Call, cst.Attribute, cst.Subscript)


def _negation(node: cst.BaseExpression) -> list[str]:
    """A condition's negation as the conjuncts of an ``and``, as plainly as each can be written
    (``a in n`` → ``a not in n``; ``a or b`` → ``not a``, ``not b``)."""
    code = cst.Module([]).code_for_node
    if node.lpar and isinstance(node, (cst.Comparison, cst.BooleanOperation, cst.UnaryOperation)):
        node = node.with_changes(lpar=[], rpar=[])
    if isinstance(node, cst.Comparison) and len(node.comparisons) == 1 and type(node.comparisons[0].operator) in _NEGATED:
        target = node.comparisons[0]
        return [code(node.with_changes(comparisons=[target.with_changes(operator=_NEGATED[type(target.operator)]())]))]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        inner = node.expression
        if inner.lpar and isinstance(inner, (cst.Comparison, *_PLAIN)):
            inner = inner.with_changes(lpar=[], rpar=[])
        return [code(c) for c in _conjuncts(inner)] if not inner.lpar else [code(inner)]
    if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
        return [*_negation(node.left), *_negation(node.right)]
    return [f"not {code(node)}" if isinstance(node, _PLAIN) else f"not ({code(node)})"]


def _and_operand(text: str) -> str:
    """A condition's text as one operand of ``and``: an ``or`` (or anything looser) in parentheses."""
    try:
        node = cst.parse_expression(text)
    except cst.ParserSyntaxError:
        return f"({text})"
    if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or) or isinstance(node, (cst.IfExp, cst.Lambda)):
        return f"({text})"
    return text
