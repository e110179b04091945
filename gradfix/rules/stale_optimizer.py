"""GF010: the optimizer was built before the model, or a layer of it, was replaced.

``optimizer = SGD(model.parameters())`` followed by ``model = Net()`` again, or by
``model.fc = nn.Linear(...)``: the optimizer holds the parameters of the module that is gone, the
module that is trained has parameters no optimizer holds. They receive gradients and never change.
The fix moves the optimizer's construction to just after the replacing statement.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Patch
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import OptimizerFact, Site, Trace


class StaleOptimizer(Rule):
    code = "GF010"
    title = "optimizer built before the model was replaced"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        unheld = [p for p in trace.params if p.got_grad and not p.optimizers and p.requires_grad]
        if not unheld:
            return []
        for optimizer in trace.optimizers:
            held_modules = {p.module for p in trace.params if optimizer.id in p.optimizers}
            replacement = self._replacement(trace, optimizer, held_modules, [p.name for p in unheld])
            if replacement is None or optimizer.site is None:
                continue
            site, trained = replacement
            if not (project.is_editable(site.file) and project.is_editable(optimizer.site.file)):
                continue
            candidates = []
            if site.file == optimizer.site.file:
                candidate = self._move(project.source(site.file), optimizer.site, site)
                if candidate is not None:
                    candidates.append(candidate)
            message = (
                f"the optimizer was built at line {optimizer.site.line}, before the model was replaced at "
                f"line {site.line}: it holds the old parameters; {short_list(trained)} receive gradients "
                "but no optimizer holds them"
            )
            findings.append(self.finding(project, optimizer.site, message, trained, candidates))
        return findings

    @staticmethod
    def _replacement(
        trace: Trace, optimizer: OptimizerFact, held_modules: set, unheld: list[str]
    ) -> Optional[tuple[Site, list[str]]]:
        for attribute in trace.attributes:
            if attribute.kind != "module" or attribute.replaced is None or attribute.event < optimizer.built_event:
                continue
            prefix = f"{attribute.owner_name}.{attribute.attr}."
            trained = [n for n in unheld if n.startswith(prefix)]
            old_is_held = any(p.module == attribute.replaced for p in trace.params if optimizer.id in p.optimizers)
            if trained and old_is_held and attribute.site is not None:
                return attribute.site, trained
        for module in trace.modules:
            if module.name is None or module.site is None or module.created_event < optimizer.built_event:
                continue
            older = [
                m for m in trace.modules
                if m.name and m.name.startswith(f"{module.name}@") and m.id in held_modules
            ]
            trained = [n for n in unheld if n.startswith(f"{module.name}.")]
            if older and trained:
                return module.site, trained
        return None

    def _move(self, source: SourceFile, optimizer_site: Site, replacement_site: Site) -> Optional[Candidate]:
        built = source.statements_on_line(optimizer_site.line)
        replacing = source.statements_on_line(replacement_site.line)
        if not built or not replacing:
            return None
        statement, target = built[0], replacing[0]
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
