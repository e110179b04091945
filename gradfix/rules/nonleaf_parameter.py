"""GF005: a tensor meant to be trained is not a leaf: it was moved (or scaled) after it was made trainable.

``torch.randn(3, requires_grad=True).to(device)`` (or ``.cuda()``, ``.double()``) returns a *new*
tensor computed from the trainable one: a non-leaf, whose ``.grad`` stays None; the optimizer
refuses it ("can't optimize a non-leaf Tensor"). Any cast after ``nn.Parameter(...)`` likewise
stores a plain tensor instead of the registered parameter: ``nn.Parameter(t).to(device)``,
``nn.Parameter(t, requires_grad=True).to(torch.float64)``, ``.double()``, ``.half()``, ``.float()``,
``.cuda()``, ``.cpu()``, ``.type(...)`` and chains of them. On the CPU ``.to("cpu")`` returns the
same tensor and hides the bug; gradfix's CUDA emulation makes it visible. The fix makes the tensor
where it should live: ``torch.randn(3, device=device, requires_grad=True)``, or, for a parameter,
moves every cast onto the tensor it wraps, ``nn.Parameter(t.to(torch.float64), requires_grad=True)``
(a cast to the dtype the factory already gives is dropped). It keeps the script's own device: it
never replaces ``cuda``.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import TENSOR_FACTORIES, made_from_data, module_alias
from gradfix.trace import Site, Trace

_FACTORY_MOVES = {"to", "cuda", "double", "float", "half", "bfloat16"}
# Every cast that returns a copy of a parameter: none of them gives back an nn.Parameter.
_MOVES = _FACTORY_MOVES | {"cpu", "type"}
_DTYPE_OF_MOVE = {"double": "float64", "float": "float32", "half": "float16", "bfloat16": "bfloat16"}
_DTYPES = {f"torch.{d}" for d in ("float64", "float32", "float16", "bfloat16", "double", "float", "half")}
_CANONICAL = {"float64": "float64", "double": "float64", "float32": "float32", "float": "float32",
              "float16": "float16", "half": "float16", "bfloat16": "bfloat16"}
_PARAMETER = {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )


def _is_move(source: SourceFile, value: Optional[cst.BaseExpression]) -> bool:
    """A move or a cast of a tensor (``.to(device)``, ``.double()``), or any cast of an ``nn.Parameter``
    (``.cpu()`` and ``.type(...)`` as well): kept on a module, the result is a copy, no parameter."""
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
        return False
    return value.func.attr.value in _FACTORY_MOVES or _parameter_call(source, value) is not None


def _parameter_call(source: SourceFile, value: cst.BaseExpression) -> Optional[cst.Call]:
    """The ``nn.Parameter(...)`` call under a chain of casts (``nn.Parameter(t).to(device).double()``)."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _MOVES:
        value = value.func.value
        if isinstance(value, cst.Call) and source.qualified_names(value.func) & _PARAMETER:
            return value
    return None


def _cast_dtype(source: SourceFile, cast: cst.Call) -> Optional[str]:
    """The dtype a pure dtype cast converts to: ``.double()``, ``.to(torch.float64)``, ``.to(dtype=torch.half)``."""
    assert isinstance(cast.func, cst.Attribute)
    method = cast.func.attr.value
    if method in _DTYPE_OF_MOVE:
        return None if cast.args else _DTYPE_OF_MOVE[method]
    if method not in ("to", "type") or len(cast.args) != 1:
        return None
    keyword = cast.args[0].keyword
    if keyword is not None and keyword.value != "dtype":
        return None
    found = source.qualified_names(cast.args[0].value) & _DTYPES
    return _CANONICAL.get(found.pop().rsplit(".", 1)[-1]) if len(found) == 1 else None


def _already_of_dtype(source: SourceFile, tensor: cst.BaseExpression, cast: cst.Call) -> bool:
    """``torch.zeros(n, dtype=torch.float64)`` cast with ``.double()``: the cast changes nothing."""
    wanted = _cast_dtype(source, cast)
    if wanted is None or not isinstance(tensor, cst.Call) or not source.qualified_names(tensor.func) & TENSOR_FACTORIES:
        return False
    made = next((a.value for a in tensor.args if a.keyword is not None and a.keyword.value == "dtype"), None)
    found = source.qualified_names(made) & _DTYPES if made is not None else set()
    return len(found) == 1 and _CANONICAL.get(found.pop().rsplit(".", 1)[-1]) == wanted


class NonLeafParameter(Rule):
    code = "GF005"
    title = "trainable tensor is not a leaf (moved or scaled after requires_grad)"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        crash = trace.crash
        if crash is not None and crash.site is not None and "non-leaf Tensor" in crash.message:
            if project.is_editable(crash.site.file):
                findings += self._optimizer_args(project, crash.site, f"{crash.type}: {crash.message}")
        for attribute in trace.attributes:
            if attribute.kind != "tensor" or attribute.is_leaf or not attribute.requires_grad:
                continue
            if attribute.site is None or not project.is_editable(attribute.site.file):
                continue
            source = project.source(attribute.site.file)
            value = source.assigned_value(attribute.site.line, attribute.attr)
            if not _is_move(source, value) or made_from_data(source, value):
                continue  # a result kept on self (an attention map), or data (a PINN's inputs), is no parameter
            edit = self._rewrite(source, value) if value is not None else None
            name = f"{attribute.owner_name}.{attribute.attr}"
            candidates = [self._candidate(source, [edit])] if edit else []
            message = (
                f"`{name}` is a copy of the parameter made by a device/dtype move, not the parameter: it is "
                f"not registered, so {attribute.owner_name}.parameters() misses it and it never updates"
            )
            findings.append(self.finding(project, attribute.site, message, [name], candidates))
        return findings

    def _optimizer_args(self, project: Project, site: Site, crash: str) -> list[Finding]:
        source = project.source(site.file)
        edits: list[Edit] = []
        names: list[str] = []
        for call in source.nodes_at(site, cst.Call):
            if not call.args:
                continue
            # `[w, b]`, `list(model.parameters()) + [self.log_temp]`: every element of every list in the argument
            elements = [
                e.value
                for collection in descendants(call.args[0].value, (cst.List, cst.Tuple))  # type: ignore[arg-type]
                for e in collection.elements
                if isinstance(e.value, (cst.Name, cst.Attribute))
            ]
            for element in elements:
                value = self._single_assignment(source, element)
                edit = self._rewrite(source, value) if value is not None else None
                if edit is not None and edit not in edits:
                    edits.append(edit)
                    names.append(source.code(element))
        candidates = [self._candidate(source, edits)] if edits else []
        subject = f"{short_list(names)} {'is' if len(names) == 1 else 'are'}" if names else "a tensor given to it is"
        message = (
            f"the script crashed: {crash}; {subject} computed from a tensor after requires_grad=True was set "
            "(by a move, a cast or arithmetic), so the optimizer cannot update it"
        )
        return [self.finding(project, site, message, names, candidates, blocking=True)]

    def _candidate(self, source: SourceFile, edits: list[Edit]) -> Candidate:
        return Candidate(
            description="make the tensor on its device and dtype (and scale it) first, then make it trainable",
            patches=[Patch(source.path, sorted(edits, key=lambda e: e.start))],
            applicability=self.applicability,
        )

    @staticmethod
    def _single_assignment(source: SourceFile, target: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        """The value of the one assignment to this name (in its scope) or attribute (in the file)."""
        if isinstance(target, cst.Name):
            scope = source.scopes.get(target)
            if scope is None:
                return None
            assignments = list(scope.assignments[target.value])
            if len(assignments) != 1 or not isinstance(assignments[0].node, cst.Name):
                return None
            node = source.parent(assignments[0].node)
            assign = source.parent(node) if isinstance(node, cst.AssignTarget) else None
            return assign.value if isinstance(assign, cst.Assign) else None
        wanted = source.code(target)
        values = [
            node.value
            for node in source.positions
            if isinstance(node, cst.Assign) and any(source.code(t.target) == wanted for t in node.targets)
        ]
        return values[0] if len(values) == 1 else None

    def _rewrite(self, source: SourceFile, value: cst.BaseExpression) -> Optional[Edit]:
        """``factory(..., requires_grad=True).move(x)`` or ``Parameter(t, ...).move(x)``, rewritten; or
        ``factory(..., requires_grad=True) * 0.01``, scaled first and made trainable after."""
        if isinstance(value, cst.BinaryOperation):
            return self._scale_first(source, value)
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
            return None
        move = value.func.attr.value
        inner = value.func.value
        if move not in _MOVES:
            return None
        parameter = _parameter_call(source, value)
        if parameter is not None:
            return self._cast_inside(source, value, parameter)
        if not isinstance(inner, cst.Call) or move not in _FACTORY_MOVES:
            return None
        names = source.qualified_names(inner.func)
        if not names & TENSOR_FACTORIES:
            return None
        position = next(
            (i for i, a in enumerate(inner.args) if a.keyword is not None and a.keyword.value == "requires_grad"), None
        )
        if position is None:
            return None
        added = self._keywords(source, move, value.args)
        if added is None:
            return None
        args = list(inner.args)
        comma = args[position - 1].comma if position else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        added = [a.with_changes(comma=comma) for a in added]
        return source.replace_node(value, inner.with_changes(args=[*args[:position], *added, *args[position:]]))

    @staticmethod
    def _cast_inside(source: SourceFile, value: cst.Call, parameter: cst.Call) -> Optional[Edit]:
        """``nn.Parameter(t, requires_grad=True).to(dtype).cuda()`` -> ``nn.Parameter(t.to(dtype).cuda(),
        requires_grad=True)``: every cast after the wrapper moves onto the tensor it wraps, in the
        same order; a cast to the dtype the tensor is already made with is dropped."""
        data = next((i for i, a in enumerate(parameter.args) if a.keyword is not None and a.keyword.value == "data"), None)
        if data is None:
            if not parameter.args or parameter.args[0].keyword is not None or parameter.args[0].star:
                return None
            data = 0
        casts: list[cst.Call] = []
        node: cst.BaseExpression = value
        while node is not parameter:
            assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
            casts.append(node)
            node = node.func.value
        tensor = parameter.args[data].value
        if not isinstance(tensor, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not tensor.lpar:
            # `torch.ones(1) * 1.5` takes the cast as a whole: `(torch.ones(1) * 1.5).double()`
            tensor = tensor.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        for cast in reversed(casts):
            assert isinstance(cast.func, cst.Attribute)
            if _already_of_dtype(source, tensor, cast):
                continue
            tensor = cst.Call(func=cst.Attribute(value=tensor, attr=cst.Name(cast.func.attr.value)), args=cast.args)
        args = list(parameter.args)
        args[data] = args[data].with_changes(value=tensor)
        return source.replace_node(value, parameter.with_changes(args=args))

    @staticmethod
    def _scale_first(source: SourceFile, value: cst.BinaryOperation) -> Optional[Edit]:
        """``torch.randn(20, 4, requires_grad=True) * 0.01`` -> ``(torch.randn(20, 4) * 0.01).requires_grad_()``."""
        for side in ("left", "right"):
            factory = getattr(value, side)
            if not isinstance(factory, cst.Call) or not source.qualified_names(factory.func) & TENSOR_FACTORIES:
                continue
            args = list(factory.args)
            flag = next((i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == "requires_grad"), None)
            if flag is None or not (isinstance(args[flag].value, cst.Name) and args[flag].value.value == "True"):
                continue
            del args[flag]
            if args and flag == len(args):  # the flag was last: its predecessor's comma goes too
                args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            computed = value.with_changes(**{side: factory.with_changes(args=args)})
            computed = computed.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return source.replace_node(value, cst.Call(func=cst.Attribute(value=computed, attr=cst.Name("requires_grad_"))))
        return None

    @staticmethod
    def _keywords(source: SourceFile, move: str, args: tuple) -> Optional[list[cst.Arg]]:  # type: ignore[type-arg]
        torch = module_alias(source, "torch") or "torch"
        if move in _DTYPE_OF_MOVE:
            return None if args else [_keyword("dtype", cst.parse_expression(f"{torch}.{_DTYPE_OF_MOVE[move]}"))]
        if move == "cuda":
            return None if args else [_keyword("device", cst.SimpleString('"cuda"'))]
        added = []
        for arg in args:
            if arg.keyword is not None:
                if arg.keyword.value not in ("device", "dtype"):
                    return None
                added.append(_keyword(arg.keyword.value, arg.value))
            elif source.qualified_names(arg.value) & _DTYPES:
                added.append(_keyword("dtype", arg.value))
            else:
                added.append(_keyword("device", arg.value))
        return added or None
