"""GF110: a custom ``torch.autograd.Function`` whose ``forward`` returns a view of its input (the
gradient-reversal layer's ``return x.view_as(x)``, an identity written as ``return x``), and an
in-place op that later changes that input (an ``nn.ReLU(inplace=True)`` on the features the
Function was given). autograd refuses at ``backward()``: "Output 0 of GradReverse is a view and
its base or another view of its base has been modified inplace. This view was created inside a
custom Function ... You can fix this by cloning the output of the custom Function." Nothing trains.

The evidence is the run's: the crash message, which names the Function and the output. The rule
finds the Function's class in the files where the crash's cause can be written, and in its
``forward`` the returns whose value (at that output's place) is a view of one of its inputs:
the input itself, ``x.view_as(...)``, ``x.view(...)``, ``x.reshape(...)``, ``x.expand(...)``,
``x[...]``. Each becomes a copy (``x.clone()``; ``x.view_as(x)`` is ``x``), as torch's message
advises; the re-run decides. Safe: the values and the Function's gradient are the same. An
in-place op on the Function's output itself, which torch refuses at the op, is GF023's.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_MESSAGE = re.compile(
    r"Output (?P<index>\d+) of (?P<fn>\w+) is a view and its base or another view of its base has been modified inplace\. "
    r"This view was created inside a custom Function"
)
_VIEWS = {"contiguous", "view_as", "view", "reshape", "reshape_as", "expand", "expand_as", "squeeze", "unsqueeze", "flatten", "t", "transpose", "permute"}


def _forward(source: SourceFile, cls: cst.ClassDef, depth: int = 3) -> Optional[tuple[cst.ClassDef, cst.FunctionDef]]:
    """The class that defines the ``forward`` this class runs, and that ``forward``: its own, or
    one of a base class of the same file (an identity Function that reversal and scaling
    Functions extend, overriding only ``backward``)."""
    own = next((f for f in cls.body.body if isinstance(f, cst.FunctionDef) and f.name.value == "forward"), None)
    if own is not None:
        return cls, own
    if depth == 0:
        return None
    classes = {c.name.value: c for c in descendants(source.module, cst.ClassDef)}
    for base in cls.bases:
        if isinstance(base.value, cst.Name) and base.value.value in classes:
            found = _forward(source, classes[base.value.value], depth - 1)
            if found is not None:
                return found
    return None


def _inputs(cls: cst.ClassDef, forward: cst.FunctionDef) -> set[str]:
    """Its tensor arguments: every parameter after ``ctx``; every parameter when the class has a
    ``setup_context`` (torch 2's style, whose ``forward`` takes no ``ctx``)."""
    separate = any(isinstance(f, cst.FunctionDef) and f.name.value == "setup_context" for f in cls.body.body)
    return {p.name.value for p in forward.params.params[0 if separate else 1:]}


def _view_of_input(node: cst.BaseExpression, inputs: set[str]) -> Optional[str]:
    """The input ``node`` is a view of, if it is: ``x``, ``x.view_as(y)``, ``x[...]`` ..."""
    if isinstance(node, cst.Name):
        return node.value if node.value in inputs else None
    if isinstance(node, cst.Subscript):
        return _view_of_input(node.value, inputs)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _VIEWS:
        return _view_of_input(node.func.value, inputs)
    return None


def _copied(source: SourceFile, node: cst.BaseExpression, base: str) -> cst.BaseExpression:
    """A copy of what ``node`` gives: ``x.view_as(x)`` and ``x`` are ``x``; others their clone."""
    same = isinstance(node, cst.Name) or (
        isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "view_as"
        and len(node.args) == 1 and isinstance(node.args[0].value, cst.Name) and node.args[0].value.value == base
    )
    code = base if same else source.code(node)
    if not same and not isinstance(node, (cst.Call, cst.Subscript, cst.Attribute, cst.Name)):
        code = f"({code})"
    return cst.parse_expression(f"{code}.clone()")


class FunctionReturnsInputView(Rule):
    code = "GF110"
    title = "custom Function returns a view of its input that is later modified in place"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        match = _MESSAGE.search(crash.message) if crash is not None else None
        if crash is None or crash.site is None or match is None:
            return []
        name = match["fn"].removesuffix("Backward")
        index = int(match["index"])
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for cls in descendants(source.module, cst.ClassDef):
                found = _forward(source, cls) if cls.name.value == name else None
                if found is None:
                    continue
                owner, forward = found
                edits = self._copies(source, owner, forward, index)
                if not edits:
                    continue
                candidate = self.candidate(f"return a copy from `{name}.forward`, not a view of its input", path, edits)
                message = (
                    f"the script crashed: {crash.type}: output {index} of the custom autograd Function `{name}` is a view of its "
                    f"input (its forward returns it, line {source.range(forward).start.line}), and an in-place op changed that "
                    "input afterwards; autograd refuses, since it would override the Function's backward; nothing trains"
                )
                return [self.finding(project, crash.site, message, trace.meant_to_train(), [candidate], blocking=True)]
        return []

    @staticmethod
    def _copies(source: SourceFile, cls: cst.ClassDef, forward: cst.FunctionDef, index: int) -> list[Edit]:
        inputs = _inputs(cls, forward)
        # `out = x.view_as(x)` then `return out`: the view is made where the name is bound
        bound: dict[str, list[cst.BaseExpression]] = {}
        for assign in descendants(forward.body, cst.Assign):
            for target in assign.targets:
                if isinstance(target.target, cst.Name):
                    bound.setdefault(target.target.value, []).append(assign.value)
        edits = []
        for ret in descendants(forward.body, cst.Return):
            value = ret.value
            if isinstance(value, cst.Tuple):
                if index >= len(value.elements):
                    continue
                value = value.elements[index].value
            elif index != 0 or value is None:
                continue
            if isinstance(value, cst.Name) and value.value not in inputs and len(bound.get(value.value, [])) == 1:
                value = bound[value.value][0]
            base = _view_of_input(value, inputs)
            if base is not None:
                edit = source.replace_node(value, _copied(source, value, base))
                if edit not in edits:
                    edits.append(edit)
        return edits
