"""GF043: a module attribute computed once, in ``__init__``, from a trainable tensor, and reused.

``self.noise_variance = torch.exp(nn.Parameter(torch.tensor(0.0)))`` keeps the result of the
``exp``, not the parameter: the parameter is registered nowhere (``model.parameters()`` misses it,
no optimizer holds it), and the ``exp`` graph is built once and reused by every loss. The first
``backward()`` frees it, and the second raises "Trying to backward through the graph a second
time"; a script that passes ``retain_graph=True`` instead runs on, but the parameter never changes.
The same holds for ``F.softplus(nn.Parameter(t))``, ``nn.Parameter(w).t()``,
``torch.randn(n, requires_grad=True).sigmoid()``, a leaf made on the line before
(``w = nn.Parameter(...)`` then ``self.kernel = w.t().reshape(...)``), and a value computed once
from registered parameters (``self.scale = self.log_scale.exp()``, a weight normalised by hand
``self.weight = self.g * self.v / self.v.norm(...)``): the parameters change at every step, the
value computed from them does not, and its graph is freed after the first backward().

The Trace shows it: the attribute holds a tensor with a graph, assigned once outside any module
call, whose graph reaches trainable leaves that a loss reached; and the run crashed with "a second
time", or the leaf made in the expression received gradients, was held by no optimizer and never
changed. The fix registers the parameter under a name of its own (``log_<name>`` when the value is
its ``exp``, ``raw_<name>`` otherwise) and computes the value where it is read: a ``@property``
named as the attribute was, placed right after ``__init__``; or, when only the class's own methods
read it, the transform written inline at each read. The re-run picks.

A pure move or cast of a parameter (``nn.Parameter(t).to(device)``) is GF005's. A view of a
registered parameter (``self.w_t = self.w.t()``) follows the parameter as it changes and saves
nothing for backward: it trains, and is left alone.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import TENSOR_FACTORIES, module_alias, wrap
from gradfix.trace import AttributeFact, ParamFact, Trace

_MESSAGE = "Trying to backward through the graph a second time"
_PARAMETER = {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}
# Moves and casts: a parameter only moved or cast is GF005's (it moves the cast inside the wrapper).
_MOVES = {"to", "cuda", "cpu", "double", "float", "half", "bfloat16", "type"}
_EXP = {"torch.exp"}
_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)


def _true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _makes_leaf(source: SourceFile, node: cst.CSTNode) -> bool:
    """``nn.Parameter(...)``, ``torch.randn(..., requires_grad=True)``, ``t.requires_grad_()``."""
    if not isinstance(node, cst.Call):
        return False
    names = source.qualified_names(node.func)
    if names & _PARAMETER:
        return True
    if names & TENSOR_FACTORIES:
        return any(a.keyword is not None and a.keyword.value == "requires_grad" and _true(a.value) for a in node.args)
    if isinstance(node.func, cst.Attribute) and node.func.attr.value == "requires_grad_":
        return not node.args or (len(node.args) == 1 and _true(node.args[0].value))
    return False


def _outer_leaves(source: SourceFile, value: cst.BaseExpression) -> list[cst.Call]:
    """The leaf-making calls in an expression, outermost only."""
    found: list[cst.Call] = []

    class Find(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, cst.Call) and _makes_leaf(source, node):
                found.append(node)
                return False
            return True

    value.visit(Find())
    return found


def _reads(node: cst.CSTNode) -> list[cst.Name]:
    """The names an expression reads (not attribute names or keywords)."""
    found: list[cst.Name] = []

    class Collect(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            attribute.value.visit(self)
            return False

        def visit_Arg(self, arg: cst.Arg) -> bool:
            arg.value.visit(self)
            return False

        def visit_Name(self, name: cst.Name) -> bool:
            found.append(name)
            return False

    node.visit(Collect())
    return found


def _self_attribute(node: cst.CSTNode, me: str, attr: Optional[str] = None) -> bool:
    return (
        isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == me
        and (attr is None or node.attr.value == attr)
    )


def _methods(cls: cst.ClassDef) -> list[cst.FunctionDef]:
    return [s for s in cls.body.body if isinstance(s, cst.FunctionDef)] if isinstance(cls.body, cst.IndentedBlock) else []


def _only_assign(statement: cst.CSTNode) -> Optional[cst.Assign]:
    """The statement's one plain assignment to one target."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    return small if isinstance(small, cst.Assign) and len(small.targets) == 1 else None


@dataclass
class _Made:
    """Where and how the attribute was made, and what the fix puts in its place."""

    source: SourceFile
    cls: cst.ClassDef
    method: cst.FunctionDef  # the method that assigns it (``__init__``, or a set-up helper)
    statement: cst.SimpleStatementLine  # ``self.<attr> = <value>``
    me: str  # the method's ``self``
    attr: str
    transform: cst.BaseExpression  # the value, with the leaf replaced by ``self.<new>``
    new: Optional[str] = None  # the parameter's new attribute, when the fix registers one
    leaf_value: Optional[cst.BaseExpression] = None  # what ``self.<new>`` is assigned
    local: Optional[cst.SimpleStatementLine] = None  # ``w = nn.Parameter(...)`` made just before


class ParameterTransformedInInit(Rule):
    code = "GF043"
    title = "module attribute computed once in __init__ from a trainable tensor"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        crashed = crash is not None and crash.type == "RuntimeError" and crash.message.startswith(_MESSAGE)
        # One finding per statement: each instance of the class (two hand-made layers) is one more
        # attribute made by the same line.
        groups: dict[tuple[str, int, str], list[tuple[AttributeFact, list[ParamFact], bool]]] = {}
        for attribute in trace.attributes:
            if attribute.kind != "tensor" or attribute.is_leaf or not attribute.requires_grad:
                continue
            # Made once, outside any module call: a value a forward stores at every call is GF024's.
            if attribute.count != 1 or attribute.in_call or attribute.site is None:
                continue
            if not project.is_editable(attribute.site.file):
                continue
            leaves = [p for n in attribute.leaves if (p := trace.param(n)) is not None and p.requires_grad and p.is_leaf]
            own = trace.param(f"{attribute.owner_name}.{attribute.attr}")
            unregistered = [p for p in leaves if p.module is None]
            registered = [p for p in leaves if p.module is not None]
            # A loss went through it: the leaf made in the expression has no other way in; a
            # registered parameter changed while the value computed from it stayed as it was.
            stale = own is not None and not own.changed and any(p.changed for p in registered)
            used = any(p.reached for p in unregistered) or stale
            lost = [p for p in unregistered if p.got_grad and not p.optimizers and not p.changed]
            if not ((crashed and used) or (lost and trace.steps > 0)):
                continue
            key = (attribute.site.file, attribute.site.line, attribute.attr)
            groups.setdefault(key, []).append((attribute, unregistered or registered, crashed and used))
        findings = []
        for group in groups.values():
            made = self._made(project, group[0][0])
            if made is not None:
                findings.append(self._finding(trace, project, group, made))
        return findings

    # -- the assignment -------------------------------------------------------------------------

    def _made(self, project: Project, attribute: AttributeFact) -> Optional[_Made]:
        assert attribute.site is not None
        source = project.source(attribute.site.file)
        attr = attribute.attr
        if not attr.isidentifier() or keyword.iskeyword(attr):
            return None
        found = None
        for statement in source.statements_on_line(attribute.site.line):
            assign = _only_assign(statement)
            if assign is not None and isinstance(assign.targets[0].target, cst.Attribute) and assign.targets[0].target.attr.value == attr:
                found = (statement, assign)
        if found is None:
            return None
        statement, assign = found
        target = assign.targets[0].target
        method = next((a for a in source.ancestors(statement) if isinstance(a, cst.FunctionDef)), None)
        if method is None or not method.params.params or method.decorators:
            return None
        me = method.params.params[0].name.value
        block = source.parent(method)
        cls = source.parent(block) if isinstance(block, cst.IndentedBlock) else None
        if not isinstance(cls, cst.ClassDef) or not _self_attribute(target, me, attr):
            return None
        if source.parent(statement) is not method.body:
            return None  # under an `if` or a loop: not always the one value
        if self._assignments(cls, attr) != 1 or attr in self._class_names(cls):
            return None
        value = assign.value
        scope = source.scopes.get(value)
        if scope is None:
            return None

        def local(name: cst.Name) -> bool:
            return name.value != me and any(a.scope is scope for a in scope[name.value])

        leaves = _outer_leaves(source, value)
        if len(leaves) > 1:
            return None
        made = _Made(source, cls, method, statement, me, attr, value)
        if leaves:
            made.leaf_value = self._as_parameter(source, leaves[0])
            placeholder: Optional[cst.BaseExpression] = leaves[0]
        else:
            # A leaf made just before, in the same method: `w = nn.Parameter(...)`, read only here.
            locals_ = [n for n in _reads(value) if local(n)]
            names = {n.value for n in locals_}
            placeholder = None
            if names:
                if len(names) != 1 or len(locals_) != 1:
                    return None
                before = self._local_leaf(source, method, statement, locals_[0])
                if before is None:
                    return None
                made.local, made.leaf_value = before
                placeholder = locals_[0]
        if placeholder is not None:
            if made.leaf_value is None or self._only_moved(value, placeholder):
                return None
            made.new = self._new_name(source, cls, attr, value, placeholder)
            if made.new is None:
                return None
            made.transform = value.deep_replace(placeholder, cst.parse_expression(f"{me}.{made.new}"))  # type: ignore[assignment]
        # What the property computes runs outside __init__: it may read `self` and the module's names only.
        if any(local(n) for n in _reads(made.transform)):
            return None
        if not made.new and not any(_self_attribute(a, me) for a in descendants(value, cst.Attribute)):
            return None  # nothing of the object's own: the leaf is not the fix's to register
        return made

    @staticmethod
    def _assignments(cls: cst.ClassDef, attr: str) -> int:
        """How many statements of the class assign ``<self>.<attr>`` (any method, any form)."""
        count = 0
        for method in _methods(cls):
            if not method.params.params:
                continue
            me = method.params.params[0].name.value
            for node in descendants(method, cst.CSTNode):  # type: ignore[type-abstract]
                targets: list[cst.BaseExpression] = []
                if isinstance(node, cst.Assign):
                    targets = [t.target for t in node.targets]
                elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
                    targets = [node.target]
                elif isinstance(node, cst.Del):
                    targets = [node.target]
                for target in targets:
                    for part in descendants(target, cst.Attribute):  # the target itself included
                        if _self_attribute(part, me, attr):
                            count += 1
        return count

    @staticmethod
    def _class_names(cls: cst.ClassDef) -> set[str]:
        """Names the class body itself binds: methods, class attributes."""
        names: set[str] = set()
        for statement in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else []:
            if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                names.add(statement.name.value)
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    for target in [t.target for t in small.targets] if isinstance(small, cst.Assign) else (
                        [small.target] if isinstance(small, cst.AnnAssign) else []
                    ):
                        if isinstance(target, cst.Name):
                            names.add(target.value)
        return names

    @staticmethod
    def _only_moved(value: cst.BaseExpression, leaf: cst.BaseExpression) -> bool:
        """``nn.Parameter(t).to(device).double()``: moves and casts only (GF005's)."""
        node = value
        while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _MOVES:
            node = node.func.value
        return node is leaf

    def _local_leaf(
        self, source: SourceFile, method: cst.FunctionDef, statement: cst.SimpleStatementLine, name: cst.Name,
    ) -> Optional[tuple[cst.SimpleStatementLine, cst.BaseExpression]]:
        """``w = nn.Parameter(...)`` before the statement, in the same block, the only binding of
        ``w`` and read nowhere else: the leaf the fix registers in its place."""
        bound = source.bound_once(name)
        if bound is None:
            return None
        assign, reads = bound
        before = source.parent(assign)
        if reads != 1 or not isinstance(before, cst.SimpleStatementLine) or _only_assign(before) is not assign:
            return None
        if source.parent(before) is not method.body or not isinstance(assign.targets[0].target, cst.Name):
            return None
        body = list(method.body.body)
        if body.index(before) > body.index(statement) or not _makes_leaf(source, assign.value):
            return None
        leaf = self._as_parameter(source, assign.value)  # type: ignore[arg-type]
        return (before, leaf) if leaf is not None else None

    @staticmethod
    def _as_parameter(source: SourceFile, leaf: cst.Call) -> Optional[cst.BaseExpression]:
        """The leaf as a parameter: ``nn.Parameter(...)`` as it is; a factory's ``requires_grad=True``
        or a ``.requires_grad_()`` becomes an ``nn.Parameter`` around the tensor."""
        if source.qualified_names(leaf.func) & _PARAMETER:
            return leaf
        # `from torch.nn import Parameter` as the file has it, else `nn.Parameter` as it spells `nn`.
        parameter = module_alias(source, "torch.nn.Parameter")
        if parameter is None or "." in parameter:
            nn = module_alias(source, "torch.nn")
            parameter = f"{nn}.Parameter" if nn is not None else parameter
        if parameter is None or not all(part.isidentifier() for part in parameter.split(".")):
            return None
        if isinstance(leaf.func, cst.Attribute) and leaf.func.attr.value == "requires_grad_":
            return wrap(source, parameter, leaf.func.value)
        args = [a for a in leaf.args if not (a.keyword is not None and a.keyword.value == "requires_grad")]
        if args:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return wrap(source, parameter, leaf.with_changes(args=args))

    @staticmethod
    def _new_name(source: SourceFile, cls: cst.ClassDef, attr: str, value: cst.BaseExpression, leaf: cst.BaseExpression) -> Optional[str]:
        """``log_<attr>`` when the value is the leaf's ``exp``, else ``raw_<attr>``: one the class
        does not use already."""
        parent = source.parent(leaf)
        if isinstance(parent, cst.Arg) and parent.keyword is None:
            call = source.parent(parent)  # torch.exp(<leaf>)
            exp = isinstance(call, cst.Call) and call.args[0] is parent and bool(source.qualified_names(call.func) & _EXP)
        else:  # <leaf>.exp()
            call = source.parent(parent) if isinstance(parent, cst.Attribute) else None
            exp = isinstance(parent, cst.Attribute) and parent.attr.value == "exp" and isinstance(call, cst.Call) and not call.args
        taken = {a.attr.value for a in descendants(cls, cst.Attribute)} | {n.value for n in descendants(cls, cst.Name)}
        first, second = ("log", "raw") if exp else ("raw", "log")
        for name in (f"{first}_{attr}", f"{second}_{attr}", f"{attr}_param"):
            if name.isidentifier() and not keyword.iskeyword(name) and name not in taken:
                return name
        return None

    # -- the fix --------------------------------------------------------------------------------

    def _finding(
        self, trace: Trace, project: Project, group: list[tuple[AttributeFact, list[ParamFact], bool]], made: _Made,
    ) -> Finding:
        first = group[0][0]
        assert first.site is not None
        source = made.source
        name = f"{first.owner_name}.{first.attr}"
        where = f"{made.cls.name.value}.{made.method.name.value}"
        value = " ".join(source.code(cst.ensure_type(made.statement.body[0], cst.Assign).value).split())
        if len(value) > 80:
            value = value[:77] + "..."
        claimed = [f"{a.owner_name}.{made.new}" for a, _, _ in group] if made.new else None
        candidates = [c for c in (self._property(made, claimed), self._inline(project, trace, made, claimed)) if c is not None]
        params = list(dict.fromkeys(p.name for _, leaves, _ in group for p in leaves))
        if made.new:
            what = "the trainable tensor it is computed from is registered nowhere, so no optimizer holds it"
        else:
            what = f"{short_list(params)} change at every step, but the value computed from them does not"
        crashed = any(c for _, _, c in group)
        if crashed:
            symptom = f"the first backward() freed that graph, and the next one crashed going through it (RuntimeError: {_MESSAGE})"
        else:
            symptom = "it receives gradients and never changes"
        others = f" (and {len(group) - 1} more of its kind)" if len(group) > 1 else ""
        message = (
            f"`{name}`{others} = `{value}` is computed once, in {where}, and its graph is reused by every loss: "
            f"{what}; {symptom}. Register the parameter and compute the value where it is used"
        )
        return self.finding(project, first.site, message, params, candidates, blocking=crashed)

    def _statement_edits(self, made: _Made) -> list[Edit]:
        """The assignment made the parameter's own (``self.log_x = nn.Parameter(...)``), or removed
        when the value reads registered parameters only."""
        source = made.source
        own = cst.ensure_type(made.statement.body[0], cst.Assign)
        if made.new is None:
            return [source.remove_statement(made.statement)]
        assert made.leaf_value is not None
        if made.local is not None:  # `w = nn.Parameter(...)` becomes `self.raw_k = nn.Parameter(...)`
            local = cst.ensure_type(made.local.body[0], cst.Assign)
            edits = [source.replace_node(local.targets[0].target, cst.parse_expression(f"{made.me}.{made.new}"))]
            if made.leaf_value is not local.value:
                edits.append(source.replace_node(local.value, made.leaf_value))
            return [*edits, source.remove_statement(made.statement)]
        target = cst.ensure_type(own.targets[0].target, cst.Attribute)
        return [source.replace_node(target.attr, cst.Name(made.new)), source.replace_node(own.value, made.leaf_value)]

    def _property(self, made: _Made, claimed: Optional[list[str]]) -> Optional[Candidate]:
        """``@property def <attr>(self): return <transform>``, right after ``__init__``."""
        source = made.source
        init = next((m for m in _methods(made.cls) if m.name.value == "__init__"), made.method)
        line = source.range(init).start.line
        indent = source.indentation(line)
        body = source.indentation(source.range(made.method.body.body[0]).start.line)  # type: ignore[union-attr]
        inner = body[len(source.indentation(source.range(made.method).start.line)):] or source.module.default_indent
        _, end = source.statement_lines(init, with_comments=False)
        text = (
            f"\n{indent}@property\n{indent}def {made.attr}({made.me}):\n"
            f"{indent}{inner}return {cst.Module([]).code_for_node(made.transform)}\n"
        )
        if end == len(source.text) and not source.text.endswith("\n"):
            text = "\n" + text
        position = source.position(end)
        edits = [*self._statement_edits(made), Edit(position, position, text)]
        line_of = source.range(made.statement).start.line
        what = f"register the parameter as {made.new} and compute" if made.new else "compute"
        return self.candidate(
            f"{what} {made.attr} in a property (line {line_of}): recomputed at each use, with a graph of its own",
            source.path, edits, claimed,
        )

    def _inline(self, project: Project, trace: Trace, made: _Made, claimed: Optional[list[str]]) -> Optional[Candidate]:
        """The transform written at each read, when only the class's own methods read it."""
        source = made.source
        assigned = cst.ensure_type(made.statement.body[0], cst.Assign).targets[0].target
        reads: list[cst.Attribute] = []
        for node in descendants(made.cls, cst.Attribute):
            if node.attr.value != made.attr or node is assigned:
                continue
            method = next((a for a in source.ancestors(node) if isinstance(a, cst.FunctionDef)), None)
            if method is None or not method.params.params or method.params.params[0].name.value != made.me:
                return None
            if not _self_attribute(node, made.me):
                return None
            reads.append(node)
        if not reads:
            return None
        # Read from outside the class (`model.noise_variance.item()` in the training loop): only a
        # property keeps that working.
        inside = {id(node) for node in descendants(made.cls, cst.Attribute)}
        for path in {source.path, trace.script}:
            if not project.is_editable(path):
                continue
            other = project.source(path)
            for node in descendants(other.module, cst.Attribute):
                if node.attr.value == made.attr and not (other is source and id(node) in inside):
                    return None
        transform = made.transform
        if not isinstance(transform, _ATOMIC) and not transform.lpar:
            transform = transform.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        edits = [*self._statement_edits(made), *(source.replace_node(node, transform) for node in reads)]
        what = f"register the parameter as {made.new} and compute" if made.new else "compute"
        return self.candidate(f"{what} {made.attr} where it is read, at each use", source.path, edits, claimed)
