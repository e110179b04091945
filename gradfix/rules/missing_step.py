"""GF014: backward() runs but no optimizer ever steps.

The step was forgotten, only ``scheduler.step()`` is called, or ``optimizer.step()`` sits under a
condition that is never true. Gradients are computed and thrown away; nothing updates. The fix
inserts ``<optimizer>.step()`` right after the ``backward()`` line, naming the optimizer as it is
bound where backward runs. Evaluation-only scripts never call backward, and a single backward (a
gradient check, a demo) is no training loop: neither is flagged.
"""

from __future__ import annotations

import libcst as cst

from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.trace import Trace


class MissingStep(Rule):
    code = "GF014"
    title = "backward() runs but no optimizer step does"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        # One backward is a gradient check or a demo; a loop of them that never steps is training
        # whose updates were forgotten.
        if len(trace.backwards) < 2 or not trace.optimizers or trace.steps or trace.crash is not None:
            return []
        backward = trace.backwards[-1]
        if backward.site is None or not project.is_editable(backward.site.file):
            return []
        source = project.source(backward.site.file)
        calls = source.nodes_at(backward.site, cst.Call)
        statement = source.statement_of(calls[0]) if calls else None
        if not isinstance(statement, cst.SimpleStatementLine):
            return []
        reached = set(backward.reached)
        # Optimizers holding what this backward reaches come first; the re-run decides.
        ranked = sorted(
            backward.scope_optimizers.items(),
            key=lambda item: -len(reached & set(trace.optimizers[item[1]].params)),
        )
        end_line = source.range(statement).end.line
        indent = source.indentation(source.range(statement).start.line)
        candidates = [
            self.candidate(f"call {name}.step() after backward()", source.path, [source.insert_lines(end_line + 1, f"{indent}{name}.step()\n")], [p for p in trace.optimizers[index].params if p in reached] or None)
            for name, index in ranked
        ]
        held = [p for o in trace.optimizers for p in o.params]
        message = (
            f"backward() ran {len(trace.backwards)} time(s) but no optimizer.step() did; "
            f"{short_list(held)} receive gradients and never change"
        )
        return [self.finding(project, backward.site, message, held, candidates)]
