"""GF015: manual gradient descent that rebinds the weight, or updates it in place with grad on.

``for p in model.parameters(): p = p - lr * p.grad`` rebinds only the loop variable: nothing
crashes and nothing ever changes.
``w = w - lr * w.grad`` makes ``w`` a new, non-leaf tensor: the next backward leaves ``w.grad`` None
and the script crashes (``unsupported operand type(s) for *: 'float' and 'NoneType'``).
``w -= lr * w.grad`` outside ``no_grad`` raises "a leaf Variable that requires grad is being used
in an in-place operation", and so do the in-place tensor methods of a hand-written optimizer:
``p.add_(p.grad, alpha=-lr)``, ``p.sub_(lr * p.grad)``, ``p.mul_(1 - wd)``, ``p.copy_(...)``. The
fix updates in place under ``torch.no_grad()`` (for a loop over the parameters, the whole loop) and
zeroes the gradients afterwards (unless the script already does).
A deliberate write into a parameter outside any forward (a pruning mask ``p[~mask] = 0.0``,
``w.mul_(mask)``, clipping ``p.clamp_(-c, c)``) raises the same; the probe saw torch refuse it on
a parameter outside a forward, on the crashed line. The fix runs that statement (or the loop over
the parameters around it) under ``torch.no_grad()``.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias
from gradfix.sandbox import RunResult
from gradfix.trace import Trace
from gradfix.verify import judge

_CRASHES = ("NoneType", "leaf Variable that requires grad is being used in an in-place operation")


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node).strip()


_TARGETS = (cst.Name, cst.Attribute, cst.Subscript)  # w, self.w, params[k]


def _update(statement: cst.BaseStatement) -> Optional[tuple[str, cst.BaseExpression]]:
    """(target, step) for ``w = w - step`` or ``w -= step`` whose step reads ``w.grad``; the
    target may be a name, an attribute or a subscript (``params[k] = params[k] - lr * params[k].grad``)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.AugAssign) and isinstance(small.operator, cst.SubtractAssign) and isinstance(small.target, _TARGETS):
        name, step = _code(small.target), small.value
    elif (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, _TARGETS)
        and isinstance(small.value, cst.BinaryOperation)
        and isinstance(small.value.operator, cst.Subtract)
        and _code(small.value.left) == _code(small.targets[0].target)
    ):
        name, step = _code(small.value.left), small.value.right
    else:
        return None
    reads_grad = any(_code(a.value) == name and a.attr.value == "grad" for a in descendants(step, cst.Attribute))
    return (name, step) if reads_grad else None


def _zeroes(statement: cst.BaseStatement, name: str) -> bool:
    """``w.grad.zero_()``, ``w.grad = None`` or ``w.grad.data.zero_()``."""
    code = _code(statement)
    return code in (f"{name}.grad.zero_()", f"{name}.grad = None", f"{name}.grad.data.zero_()")


def _inplace_update(statement: cst.BaseStatement) -> Optional[str]:
    """The tensor a statement changes with in-place methods: ``p.add_(p.grad, alpha=-lr)``,
    ``p.sub_(lr * p.grad)``, ``p.mul_(1 - wd).add_(...)``, ``p.copy_(new)``. Not ``p.data.add_``
    nor ``p.grad.zero_()``: those never touch the graph."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if not isinstance(small, cst.Expr):
        return None
    node: cst.BaseExpression = small.value
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)):
        return None
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        method = node.func.attr.value
        if not method.endswith("_") or method.startswith("_"):
            return None
        node = node.func.value
    if not isinstance(node, _TARGETS) or (isinstance(node, cst.Attribute) and node.attr.value in ("data", "grad")):
        return None
    return _code(node)


def _changed(statement: cst.BaseStatement) -> Optional[str]:
    """The tensor an update statement changes, in either form (``p.add_(...)``, ``w -= ...``)."""
    update = _update(statement)
    return _inplace_update(statement) or (update[0] if update else None)


def _reads_grad(node: cst.CSTNode, name: str) -> bool:
    return any(_code(a.value) == name and a.attr.value == "grad" for a in descendants(node, cst.Attribute))


def _root(name: str) -> str:
    """``p`` for ``p``, ``self.w`` or ``params[k]``: the name the expression starts from."""
    return name.split(".", 1)[0].split("[", 1)[0]


def _binds(target: cst.BaseExpression, name: str) -> bool:
    """Does a for loop's target bind ``name`` (``p``, ``(name, p)``, ``p, v``)?"""
    return any(n.value == name for n in descendants(target, cst.Name))


def _zeroes_anywhere(source: SourceFile) -> bool:
    """Does the file zero gradients anywhere: ``zero_grad()``, ``x.grad.zero_()``, ``x.grad = None``?"""
    for call in descendants(source.module, cst.Call):
        if isinstance(call.func, cst.Attribute):
            if call.func.attr.value == "zero_grad":
                return True
            if call.func.attr.value in ("zero_", "detach_") and _code(call.func.value).endswith((".grad", ".grad.data")):
                return True
    return any(
        isinstance(t.target, cst.Attribute) and t.target.attr.value == "grad"
        for assign in descendants(source.module, cst.Assign)
        for t in assign.targets
    )


class ManualUpdate(Rule):
    code = "GF015"
    title = "manual update rebinds the weight or runs with grad on"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None:
            return self._loop_variable_rebound(trace, project)
        if crash.site is None or not any(c in crash.message for c in _CRASHES):
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
            return self._inplace_methods(trace, project, source, block, crashed[0]) or self._write_outside_forward(
                trace, project, source, crashed[0]
            )
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
        return [self.finding(project, crash.site, message, self._traced(trace, names), [candidate] if candidate else [], blocking=True)]

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        # Without an optimizer, gradients arriving proves little (they arrived before the fix too):
        # the parameters must change.
        verdict = judge(finding, candidate, before, run)
        if not verdict.verified or run.trace.crash is not None:
            return verdict
        claimed = finding.params if candidate.params is None else candidate.params
        stale = [n for n in claimed if not ((p := run.trace.param(n)) and p.changed)]
        if stale:
            return Verdict(False, f"{short_list(stale)} still never change")
        return Verdict(True, f"{short_list(claimed)} now receive gradients and change at each manual update", list(claimed))

    def _inplace_methods(
        self, trace: Trace, project: Project, source: SourceFile, block: cst.IndentedBlock, crashed: cst.BaseStatement
    ) -> list[Finding]:
        """``p.add_(p.grad, alpha=-lr)`` with grad on: torch refuses an in-place method on a
        trainable leaf. Evidence: that crash, after a backward, on a statement that changes a
        tensor in place in a block that reads the same tensor's ``.grad`` (a manual update, not an
        initialisation such as ``self.weight.normal_()``)."""
        crash = trace.crash
        assert crash is not None and crash.site is not None
        target = _inplace_update(crashed)
        if target is None or "NoneType" in crash.message or not trace.backwards or not _reads_grad(block, target):
            return []
        loop = source.parent(block)
        if isinstance(loop, cst.For) and _binds(loop.target, _root(target)) and not any(
            isinstance(c.func, cst.Attribute) and c.func.attr.value == "backward" for c in descendants(loop, cst.Call)
        ):
            # `for p in model.parameters(): p.add_(...)`: the whole loop is the update.
            group: list[cst.BaseStatement] = [loop]
            names = [target]
        else:
            body = list(block.body)
            start = end = body.index(crashed)

            def stepped(statement: cst.BaseStatement) -> bool:
                # an update of a tensor whose gradient the block reads: not `clip_grad_norm_(...)`
                # next to it, nor a momentum buffer (`v.mul_(0.9).add_(w.grad)`) that needs no guard
                name = _changed(statement)
                return name is not None and _reads_grad(block, name)

            while start > 0 and stepped(body[start - 1]):
                start -= 1
            while end + 1 < len(body) and stepped(body[end + 1]):
                end += 1
            group = body[start : end + 1]
            names = list(dict.fromkeys(n for n in map(_changed, group) if n))
        candidate = self._wrap(source, group, [n for n in names if _reads_grad(block, n)])
        message = (
            f"the script crashed: {crash.type}: {crash.message}; `{_code(crashed.with_changes(leading_lines=()))}` "
            f"updates a trainable leaf in place with gradients on; fix the update of {short_list(names)}"
        )
        return [self.finding(project, crash.site, message, self._traced(trace, names), [candidate] if candidate else [], blocking=True)]

    def _write_outside_forward(
        self, trace: Trace, project: Project, source: SourceFile, crashed: cst.BaseStatement
    ) -> list[Finding]:
        """``p[~mask] = 0.0`` or ``p.mul_(mask)`` on a parameter, outside any forward (pruning
        masks, weight clipping, a re-initialisation): a deliberate change of the weights, which
        torch refuses with gradients on. Evidence: the probe saw the refused op on a parameter,
        outside a module's forward, on the crashed line. The fix runs the statement (then, as a
        second candidate, the loop over the parameters around it) under ``torch.no_grad()``."""
        crash = trace.crash
        assert crash is not None and crash.site is not None
        if "leaf Variable" not in crash.message or not trace.backwards:
            return []  # before any backward it is an initialisation (`self.w.normal_()`), not training's
        refused = [e for e in trace.inplace_ops if e.leaf]
        if not refused:
            return []
        event = max(refused, key=lambda e: e.last)
        if event.in_forward or (event.site.file, event.site.line) != (crash.site.file, crash.site.line):
            return []  # in a forward it is GF023's
        if event.tensor is None or trace.param(event.tensor) is None:
            return []
        if not isinstance(crashed, cst.SimpleStatementLine) or len(crashed.body) != 1:
            return []
        small = crashed.body[0]
        written = None
        if isinstance(small, (cst.Assign, cst.AugAssign)):
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
            if len(targets) == 1 and isinstance(targets[0], cst.Subscript):
                written = _code(targets[0].value)  # `p[~mask] = 0.0`, `w[:, dead] *= 0`
        else:
            written = _inplace_update(crashed)  # `p.mul_(mask)`, `w.clamp_(-c, c)`
        if written is None:
            return []
        candidates = [c for c in [self._wrap(source, [crashed], [])] if c]
        # The innermost loop of the same function, when it binds the written tensor (`for name, p in
        # model.named_parameters(): ... p[~mask] = 0`): the whole loop is the weight change.
        loop = next((a for a in source.ancestors(crashed) if isinstance(a, (cst.For, cst.FunctionDef))), None)
        if isinstance(loop, cst.For) and _binds(loop.target, _root(written)):
            wider = self._wrap(source, [loop], [])
            if wider is not None:
                candidates.append(dataclasses.replace(wider, description=wider.description + " (the whole loop)"))
        message = (
            f"the script crashed: {crash.type}: {crash.message}; `{_code(crashed.with_changes(leading_lines=()))}` "
            f"writes into {event.tensor} in place with gradients on: a change of the weights themselves "
            "(a mask, a clip) belongs under torch.no_grad()"
        )
        return [self.finding(project, crash.site, message, [event.tensor], candidates, blocking=True)]

    def _wrap(self, source: SourceFile, group: list[cst.BaseStatement], stepped: list[str]) -> Optional[Candidate]:
        """The statements (or the loop) under ``torch.no_grad()``; each stepped tensor's gradient
        zeroed after, unless the file already zeroes gradients somewhere."""
        torch = module_alias(source, "torch")
        if torch is None:
            return None
        zero = [] if _zeroes_anywhere(source) else stepped
        first = group[0]
        inner: list[cst.BaseStatement] = [first.with_changes(leading_lines=()), *group[1:]]
        after = ""
        if isinstance(first, cst.For) and isinstance(first.body, cst.IndentedBlock):
            zeroing = [cst.parse_statement(f"{name}.grad.zero_()\n", config=source.module.config_for_parsing) for name in zero]
            inner = [first.with_changes(leading_lines=(), body=first.body.with_changes(body=[*first.body.body, *zeroing]))]
        else:
            indent = source.indentation(source.range(first).start.line)
            after = "".join(f"{indent}{name}.grad.zero_()\n" for name in zero)
        guarded = cst.With(
            items=[cst.WithItem(item=cst.parse_expression(f"{torch}.no_grad()", config=source.module.config_for_parsing))],
            body=cst.IndentedBlock(body=inner),
            leading_lines=first.leading_lines,
        )
        edit = source.replace_statement(first, guarded)
        _, last = source.statement_lines(group[-1], with_comments=False)
        end = max(edit.end, source.position(last))
        edit = Edit(edit.start, end, edit.replacement + after)
        return self.candidate(f"update in place under {torch}.no_grad()", source.path, [edit])

    def _loop_variable_rebound(self, trace: Trace, project: Project) -> list[Finding]:
        """``for p in model.parameters(): p = p - lr * p.grad`` rebinds the loop variable: no crash,
        and nothing ever changes. Evidence: backward runs again and again with no optimizer, the
        parameters get gradients and none of them changes."""
        if len(trace.backwards) < 2 or trace.optimizers:
            return []
        # Parameters only: an input tensor stepped along its gradient (FGSM) is rebound on purpose.
        trained = [p for p in trace.params if p.requires_grad and p.is_leaf and p.reached and (p.module is not None or p.is_parameter)]
        if not trained or any(p.changed for p in trained) or not any(p.got_grad for p in trained):
            return []
        files = sorted({trace.script, *(b.site.file for b in trace.backwards if b.site is not None)})
        findings = []
        for path in files:
            if not project.is_editable(path):
                continue
            source = project.source(path)
            for loop in descendants(source.module, cst.For):
                if not isinstance(loop.target, cst.Name) or not isinstance(loop.body, cst.IndentedBlock):
                    continue
                over = loop.iter
                if not (isinstance(over, cst.Call) and isinstance(over.func, cst.Attribute) and over.func.attr.value == "parameters"):
                    continue  # `for p in model.parameters()` only: other loops may rebind on purpose
                body = list(loop.body.body)
                rebinds = [i for i, statement in enumerate(body) if (u := _update(statement)) and u[0] == loop.target.value
                           and isinstance(statement.body[0], cst.Assign)]  # type: ignore[attr-defined]
                if not rebinds:
                    continue
                start = end = rebinds[0]
                while end < len(body) and _update(body[end]):
                    end += 1
                updates = [_update(s) for s in body[start:end]]
                candidate = self._candidate(source, body, start, end, updates)
                message = (
                    f"`{source.code(body[start]).strip()}` rebinds the loop variable to a new tensor: the "
                    f"parameters themselves never change, so {short_list(list(dict.fromkeys(p.name for p in trained)))} keep their initial values"
                )
                names = list(dict.fromkeys(p.name for p in trained))
                findings.append(self.finding(project, source.site(body[start]), message, names, [candidate] if candidate else []))
        return findings

    @staticmethod
    def _traced(trace: Trace, names: list[str]) -> list[str]:
        """The parameters as the trace names them. A tensor kept in a dict (``params[k]``) has no
        name of its own there: then every trainable leaf that backward reached."""
        known = {p.name for p in trace.params}
        return [n for n in names if n in known] or [
            p.name for p in trace.params if p.reached and p.requires_grad and p.is_leaf
        ]

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
