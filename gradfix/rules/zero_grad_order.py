"""GF009: ``zero_grad()`` between ``backward()`` and ``step()``.

The gradients are computed and then wiped before the optimizer reads them, so every step sees
no gradient and nothing changes. The probe records the order of backward, zero_grad and step
calls and whether any held parameter had a non-zero gradient at each step. The fix moves the
``zero_grad()`` statement to the top of its block, before the forward and backward; when the same
call is already there, it deletes the second one.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Patch
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import CallEvent, Trace


def _wiping_zero_grad(trace: Trace, optimizer: int) -> Optional[CallEvent]:
    """A zero_grad that came after the last backward and before this optimizer's step."""
    pending: Optional[CallEvent] = None
    after_backward = False
    for event in trace.order:
        if event.kind == "backward":
            after_backward, pending = True, None
        elif event.kind == "zero_grad" and after_backward and event.optimizer in (None, optimizer):
            pending = event
        elif event.kind == "step" and event.optimizer == optimizer and pending is not None:
            return pending
    return None


def _same_call(source: SourceFile, one: cst.BaseStatement, other: cst.SimpleStatementLine) -> bool:
    """The same statements, whatever the comments and spacing around them."""
    if not isinstance(one, cst.SimpleStatementLine):
        return False
    return [source.code(s) for s in one.body] == [source.code(s) for s in other.body]


class ZeroGradOrder(Rule):
    code = "GF009"
    title = "zero_grad() between backward() and step()"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for optimizer in trace.optimizers:
            if not optimizer.steps or optimizer.steps_without_grad < optimizer.steps:
                continue
            held = [trace.param(n) for n in optimizer.params]
            if not any(p is not None and p.got_grad for p in held):
                continue
            event = _wiping_zero_grad(trace, optimizer.id)
            if event is None or event.site is None or not project.is_editable(event.site.file):
                continue
            source = project.source(event.site.file)
            calls = source.nodes_at(event.site, cst.Call)
            statement = source.statement_of(calls[0]) if calls else None
            candidates = []
            block = source.parent(statement) if statement is not None else None
            if isinstance(statement, cst.SimpleStatementLine) and isinstance(block, cst.IndentedBlock):
                first = block.body[0]
                before = list(block.body[: block.body.index(statement)])
                if any(_same_call(source, s, statement) for s in before):
                    # Already cleared at the top of the block: the second call is a leftover.
                    candidates.append(self.candidate(
                        "delete the second zero_grad(): the one before the forward already clears the gradients",
                        source.path, [source.remove_statement(statement)],
                    ))
                elif first is not statement:
                    start, end = source.statement_lines(statement, with_comments=True)
                    moved = source.text[start:end]
                    top, _ = source.statement_lines(first, with_comments=True)
                    candidates.append(
                        Candidate(
                            description="call zero_grad() first, before the forward and backward",
                            patches=[
                                Patch(
                                    source.path,
                                    [
                                        source.insert_lines(source.position(top).line, moved),
                                        source.remove_statement(statement, moved=True),
                                    ],
                                )
                            ],
                            applicability=self.applicability,
                        )
                    )
            names = [n for n in optimizer.params]
            message = (
                f"zero_grad() runs after backward() and before step(): every step of the optimizer "
                f"sees no gradient, so {short_list(names)} never change"
            )
            findings.append(self.finding(project, event.site, message, names, candidates))
        return findings
