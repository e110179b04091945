"""GF074: an old-style ``torch.autograd.Function``: state set in ``__init__``, ``forward`` and
``backward`` as plain methods, the instance called on tensors (``GradReverse(coeff)(x)``, or
``self.grl = GradReverse()`` in a model and ``self.grl(x)`` in its forward).

PyTorch before 1.3 ran such functions; since then the first call raises "Legacy autograd function
with non-static forward method is deprecated. Please use new-style autograd function with static
forward method.", and nothing trains. Gradient reversal layers of domain-adaptation code (DANN,
MDD, CDAN) are the usual case, with their coefficient schedule kept on the instance.

The crash is read from the run (torch's own message). The rule finds, in the files that built the
run's modules or raised, each class that derives from ``torch.autograd.Function`` with a
``forward`` that is not a ``staticmethod``, and rewrites it as two classes, its body unchanged:

- ``_<Name>Function``, new-style: ``forward(ctx, self, *inputs)`` and ``backward(ctx, *grads)``
  static, the instance passed to ``apply`` as ``self`` (kept on ``ctx``, so both bodies read and
  update its state as before); ``self.save_for_backward``, ``self.saved_tensors``,
  ``self.mark_dirty``, ``self.mark_non_differentiable`` become ``ctx``'s; every value
  ``backward`` returns gains a leading ``None``, the gradient of the instance;
- ``<Name>``, an ``nn.Module`` with the old ``__init__`` (after ``super().__init__()``) and helper
  methods, whose ``forward`` calls ``_<Name>Function.apply(self, ...)``: every place that built or
  called the old instance keeps working, and state kept across calls (an iteration counter) stays
  on the instance.

A class whose methods read ``self.needs_input_grad`` (its indices move by one), take ``*args``,
or call ``Function.__init__`` by name is reported without a fix. The rewrite keeps what the old
code computed, so it is safe; the re-run shows the crash gone and the model training.
"""

from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import AUTOGRAD_FUNCTIONS, module_alias, spelled_or_imported
from gradfix.trace import Trace

_LEGACY = "Legacy autograd function with non-static forward method"
# What a legacy function called on itself and a new-style one calls on its ctx.
_CONTEXT_API = {"save_for_backward", "saved_tensors", "saved_variables", "mark_dirty", "mark_non_differentiable", "set_materialize_grads"}
_KEPT_ON = "module"  # ctx.module: the instance, from forward to backward


def _is_static(method: cst.FunctionDef) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in method.decorators)


def _methods(cls: cst.ClassDef) -> list[cst.FunctionDef]:
    return [s for s in cls.body.body if isinstance(s, cst.FunctionDef)] if isinstance(cls.body, cst.IndentedBlock) else []


class _OnContext(cst.CSTTransformer):
    """In one method's own body: ``self.saved_tensors`` -> ``ctx.saved_tensors``; in backward,
    ``return g`` -> ``return None, g``. Nested functions and classes are left as they are."""

    def __init__(self, me: str, backward: bool):
        super().__init__()
        self.me, self.backward = me, backward

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if isinstance(updated.value, cst.Name) and updated.value.value == self.me and updated.attr.value in _CONTEXT_API:
            attr = "saved_tensors" if updated.attr.value == "saved_variables" else updated.attr.value
            return updated.with_changes(value=cst.Name("ctx"), attr=cst.Name(attr))
        return updated

    def leave_Return(self, original: cst.Return, updated: cst.Return) -> cst.Return:
        if not self.backward or updated.value is None:
            return updated
        value = updated.value
        none = cst.Element(cst.Name("None"), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        if isinstance(value, cst.Tuple) and value.elements:
            return updated.with_changes(value=value.with_changes(elements=[none, *value.elements]))
        return updated.with_changes(value=cst.Tuple([none, cst.Element(value)], lpar=[], rpar=[]))


def _plain_parameters(method: cst.FunctionDef) -> Optional[list[cst.Param]]:
    """The parameters after ``self`` when they are plain positional ones, else None."""
    params = method.params
    if params.star_arg is not cst.MaybeSentinel.DEFAULT and params.star_arg is not None or params.kwonly_params or params.star_kwarg or params.posonly_params:
        return None
    if not params.params:
        return None
    return list(params.params[1:])


def _convertible(cls: cst.ClassDef) -> Optional[tuple[cst.FunctionDef, cst.FunctionDef]]:
    methods = {m.name.value: m for m in _methods(cls)}
    forward, backward = methods.get("forward"), methods.get("backward")
    if forward is None or backward is None or _is_static(forward) or _is_static(backward):
        return None
    if _plain_parameters(forward) is None or _plain_parameters(backward) is None:
        return None
    for method in methods.values():
        if any(a.attr.value == "needs_input_grad" for a in descendants(method, cst.Attribute)):
            return None  # its indices would move by one: not rewritten by hand
    init = methods.get("__init__")
    if init is not None:
        for call in descendants(init, cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == "__init__" and not (
                isinstance(func.value, cst.Call) and isinstance(func.value.func, cst.Name) and func.value.func.value == "super"
            ):
                return None  # `Function.__init__(self)`: the base named, and it is no longer the base
    return forward, backward


def _free_name(source: SourceFile, wanted: str) -> str:
    taken = source.bindings
    name, n = wanted, 2
    while name in taken:
        name, n = f"{wanted}{n}", n + 1
    return name


def _parse_statement(text: str, source: SourceFile) -> cst.BaseStatement:
    return cst.parse_statement(text, config=source.module.config_for_parsing)


def _static(method: cst.FunctionDef, first: Sequence[cst.Param], body: cst.BaseSuite) -> cst.FunctionDef:
    return method.with_changes(
        decorators=[cst.Decorator(cst.Name("staticmethod")), *method.decorators],
        params=method.params.with_changes(params=[*first, *method.params.params[1:]]),
        body=body,
    )


def _prepended(body: cst.BaseSuite, statements: list[cst.BaseStatement]) -> cst.BaseSuite:
    assert isinstance(body, cst.IndentedBlock)
    inner = list(body.body)
    docstring = 1 if inner and isinstance(inner[0], cst.SimpleStatementLine) and isinstance(inner[0].body[0], cst.Expr) and isinstance(inner[0].body[0].value, cst.SimpleString) else 0
    return body.with_changes(body=[*inner[:docstring], *statements, *inner[docstring:]])


def _converted(source: SourceFile, cls: cst.ClassDef, forward: cst.FunctionDef, backward: cst.FunctionDef, module_base: str) -> tuple[str, cst.FlattenSentinel]:
    function_name = _free_name(source, f"_{cls.name.value.lstrip('_')}Function")
    me = forward.params.params[0].name.value
    ctx = cst.Param(cst.Name("ctx"))
    their_me = backward.params.params[0].name.value
    backward_body = backward.body.visit(_OnContext(their_me, backward=True))
    # The instance goes from forward to backward on ctx only when backward reads its state.
    kept_on_ctx = any(n.value == their_me for n in descendants(backward_body, cst.Name))
    forward_body = forward.body.visit(_OnContext(me, backward=False))
    if kept_on_ctx:
        forward_body = _prepended(forward_body, [_parse_statement(f"ctx.{_KEPT_ON} = {me}\n", source)])
        backward_body = _prepended(backward_body, [_parse_statement(f"{their_me} = ctx.{_KEPT_ON}\n", source)])
    new_forward = _static(forward, [ctx, cst.Param(cst.Name(me))], forward_body)
    new_backward = _static(backward, [ctx], backward_body)
    blank = [cst.EmptyLine(indent=False)]
    function = cls.with_changes(
        name=cst.Name(function_name), decorators=[],
        body=cls.body.with_changes(body=[new_forward.with_changes(leading_lines=[]), new_backward.with_changes(leading_lines=blank)]),
        leading_lines=cls.leading_lines,
    )
    # The module: the old class without forward/backward, a base constructor call first in its
    # __init__, and a forward that applies the function with the instance.
    kept: list[cst.BaseStatement] = []
    for statement in cls.body.body:  # type: ignore[union-attr]
        if statement is forward or statement is backward:
            continue
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
            calls_base = any(
                isinstance(c.func, cst.Attribute) and c.func.attr.value == "__init__" for c in descendants(statement, cst.Call)
            )
            if not calls_base:
                statement = statement.with_changes(body=_prepended(statement.body, [_parse_statement("super().__init__()\n", source)]))
        kept.append(statement)
    inputs = [p.name.value for p in forward.params.params[1:]]
    signature = ", ".join([me, *(source.code(p).rstrip(", ") for p in forward.params.params[1:])])
    applied = _parse_statement(
        f"def forward({signature}):\n    return {function_name}.apply({', '.join([me, *inputs])})\n", source,
    )
    kept.append(applied.with_changes(leading_lines=blank if kept else []))
    kept[0] = kept[0].with_changes(leading_lines=[])
    module = cls.with_changes(
        bases=[cst.Arg(cst.parse_expression(module_base))],
        body=cls.body.with_changes(body=kept),
        leading_lines=[cst.EmptyLine(indent=False), cst.EmptyLine(indent=False)],
    )
    return function_name, cst.FlattenSentinel([function, module])


class LegacyAutogradFunction(Rule):
    code = "GF074"
    title = "old-style autograd.Function called as an instance"
    # Safe: both bodies run as they did; only where they run changes.
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _LEGACY not in crash.message:
            return []
        patches, names, unconverted = [], [], []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            edits = []
            for cls in descendants(source.module, cst.ClassDef):
                if not source.subclasses(cls, AUTOGRAD_FUNCTIONS):
                    continue
                forward = next((m for m in _methods(cls) if m.name.value == "forward"), None)
                if forward is None or _is_static(forward):
                    continue
                parts = _convertible(cls)
                if parts is None:
                    unconverted.append(cls.name.value)
                    continue
                module_base = self._module_base(source, edits)
                _, new = _converted(source, cls, *parts, module_base)
                edits.append(source.replace_statement(cls, new))
                names.append(cls.name.value)
            if edits and any(e.replacement for e in edits):
                patches.append(Patch(path, sorted(edits, key=lambda e: e.start)))
        if not names and not unconverted:
            return []
        params = [p.name for p in trace.params if p.requires_grad]
        listed = ", ".join(f"`{n}`" for n in [*names, *unconverted])
        message = (
            f"the script crashed: {crash.type}: {listed} {'is an' if len(names) + len(unconverted) == 1 else 'are'} "
            "old-style autograd.Function (forward and backward are plain methods, the instance is called), "
            "which PyTorch no longer runs; nothing trains"
        )
        if not patches or not project.is_editable(crash.site.file):
            return [self.finding(project, crash.site, message, params, blocking=True)]
        candidate = Candidate(
            f"rewrite {listed} as a new-style Function (static forward and backward, the instance passed to apply) "
            "inside an nn.Module that keeps its state", patches, self.applicability,
        )
        return [self.finding(project, crash.site, message, params, [candidate], blocking=True)]

    @staticmethod
    def _module_base(source: SourceFile, edits: list[Edit]) -> str:
        """How the file spells ``torch.nn.Module``: ``nn.Module`` after ``from torch import nn``."""
        nn_alias = module_alias(source, "torch.nn")
        if nn_alias is not None:
            return f"{nn_alias}.Module"
        spelled, imports = spelled_or_imported(source, "torch.nn.Module")
        if imports and not any(e.replacement == imports[0].replacement for e in edits):
            edits.extend(imports)
        return spelled
