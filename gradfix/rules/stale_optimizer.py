"""GF010: the optimizer was built before the model, or a layer of it, was replaced.

``optimizer = SGD(model.parameters())`` followed by ``model = Net()`` again, or by
``model.fc = nn.Linear(...)``: the optimizer holds the parameters of the module that is gone, the
module that is trained has parameters no optimizer holds. They receive gradients and never change.
The fix moves the optimizer's construction to just after the replacing statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import libcst as cst

from gradfix.edits import Patch
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import OptimizerFact, Site, Trace


@dataclass
class _Replacement:
    trained: list[str]  # parameters of the new module: gradients, no optimizer
    site: Optional[Site] = None  # `model.fc = ...`: where the attribute was assigned
    rebound: Optional[str] = None  # `model = Net()` again: the name bound a second time


class StaleOptimizer(Rule):
    code = "GF010"
    title = "optimizer built before the model was replaced"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        unheld = [p.name for p in trace.params if p.got_grad and not p.optimizers and p.requires_grad]
        if not unheld:
            return []
        findings = []
        for optimizer in trace.optimizers:
            replacement = self._replacement(trace, optimizer, unheld)
            if replacement is None or optimizer.site is None or not project.is_editable(optimizer.site.file):
                continue
            source = project.source(optimizer.site.file)
            target = self._replacing_statement(source, optimizer.site, replacement)
            candidates = []
            where = "later"
            if target is not None:
                where = f"at line {source.range(target).start.line}"
                candidate = self._move(source, optimizer.site, target)
                if candidate is not None:
                    candidates.append(candidate)
            message = (
                f"the optimizer is built here, before the model is replaced {where}: it holds the old "
                f"parameters, and {short_list(replacement.trained)} receive gradients that no optimizer applies"
            )
            findings.append(self.finding(project, optimizer.site, message, replacement.trained, candidates))
        return findings

    @staticmethod
    def _replacement(trace: Trace, optimizer: OptimizerFact, unheld: list[str]) -> Optional[_Replacement]:
        held_modules = {p.module for p in trace.params if optimizer.id in p.optimizers}
        for attribute in trace.attributes:
            if attribute.kind != "module" or attribute.replaced is None or attribute.event < optimizer.built_event:
                continue
            prefix = f"{attribute.owner_name}.{attribute.attr}."
            trained = [n for n in unheld if n.startswith(prefix)]
            if trained and attribute.replaced in held_modules:
                return _Replacement(trained, site=attribute.site)
        for module in trace.modules:
            if module.name is None or module.created_event < optimizer.built_event:
                continue
            older = [m for m in trace.modules if m.name and m.name.startswith(f"{module.name}@") and m.id in held_modules]
            trained = [n for n in unheld if n.startswith(f"{module.name}.")]
            if older and trained:
                return _Replacement(trained, rebound=module.name)
        return None

    @staticmethod
    def _replacing_statement(source: SourceFile, built_at: Site, replacement: _Replacement) -> Optional[cst.BaseStatement]:
        if replacement.site is not None:
            if replacement.site.file != source.path:
                return None
            found = source.statements_on_line(replacement.site.line)
            return found[0] if found else None
        # The new module may be built inside a helper: the replacing statement is the rebinding.
        built = source.statements_on_line(built_at.line)
        block = source.parent(built[0]) if built else None
        body = list(getattr(block, "body", []))
        if not built or built[0] not in body:
            return None
        for later in body[body.index(built[0]) + 1 :]:
            if isinstance(later, cst.SimpleStatementLine):
                for small in later.body:
                    if isinstance(small, cst.Assign) and any(source.code(t.target) == replacement.rebound for t in small.targets):
                        return later
        return None

    def _move(self, source: SourceFile, built_at: Site, target: cst.BaseStatement) -> Optional[Candidate]:
        built = source.statements_on_line(built_at.line)
        if not built:
            return None
        statement = built[0]
        if not isinstance(statement, cst.SimpleStatementLine) or source.parent(statement) is not source.parent(target):
            return None
        if source.range(statement).start.line > source.range(target).start.line:
            return None
        start, end = source.statement_lines(statement, with_comments=True)
        after = source.range(target).end.line + 1
        return Candidate(
            description="build the optimizer after the replacement",
            patches=[
                Patch(source.path, [source.remove_statement(statement), source.insert_lines(after, source.text[start:end])])
            ],
            applicability=self.applicability,
        )
