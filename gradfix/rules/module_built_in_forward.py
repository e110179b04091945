"""GF026: a layer built inside ``forward``, so every call makes new, untrained weights.

``self.head = nn.Linear(h.shape[1], 4)`` in ``forward`` (to size the layer from the features it
receives) replaces the layer at every call: the optimizer holds the parameters of the layer that
existed when it was built, the loss reaches only the newest one, and nothing that the model
outputs ever learns. The probe records module attributes assigned in user code, where, and which
module each assignment replaced; an assignment made in ``forward`` that replaced a module is this
fault. The fix builds the layer once, at the end of ``__init__``: as written when it uses nothing
local to ``forward``; otherwise with the input size the run saw (``nn.Linear(32, 4)``), or as the
lazy layer that takes its input size from the first call (``nn.LazyLinear(4)``). A move to the
input's device (``.to(h.device)``) is dropped: built in ``__init__``, the layer moves with its model.
The re-run must show the layer's parameters changing.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Patch
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import AttributeFact, ModuleFact, Trace

# Built-in layers whose first argument is the input size, and their lazy form, which infers it.
_LAZY = {
    "Linear": "LazyLinear", "Conv1d": "LazyConv1d", "Conv2d": "LazyConv2d", "Conv3d": "LazyConv3d",
    "ConvTranspose1d": "LazyConvTranspose1d", "ConvTranspose2d": "LazyConvTranspose2d",
    "ConvTranspose3d": "LazyConvTranspose3d", "BatchNorm1d": "LazyBatchNorm1d",
    "BatchNorm2d": "LazyBatchNorm2d", "BatchNorm3d": "LazyBatchNorm3d",
}


_MOVES = {"to", "cuda", "cpu"}
_SIZE_KEYWORDS = {"in_features", "in_channels", "num_features", "input_size", "embed_dim", "d_model", "in1_features"}


def _bound_names(target: cst.BaseExpression) -> set[str]:
    """The names an assignment target binds: ``h`` and ``a, *b``, not ``self.head`` or ``d[k]``."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return {n for e in target.elements for n in _bound_names(e.value)}
    if isinstance(target, cst.StarredElement):
        return _bound_names(target.value)
    return set()


def _local_names(function: cst.FunctionDef) -> set[str]:
    """Names bound in a function: its parameters (but ``self``), its assignment and loop targets."""
    names = {p.name.value for p in function.params.params if p.name.value != "self"}
    for star in (function.params.star_arg, function.params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    names.update(p.name.value for p in function.params.kwonly_params)
    for target in descendants(function, cst.AssignTarget):
        names |= _bound_names(target.target)
    for node in descendants(function, cst.CSTNode):
        if isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor)):
            names |= _bound_names(node.target)
        elif isinstance(node, cst.AsName):
            names |= _bound_names(node.name)  # type: ignore[arg-type]
        elif isinstance(node, cst.NamedExpr):
            names |= _bound_names(node.target)
    return names


def _uses(node: cst.CSTNode, names: set[str]) -> bool:
    used = {n.value for n in descendants(node, cst.Name)}
    attributes = {a.attr.value for a in descendants(node, cst.Attribute)}
    return bool((used - attributes) & names)


def _peel_moves(call: cst.Call, local: set[str]) -> tuple[cst.Call, list[cst.Call]]:
    """The layer's constructor under ``.to(...)``/``.cuda(...)``/``.cpu()`` calls, and the moves to keep
    (those that name nothing local to forward), innermost first."""
    kept: list[cst.Call] = []
    while (
        isinstance(call.func, cst.Attribute) and call.func.attr.value in _MOVES and isinstance(call.func.value, cst.Call)
    ):
        if not any(_uses(a.value, local) for a in call.args):
            kept.insert(0, call)
        call = call.func.value
    return call, kept


def _rewrap(call: cst.Call, moves: list[cst.Call]) -> cst.Call:
    for move in moves:
        call = move.with_changes(func=move.func.with_changes(value=call))  # type: ignore[attr-defined]
    return call


def _size_arg(call: cst.Call) -> Optional[cst.Arg]:
    """The argument that gives a built-in layer its input size: the first positional one, or its keyword."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in _SIZE_KEYWORDS:
            return arg
    first = call.args[0] if call.args else None
    return first if first is not None and first.keyword is None and not first.star else None


class ModuleBuiltInForward(Rule):
    code = "GF026"
    title = "layer built inside forward(): new weights at every call"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for attribute in trace.attributes:
            if attribute.kind != "module" or attribute.replaced is None or attribute.site is None:
                continue
            if attribute.site.function != "forward" or not project.is_editable(attribute.site.file):
                continue
            layer = next((m for m in trace.modules if m.path == f"{attribute.owner_name}.{attribute.attr}"), None)
            params = [p.name for p in trace.params if p.name.startswith(f"{attribute.owner_name}.{attribute.attr}.")]
            if layer is None or not params:
                continue
            source = project.source(attribute.site.file)
            candidates = self._candidates(source, attribute, layer)
            message = (
                f"`{attribute.owner_name}.{attribute.attr}` is built anew in forward() at every call: the "
                f"optimizer holds the weights of an earlier one, and {short_list(params)} never train; "
                "build the layer once, in __init__"
            )
            findings.append(self.finding(project, attribute.site, message, params, candidates))
        return findings

    def _candidates(self, source: SourceFile, attribute: AttributeFact, layer: ModuleFact) -> list[Candidate]:
        statements = source.statements_on_line(attribute.site.line)  # type: ignore[union-attr]
        statement = statements[0] if statements else None
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return []
        assign = statement.body[0]
        if not isinstance(assign, cst.Assign) or not isinstance(assign.value, cst.Call):
            return []
        forward = next((a for a in source.ancestors(statement) if isinstance(a, cst.FunctionDef)), None)
        owner = next((a for a in source.ancestors(statement) if isinstance(a, cst.ClassDef)), None)
        if forward is None or owner is None:
            return []
        init = next((s for s in owner.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"), None)
        if init is None or not init.body.body:
            return []
        local = _local_names(forward)
        # `nn.Linear(n, 4).to(h.device)`: the move follows what forward() sees; built in __init__,
        # the layer moves with its model. A move that names nothing local is kept.
        call, moves = _peel_moves(assign.value, local)
        built: list[tuple[str, cst.Call]] = []
        if not _uses(call, local):
            built.append(("build it once in __init__", call))
        else:
            size = _size_arg(call)
            rest = [a for a in call.args if a is not size]
            if size is not None and layer.in_size is not None and not any(_uses(a.value, local) for a in rest):
                sized = call.with_changes(args=[a.with_changes(value=cst.Integer(str(layer.in_size))) if a is size else a for a in call.args])
                built.append((f"build it once in __init__, for the input size the run saw ({layer.in_size})", sized))
            lazy = self._lazy(call, local)
            if lazy is not None:
                built.append(("build it once in __init__ as a lazy layer, which takes its input size from the first call", lazy))
        built = [(description, _rewrap(new_call, moves)) for description, new_call in built]
        last = init.body.body[-1]
        after = source.range(last).end.line + 1
        indent = source.indentation(source.range(last).start.line)
        removal = source.remove_statement(statement)
        candidates = []
        for description, new_call in built:
            line = source.module.code_for_node(statement.with_changes(body=[assign.with_changes(value=new_call)], leading_lines=[]))
            candidates.append(Candidate(
                description, [Patch(source.path, sorted([source.insert_lines(after, indent + line.lstrip()), removal], key=lambda e: e.start))],
                self.applicability,
            ))
        return candidates

    @staticmethod
    def _lazy(call: cst.Call, local: set[str]) -> Optional[cst.Call]:
        if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in _LAZY or not call.args:
            return None
        rest = list(call.args[1:])
        if call.args[0].keyword is not None or any(_uses(a.value, local) for a in rest):
            return None
        if rest:
            rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return call.with_changes(func=call.func.with_changes(attr=cst.Name(_LAZY[call.func.attr.value])), args=rest)
