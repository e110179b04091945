"""GF004: parameters frozen (``requires_grad = False``) by accident.

Freezing is often intended: a pretrained backbone whose weights were loaded first, or an
optimizer built from ``filter(lambda p: p.requires_grad, ...)``. The rule fires only on evidence
of an accident: the frozen parameters were never loaded (randomly initialised) and are still
handed to an optimizer, or every parameter of the model is frozen. The fix removes the freezing
statements (the whole loop when freezing is all it does). It changes what is trained, so it is
an unsafe fix: verified, but applied only with ``--unsafe-fixes`` or after review.
"""

from __future__ import annotations

import re

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.sandbox import RunResult
from gradfix.trace import ParamFact, Site, Trace
from gradfix.verify import judge

_ENCLOSING = (cst.For, cst.While, cst.If)
_RANDOM = re.compile(r"rand|normal|uniform|empty|kaiming|xavier|orthogonal|bernoulli|multinomial|init")


class AccidentalFreeze(Rule):
    code = "GF004"
    title = "parameters frozen by accident"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        # An optimizer that crashed because everything was frozen still shows the intent to train.
        crashed_building = trace.crash is not None and "empty parameter list" in trace.crash.message
        trains = bool(trace.backwards or trace.optimizers or crashed_building)
        if not trains:
            return []
        findings = []
        made: dict[tuple[str, int], bool] = {}  # one look per freezing line, however many parameters it froze

        def deterministic(site: Site) -> bool:
            if (site.file, site.line) not in made:
                made[(site.file, site.line)] = self._made_deterministic(project, site)
            return made[(site.file, site.line)]

        for module in trace.modules:
            params = trace.params_of(module.id)
            # A later attempt to unfreeze them (even a misspelt one) shows the freeze is a schedule.
            retried = {t.name for t in trace.typos}
            # A parameter that got a gradient or changed was trained at some point: its freeze is a
            # phase (a GAN's discriminator held still during the generator's step), not an accident.
            # A parameter frozen at a constant (a norm layer's 1s and 0s) is fixed on purpose, as
            # affine=False would: nothing random is being kept by mistake.
            frozen = [
                p for p in params
                if p.frozen_at and not p.requires_grad and p.name not in retried and not p.got_grad and not p.changed
                and not p.constant
            ]
            frozen = [p for p in frozen if not any(deterministic(site) for site in p.frozen_at)]
            if not frozen:
                continue
            tree = {module.id, *module.children}
            loaded = [m.path for m in trace.modules if m.id in tree and m.loaded and m.path]
            # Freezing what was loaded is fine-tuning; a fresh part frozen beside it may still be an accident.
            frozen = [p for p in frozen if not any(p.name.startswith(f"{path}.") for path in loaded)]
            if not frozen:
                continue
            handed = [p for p in frozen if p.optimizers]
            # A whole frozen model is an accident only when that broke training: the optimizer or
            # backward() crashed for lack of trainable parameters (a random frozen target
            # network, as in RND, is fine).
            everything = len(frozen) == len([p for p in params if not p.constant]) and trace.crash is not None and (
                "empty parameter list" in trace.crash.message or "does not require grad" in trace.crash.message
            )
            if not handed and not everything:
                continue  # the optimizer leaves the frozen parameters out: intentional
            if self._unfreezes_later(project, frozen):
                continue  # a warm-up schedule: the script turns gradients back on further on
            findings.append(self._finding(trace, project, frozen, everything, shared=self._shared_sites(trace, frozen)))
        return [f for f in findings if f is not None]

    @staticmethod
    def _unfreezes_later(project: Project, frozen: list[ParamFact]) -> bool:
        """The file that freezes also sets ``requires_grad`` back to True somewhere (maybe in a
        step the early stop did not reach, maybe misspelt): freezing is part of a schedule."""
        files = {site.file for p in frozen for site in p.frozen_at if project.is_editable(site.file)}
        for path in files:
            for node in project.source(path).positions:
                if isinstance(node, cst.Assign) and any(
                    isinstance(t.target, cst.Attribute) and t.target.attr.value in ("requires_grad", "require_grad")
                    for t in node.targets
                ) and isinstance(node.value, cst.Name) and node.value.value == "True":
                    return True
                if (
                    isinstance(node, cst.Call)
                    and isinstance(node.func, cst.Attribute)
                    and node.func.attr.value == "requires_grad_"
                    and (not node.args or (isinstance(node.args[0].value, cst.Name) and node.args[0].value.value == "True"))
                ):
                    return True
        return False

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        if not verdict.verified:
            return verdict
        # Unfreeze what was flagged and nothing else: a loaded encoder frozen beside it stays frozen.
        thawed = [
            p.name for p in before.params
            if not p.requires_grad and p.name not in finding.params and (now := run.trace.param(p.name)) and now.requires_grad
        ]
        if thawed:
            return Verdict(False, f"it also unfreezes {short_list(thawed)}")
        return verdict

    @staticmethod
    def _made_deterministic(project: Project, site: Site) -> bool:
        """``self.pos_embed.requires_grad = False`` where the file made it with
        ``self.pos_embed = nn.Parameter(sincos(...))``: given values (a fixed embedding, a Sobel
        filter), computed without anything random, are frozen on purpose."""
        if not project.is_editable(site.file):
            return False
        source = project.source(site.file)
        frozen = []
        for statement in source.statements_on_line(site.line):
            for node in descendants(statement, cst.Assign):
                for target in node.targets:
                    if isinstance(target.target, cst.Attribute) and target.target.attr.value == "requires_grad":
                        frozen.append(source.code(target.target.value))
            for call in descendants(statement, cst.Call):
                if isinstance(call.func, cst.Attribute) and call.func.attr.value == "requires_grad_":
                    frozen.append(source.code(call.func.value))
        if not frozen:
            return False
        made = [
            node.value for node in descendants(source.module, cst.Assign)
            if any(source.code(t.target) in frozen for t in node.targets)
        ]
        if len(made) != 1 or not isinstance(made[0], cst.Call):
            return False
        if not source.qualified_names(made[0].func) & {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}:
            return False
        calls = descendants(made[0], cst.Call)[1:]  # what the Parameter wraps
        named = {(c.func.attr.value if isinstance(c.func, cst.Attribute) else getattr(c.func, "value", "")) for c in calls}
        return bool(calls) and not any(_RANDOM.search(n) for n in named)

    @staticmethod
    def _bare_call(project: Project, site: Site) -> bool:
        statements = project.source(site.file).statements_on_line(site.line)
        return len(statements) == 1 and isinstance(statements[0], cst.SimpleStatementLine) and all(
            isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) for small in statements[0].body
        )

    @staticmethod
    def _shared_sites(trace: Trace, frozen: list[ParamFact]) -> set[tuple[str, int]]:
        """Freezing lines (and calls of freezing helpers) that also froze parameters left alone,
        such as a loaded encoder: removing them would unfreeze what was meant to stay frozen."""
        flagged = {p.name for p in frozen}
        return {
            (site.file, site.line)
            for p in trace.params
            if p.name not in flagged and not p.requires_grad
            for site in [*p.frozen_at, *p.frozen_callers]
        }

    def _finding(
        self, trace: Trace, project: Project, frozen: list[ParamFact], everything: bool, shared: set[tuple[str, int]]
    ) -> Finding | None:
        sites: dict[tuple[str, int], Site] = {}
        for p in frozen:
            for site in p.frozen_at:
                if project.is_editable(site.file):
                    sites.setdefault((site.file, site.line), site)
        if not sites:
            return None
        first = min(sites.values(), key=lambda s: (s.file != trace.script, s.file, s.line))
        names = [p.name for p in frozen]
        why = (
            "every parameter of the model is frozen"
            if everything
            else "they are randomly initialised (never loaded) yet handed to an optimizer"
        )
        message = f"requires_grad set to False on {short_list(names)}: {why}; they never receive a gradient"
        candidates = []
        description = "remove the statements that freeze them"
        if set(sites) & shared:
            # A helper that also froze what is meant to stay frozen: remove the call that chose these.
            callers = {(c.file, c.line): c for p in frozen for c in p.frozen_callers if project.is_editable(c.file)}
            # Only a call on a line of its own goes: `model.head = frozen(nn.Linear(...))` also builds
            # the head, and removing it would train another one.
            if not callers or set(callers) & shared or not all(self._bare_call(project, c) for c in callers.values()):
                message += "; the line that froze them also froze parameters that are meant to stay frozen, so the change is yours to make"
                return self.finding(project, first, message, names, [])
            sites, description = callers, "remove the call that freezes them"
            first = min(sites.values(), key=lambda s: (s.file != trace.script, s.file, s.line))
        patches = self._unfreeze(project, list(sites.values()))
        if patches:
            candidates.append(
                Candidate(
                    description=description,
                    patches=patches,
                    applicability=self.applicability,
                )
            )
        return self.finding(project, first, message, names, candidates)

    def _unfreeze(self, project: Project, sites: list[Site]) -> list[Patch]:
        by_file: dict[str, list[int]] = {}
        for site in sites:
            by_file.setdefault(site.file, []).append(site.line)
        patches = []
        for path, lines in sorted(by_file.items()):
            source = project.source(path)
            targets: dict[int, cst.BaseStatement] = {}
            for line in lines:
                for statement in source.statements_on_line(line):
                    if isinstance(statement, cst.SimpleStatementLine):
                        doomed = self._widen(source, statement, lines)
                        targets[id(doomed)] = doomed
            # A removed loop swallows the statements inside it.
            outer = [
                s for s in targets.values()
                if not any(a is not s and id(a) in targets for a in source.ancestors(s))
            ]
            edits: list[Edit] = [source.remove_statement(s) for s in outer]
            if edits:
                patches.append(Patch(path, sorted(edits, key=lambda e: e.start)))
        return patches

    @staticmethod
    def _widen(source: SourceFile, statement: cst.BaseStatement, freeze_lines: list[int]) -> cst.BaseStatement:
        """The loop (or ``if``) around a freezing statement, when freezing is all it does: removing
        only the statement would leave an empty block."""
        current = statement
        while True:
            block = source.parent(current)
            compound = source.parent(block) if block is not None else None
            if not isinstance(compound, _ENCLOSING) or not isinstance(block, cst.IndentedBlock):
                return current
            if getattr(compound, "orelse", None) is not None:
                return current
            if not all(s is current or source.range(s).start.line in freeze_lines for s in block.body):
                return current
            current = compound
