"""GF025: parameters made float16 (or bfloat16) by hand and trained as they are.

``GradScaler.step()`` (or ``unscale_()``) raises "Attempting to unscale FP16 gradients." when the
optimizer holds float16 parameters: mixed precision keeps the parameters (and their gradients) in
float32 and lets ``torch.autocast`` run the float16 math. The Trace says which parameters are
float16 and which modules own them; gradfix finds where the script made them so, under any import
alias: ``model.half()``, ``model.to(torch.float16)``, ``.to(dtype=torch.half)``,
``model.type(torch.HalfTensor)``, ``nn.Parameter(torch.HalfTensor(...))``, a factory's
``dtype=torch.float16`` in a parameter's creation, ``nn.Linear(..., dtype=torch.half)``. Each site
is a candidate that keeps those parameters in float32 (the ``.half()`` dropped, ``float16``/``half``
made ``float32``, ``HalfTensor`` made ``FloatTensor``), then all of them together; the re-run
decides. The cast's receiver is tied to the run by its name, or followed back to the code that
bound it: a model built in a function, held in a list or by a trainer object, or passed in, that
the run named `self` because it builds its own optimizer. A float16 model used for inference only,
with no scaler, never raises this and is left alone.

Without a scaler nothing crashes, but a model cast whole to bfloat16 (or float16) and trained
without a float32 copy of its weights loses the small updates: near 1.0, neighbouring bfloat16
values are 0.0078 apart, and an AdamW step of about ``lr`` on a LayerNorm gain of 1.0 rounds back
to 1.0 at every step. Parameters of such a dtype that an optimizer with a learning rate stepped,
that received gradients that were not zero and ended the run as they began, are reported; the
same finder (which knows the bfloat16 casts too, and a cast assigned to the name the run knows the
module by) proposes keeping them in float32, and the re-run decides.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Optional

import libcst as cst

from gradfix.edits import Edit, Patch, overlaps
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias
from gradfix.trace import ModuleFact, ParamFact, Trace
from gradfix.verify import judge

_MESSAGE = "Attempting to unscale FP16 gradients"
_MAX_SITES = 6
# How many bindings back a cast's receiver is followed (`m` in `for m in models`, `models = [...]`)
_BINDING_DEPTH = 3
# float16, and bfloat16: the casts that make parameters either (the evidence says which modules).
_HALF_DTYPES = {"torch.float16", "torch.half", "torch.bfloat16"}
_HALF_TENSORS = {"torch.HalfTensor", "torch.cuda.HalfTensor", "torch.BFloat16Tensor", "torch.cuda.BFloat16Tensor"}
_HALF_TENSOR_STRINGS = _HALF_TENSORS
_HALF_METHODS = {"half", "bfloat16"}
_LOW_PRECISION = {"float16", "bfloat16"}
_PARAMETER = {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}
# Module methods that return the module itself: `model.to(device).half()` casts `model`.
_RETURNS_MODULE = {"to", "cuda", "cpu", "half", "bfloat16", "float", "type", "train", "eval", "requires_grad_"}


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


class _Evidence:
    """What the run says about the float16 parameters: their names, and the modules that hold them."""

    def __init__(self, trace: Trace, half: list[ParamFact]):
        self.names = {p.name for p in half}
        self.attrs = {_last(p.name) for p in half}
        self.modules: list[ModuleFact] = [
            m for m in trace.modules if m.path and any(n.startswith(m.path + ".") for n in self.names)
        ]
        self.paths = {m.path for m in self.modules if m.path}
        self.module_names = self.paths | {m.name for m in self.modules if m.name}
        # classes whose own attributes are float16 parameters (`self.weight = nn.Parameter(...)`)
        self.owner_classes = {
            _last(m.cls) for m in self.modules if any(n.rsplit(".", 1)[0] == m.path for n in self.names)
        }
        self.built = {(m.site.file, m.site.line) for m in self.modules if m.site is not None}
        self.by_class: dict[str, list[str]] = {}
        for m in trace.modules:
            if m.path:
                self.by_class.setdefault(_last(m.cls), []).append(m.path)


@dataclass
class _Site:
    path: str
    line: int
    what: str  # the code as written, for the description
    edit: Edit


def _class_of(source: SourceFile, node: cst.CSTNode) -> Optional[cst.ClassDef]:
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.ClassDef):
            return ancestor
    return None


def _assigned_targets(statement: Optional[cst.BaseStatement]) -> list[cst.BaseExpression]:
    if not isinstance(statement, cst.SimpleStatementLine):
        return []
    targets: list[cst.BaseExpression] = []
    for small in statement.body:
        if isinstance(small, cst.Assign):
            targets += [t.target for t in small.targets]
        elif isinstance(small, cst.AnnAssign):
            targets.append(small.target)
    return targets


def _target_name(target: cst.BaseExpression) -> Optional[str]:
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value
    return None


class _Finder:
    """Where one file makes the float16 parameters float16, tied to the run's evidence."""

    def __init__(self, source: SourceFile, evidence: _Evidence):
        self.source = source
        self.evidence = evidence

    def sites(self) -> list[_Site]:
        found: list[_Site] = []
        for call in descendants(self.source.module, cst.Call):
            site = self._site(call)
            if site is not None:
                found.append(site)
        return found

    def _site(self, call: cst.Call) -> Optional[_Site]:
        source = self.source
        func = call.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        if isinstance(func, cst.Attribute) and method in _HALF_METHODS and not call.args:
            if self._is_half_module(func.value) or self._assigns_half_module(call):
                return self._at(call, self._drop_half(call, func.value))
            if self._makes_parameter(call):
                return self._at(call, source.replace_node(call, func.value))
            return None
        if isinstance(func, cst.Attribute) and method in ("to", "type"):
            dtype = self._half_argument(call, method)
            if dtype is not None and (self._is_half_module(func.value) or self._assigns_half_module(call) or self._makes_parameter(call)):
                return self._to_float32(call, dtype)
            return None
        if source.qualified_names(func) & _HALF_TENSORS:
            if self._makes_parameter(call) and isinstance(func, cst.Attribute):
                return self._at(call, source.replace_node(func, func.with_changes(attr=cst.Name("FloatTensor"))))
            return None
        dtype = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "dtype"), None)
        if dtype is not None and source.qualified_names(dtype) & _HALF_DTYPES:
            if self._makes_parameter(call) or self._builds_half_module(call):
                return self._to_float32(call, dtype)
        return None

    def _at(self, call: cst.Call, edit: Optional[Edit]) -> Optional[_Site]:
        if edit is None:
            return None
        code = self.source.code(call)
        return _Site(self.source.path, self.source.range(call).start.line, code if len(code) <= 60 else code[:57] + "...", edit)

    # -- the edits ------------------------------------------------------------------------------

    def _drop_half(self, call: cst.Call, receiver: cst.BaseExpression) -> Edit:
        """``model.half()`` alone on its line, or ``model = model.half()``: the line goes; anywhere
        else (``Net().half()``, ``model.half().to(device)``) the call gives way to its receiver."""
        source = self.source
        statement = source.statement_of(call)
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
            small = statement.body[0]
            if isinstance(small, cst.Expr) and small.value is call:
                return source.remove_statement(statement)
            if (
                isinstance(small, cst.Assign)
                and small.value is call
                and len(small.targets) == 1
                and source.code(small.targets[0].target) == source.code(receiver)
            ):
                return source.remove_statement(statement)
        return source.replace_node(call, receiver)

    def _half_argument(self, call: cst.Call, method: str) -> Optional[cst.BaseExpression]:
        """The float16 dtype (or HalfTensor type) passed to ``.to(...)`` or ``.type(...)``."""
        source = self.source
        wanted = _HALF_DTYPES if method == "to" else _HALF_DTYPES | _HALF_TENSORS
        keywords = ("dtype",) if method == "to" else ("dtype", "dst_type")
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value not in keywords:
                continue
            if source.qualified_names(arg.value) & wanted:
                return arg.value
            if method == "type" and isinstance(arg.value, cst.SimpleString) and arg.value.evaluated_value in _HALF_TENSOR_STRINGS:
                return arg.value
        return None

    def _to_float32(self, call: cst.Call, dtype: cst.BaseExpression) -> Optional[_Site]:
        source = self.source
        if isinstance(dtype, cst.SimpleString):
            new: cst.BaseExpression = dtype.with_changes(value=dtype.value.replace("HalfTensor", "FloatTensor"))
        elif isinstance(dtype, cst.Attribute):
            tensor_type = dtype.attr.value.endswith("Tensor")
            new = dtype.with_changes(attr=cst.Name("FloatTensor" if tensor_type else "float32"))
        else:  # `from torch import float16`: spelled through the file's own torch name, if it has one
            alias = module_alias(source, "torch")
            if alias is None or not all(part.isidentifier() for part in alias.split(".")):
                return None
            kind = "FloatTensor" if source.qualified_names(dtype) & _HALF_TENSORS else "float32"
            new = cst.parse_expression(f"{alias}.{kind}", config=source.module.config_for_parsing)
        return self._at(call, source.replace_node(dtype, new))

    # -- the evidence ---------------------------------------------------------------------------

    def _is_half_module(self, receiver: cst.BaseExpression) -> bool:
        """Is this expression a module whose parameters the run saw in float16?"""
        source, evidence = self.source, self.evidence
        while (
            isinstance(receiver, cst.Call)
            and isinstance(receiver.func, cst.Attribute)
            and receiver.func.attr.value in _RETURNS_MODULE
        ):
            receiver = receiver.func.value
        if isinstance(receiver, cst.Call):
            # `Net().half()` builds the module right there; `net = build_model().half()` names it.
            targets = _assigned_targets(source.statement_of(receiver))
            return self._builds_half_module(receiver) or any(source.code(t) in evidence.module_names for t in targets)
        if not isinstance(receiver, (cst.Name, cst.Attribute)):
            return False
        code = source.code(receiver)
        if code in evidence.module_names:
            return True
        if code == "self" or code.startswith("self."):
            owner = _class_of(source, receiver)
            if owner is not None and any(
                path + code[len("self"):] in evidence.paths for path in evidence.by_class.get(owner.name.value, [])
            ):
                return True
        # The probe names a module by the frame it saw it in (a trainer's `self`, a fold's
        # `self.nets.0`), not always by the variable the script casts: follow the variable back
        # to the code that built it.
        return self._bound_to_half_module(receiver, _BINDING_DEPTH)

    def _assigns_half_module(self, call: cst.Call) -> bool:
        """``self.model = model.to(dtype=torch.bfloat16)``: the cast's result is bound to a name
        the run knows the low-precision module by (a trainer given the model builds it there)."""
        source = self.source
        if not isinstance(source.parent(call), cst.Assign):
            return False
        for target in _assigned_targets(source.statement_of(call)):
            code = source.code(target)
            if code in self.evidence.module_names:
                return True
            if code.startswith("self."):
                owner = _class_of(source, call)
                if owner is not None and any(
                    path + code[len("self"):] in self.evidence.paths for path in self.evidence.by_class.get(owner.name.value, [])
                ):
                    return True
        return False

    def _bound_to_half_module(self, receiver: cst.BaseExpression, depth: int) -> bool:
        """Is ``receiver`` (a name, ``self.attr``, ``obj.attr``, or an item of one) bound in its scope
        to a value that builds a module whose parameters were float16: ``model = Model(...)``,
        ``for net in nets`` over ``nets = [Net() for ...]``, ``self.model = Net()`` in a trainer?"""
        if depth <= 0:
            return False
        while isinstance(receiver, cst.Subscript):
            receiver = receiver.value
        return any(self._holds_half_module(value, depth - 1) for value in self._bound_values(receiver))

    def _holds_half_module(self, value: cst.BaseExpression, depth: int) -> bool:
        """Does this bound value build such a module, or name one that was bound to it?"""
        if self._builds_half_module(value):
            return True
        named = [value] if isinstance(value, (cst.Name, cst.Attribute)) else [
            node for node in descendants(value, cst.BaseExpression) if isinstance(node, (cst.Name, cst.Attribute))
        ]
        return any(self._bound_to_half_module(node, depth) for node in named)

    def _bound_values(self, receiver: cst.BaseExpression) -> list[cst.BaseExpression]:
        """The values a name or attribute path is bound to: by an assignment, a ``for`` loop or a
        comprehension (its iterable), a ``with ... as`` (its item), a walrus."""
        source = self.source
        if isinstance(receiver, cst.Name):
            scope = source.scopes.get(receiver)
            if scope is None:
                return []
            # a builtin's name (`input`, `iter`) has no node that bound it
            assignments = [a.node for a in scope[receiver.value] if isinstance(a, cst.metadata.Assignment)]
            targets = [node for node in assignments if isinstance(node, cst.Name)]
            arguments = [value for node in assignments if isinstance(node, cst.Param) for value in self._arguments(node)]
        elif isinstance(receiver, cst.Attribute):
            code = source.code(receiver)
            # `self.model` means the same object in every method of its class; another path only
            # within its own scope.
            where: cst.CSTNode = source.enclosing_scope(receiver)
            if code.startswith("self."):
                where = _class_of(source, receiver) or source.module
            targets = [
                t for t in descendants(where, cst.Attribute) if t is not receiver and source.code(t) == code
            ]
            arguments = []
        else:
            return []
        values: list[cst.BaseExpression] = list(arguments)
        for target in targets:
            value = self._binding_value(target)
            if value is not None and not any(value is v for v in values):
                values.append(value)
        return values

    def _arguments(self, param: cst.Param) -> list[cst.BaseExpression]:
        """What this file's calls pass for a function's parameter: ``Trainer(model)`` for
        ``__init__(self, model)``, ``prepare(net)`` for ``def prepare(model)``, by position or keyword."""
        source = self.source
        function = source.enclosing_function(param)
        if function is None:
            return []
        positional = [*function.params.posonly_params, *function.params.params]
        if not any(p is param for p in (*positional, *function.params.kwonly_params)):
            return []
        owner = source.parent(source.parent(function) or function)  # a method's class (through its body)
        method = isinstance(owner, cst.ClassDef)
        called = function.name.value
        if isinstance(owner, cst.ClassDef) and called == "__init__":
            called = owner.name.value
        index = next((n for n, p in enumerate(positional) if p is param), None)
        position = None if index is None else index - (1 if method else 0)
        found: list[cst.BaseExpression] = []
        for call in descendants(source.module, cst.Call):
            func = call.func
            name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else None
            if name != called or any(arg.star for arg in call.args):
                continue
            given = [arg for arg in call.args if arg.keyword is None]
            keyword = next((arg for arg in call.args if arg.keyword is not None and arg.keyword.value == param.name.value), None)
            if keyword is not None:
                found.append(keyword.value)
            elif position is not None and 0 <= position < len(given):
                found.append(given[position].value)
        return found

    def _binding_value(self, target: cst.CSTNode) -> Optional[cst.BaseExpression]:
        """The value bound when ``target`` is (inside) a binding's target, else None."""
        child = target
        for ancestor in self.source.ancestors(target):
            if isinstance(ancestor, cst.AssignTarget):
                assign = self.source.parent(ancestor)
                return assign.value if isinstance(assign, cst.Assign) else None
            if isinstance(ancestor, (cst.AnnAssign, cst.NamedExpr)):
                return ancestor.value if child is ancestor.target else None
            if isinstance(ancestor, (cst.For, cst.CompFor)):
                return ancestor.iter if child is ancestor.target else None
            if isinstance(ancestor, cst.AsName):
                item = self.source.parent(ancestor)
                return item.item if isinstance(item, cst.WithItem) else None
            if not isinstance(ancestor, (cst.Tuple, cst.List, cst.Element, cst.StarredElement, cst.Attribute, cst.Subscript)):
                return None
            child = ancestor
        return None

    def _builds_half_module(self, node: cst.CSTNode) -> bool:
        """Does this call (or expression) build, or contain the building of, a module whose
        parameters were float16?"""
        where = self.source.range(node)
        return any(
            file == self.source.path and where.start.line <= line <= where.end.line for file, line in self.evidence.built
        )

    def _makes_parameter(self, call: cst.Call) -> bool:
        """Is this call part of making one of the float16 parameters: inside ``nn.Parameter(...)``
        in a class whose instances own them, or assigned to a name they are known by?"""
        source, evidence = self.source, self.evidence
        statement = source.statement_of(call)
        wrapped = False
        for ancestor in source.ancestors(call):
            if ancestor is statement:
                break
            if isinstance(ancestor, cst.Call) and source.qualified_names(ancestor.func) & _PARAMETER:
                wrapped = True
        owner = _class_of(source, call)
        if owner is not None and owner.name.value not in evidence.owner_classes:
            return False
        if wrapped and owner is not None:
            return True
        return any(_target_name(t) in evidence.attrs for t in _assigned_targets(statement))


class HalfPrecisionParams(Rule):
    code = "GF025"
    title = "parameters trained in float16 or bfloat16"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None:
            return self._updates_rounded_away(trace, project)
        if crash.site is None or crash.type != "ValueError" or _MESSAGE not in crash.message:
            return []
        half = [p for p in trace.params if p.dtype == "float16" and p.requires_grad and p.optimizers]
        if not half:
            return []  # the run does not show which parameters: not this rule's call
        sites, candidates = self._candidates(trace, project, half, crash.site.file, "float16")
        names = [p.name for p in half]
        where = f"; made float16 at {', '.join(_place(s, crash.site.file) for s in sites)}" if sites else ""
        message = (
            f"the script crashed: {crash.type}: {crash.message.rstrip('.')}; the optimizer holds float16 parameters "
            f"({short_list(names)}){where}. GradScaler unscales float32 gradients: keep the parameters in float32 "
            "and let autocast run the float16 math"
        )
        return [self.finding(project, crash.site, message, names, candidates, blocking=True)]

    def _updates_rounded_away(self, trace: Trace, project: Project) -> list[Finding]:
        """bfloat16 (or float16) parameters that received non-zero gradients at steps of an
        optimizer with a learning rate, and ended the run as they began: each update was smaller
        than half the gap between neighbouring values of their dtype near them, and rounded away
        (a LayerNorm gain of 1.0 in bfloat16 moves only by steps of 0.0078)."""
        stepped = {o.id: o for o in trace.optimizers if o.steps}
        stuck = [
            p for p in trace.params
            if p.dtype in _LOW_PRECISION and p.requires_grad and p.is_leaf and p.nonzero_grad and not p.changed
            and not p.lr_zero and set(p.optimizers) & set(stepped)
        ]
        if not stuck:
            return []
        optimizer = next(stepped[o] for o in stuck[0].optimizers if o in stepped)
        site = optimizer.site
        if site is None or not project.is_editable(site.file):
            return []
        held = [p for p in trace.params if p.dtype in _LOW_PRECISION and p.requires_grad and p.optimizers]
        dtype = stuck[0].dtype
        sites, candidates = self._candidates(trace, project, held, site.file, dtype)
        names = [p.name for p in stuck]
        one = len(names) == 1
        where = f" (made {dtype} at {', '.join(_place(s, site.file) for s in sites)})" if sites else ""
        message = (
            f"{short_list(names)} {'is' if one else 'are'} {dtype}{where} and {'receives' if one else 'receive'} gradients that "
            f"are not zero, but never changed in {optimizer.steps} step{'s' if optimizer.steps != 1 else ''}: each update is "
            f"smaller than half the gap between neighbouring {dtype} values near {'it' if one else 'them'} (near 1.0 that gap is "
            f"{'0.0078' if dtype == 'bfloat16' else '0.00098'}), so it rounds back to the same number; keep the parameters in "
            f"float32 and run the {dtype} math under torch.autocast"
        )
        return [self.finding(project, site, message, names, candidates)]

    def _candidates(self, trace: Trace, project: Project, half: list[ParamFact], near: str, dtype: str) -> tuple[list[_Site], list[Candidate]]:
        """Each place that makes these parameters low-precision, kept float32, then all of them."""
        evidence = _Evidence(trace, half)
        sites: list[_Site] = []
        for path in self._files(trace, project, evidence):
            sites += _Finder(project.source(path), evidence).sites()
        sites = sites[:_MAX_SITES]

        candidates: list[Candidate] = []
        for site in sites:
            candidates.append(Candidate(
                f"keep the parameters in float32 ({_place(site, near)}: {site.what}); autocast does the {dtype} math",
                [Patch(site.path, [site.edit])], self.applicability,
            ))
        if len(sites) > 1:
            edits: dict[str, list[Edit]] = {}
            for site in sites:
                kept = edits.setdefault(site.path, [])
                if not any(overlaps(site.edit, other) for other in kept):
                    kept.append(site.edit)
            patches = [Patch(path, sorted(kept, key=lambda e: e.start)) for path, kept in edits.items()]
            candidates.append(Candidate(
                f"keep the parameters in float32 at all {len(sites)} places that make them {dtype}; autocast does the {dtype} math",
                patches, self.applicability,
            ))
        return sites, candidates

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        return judge(finding, _renamed_after(candidate, finding, before, run.trace), before, run)

    @staticmethod
    def _files(trace: Trace, project: Project, evidence: _Evidence) -> list[str]:
        """The user's files that can make these parameters: the script, where the crash and the
        optimizer are, where the modules were built, and where their classes are defined."""
        found: list[str] = []

        def add(path: Optional[str]) -> None:
            if path is None:
                return
            real = os.path.realpath(path)
            if real not in found and os.path.isfile(real) and project.is_editable(real):
                found.append(real)

        add(trace.script)
        if trace.crash is not None and trace.crash.site is not None:
            add(trace.crash.site.file)
        for module in evidence.modules:
            add(module.site.file if module.site else None)
        for optimizer in trace.optimizers:
            add(optimizer.site.file if optimizer.site else None)
        folders = [os.path.dirname(os.path.realpath(trace.script)), project.root]
        for module in evidence.modules:
            parts = module.cls.split(".")
            for cut in range(len(parts) - 1, 0, -1):
                dotted = parts[:cut]
                if dotted == ["__main__"]:
                    break  # the script itself, already in
                for folder in folders:
                    add(os.path.join(folder, *dotted) + ".py")
                    add(os.path.join(folder, *dotted, "__init__.py"))
        return found


def _place(site: _Site, near: str) -> str:
    same = os.path.realpath(site.path) == os.path.realpath(near)
    return f"line {site.line}" if same else f"{os.path.basename(site.path)}:{site.line}"


def _renamed_after(candidate: Candidate, finding: Finding, before: Trace, after: Trace) -> Candidate:
    """The float16 parameters, named as the re-run names them. The crashed run may have learned a
    model's name in a frame of its own (`self` in a trainer's method, when `.half()` made the
    first frame that saw it another one); the run that gets past the crash names it by the
    variable that holds it. The same parameter is the one at the same path below a root module of
    the same class, when exactly one such root has it."""
    claimed = finding.params if candidate.params is None else candidate.params
    renamed = []
    for name in claimed:
        old = before.param(name)
        root = before.module(old.module) if old is not None and old.module is not None else None
        if after.param(name) is not None or root is None or not root.path or not name.startswith(root.path + "."):
            renamed.append(name)
            continue
        tail = name[len(root.path):]
        matches = {
            m.path + tail for m in after.modules
            if m.cls == root.cls and m.path and after.param(m.path + tail) is not None
        }
        renamed.append(matches.pop() if len(matches) == 1 else name)
    return dataclasses.replace(candidate, params=renamed)
