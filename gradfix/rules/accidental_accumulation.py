"""GF030: gradients pile up by accident: nothing clears them between optimizer steps.

``backward()`` adds into ``.grad``; only ``zero_grad()`` (of the optimizer or of the model),
``p.grad = None`` or ``p.grad.zero_()`` take the old values away. With no clear at all, a clear
once per epoch instead of per batch, a clear only in the first batch's ``if``, a clear on the other
model of two, or ``optimizer.zero_grad`` written without its parentheses, every step applies the
sum of all earlier batches' gradients again, and the loss wanders instead of falling.

The probe watches, for a few parameters of each optimizer, the gradient tensor a ``step()`` has
just applied. A backward() that adds onto that very tensor (same object, changed only by the
backward) counts when the next ``step()`` of that optimizer then applies it, still uncleared.
Intended accumulation (several backward() calls, then a step, then a clear) never counts: the
clear comes after the step. Neither does a GAN's generator loss adding onto the discriminator's
gradients that the discriminator's ``zero_grad()`` clears before its own step.

The candidate fixes: call a ``<optimizer>.zero_grad`` that was written without parentheses; insert
``<optimizer>.zero_grad()`` right before the ``backward()`` statement; insert it right after the
``step()`` statement (tried first when the step sits in a branch of its own, as in accumulation
every N batches). ``<optimizer>`` is the expression the script steps the optimizer with. Of several
backward() calls that added onto the gradients, the clear goes before the first one written before
the step (a GAN's discriminator loss, not the generator's that follows the step); a backward after
the step that adds onto them rules out the clear after the step. The re-run must show no backward()
adding onto applied gradients any more, and the parameters still changing.
"""

from __future__ import annotations

import os
from typing import Optional

import libcst as cst

from gradfix.edits import Edit, Position
from gradfix.expressions import dotted_path
from gradfix.findings import Applicability, Candidate, Finding, Verdict
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import BackwardFact, OptimizerFact, Site, Trace
from gradfix.verify import judge

MAX_CANDIDATES = 6


def _loop_of(source: SourceFile, node: cst.CSTNode) -> cst.CSTNode:
    """The outermost loop around a node in its own function (the epoch loop), else the function."""
    outer: cst.CSTNode = source.enclosing_scope(node)
    found: Optional[cst.CSTNode] = None
    for ancestor in source.ancestors(node):
        if ancestor is outer:
            break
        if isinstance(ancestor, (cst.For, cst.While)):
            found = ancestor
    return found or outer


def _line_statement(source: SourceFile, call: cst.Call) -> Optional[cst.SimpleStatementLine]:
    """The statement line of a call, when it sits in an indented block or at module level (not in
    a one-line ``if x: step()``, where a line inserted beside it would run unconditionally)."""
    statement = source.statement_of(call)
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    return statement if isinstance(source.parent(statement), (cst.IndentedBlock, cst.Module)) else None


def _calls(source: SourceFile, site: Site, method: str) -> list[cst.Call]:
    """The ``<x>.step()`` or ``<x>.backward()`` calls at a site: a user helper that steps inside
    a library (``trainer.update()``) names no optimizer to clear."""
    return [
        c for c in source.nodes_at(site, cst.Call)
        if isinstance(c.func, cst.Attribute) and c.func.attr.value == method
    ]


def _backward_to_clear_before(optimizer: OptimizerFact) -> Optional[Site]:
    """Of the backward() calls that added onto the applied gradients, the one the clear belongs
    before: the first, in the code, of those written before the step in the same function (a GAN
    without the discriminator's clear: its own loss's backward, not the generator's that follows
    its step), else the first that ran."""
    step = optimizer.stale_step_site
    sites = optimizer.stale_backward_sites
    if step is None or not sites:
        return None
    before = [
        s for s in sites
        if s.file == step.file and s.function == step.function and (s.line, s.column or 0) < (step.line, step.column or 0)
    ]
    return min(before, key=lambda s: (s.line, s.column or 0)) if before else sites[0]


class AccidentalAccumulation(Rule):
    code = "GF030"
    title = "gradients accumulate by accident: nothing clears them between steps"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for optimizer in trace.optimizers:
            if not optimizer.stale_backwards or optimizer.stale_step_site is None:
                continue
            if not project.is_editable(optimizer.stale_step_site.file):
                continue
            finding = self._finding(trace, project, optimizer)
            if finding is not None:
                findings.append(finding)
        return findings

    def _finding(self, trace: Trace, project: Project, optimizer: OptimizerFact) -> Optional[Finding]:
        step_site = optimizer.stale_step_site
        assert step_site is not None
        source = project.source(step_site.file)
        steps = _calls(source, step_site, "step")
        backward_site = _backward_to_clear_before(optimizer)
        backward = next((b for b in trace.backwards if b.site is not None and backward_site is not None and b.site.same_place(backward_site)), None)
        name = self._stepped_with(steps[-1], backward, optimizer) if steps else None
        candidates: list[Candidate] = []
        if steps:
            candidates = self._candidates(project, source, steps[-1], backward_site, backward, optimizer, name)
        params = [n for n in optimizer.params if (p := trace.param(n)) is not None and p.got_grad and p.requires_grad]
        shown = f"`{source.code(steps[-1])}`" if steps else "step()"
        count = optimizer.stale_backwards
        places = [
            f"{s.line}" if s.file == step_site.file else f"{s.line} of {os.path.basename(s.file)}"
            for s in optimizer.stale_backward_sites
        ]
        where = f" at line{'s' if len(places) > 1 else ''} {', '.join(places)}" if places else ""
        message = (
            f"{shown} applies gradients that an earlier step already applied: {count} backward() "
            f"call{'s' if count != 1 else ''}{where} added onto the gradients of the step before, and nothing "
            f"cleared them in between (no zero_grad() of this optimizer or of its model), so a step applies "
            f"the gradients of earlier batches again"
        )
        return self.finding(project, step_site, message, params, candidates)

    @staticmethod
    def _stepped_with(step: cst.Call, backward: Optional[BackwardFact], optimizer: OptimizerFact) -> Optional[str]:
        """The expression the script steps this optimizer with: ``optimizer`` in ``optimizer.step()``,
        or in ``scaler.step(optimizer)``. Names the probe saw bound to this very optimizer win."""
        assert isinstance(step.func, cst.Attribute)
        receiver = dotted_path(step.func.value)
        positional = [a.value for a in step.args if a.keyword is None and not a.star]
        argument = dotted_path(positional[0]) if positional else None
        bound = {n for n, index in backward.scope_optimizers.items() if index == optimizer.id} if backward is not None else set()
        for name in (receiver, argument):
            if name is not None and name in bound:
                return name
        if not positional:
            return receiver  # the step() ran on what it was called on
        return None

    def _candidates(
        self,
        project: Project,
        source: SourceFile,
        step: cst.Call,
        backward_site: Optional[Site],
        backward: Optional[BackwardFact],
        optimizer: OptimizerFact,
        name: Optional[str],
    ) -> list[Candidate]:
        backward_source = project.source(backward_site.file) if backward_site is not None and project.is_editable(backward_site.file) else None
        backward_calls = _calls(backward_source, backward_site, "backward") if backward_source is not None and backward_site is not None else []
        backward_call = backward_calls[-1] if backward_calls else None

        # A `zero_grad` looked up and never called, where this loop (or its helper) runs.
        scopes: list[tuple[SourceFile, cst.CSTNode]] = [(source, _loop_of(source, step))]
        if backward_source is not None and backward_call is not None:
            scopes.append((backward_source, _loop_of(backward_source, backward_call)))
        bare: list[Candidate] = []
        seen: set[tuple[str, int, int]] = set()
        for file, scope in scopes:
            for expr in descendants(scope, cst.Expr):
                value = expr.value
                if not (isinstance(value, cst.Attribute) and value.attr.value == "zero_grad" and dotted_path(value.value)):
                    continue
                where = file.range(value)
                if (file.path, where.start.line, where.start.column) in seen:
                    continue
                seen.add((file.path, where.start.line, where.start.column))
                end = Position(where.end.line, where.end.column)
                bare.append(self.candidate(
                    f"call `{file.code(value)}()`: without parentheses the line only looks the method up, and clears nothing",
                    file.path, [Edit(end, end, "()")],
                ))

        if name is None:
            return bare[:MAX_CANDIDATES]
        clear = f"{name}.zero_grad()"
        before: list[Candidate] = []
        backward_statement = _line_statement(backward_source, backward_call) if backward_source is not None and backward_call is not None else None
        if backward_statement is not None and backward_source is not None and backward_call is not None:
            same_function = backward_source.path == source.path and backward_source.enclosing_scope(backward_call) is source.enclosing_scope(step)
            bound = backward is not None and backward.scope_optimizers.get(name) == optimizer.id
            if same_function or bound:
                line = backward_source.range(backward_statement).start.line
                indent = backward_source.indentation(line)
                before.append(self.candidate(
                    f"clear the gradients with `{clear}` before `{backward_source.code(backward_call)}`",
                    backward_source.path, [backward_source.insert_lines(line, f"{indent}{clear}\n")],
                ))
        after: list[Candidate] = []
        step_statement = _line_statement(source, step)
        step_site = optimizer.stale_step_site
        # A backward() written after the step that adds onto its gradients too (a GAN's generator
        # loss going through the discriminator) would still leak into the next step.
        leaks = step_site is not None and any(
            s.file == step_site.file and s.function == step_site.function and s.line > step_site.line
            for s in optimizer.stale_backward_sites
        )
        if step_statement is not None and not leaks:
            where = source.range(step_statement)
            indent = source.indentation(where.start.line)
            after.append(self.candidate(
                f"clear the gradients with `{clear}` after `{source.code(step)}`",
                source.path, [source.insert_lines(where.end.line + 1, f"{indent}{clear}\n")],
            ))
        # A step in a branch of its own (every N batches) keeps its accumulation when the clear
        # follows it; a clear before every backward would undo it.
        apart = (
            backward_statement is not None and step_statement is not None
            and backward_source is source and source.parent(backward_statement) is not source.parent(step_statement)
        )
        ordered = bare + (after + before if apart else before + after)
        return ordered[:MAX_CANDIDATES]

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        if not verdict.verified or verdict.partial:
            return verdict
        # The finding's optimizer: the one whose backward() calls added onto applied gradients
        # and that holds the finding's parameters (optimizers keep their order from run to run).
        mine = [o for o in before.optimizers if o.stale_backwards and set(finding.params) <= set(o.params)]
        for old in mine:
            new = run.trace.optimizers[old.id] if old.id < len(run.trace.optimizers) else None
            if new is None or new.cls != old.cls or not new.steps:
                return Verdict(False, f"the optimizer built at line {old.site.line if old.site else '?'} no longer steps")
            if new.stale_backwards:
                return Verdict(False, f"backward() still adds onto gradients an earlier step applied ({new.stale_backwards} times)")
        return Verdict(True, f"each step now applies its own backward()'s gradients only; {verdict.reason}", verdict.trained)
