"""GF094: a custom ``torch.autograd.Function`` that hands ``ctx.save_for_backward`` something that
is not a tensor (a shape, a number, a list): "save_for_backward can only save variables, but
argument 2 is of type torch.Size". The first forward with gradients on fails; nothing trains.

``save_for_backward`` is for tensors only (it checks them for in-place changes before
``backward`` reads them); the rest of what ``backward`` needs (``x.shape``, a scale, a flag) goes on
``ctx`` as an attribute. The error comes only when gradients are on, so an evaluation under
``no_grad`` before training runs fine and the first training step fails.

The crash is read from the run: torch's message gives the position of the argument. The fix is at
the crashing ``save_for_backward(...)`` call: that argument leaves the call and is kept as
``ctx.<name> = <expression>`` on the next line (the name is the expression's own: ``shape`` for
``values.shape``, ``scale`` for ``scale``); in the same class's ``backward``, the tuple that
unpacks ``ctx.saved_tensors`` loses that position and the name it bound is read from ``ctx``
(``shape = ctx.shape``); indexed reads (``ctx.saved_tensors[2]``) become ``ctx.shape`` and the
later indices move down. When ``backward`` reads ``saved_tensors`` another way (as a whole, with
a star, in a helper), it is reported without a fix. Safe: the same value reaches ``backward``.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_MESSAGE = re.compile(r"save_for_backward can only save variables, but argument (\d+) is of type (\S+)")


def _attribute_name(value: cst.BaseExpression, index: int) -> str:
    if isinstance(value, cst.Name):
        return value.value
    if isinstance(value, cst.Attribute):
        return value.attr.value
    return f"saved_{index}"


def _saved_tensors(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Attribute) and node.attr.value == "saved_tensors"


class SavedNonTensor(Rule):
    code = "GF094"
    title = "save_for_backward given something that is not a tensor"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        found = _MESSAGE.search(crash.message) if crash is not None else None
        if crash is None or crash.site is None or found is None or not project.is_editable(crash.site.file):
            return []
        position, kind = int(found.group(1)), found.group(2)
        candidates = [
            candidate
            for path, call in self._save_calls(trace, project, position)
            if (candidate := self._candidate(project.source(path), call, position)) is not None
        ]
        message = (
            f"the script crashed: {crash.type}: {crash.message}; save_for_backward keeps tensors only, and what it was "
            f"given at position {position} (from 0) is a {kind}, which belongs on ctx as an attribute; nothing trains"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]

    def _save_calls(self, trace: Trace, project: Project, position: int) -> list[tuple[str, cst.Call]]:
        """The ``save_for_backward`` calls that can have raised: in the Functions whose ``apply``
        the crashing line calls, when it names them (torch raises after ``forward`` returns, so
        the line is the ``apply``); else every call with an argument at that position in the
        files where the crash's cause can be written. Each becomes a candidate; the re-run decides."""
        crash = trace.crash
        assert crash is not None and crash.site is not None
        named: set[str] = set()
        if project.is_editable(crash.site.file):
            source = project.source(crash.site.file)
            for call in descendants(source.module, cst.Call):
                where = source.range(call)
                if where.start.line <= crash.site.line <= where.end.line and isinstance(call.func, cst.Attribute) and call.func.attr.value == "apply":
                    target = call.func.value
                    named.add(target.value if isinstance(target, cst.Name) else target.attr.value if isinstance(target, cst.Attribute) else "")
        found = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for call in descendants(source.module, cst.Call):
                if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "save_for_backward") or len(call.args) <= position:
                    continue
                cls = next((a for a in source.ancestors(call) if isinstance(a, cst.ClassDef)), None)
                found.append((path, call, cls is not None and cls.name.value in named))
        if any(in_named for _, _, in_named in found):
            found = [f for f in found if f[2]]
        return [(path, call) for path, call, _ in found]

    def _candidate(self, source: SourceFile, call: cst.Call, position: int) -> Optional[Candidate]:
        args = list(call.args)
        if position >= len(args) or any(a.star or a.keyword is not None for a in args):
            return None
        statement = source.statement_of(call)
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1 or not isinstance(statement.body[0], cst.Expr):
            return None
        ctx = call.func.value  # type: ignore[attr-defined]
        if not isinstance(ctx, cst.Name):
            return None
        value = args[position].value
        name = _attribute_name(value, position)
        kept = [a for i, a in enumerate(args) if i != position]
        if kept and position == len(args) - 1:
            # the last argument goes: the one before it ends the call as it did (a trailing comma
            # and the line break before `)`, or none)
            kept[-1] = kept[-1].with_changes(comma=args[-1].comma, whitespace_after_arg=args[-1].whitespace_after_arg)
        edits: list[Edit] = [source.replace_node(call, call.with_changes(args=kept))]
        line = source.range(statement).end.line
        edits.append(source.insert_lines(line + 1, f"{source.indentation(source.range(statement).start.line)}{ctx.value}.{name} = {source.code(value)}\n"))
        backward = self._backward_of(source, call)
        if backward is None:
            return None
        reads = self._reads(source, backward, position, name, ctx_name=self._ctx_of(backward))
        if reads is None:
            return None
        edits += reads
        return self.candidate(
            f"keep `{source.code(value)}` on `{ctx.value}.{name}` instead of saving it with save_for_backward, and read it there in backward",
            source.path, edits,
        )

    @staticmethod
    def _backward_of(source: SourceFile, call: cst.Call) -> Optional[cst.FunctionDef]:
        cls = next((a for a in source.ancestors(call) if isinstance(a, cst.ClassDef)), None)
        if cls is None:
            return None
        return next((f for f in cls.body.body if isinstance(f, cst.FunctionDef) and f.name.value == "backward"), None)

    @staticmethod
    def _ctx_of(backward: cst.FunctionDef) -> Optional[str]:
        params = backward.params.params
        return params[0].name.value if params else None

    def _reads(self, source: SourceFile, backward: cst.FunctionDef, position: int, name: str, ctx_name: Optional[str]) -> Optional[list[Edit]]:
        """The edits in ``backward`` that read the value from ``ctx.<name>`` instead of from
        ``saved_tensors``; None when ``saved_tensors`` is read in a way they cannot follow."""
        if ctx_name is None:
            return None
        reads = [n for n in descendants(backward, cst.Attribute) if _saved_tensors(n)]
        if not reads:
            return None
        edits: list[Edit] = []
        for read in reads:
            parent = source.parent(read)
            if isinstance(parent, cst.Subscript) and len(parent.slice) == 1 and isinstance(parent.slice[0].slice, cst.Index):
                index = parent.slice[0].slice.value
                if not isinstance(index, cst.Integer):
                    return None
                at = int(index.value)
                if at == position:
                    edits.append(source.replace_node(parent, cst.parse_expression(f"{ctx_name}.{name}")))
                elif at > position:
                    edits.append(source.replace_node(index, cst.Integer(str(at - 1))))
                continue
            if not isinstance(parent, cst.Assign) or len(parent.targets) != 1:
                return None
            target = parent.targets[0].target
            if not isinstance(target, (cst.Tuple, cst.List)) or position >= len(target.elements):
                return None
            if any(isinstance(e, cst.StarredElement) for e in target.elements):
                return None
            bound = target.elements[position].value
            elements = [e for i, e in enumerate(target.elements) if i != position]
            if len(elements) == 1 and isinstance(target, cst.Tuple):
                elements = [elements[0].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace("")))]  # `a, = ctx.saved_tensors`
            elif elements:
                elements[-1] = elements[-1].with_changes(comma=target.elements[-1].comma)
            statement = source.statement_of(parent)
            if not isinstance(statement, cst.SimpleStatementLine) or not elements:
                return None
            edits.append(source.replace_node(target, target.with_changes(elements=elements)))
            line = source.range(statement).end.line
            indent = source.indentation(source.range(statement).start.line)
            edits.append(source.insert_lines(line + 1, f"{indent}{source.code(bound)} = {ctx_name}.{name}\n"))
        return edits
