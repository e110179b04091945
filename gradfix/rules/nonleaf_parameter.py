"""GF005: a tensor meant to be trained is not a leaf: it was moved (or scaled) after it was made trainable.

``torch.randn(3, requires_grad=True).to(device)`` (or ``.cuda()``, ``.double()``) returns a *new*
tensor computed from the trainable one: a non-leaf, whose ``.grad`` stays None; the optimizer
refuses it ("can't optimize a non-leaf Tensor"). ``nn.Parameter(t).to(device)`` in ``__init__``
likewise stores a plain tensor instead of the registered parameter. On the CPU ``.to("cpu")``
returns the same tensor and hides the bug; gradfix's CUDA emulation makes it visible. The fix makes
the tensor where it should live: ``torch.randn(3, device=device, requires_grad=True)``, or
``nn.Parameter(t.to(device))``. It keeps the script's own device: it never replaces ``cuda``.
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

_MOVES = {"to", "cuda", "double", "float", "half", "bfloat16"}
_DTYPE_OF_MOVE = {"double": "float64", "float": "float32", "half": "float16", "bfloat16": "bfloat16"}
_DTYPES = {f"torch.{d}" for d in ("float64", "float32", "float16", "bfloat16", "double", "float", "half")}


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )


def _is_move(value: Optional[cst.BaseExpression]) -> bool:
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _MOVES


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
            if not _is_move(value) or made_from_data(source, value):
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
        """``factory(..., requires_grad=True).move(x)`` or ``Parameter(t).move(x)``, rewritten; or
        ``factory(..., requires_grad=True) * 0.01``, scaled first and made trainable after."""
        if isinstance(value, cst.BinaryOperation):
            return self._scale_first(source, value)
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
            return None
        move = value.func.attr.value
        inner = value.func.value
        if move not in _MOVES or not isinstance(inner, cst.Call):
            return None
        names = source.qualified_names(inner.func)
        if "torch.nn.Parameter" in names or "torch.nn.parameter.Parameter" in names:
            if len(inner.args) != 1:
                return None
            moved = cst.Call(func=cst.Attribute(value=inner.args[0].value, attr=cst.Name(move)), args=value.args)
            return source.replace_node(value, inner.with_changes(args=[inner.args[0].with_changes(value=moved)]))
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
