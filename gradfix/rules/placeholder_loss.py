"""GF086: a placeholder loss, a fresh tensor made to require grad (``torch.tensor(0.0,
requires_grad=True)``) for a batch with nothing to learn from (no masked token, no positive anchor,
no pair), handed to ``backward()`` under a ``GradScaler``: the loss has no path to the model, no
parameter gets a gradient, and ``scaler.step(optimizer)`` stops the run with "AssertionError: No
inf checks were recorded for this optimizer."

``requires_grad=True`` keeps ``backward()`` from raising "element 0 of tensors does not require
grad", which is why the idiom is written ("keep backward() happy"), but it makes a leaf of its
own, not a zero of the model's graph. The scaler unscales and checks the gradients of each
optimizer it steps; an optimizer none of whose parameters got a gradient gave it nothing to check.
Without a scaler the same batch is a step that changes nothing, and under DDP a reduction that
never finishes.

The probe shows the evidence: the crash, and a ``backward()`` whose loss reached a leaf of its
own (and no parameter, or, beside other terms, not those of the optimizer the scaler refused).
gradfix follows the loss passed there (through ``scaler.scale(...)``) to where it was made: a
fresh tensor with ``requires_grad=True`` (``torch.tensor``, ``zeros``, ``ones``, ``full``,
``as_tensor``, a tensor's ``new_zeros``, or one of them with ``.requires_grad_()``) assigned to it
in the same function, or returned (directly or through a name) by the user function that computed
it or a term of it: a function of that name, or the ``forward`` of the user's loss module that
the called name is bound to (``criterion = SupConLoss()``).
The fix makes the placeholder a zero that reaches the model: ``pred.sum() * 0.0``, where ``pred``
is a tensor with a graph that the function holds there (a parameter the caller passed a tensor
with a graph, a name the crashing frame bound to one). Each such tensor is a candidate; the
re-run keeps the one after which the scaler steps and the parameters train. Safe: the loss value
is the same 0, and its gradients are zeros, as the batch had nothing to teach.
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_MESSAGE = "No inf checks were recorded for this optimizer"
_FACTORIES = {
    "torch.tensor", "torch.zeros", "torch.ones", "torch.full", "torch.as_tensor", "torch.scalar_tensor",
    "torch.zeros_like", "torch.ones_like", "torch.full_like",
}
# `logits.new_zeros((), requires_grad=True)`: a fresh leaf on the device of the tensor it is called on
_NEW_METHODS = {"new_zeros", "new_ones", "new_full", "new_tensor", "new_empty"}
_ANCHORS = 4  # candidates per placeholder at most: the graph tensors the function holds there


def _is_true(node: Optional[cst.BaseExpression]) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _fresh_leaf(source: SourceFile, node: cst.BaseExpression) -> bool:
    """A new tensor made to require grad: ``torch.tensor(0.0, requires_grad=True)``, or a factory
    call followed by ``.requires_grad_()``."""
    if not isinstance(node, cst.Call):
        return False
    if isinstance(node.func, cst.Attribute) and node.func.attr.value == "requires_grad_":
        given = call_argument(node, 0, "requires_grad")
        inner = node.func.value
        return (given is None or _is_true(given.value)) and isinstance(inner, cst.Call) and bool(source.qualified_names(inner.func) & _FACTORIES)
    given = call_argument(node, None, "requires_grad")
    made = bool(source.qualified_names(node.func) & _FACTORIES) or (
        isinstance(node.func, cst.Attribute) and node.func.attr.value in _NEW_METHODS
    )
    return made and given is not None and _is_true(given.value)


def _loss_names(source: SourceFile, call: cst.Call) -> list[str]:
    """The names whose value ``<expr>.backward()`` differentiates: in ``scaler.scale(loss / k)``,
    ``loss`` (a scaler's ``scale`` and arithmetic by constants keep the graph they are given)."""
    if not isinstance(call.func, cst.Attribute):
        return []
    expr: cst.BaseExpression = call.func.value
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "scale" and expr.args:
        expr = expr.args[0].value
    if isinstance(expr, cst.Name):
        return [expr.value]
    return list(dict.fromkeys(n.value for n in descendants(expr, cst.Name) if not n.value.isupper()))


def _assigned(source: SourceFile, scope: cst.CSTNode, name: str) -> Iterator[cst.BaseExpression]:
    """The values assigned to ``name`` by the statements of ``scope`` (a function, or the module's
    own statements: not those of the functions it defines)."""
    own = scope if isinstance(scope, cst.FunctionDef) else None
    for assign in descendants(scope, cst.Assign):
        if source.enclosing_function(assign) is own and any(isinstance(t.target, cst.Name) and t.target.value == name for t in assign.targets):
            yield assign.value


def _calls_in(value: cst.BaseExpression) -> list[cst.Call]:
    """The calls a loss is made of: the value itself, or the terms of a sum (`ce(a) + ce(b)`)."""
    return [value] if isinstance(value, cst.Call) else [c for c in descendants(value, cst.Call)]


def _classes_bound_to(source: SourceFile, name: str) -> set[str]:
    """The classes whose instances ``name`` (or ``self.<name>``) is bound to in this file:
    ``criterion = SupConLoss(temperature=0.1)``."""
    found = set()
    for assign in descendants(source.module, cst.Assign):
        if not isinstance(assign.value, cst.Call) or not isinstance(assign.value.func, cst.Name):
            continue
        for target in assign.targets:
            bound = target.target.attr.value if isinstance(target.target, cst.Attribute) else target.target.value if isinstance(target.target, cst.Name) else None
            if bound == name:
                found.add(assign.value.func.value)
    return found


class PlaceholderLoss(Rule):
    code = "GF086"
    title = "placeholder loss with no path to the model under a GradScaler"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message:
            return []
        # The backward() before the crash reached a leaf of its own: the tensors it reached are
        # listed with the parameters, and a trainable one is held by an optimizer or a module. (With
        # other terms beside the placeholder it reached parameters too; the optimizer of a head
        # that only the placeholder's term would have trained is the one the scaler refused.)
        params = {p.name for p in trace.params if p.optimizers or p.module is not None}
        placeholder = next((b for b in reversed(trace.backwards) if b.site is not None), None)
        if placeholder is None or placeholder.site is None or not project.is_editable(placeholder.site.file):
            return []
        if not placeholder.requires_grad or all(r in params for r in placeholder.reached):
            return []
        source = project.source(placeholder.site.file)
        anchors = [n for n, kind in crash.graph_locals.items() if kind == "tensor" and "." not in n] \
            if crash.site.file == placeholder.site.file and crash.site.function == placeholder.site.function else []
        candidates: list[Candidate] = []
        made_at: list[int] = []
        for backward in source.nodes_at(placeholder.site, cst.Call):
            if not (isinstance(backward.func, cst.Attribute) and backward.func.attr.value == "backward"):
                continue
            scope = source.enclosing_scope(backward)
            for name in _loss_names(source, backward):
                for value in _assigned(source, scope, name):
                    for call in _calls_in(value):
                        if _fresh_leaf(source, call):
                            made_at.append(source.range(call).start.line)
                            candidates += self._zeros(source, placeholder.site.file, call, anchors)
                            continue
                        for path, made, held in self._returned_by(trace, project, source, call, anchors):
                            made_at.append(project.source(path).range(made).start.line)
                            candidates += self._zeros(project.source(path), path, made, held)
        if not made_at:
            return []
        # the same placeholder reached twice (a helper called for two terms of one sum): once
        unique = {(c.patches[0].path, tuple(c.patches[0].edits)): c for c in reversed(candidates)}
        candidates = [c for c in candidates if unique[(c.patches[0].path, tuple(c.patches[0].edits))] is c]
        message = (
            f"the script crashed: {crash.type}: {crash.message.strip().rstrip('.')}: the loss passed to backward() at line "
            f"{placeholder.site.line} was a fresh tensor made to require grad (line {made_at[0]}), with no path to the model: "
            "no parameter got a gradient, and the GradScaler had none to check before its step"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates[: 2 * _ANCHORS], blocking=True)]

    def _zeros(self, source: SourceFile, path: str, made: cst.BaseExpression, anchors: list[str]) -> list[Candidate]:
        line = source.range(made).start.line
        found = []
        for anchor in anchors[:_ANCHORS]:
            new = cst.parse_expression(f"{anchor}.sum() * 0.0", config=source.module.config_for_parsing)
            found.append(self.candidate(
                f"a zero that reaches the model instead of a fresh tensor at line {line}: `{anchor}.sum() * 0.0` "
                "(backward() gives every parameter a zero gradient, and the scaler steps)",
                path, [source.replace_node(made, new)],
            ))
        return found

    def _returned_by(
        self, trace: Trace, project: Project, caller: SourceFile, call: cst.Call, anchors: list[str],
    ) -> Iterator[tuple[str, cst.BaseExpression, list[str]]]:
        """The fresh tensors the user function ``call`` calls returns (directly or through a name),
        each with the names of that function's parameters the call gave a tensor with a graph. The
        function is one of that name, or the ``forward`` of a module class of the user's that the
        called name was bound to (``criterion = SupConLoss()``, ``self.criterion = ...``)."""
        callee = call.func.attr.value if isinstance(call.func, cst.Attribute) else call.func.value if isinstance(call.func, cst.Name) else None
        if callee is None:
            return
        files = self.crash_files(trace, project)
        classes = {c for path in files for c in _classes_bound_to(project.source(path), callee)}
        for path in files:
            source = project.source(path)
            for function in descendants(source.module, cst.FunctionDef):
                owner = source.parent(source.parent(function)) if isinstance(source.parent(function), cst.IndentedBlock) else None
                is_forward = function.name.value == "forward" and isinstance(owner, cst.ClassDef) and owner.name.value in classes
                if function.name.value != callee and not is_forward:
                    continue
                names = [p.name.value for p in function.params.params if p.name.value not in ("self", "cls")]
                offset = len(function.params.params) - len(names)
                given = {}
                for index, param in enumerate(function.params.params[offset:]):
                    arg = call_argument(call, index, param.name.value)
                    if arg is not None and isinstance(arg.value, cst.Name):
                        given[param.name.value] = arg.value.value
                # the parameters given a tensor with a graph; when the crashing frame named none,
                # each parameter (the re-run rejects those that are no tensor, or have no graph)
                held = [n for n in names if given.get(n) in anchors] or names
                for ret in descendants(function.body, cst.Return):
                    if ret.value is None or source.enclosing_function(ret) is not function:
                        continue
                    if _fresh_leaf(source, ret.value):
                        yield path, ret.value, held
                    elif isinstance(ret.value, cst.Name):
                        for value in _assigned(source, function, ret.value.value):
                            if _fresh_leaf(source, value) and source.enclosing_function(value) is function:
                                yield path, value, held
