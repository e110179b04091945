"""GF077: a compiled model differentiated twice: forces taken as ``-dE/dpos`` with
``create_graph=True`` from a ``torch.compile``d energy model, a gradient penalty or an eikonal term
through a compiled network. ``loss.backward()`` then needs a double backward through the
AOTAutograd graph and raises "torch.compile with aot_autograd does not currently support double
backward"; nothing trains.

The crash is read from the run (torch's own message). The rule finds, in the files that built the
run's modules or raised, where the script compiles: ``model.compile(...)`` on a line of its own,
``x = torch.compile(model, ...)`` and ``@torch.compile`` on a function. One candidate per place,
and all together: the line goes (``model.compile()``), the call gives back what it was given
(``net = torch.compile(net)`` goes, ``self.net = torch.compile(net)`` becomes ``self.net = net``),
the decorator goes. The re-run decides. The model then runs eagerly: the same values, without the
compiler's speed-up, so the fix is unsafe for a script that relies on it to fit its time budget.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_MESSAGE = "does not currently support double backward"
_COMPILE = {"torch.compile"}


def _uncompiled(source: SourceFile, call: cst.Call) -> Optional[tuple[str, Edit]]:
    """The edit that stops this call compiling, and what it says."""
    parent = source.parent(call)
    shown = source.code(call)
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "compile" and not source.qualified_names(call.func) & _COMPILE:
        # `model.compile(...)`: nn.Module.compile, on a line of its own
        statement = source.statement_of(call)
        if isinstance(parent, cst.Expr) and isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
            return f"remove `{shown}`", source.remove_statement(statement)
        return None
    if not source.qualified_names(call.func) & _COMPILE:
        return None
    if isinstance(parent, cst.Decorator):
        where = source.range(parent)
        return f"remove `@{shown}`", source.remove_lines(where.start.line, where.end.line)
    if not call.args or call.args[0].keyword is not None or call.args[0].star:
        return None
    model = call.args[0].value
    return f"use `{source.code(model)}` as it is, not `{shown}`", source.replace_node(call, model)


class CompiledDoubleBackward(Rule):
    code = "GF077"
    title = "compiled model differentiated twice"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message or "compile" not in crash.message:
            return []
        candidates: list[Candidate] = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for call in descendants(source.module, cst.Call):
                made = _uncompiled(source, call)
                if made is not None:
                    candidates.append(self.candidate(made[0], path, [made[1]]))
            decorated = [
                d for d in descendants(source.module, cst.Decorator)
                if not isinstance(d.decorator, cst.Call) and source.qualified_names(d.decorator) & _COMPILE
            ]
            for decorator in decorated:  # a bare `@torch.compile`, no call
                where = source.range(decorator)
                candidates.append(self.candidate(f"remove `@{source.code(decorator.decorator)}`", path, [source.remove_lines(where.start.line, where.end.line)]))
        together = self.together(candidates, f"all {len(candidates)} of them")
        if together is not None:
            candidates.append(together)
        message = (
            f"the script crashed: {crash.type}: a loss built from a gradient taken with create_graph=True needs a double "
            "backward through a compiled model, which torch.compile's AOTAutograd does not support; nothing trains"
        )
        params = trace.meant_to_train()
        # The compiled wrapper names its model's parameters `..._orig_mod....`; run eagerly, the
        # model is that inner module again, and the re-run is judged on those names.
        eager = [name.replace("._orig_mod.", ".").removeprefix("_orig_mod.") for name in params]
        candidates = [dataclasses.replace(c, params=eager) for c in candidates]
        return [self.finding(project, crash.site, message, params, candidates, blocking=True)]
