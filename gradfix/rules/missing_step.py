"""GF014: backward() runs but no optimizer ever steps.

The step was forgotten, only ``scheduler.step()`` is called, or ``optimizer.step()`` sits under a
condition that is never true. Gradients are computed and thrown away; nothing updates. The fix
inserts ``<optimizer>.step()`` right after the ``backward()`` line, naming the optimizer as it is
bound where backward runs. Evaluation-only scripts never call backward, and a single backward (a
gradient check, a demo) is no training loop: neither is flagged.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace


def _function_of(source: SourceFile, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
    return next((a for a in source.ancestors(node) if isinstance(a, cst.FunctionDef)), None)


class MissingStep(Rule):
    code = "GF014"
    title = "backward() runs but no optimizer step does"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        # One backward is a gradient check or a demo; a loop of them that never steps is training
        # whose updates were forgotten.
        if len(trace.backwards) < 2 or not trace.optimizers or trace.steps or trace.crash is not None:
            return []
        if any(p.reached and p.got_grad and p.module is None and not p.is_parameter for p in trace.params):
            return []  # backward for the gradient of an input (saliency maps, attacks): no step is wanted
        backward = trace.backwards[-1]
        if backward.site is None or not project.is_editable(backward.site.file):
            return []
        source = project.source(backward.site.file)
        calls = source.nodes_at(backward.site, cst.Call)
        statement = source.statement_of(calls[0]) if calls else None
        if not isinstance(statement, cst.SimpleStatementLine):
            return []
        held = [p for o in trace.optimizers for p in o.params]
        names = set(backward.scope_optimizers)
        # Only what is written where backward runs: a step in a helper nobody calls is as good as none.
        home = _function_of(source, statement)
        uncalled = [a for a in self._uncalled_steps(source, names) if _function_of(source, a) is home]
        if uncalled:
            return [self._call_it(project, source, uncalled, held)]
        written = [c for c in self._steps_in_code(source, names) if _function_of(source, c) is home]
        if written:
            return [self._never_ran(trace, project, source, written[0], held)]
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
        message = (
            f"backward() ran {len(trace.backwards)} time(s) but no optimizer.step() did; "
            f"{short_list(held)} receive gradients and never change"
        )
        return [self.finding(project, backward.site, message, held, candidates)]

    @staticmethod
    def _steps_in_code(source: SourceFile, names: set[str]) -> list[cst.Call]:
        """``<optimizer>.step()`` calls written in the file, for the names bound where backward ran."""
        return [
            call
            for call in descendants(source.module, cst.Call)
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "step" and source.code(call.func.value) in names
        ]

    def _never_ran(self, trace: Trace, project: Project, source: SourceFile, step: cst.Call, held: list[str]) -> Finding:
        """The step is written but never ran: its condition was never true, or its branch never
        reached. Inserting another step would change the schedule the author wrote (an
        accumulation would then step every batch), so gradfix explains and leaves the fix to them."""
        condition = next((a for a in source.ancestors(step) if isinstance(a, (cst.If, cst.While))), None)
        site = source.site(condition if condition is not None else step)
        count = len(trace.backwards)
        stopped = " (gradfix stopped the run there)" if trace.stopped_early else ""
        if condition is None:
            where = f"where the run never went in its {count} backward passes{stopped}"
        else:
            keyword = "if" if isinstance(condition, cst.If) else "while"
            test = source.code(condition.test)
            in_else = condition.orelse is not None and any(a is condition.orelse for a in source.ancestors(step))
            where = (
                f"in the `else` of `{keyword} {test}`, whose condition held in all {count} backward passes{stopped}" if in_else
                else f"under `{keyword} {test}`, which held in none of the {count} backward passes{stopped}"
            )
        one = len(held) == 1
        message = (
            f"{source.code(step)} at line {source.range(step).start.line} never ran: it sits {where}; "
            f"{short_list(held)} {'receives' if one else 'receive'} gradients and never {'changes' if one else 'change'}"
        )
        return self.finding(project, site, message, held)

    @staticmethod
    def _uncalled_steps(source: SourceFile, names: set[str]) -> list[cst.Attribute]:
        """``optimizer.step`` alone on a line: the method is looked up and never called."""
        return [
            small.value
            for line in descendants(source.module, cst.SimpleStatementLine)
            for small in line.body
            if isinstance(small, cst.Expr)
            and isinstance(small.value, cst.Attribute)
            and small.value.attr.value == "step"
            and source.code(small.value.value) in names
        ]

    def _call_it(self, project: Project, source: SourceFile, uncalled: list[cst.Attribute], held: list[str]) -> Finding:
        edits = [source.replace_node(attribute, cst.Call(func=attribute)) for attribute in uncalled]
        site = source.site(uncalled[0])
        code = source.code(uncalled[0])
        message = f"`{code}` names the method without calling it (no parentheses), so {short_list(held)} never change"
        return self.finding(project, site, message, held, [self.candidate(f"call it: {code}()", source.path, edits)])
