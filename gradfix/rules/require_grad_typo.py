"""GF012: ``p.require_grad = ...`` (missing "s") sets an attribute torch never reads; so does
``module.requires_grad = True`` (or ``trainable = True``) on an ``nn.Module``.

The probe records every assignment to ``require_grad`` on a tensor with its line. Whatever the
script meant (to unfreeze parameters frozen earlier, or to freeze a loaded part) did not happen.
The fix renames the attribute to ``requires_grad``; the re-run must show the parameters with the
``requires_grad`` the script asked for (and, when it asked for True, receiving gradients).

An unfreeze (``= True``) is always reported: parameters meant to train stay frozen. A freeze
(``= False``) is reported only when what it meant to keep fixed trains after all: the tensor ends
the run requiring grad, receives a gradient and an optimizer holds it. On a tensor that never
required grad (``pe.require_grad = False`` on a position table registered as a buffer, a mask),
or one frozen for real on another line, or one no optimizer holds, the freeze the script wanted
holds: the typo is harmless and gradfix says nothing.

An unfreezing loop over a whole model also unfreezes parts the next phase never calls (the
decoders of a stacked autoencoder while its classifier fine-tunes): its fix is judged on the
parameters a loss reaches in the re-run (``Candidate.thaws``), and the verdict names the others.

On a module, ``requires_grad``/``require_grad``/``trainable`` are plain attributes: the module's
parameters keep their flag. The probe records such an assignment only when it says True while
some of the module's parameters are frozen, and the rule reports those still frozen at the end of
the run: the unfreeze did not happen. The fix calls ``module.requires_grad_(True)``. A module
"freeze" that does not freeze is left alone: which parameters should then stay fixed is a guess.
"""

from __future__ import annotations

import libcst as cst

from gradfix.edits import Patch
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile
from gradfix.trace import Trace
from gradfix.verify import judge


class RequireGradTypo(Rule):
    code = "GF012"
    title = "`require_grad` typo or `requires_grad =` on a module: torch ignores it"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        by_line: dict[tuple[str, int], list] = {}
        for typo in trace.typos:
            if typo.on_module and ((p := trace.param(typo.name)) is None or p.requires_grad):
                continue  # unfrozen later after all: the module attribute cost nothing
            if not typo.value and not _trained_anyway(trace, typo.name):
                continue  # the freeze the script wanted holds, or nothing trains it: harmless
            if project.is_editable(typo.site.file):
                by_line.setdefault((typo.site.file, typo.site.line), []).append(typo)
        findings = []
        for (path, line), typos in by_line.items():
            source = project.source(path)
            if typos[0].on_module:
                findings.append(self._module_flag(project, source, typos))
                continue
            nodes = [
                node
                for node in source.nodes_at(typos[0].site, cst.Attribute)
                if node.attr.value == "require_grad"
            ] or [
                node
                for node, where in source.positions.items()
                if isinstance(node, cst.Attribute) and node.attr.value == "require_grad" and where.start.line == line
            ]
            value = typos[-1].value
            names = list(dict.fromkeys(t.name for t in typos))
            candidates = []
            if nodes:
                edits = [source.replace_node(node.attr, cst.Name("requires_grad")) for node in nodes[:1]]
                candidates.append(
                    Candidate(
                        description="spell it requires_grad",
                        patches=[Patch(path, edits)],
                        applicability=self.applicability,
                        params=names,
                        thaws=bool(value),
                    )
                )
            intent = "unfreeze" if value else "freeze"
            message = (
                f"`require_grad = {value}` sets an attribute torch never reads: the {intent} of "
                f"{short_list(names)} did not happen"
            )
            findings.append(self.finding(project, typos[0].site, message, names, candidates))
        return findings

    def _module_flag(self, project: Project, source: SourceFile, typos: list) -> Finding:
        """``encoder.requires_grad = True``: call ``encoder.requires_grad_(True)`` instead."""
        site, attr = typos[0].site, typos[0].attr
        names = list(dict.fromkeys(t.name for t in typos))
        assigns = [
            node
            for statement in source.statements_on_line(site.line)
            if isinstance(statement, cst.SimpleStatementLine)
            for node in statement.body
            if isinstance(node, cst.Assign)
            and len(node.targets) == 1
            and isinstance(target := node.targets[0].target, cst.Attribute)
            and target.attr.value == attr
        ]
        candidates = []
        if len(assigns) == 1:
            node = assigns[0]
            target = node.targets[0].target
            assert isinstance(target, cst.Attribute)
            call = cst.Expr(
                cst.Call(cst.Attribute(target.value, cst.Name("requires_grad_")), [cst.Arg(node.value)])
            )
            candidates.append(
                Candidate(
                    description="call requires_grad_(True) on the module",
                    patches=[Patch(site.file, [source.replace_node(node, call)])],
                    applicability=self.applicability,
                    params=names,
                    thaws=True,
                )
            )
        message = (
            f"`{attr} = True` on a module sets a plain attribute; its parameters keep "
            f"requires_grad=False: the unfreeze of {short_list(names)} did not happen"
        )
        return self.finding(project, site, message, names, candidates)

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        intended = {t.name: t.value for t in before.typos if t.name in finding.params}
        after = run.trace
        if after.crash is not None and (before.crash is None or after.events <= before.events):
            return Verdict(False, f"the fixed script crashes: {after.crash.type}: {after.crash.message}")
        wrong = [n for n, v in intended.items() if (p := after.param(n)) is None or p.requires_grad != v]
        if wrong:
            return Verdict(False, f"requires_grad is still not what the script sets on {short_list(wrong)}")
        if any(intended.values()):
            return judge(finding, candidate, before, run)
        frozen = list(intended)
        return Verdict(True, f"{short_list(frozen)} are now frozen as the script intends (requires_grad=False)", [])


def _trained_anyway(trace: Trace, name: str) -> bool:
    """A misspelt freeze is gradfix's business only when what it meant to keep fixed trains: the
    tensor ends the run requiring grad, a loss gives it a gradient and an optimizer holds it. A
    tensor that never required grad (a position table, a mask, a buffer), one frozen for real on
    another line, or one no optimizer holds stays as the script wanted it."""
    p = trace.param(name)
    return p is not None and p.requires_grad and p.got_grad and bool(p.optimizers)
