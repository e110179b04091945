"""GF010: the optimizer was built before the model, or a layer of it, was replaced.

``optimizer = SGD(model.parameters())`` followed by ``model = Net()`` again, or by
``model.fc = nn.Linear(...)``: the optimizer holds the parameters of the module that is gone, the
module that is trained has parameters no optimizer holds. They receive gradients and never change.
When the two statements share a block, the fix moves the optimizer's construction to just after
the replacing statement. When the replacement happens in a helper or a later phase, the optimizer
is rebuilt right after it (or after the helper's call) with the script's own constructor
expression, when that expression's hyperparameters read nothing that changed in between; or the
new modules' parameters are added to it with ``add_param_group``. The re-run picks.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Iterator, Optional, Union

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import OptimizerFact, Site, Trace


@dataclass
class _Replacement:
    trained: list[str]  # parameters of the new module: gradients, no optimizer
    site: Optional[Site] = None  # `model.fc = ...`: where the (first) attribute was assigned
    rebound: Optional[str] = None  # `model = Net()` again: the name bound a second time
    # every replaced attribute the optimizer held: (where it was assigned, the attribute's name)
    attributes: list[tuple[Site, str]] = field(default_factory=list)


@dataclass
class _Built:
    """The statement that built the optimizer: ``optimizer = Adam(...)`` or ``self.opt = Adam(...)``."""

    statement: cst.SimpleStatementLine
    call: cst.Call
    target: str  # `optimizer` or `self.optimizer`
    function: Optional[cst.FunctionDef]  # where it runs; None at the top level
    owner: Optional[cst.ClassDef]  # for `self.<name> = ...`: the class of the method


class StaleOptimizer(Rule):
    code = "GF010"
    title = "optimizer built before the model was replaced"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        unheld = [p.name for p in trace.params if p.got_grad and not p.optimizers and p.requires_grad]
        if not unheld:
            return []
        findings = []
        for optimizer in trace.optimizers:
            replacement = self._replacement(trace, optimizer, unheld)
            if replacement is None or optimizer.site is None or not project.is_editable(optimizer.site.file):
                continue
            source = project.source(optimizer.site.file)
            target = self._replacing_statement(source, optimizer.site, replacement)
            candidates: list[Candidate] = []
            where = "later"
            if replacement.site is not None and replacement.site.function not in ("", "<module>", optimizer.site.function):
                where = f"in {replacement.site.function}() at line {replacement.site.line}"
            elif target is not None:
                where = f"at line {source.range(target).start.line}"
            move = self._move(source, optimizer.site, target) if target is not None else None
            built = _constructor(source, optimizer.site)
            if move is not None and not (built is not None and target is not None and _used_between(source, built, target)):
                candidates.append(move)
            elif built is not None:
                # The optimizer trains something before the replacement (a first phase), or the
                # replacement is in a helper: it cannot simply be built later. A scheduler built
                # over it would go on scheduling the old one: then it is extended, not rebuilt.
                scheduled = any(s.optimizer == optimizer.id for s in trace.schedulers)
                candidates += self._rebuilds(project, source, built, replacement, rebuild=not scheduled)[:6]
            message = (
                f"the optimizer is built here, before the model is replaced {where}: it holds the old "
                f"parameters, and {short_list(replacement.trained)} receive gradients that no optimizer applies"
            )
            findings.append(self.finding(project, optimizer.site, message, replacement.trained, candidates))
        return findings

    @staticmethod
    def _replacement(trace: Trace, optimizer: OptimizerFact, unheld: list[str]) -> Optional[_Replacement]:
        held_modules = {p.module for p in trace.params if optimizer.id in p.optimizers}
        found: Optional[_Replacement] = None
        for attribute in trace.attributes:
            if attribute.kind != "module" or attribute.replaced is None or attribute.event < optimizer.built_event:
                continue
            prefix = f"{attribute.owner_name}.{attribute.attr}."
            trained = [n for n in unheld if n.startswith(prefix)]
            if trained and attribute.replaced in held_modules:
                # `self.fc1, self.fc2 = new_fc1, new_fc2`: every layer swapped out counts.
                found = found or _Replacement([], site=attribute.site)
                found.trained += [n for n in trained if n not in found.trained]
                if attribute.site is not None:
                    found.attributes.append((attribute.site, attribute.attr))
        if found is not None:
            return found
        for module in trace.modules:
            if module.name is None or module.created_event < optimizer.built_event:
                continue
            older = [m for m in trace.modules if m.name and m.name.startswith(f"{module.name}@") and m.id in held_modules]
            trained = [n for n in unheld if n.startswith(f"{module.name}.")]
            if older and trained:
                return _Replacement(trained, rebound=module.name)
        return None

    @staticmethod
    def _replacing_statement(source: SourceFile, built_at: Site, replacement: _Replacement) -> Optional[cst.BaseStatement]:
        if replacement.site is not None:
            if replacement.site.file != source.path:
                return None
            found = source.statements_on_line(replacement.site.line)
            return found[0] if found else None
        # The new module may be built inside a helper: the replacing statement is the rebinding.
        built = source.statements_on_line(built_at.line)
        block = source.parent(built[0]) if built else None
        body = list(getattr(block, "body", []))
        if not built or built[0] not in body:
            return None
        for later in body[body.index(built[0]) + 1 :]:
            if isinstance(later, cst.SimpleStatementLine):
                for small in later.body:
                    if isinstance(small, cst.Assign) and any(source.code(t.target) == replacement.rebound for t in small.targets):
                        return later
        return None

    def _move(self, source: SourceFile, built_at: Site, target: cst.BaseStatement) -> Optional[Candidate]:
        built = source.statements_on_line(built_at.line)
        if not built:
            return None
        statement = built[0]
        if not isinstance(statement, cst.SimpleStatementLine) or source.parent(statement) is not source.parent(target):
            return None
        if source.range(statement).start.line > source.range(target).start.line:
            return None
        start, end = source.statement_lines(statement, with_comments=True)
        after = source.range(target).end.line + 1
        return Candidate(
            description="build the optimizer after the replacement",
            patches=[
                Patch(source.path, [source.remove_statement(statement), source.insert_lines(after, source.text[start:end])])
            ],
            applicability=self.applicability,
        )

    # -- the replacement in a helper or a later phase: rebuild the optimizer, or extend it ---------

    def _rebuilds(
        self, project: Project, source: SourceFile, built: _Built, replacement: _Replacement, rebuild: bool = True
    ) -> list[Candidate]:
        """Rebuild the optimizer after the replacement (in the optimizer's scope, or in a method of
        its class), or after the helper's call; else add the new modules' parameters to it."""
        rebuilds: list[Candidate] = []
        additions: list[Candidate] = []
        scope = built.function or source.module
        later: list[cst.BaseStatement] = []  # statements after the optimizer's that swap a layer or rebind the model
        for where, statements, exprs in self._replacing_groups(project, replacement):
            anchor = statements[-1]
            home = _scope_of(where, anchor)
            if where is source and home is scope and _after(source, anchor, built.statement):
                later.append(anchor)
                addition = self._add_group(source, built.target, [(anchor, exprs)], "after the replacement")
                if addition is not None:
                    additions.append(addition)
                continue
            if where is source and built.owner is not None and isinstance(home, cst.FunctionDef) and _method_class(source, home) is built.owner:
                # `self.optimizer` of the same object: rebuilt, or extended, where the layers are swapped.
                moved = _transplant(source, built, home)
                if moved is not None:
                    call, kept = moved
                    taken = f" ({', '.join(kept)} taken from the old optimizer)" if kept else ""
                    rebuilds.append(self._rebuild(source, built, call, [anchor], f"in {home.name.value}() after the replacement", taken))
                addition = self._add_group(source, built.target, [(anchor, exprs)], f"in {home.name.value}() after the replacement")
                if addition is not None:
                    additions.append(addition)
                continue
            if not isinstance(home, cst.FunctionDef) or "." in built.target:
                continue
            # A helper: the optimizer is a name in scope where the helper is called.
            calls = _helper_calls(source, scope, built.statement, where, home)
            if not calls:
                continue
            anchors = [statement for statement, _, _ in calls]
            if _hyperparameters_stable(source, scope, built, anchors):
                rebuilds.append(self._rebuild(source, built, built.call, anchors, f"after the call of {home.name.value}()"))
            translated = [
                (statement, [t for t in (_translate(where, home, expr, bindings) for expr in exprs) if t is not None])
                for statement, _, bindings in calls
            ]
            if all(len(t) == len(exprs) for _, t in translated):
                addition = self._add_group(source, built.target, translated, f"after the call of {home.name.value}()")
                if addition is not None:
                    additions.append(addition)
        if replacement.rebound is not None:
            later += [s for s in _rebinding_statements(source, scope, replacement.rebound) if _after(source, s, built.statement)]
        later = [s for i, s in enumerate(later) if s not in later[:i]]
        if later and _hyperparameters_stable(source, scope, built, later):
            rebuilds.insert(0, self._rebuild(source, built, built.call, later, "after the replacement"))
        return _distinct((rebuilds if rebuild else []) + additions)

    def _replacing_groups(self, project: Project, replacement: _Replacement) -> list[tuple[SourceFile, list[cst.BaseStatement], list[str]]]:
        """The replacing statements, grouped by the function they are in, in order, with the code of
        the attribute each assigns (`self.model.fc1`): (file, statements, targets)."""
        groups: dict[tuple[str, int], tuple[SourceFile, list[cst.BaseStatement], list[str]]] = {}
        for site, attr in replacement.attributes:
            if not project.is_editable(site.file):
                continue
            where = project.source(site.file)
            found = _replacing_target(where, site, attr)
            if found is None:
                continue
            statement, target = found
            home = _scope_of(where, statement)
            if home is None:
                continue
            _, statements, exprs = groups.setdefault((site.file, id(home)), (where, [], []))
            if all(statement is not s for s in statements):
                statements.append(statement)
            if target is not None and target not in exprs:
                exprs.append(target)
        for where, statements, _ in groups.values():
            statements.sort(key=lambda s: _start(where, s))
        return list(groups.values())

    def _rebuild(
        self, source: SourceFile, built: _Built, call: cst.Call, anchors: list[cst.BaseStatement], where: str, note: str = ""
    ) -> Candidate:
        statement = built.statement.deep_replace(built.call, call) if call is not built.call else built.statement
        assert isinstance(statement, cst.SimpleStatementLine)
        lines = source.module.code_for_node(statement.with_changes(leading_lines=[])).splitlines()
        own = source.indentation(source.range(built.statement).start.line)
        edits = []
        for anchor in anchors:
            indent = source.indentation(source.range(anchor).start.line)
            moved = [indent + lines[0]] + [indent + line[len(own):] if line.startswith(own) else line for line in lines[1:]]
            edits.append(_insert_after(source, anchor, "".join(f"{line}\n" for line in moved)))
        return self.candidate(f"build the optimizer again {where}, with the same constructor{note}", source.path, edits)

    def _add_group(
        self, source: SourceFile, optimizer: str, places: list[tuple[cst.BaseStatement, list[str]]], where: str
    ) -> Optional[Candidate]:
        """``optimizer.add_param_group({"params": <new module>.parameters()})`` after each place."""
        edits = []
        for anchor, modules in places:
            if not modules or not all(_dotted(m) for m in [optimizer, *modules]):
                return None
            params = f"{modules[0]}.parameters()" if len(modules) == 1 else "[" + ", ".join(f"*{m}.parameters()" for m in modules) + "]"
            indent = source.indentation(source.range(anchor).start.line)
            edits.append(_insert_after(source, anchor, f'{indent}{optimizer}.add_param_group({{"params": {params}}})\n'))
        if not edits:
            return None
        return self.candidate(f"add the new layers' parameters to the optimizer {where}", source.path, edits)


def _used_between(source: SourceFile, built: _Built, until: cst.BaseStatement) -> bool:
    """The optimizer is used after it is built and before ``until``: it steps in a first phase."""
    start, end = source.range(built.statement).end, source.range(until).start
    scope = built.function or source.module
    for node in descendants(scope, cst.BaseExpression):
        if isinstance(node, (cst.Name, cst.Attribute)) and source.code(node) == built.target:
            where = source.range(node).start
            if (start.line, start.column) <= (where.line, where.column) < (end.line, end.column):
                return True
    return False


def _distinct(candidates: list[Candidate]) -> list[Candidate]:
    seen: set[tuple] = set()  # type: ignore[type-arg]
    kept = []
    for candidate in candidates:
        key = tuple((p.path, tuple((e.start, e.end, e.replacement) for e in p.edits)) for p in candidate.patches)
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept


def _start(source: SourceFile, node: cst.CSTNode) -> tuple[int, int]:
    where = source.range(node).start
    return where.line, where.column


def _after(source: SourceFile, node: cst.CSTNode, than: cst.CSTNode) -> bool:
    end = source.range(than).end
    return _start(source, node) >= (end.line, end.column)


def _dotted(code: str) -> bool:
    """`model.fc1`, `self.model.classifier[-1]`: a name the source binds, with attributes or a
    literal index; nothing that calls or computes."""
    head, _, index = code.partition("[")
    if index and not (index.endswith("]") and index[:-1].lstrip("-").isdigit()):
        return False
    return all(part.isidentifier() for part in head.split("."))


def _scope_of(source: SourceFile, node: cst.CSTNode) -> Union[cst.FunctionDef, cst.Module, None]:
    """The function a statement runs in, or the module for the top level; None in a class body or
    a lambda."""
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef):
            return ancestor
        if isinstance(ancestor, (cst.ClassDef, cst.Lambda)):
            return None
    return source.module


def _method_class(source: SourceFile, function: cst.FunctionDef) -> Optional[cst.ClassDef]:
    block = source.parent(function)
    owner = source.parent(block) if isinstance(block, cst.IndentedBlock) else None
    if not isinstance(owner, cst.ClassDef):
        return None
    for decorator in function.decorators:
        name = decorator.decorator
        if isinstance(name, cst.Name) and name.value in ("staticmethod", "classmethod", "property"):
            return None  # no `self` that is the instance
    return owner


def _first_param(function: cst.FunctionDef) -> Optional[str]:
    params = function.params.params
    return params[0].name.value if params else None


def _constructor(source: SourceFile, site: Site) -> Optional[_Built]:
    """``optimizer = Adam(...)`` (or ``self.optimizer = Adam(...)`` in a method) at the optimizer's site."""
    for call in source.nodes_at(site, cst.Call):
        statement = source.statement_of(call)
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        assign = statement.body[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or assign.value is not call:
            continue
        target = assign.targets[0].target
        scope = _scope_of(source, statement)
        if scope is None:
            return None
        function = scope if isinstance(scope, cst.FunctionDef) else None
        if isinstance(target, cst.Name):
            return _Built(statement, call, target.value, function, None)
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and function is not None:
            owner = _method_class(source, function)
            if owner is not None and target.value.value == _first_param(function):
                return _Built(statement, call, source.code(target), function, owner)
    return None


class _Reads(cst.CSTVisitor):
    """The names an expression reads: not attribute names or keywords, not the variables of its
    own lambdas and comprehensions."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[cst.Name] = []
        self.own: set[str] = set()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        self.own.add(node.name.value)
        return False

    def visit_CompFor(self, node: cst.CompFor) -> bool:
        self.own.update(n.value for n in descendants(node.target, cst.Name))
        return True

    def visit_Name(self, node: cst.Name) -> bool:
        self.names.append(node)
        return False


def _reads(node: cst.CSTNode) -> set[str]:
    reads = _Reads()
    node.visit(reads)
    return {n.value for n in reads.names} - reads.own


def _is_params(arg: cst.Arg, index: int) -> bool:
    """The constructor's first argument: the parameters (the model, which changed on purpose)."""
    if arg.keyword is not None:
        return arg.keyword.value == "params"
    return index == 0 and not arg.star


def _target_roots(target: cst.BaseExpression) -> Iterator[str]:
    """The names an assignment target rebinds or changes: `lr`, `args` of `args.lr = ...`."""
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_roots(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_roots(target.value)
    else:
        while isinstance(target, (cst.Attribute, cst.Subscript)):
            target = target.value
        if isinstance(target, cst.Name):
            yield target.value


class _Targets(cst.CSTVisitor):
    """Every assignment target in a scope's own code (not in the functions it defines)."""

    def __init__(self, root: cst.CSTNode) -> None:
        super().__init__()
        self.root = root
        self.found: list[cst.BaseExpression] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node is not self.root and isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return False
        if isinstance(node, cst.AssignTarget):
            self.found.append(node.target)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            self.found.append(node.target)
        elif isinstance(node, (cst.For, cst.CompFor)):
            self.found.append(node.target)
        elif isinstance(node, cst.NamedExpr):
            self.found.append(node.target)
        elif isinstance(node, cst.AsName) and isinstance(node.name, cst.BaseExpression):
            self.found.append(node.name)
        return True


def _targets(scope: cst.CSTNode) -> list[cst.BaseExpression]:
    visitor = _Targets(scope)
    scope.visit(visitor)
    return visitor.found


def _locals(function: cst.FunctionDef) -> set[str]:
    names = {p.name.value for p in [*function.params.params, *function.params.kwonly_params, *function.params.posonly_params]}
    for star in (function.params.star_arg, function.params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names | {name for target in _targets(function) for name in _target_roots(target)}


def _module_names(source: SourceFile) -> set[str]:
    names = {name for target in _targets(source.module) for name in _target_roots(target)}
    for node in descendants(source.module, cst.CSTNode):
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and _scope_of(source, node) is source.module:
            names.add(node.name.value)
        elif isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                while isinstance(bound, cst.Attribute):  # `import torch.nn` binds `torch`
                    bound = bound.value
                if isinstance(bound, cst.Name):
                    names.add(bound.value)
    return names


def _hyperparameters_stable(source: SourceFile, scope: cst.CSTNode, built: _Built, anchors: list[cst.BaseStatement]) -> bool:
    """Nothing the constructor's other arguments read (`lr`, `args.lr`) is assigned between the
    optimizer's statement and the last anchor: the same expression still means the same optimizer."""
    names = {name for i, arg in enumerate(built.call.args) if not _is_params(arg, i) for name in _reads(arg.value)}
    if not names:
        return True
    start = source.range(built.statement).end
    end = max(source.range(a).end for a in anchors)
    for anchor in anchors:
        # In a loop that the optimizer's statement is not in, the loop's later lines run between
        # too (from the second iteration on).
        for loop in source.ancestors(anchor):
            if loop is scope:
                break
            if isinstance(loop, (cst.For, cst.While)) and _after(source, loop, built.statement):
                loop_end = source.range(loop).end
                end = max(end, loop_end, key=lambda p: (p.line, p.column))
    for target in _targets(scope):
        where = source.range(target).start
        if (start.line, start.column) <= (where.line, where.column) <= (end.line, end.column):
            if names & set(_target_roots(target)):
                return False
    return True


def _transplant(source: SourceFile, built: _Built, method: cst.FunctionDef) -> Optional[tuple[cst.Call, list[str]]]:
    """The constructor as another method of the same class can write it: ``self`` is the same
    object, module-level names are the same; a keyword argument that reads a local of the
    constructing method (``lr=lr``) takes the value the optimizer keeps (``self.opt.defaults["lr"]``)."""
    assert built.function is not None
    me = _first_param(built.function)
    if me is None or _first_param(method) != me:
        return None
    there, here = _locals(built.function) - {me}, _locals(method) - {me}
    shared = _module_names(source) | set(dir(builtins))
    args = []
    kept = []
    for index, arg in enumerate(built.call.args):
        reads = _reads(arg.value)
        if all(name == me or (name not in there and name not in here and name in shared) for name in reads):
            args.append(arg)
        elif arg.keyword is not None and not _is_params(arg, index) and arg.keyword.value.isidentifier():
            value = cst.parse_expression(f'{built.target}.defaults["{arg.keyword.value}"]', config=source.module.config_for_parsing)
            args.append(arg.with_changes(value=value))
            kept.append(arg.keyword.value)
        else:
            return None
    return built.call.with_changes(args=args), kept


def _replacing_target(source: SourceFile, site: Site, attr: str) -> Optional[tuple[cst.BaseStatement, Optional[str]]]:
    """The statement that assigned a module attribute, and the code of its target (`self.model.fc1`)."""
    statement: Optional[cst.BaseStatement] = None
    for node in source.nodes_at(site, cst.BaseExpression):
        statement = source.statement_of(node)
        if isinstance(node, cst.Attribute) and node.attr.value == attr or isinstance(node, cst.Subscript):
            if isinstance(statement, cst.SimpleStatementLine) and any(
                node is inner for small in statement.body if isinstance(small, cst.Assign) for t in small.targets for inner in _flat(t.target)
            ):
                return statement, source.code(node)
    if statement is None:
        found = [s for s in source.statements_on_line(site.line) if isinstance(s, cst.SimpleStatementLine)]
        statement = found[0] if found else None
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    return statement, None


def _flat(target: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(target, (cst.Tuple, cst.List)):
        return [inner for element in target.elements for inner in _flat(element.value)]
    return [target]


def _rebinding_statements(source: SourceFile, scope: cst.CSTNode, name: str) -> list[cst.BaseStatement]:
    """Statements of a scope that bind ``name`` (`model = Net()` again) as a whole."""
    found = []
    for target in _targets(scope):
        if source.code(target) == name:
            statement = source.statement_of(target)
            if isinstance(statement, cst.SimpleStatementLine):
                found.append(statement)
    return found


def _helper_calls(
    source: SourceFile, scope: cst.CSTNode, after: cst.BaseStatement, helper_source: SourceFile, helper: cst.FunctionDef
) -> list[tuple[cst.BaseStatement, cst.Call, dict[str, str]]]:
    """The calls of the helper in the optimizer's scope, after the optimizer is built: the statement
    of each, and what the helper's parameters are bound to there (`net` -> `model`)."""
    owner = _method_class(helper_source, helper)
    name = helper.name.value
    found = []
    for call in descendants(scope, cst.Call):
        statement = source.statement_of(call)
        if statement is None or _scope_of(source, statement) is not scope or not _after(source, statement, after):
            continue
        receiver: Optional[str] = None
        if owner is None and isinstance(call.func, cst.Name) and call.func.value == name:
            if helper_source is source and _scope_of(source, helper) is not source.module:
                continue  # a nested function of the same name, not this one
        elif owner is not None and isinstance(call.func, cst.Attribute) and call.func.attr.value == name:
            receiver = source.code(call.func.value)
            if not _instance_of(source, scope, call.func.value, owner.name.value):
                continue
        else:
            continue
        found.append((statement, call, _bindings(source, helper, call, receiver)))
    return found


def _instance_of(source: SourceFile, scope: cst.CSTNode, receiver: cst.BaseExpression, cls: str) -> bool:
    """``trainer`` of ``trainer.prune()`` was bound in this scope to ``Trainer(...)``."""
    if not isinstance(receiver, cst.Name):
        return False
    for target in _targets(scope):
        if isinstance(target, cst.Name) and target.value == receiver.value:
            parent = source.parent(target)
            assign = source.parent(parent) if isinstance(parent, cst.AssignTarget) else None
            if isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Call):
                func = assign.value.func
                called = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
                if called == cls:
                    return True
    return False


def _bindings(source: SourceFile, helper: cst.FunctionDef, call: cst.Call, receiver: Optional[str]) -> dict[str, str]:
    """The helper's parameters bound to plain names of the call (`prune(model)`: net -> model)."""
    params = [p.name.value for p in [*helper.params.posonly_params, *helper.params.params]]
    bound: dict[str, str] = {}
    if receiver is not None:
        if not params:
            return {}
        bound[params[0]] = receiver
        params = params[1:]
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in positional):
        return bound
    for name, arg in zip(params, positional):
        bound[name] = source.code(arg.value)
    keywords = params + [p.name.value for p in helper.params.kwonly_params]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            bound[arg.keyword.value] = source.code(arg.value)
    return {name: code for name, code in bound.items() if _dotted(code)}


def _translate(source: SourceFile, helper: cst.FunctionDef, expr: str, bindings: dict[str, str]) -> Optional[str]:
    """A module the helper names through its parameter (`net.fc1`), as the caller names it (`model.fc1`)."""
    root = expr.split(".", 1)[0].split("[", 1)[0]
    if root not in bindings:
        return None
    me = _first_param(helper) if _method_class(source, helper) is not None else None
    if root != me and root in {name for target in _targets(helper) for name in _target_roots(target) if source.code(target) == name}:
        return None  # the helper rebinds its parameter (`net = net.module`) before the replacement
    return bindings[root] + expr[len(root):]


def _insert_after(source: SourceFile, statement: cst.BaseStatement, text: str) -> Edit:
    _, end = source.statement_lines(statement, with_comments=False)
    if end == len(source.text) and not source.text.endswith("\n"):
        text = "\n" + text
    position = source.position(end)
    return Edit(position, position, text)
