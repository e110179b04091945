"""GF015: manual gradient descent that rebinds the weight, or updates it in place with grad on.

``w = w - lr * w.grad`` makes ``w`` a new, non-leaf tensor: the next backward leaves ``w.grad`` None
and the script crashes (``unsupported operand type(s) for *: 'float' and 'NoneType'``).
``w -= lr * w.grad`` outside ``no_grad`` raises "a leaf Variable that requires grad is being used
in an in-place operation". The fix updates in place under ``torch.no_grad()`` and zeroes the
gradients afterwards (unless the script already does).
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias
from gradfix.trace import Trace

_CRASHES = ("NoneType", "leaf Variable that requires grad is being used in an in-place operation")


def _update(statement: cst.BaseStatement) -> Optional[tuple[str, cst.BaseExpression]]:
    """(name, step) for ``w = w - step`` or ``w -= step`` whose step reads ``w.grad``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.AugAssign) and isinstance(small.operator, cst.SubtractAssign) and isinstance(small.target, cst.Name):
        name, step = small.target.value, small.value
    elif (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
        and isinstance(small.value, cst.BinaryOperation)
        and isinstance(small.value.operator, cst.Subtract)
        and isinstance(small.value.left, cst.Name)
        and small.value.left.value == small.targets[0].target.value
    ):
        name, step = small.value.left.value, small.value.right
    else:
        return None
    reads_grad = any(
        isinstance(a.value, cst.Name) and a.value.value == name and a.attr.value == "grad"
        for a in descendants(step, cst.Attribute)
    )
    return (name, step) if reads_grad else None


def _zeroes(statement: cst.BaseStatement, name: str) -> bool:
    """``w.grad.zero_()``, ``w.grad = None`` or ``w.grad.data.zero_()``."""
    code = cst.Module([]).code_for_node(statement).strip()
    return code in (f"{name}.grad.zero_()", f"{name}.grad = None", f"{name}.grad.data.zero_()")


class ManualUpdate(Rule):
    code = "GF015"
    title = "manual update rebinds the weight or runs with grad on"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or not any(c in crash.message for c in _CRASHES):
            return []
        if not project.is_editable(crash.site.file):
            return []
        source = project.source(crash.site.file)
        crashed = source.statements_on_line(crash.site.line)
        block = source.parent(crashed[0]) if crashed else None
        if not isinstance(block, cst.IndentedBlock):
            return []
        body = list(block.body)
        # The crash is on the update itself, or just after it (`w.grad.zero_()` on a rebound `w`).
        at = body.index(crashed[0]) if crashed[0] in body else len(body) - 1
        updates_before = [i for i in range(at + 1) if _update(body[i])]
        if not updates_before:
            return []
        index = updates_before[-1]
        start = index
        while start > 0 and _update(body[start - 1]):
            start -= 1
        end = index + 1
        while end < len(body) and _update(body[end]):
            end += 1
        group = body[start:end]
        updates = [_update(s) for s in group]
        names = [u[0] for u in updates if u]
        candidate = self._candidate(source, body, start, end, updates)
        message = (
            f"the script crashed: {crash.type}: {crash.message}; `{source.code(group[0]).strip()}` "
            + ("rebinds the weight to a new non-leaf tensor, whose .grad stays None" if "NoneType" in crash.message
               else "updates a trainable leaf in place with gradients on")
            + f"; fix the update of {short_list(names)}"
        )
        return [self.finding(project, crash.site, message, names, [candidate] if candidate else [], blocking=True)]

    def _candidate(self, source: SourceFile, body: list, start: int, end: int, updates: list) -> Optional[Candidate]:  # type: ignore[type-arg]
        torch = module_alias(source, "torch")
        if torch is None:
            return None
        indent = source.indentation(source.range(body[start]).start.line)
        unit = "    "
        lines = [f"{indent}with {torch}.no_grad():\n"]
        for name, step in updates:
            lines.append(f"{indent}{unit}{name} -= {source.code(step)}\n")
        following = body[end:]
        for name, _ in updates:
            if not any(_zeroes(s, name) for s in following[: len(updates) * 2]):
                lines.append(f"{indent}{name}.grad.zero_()\n")
        first, _ = source.statement_lines(body[start], with_comments=False)
        _, last = source.statement_lines(body[end - 1], with_comments=False)
        edit = Edit(source.position(first), source.position(last), "".join(lines))
        return self.candidate(f"update in place under {torch}.no_grad() and zero the gradients", source.path, [edit])
