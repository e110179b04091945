"""GF025: parameters made float16 by hand, trained with a GradScaler.

``GradScaler.step()`` (or ``unscale_()``) raises "Attempting to unscale FP16 gradients." when the
optimizer holds float16 parameters: mixed precision keeps the parameters (and their gradients) in
float32 and lets ``torch.autocast`` run the float16 math. The Trace says which parameters are
float16 and which modules own them; gradfix finds where the script made them so, under any import
alias: ``model.half()``, ``model.to(torch.float16)``, ``.to(dtype=torch.half)``,
``model.type(torch.HalfTensor)``, ``nn.Parameter(torch.HalfTensor(...))``, a factory's
``dtype=torch.float16`` in a parameter's creation, ``nn.Linear(..., dtype=torch.half)``. Each site
is a candidate that keeps those parameters in float32 (the ``.half()`` dropped, ``float16``/``half``
made ``float32``, ``HalfTensor`` made ``FloatTensor``), then all of them together; the re-run
decides. A float16 model used for inference only, with no scaler, never raises this and is left alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import libcst as cst

from gradfix.edits import Edit, Patch, overlaps
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias
from gradfix.trace import ModuleFact, ParamFact, Trace

_MESSAGE = "Attempting to unscale FP16 gradients"
_MAX_SITES = 6
_HALF_DTYPES = {"torch.float16", "torch.half"}
_HALF_TENSORS = {"torch.HalfTensor", "torch.cuda.HalfTensor"}
_HALF_TENSOR_STRINGS = {"torch.HalfTensor", "torch.cuda.HalfTensor"}
_PARAMETER = {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}
# Module methods that return the module itself: `model.to(device).half()` casts `model`.
_RETURNS_MODULE = {"to", "cuda", "cpu", "half", "float", "type", "train", "eval", "requires_grad_"}


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
        if isinstance(func, cst.Attribute) and method == "half" and not call.args:
            if self._is_half_module(func.value):
                return self._at(call, self._drop_half(call, func.value))
            if self._makes_parameter(call):
                return self._at(call, source.replace_node(call, func.value))
            return None
        if isinstance(func, cst.Attribute) and method in ("to", "type"):
            dtype = self._half_argument(call, method)
            if dtype is not None and (self._is_half_module(func.value) or self._makes_parameter(call)):
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
            tensor_type = dtype.attr.value == "HalfTensor"
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
            if owner is not None:
                return any(path + code[len("self"):] in evidence.paths for path in evidence.by_class.get(owner.name.value, []))
        return False

    def _builds_half_module(self, call: cst.Call) -> bool:
        """Does this call build (or contain the building of) a module whose parameters were float16?"""
        where = self.source.range(call)
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
    title = "float16 parameters trained with a GradScaler"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or crash.type != "ValueError" or _MESSAGE not in crash.message:
            return []
        half = [p for p in trace.params if p.dtype == "float16" and p.requires_grad and p.optimizers]
        if not half:
            return []  # the run does not show which parameters: not this rule's call
        evidence = _Evidence(trace, half)
        sites: list[_Site] = []
        for path in self._files(trace, project, evidence):
            sites += _Finder(project.source(path), evidence).sites()
        sites = sites[:_MAX_SITES]

        def place(site: _Site) -> str:
            same = os.path.realpath(site.path) == os.path.realpath(crash.site.file)  # type: ignore[union-attr]
            return f"line {site.line}" if same else f"{os.path.basename(site.path)}:{site.line}"

        candidates: list[Candidate] = []
        for site in sites:
            candidates.append(Candidate(
                f"keep the parameters in float32 ({place(site)}: {site.what}); autocast does the float16 math",
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
                f"keep the parameters in float32 at all {len(sites)} places that make them float16; autocast does the float16 math",
                patches, self.applicability,
            ))
        names = [p.name for p in half]
        where = f"; made float16 at {', '.join(place(s) for s in sites)}" if sites else ""
        message = (
            f"the script crashed: {crash.type}: {crash.message.rstrip('.')}; the optimizer holds float16 parameters "
            f"({short_list(names)}){where}. GradScaler unscales float32 gradients: keep the parameters in float32 "
            "and let autocast run the float16 math"
        )
        return [self.finding(project, crash.site, message, names, candidates, blocking=True)]

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
        assert trace.crash is not None and trace.crash.site is not None
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
