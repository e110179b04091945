"""GF035: an optimizer's step() ran between a forward and the backward() that still needs it.

Two losses share one forward: a GAN's generator loss built on ``pred_fake = netD(fake)`` that the
discriminator loss used too, an actor and a critic on one trunk, two task heads with an optimizer
each. The first loss's ``backward()`` and ``step()`` run, and ``step()`` updates the weights in
place; the second loss's ``backward()`` then needs the weights as the forward saw them, and
autograd raises ``one of the variables needed for gradient computation has been modified by an
inplace operation: [torch.FloatTensor [1, 32, 3, 3]] is at version 2; expected version 1``.

The probe records which parameters each step() changed (versions before and after), matches the
message's shape and version to a parameter the crashed loss reaches, and names the module calls
whose outputs that loss uses. The fix runs that forward again right after the step, with the
statements between it and the step that the loss is built from (moved when nothing before the step
reads them, copied otherwise), as a GAN's G step does after the D step. A later candidate moves the
step() after that backward. The re-run decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import BindsAndReads, SourceFile
from gradfix.trace import Site, StepBeforeBackward, Trace

_Block = Union[cst.IndentedBlock, cst.Module]


_Uses = BindsAndReads  # the names (and attribute paths such as ``self.pred``) a statement binds and reads

def _overlap(a: set[str], b: set[str]) -> bool:
    """Do two sets of paths touch (``pred`` and ``pred.mean``, ``self`` and ``self.pred``)?"""
    return any(x == y or x.startswith(y + ".") or y.startswith(x + ".") for x in a for y in b)


def _without(paths: set[str], bound: set[str]) -> set[str]:
    """``paths`` minus those a binding of ``bound`` replaces."""
    return {p for p in paths if not any(p == b or p.startswith(b + ".") for b in bound)}


@dataclass
class _Unit:
    """A statement of the block, with what it binds and reads."""

    node: cst.BaseStatement
    binds: set[str]
    reads: set[str]


def _units(block: _Block) -> list[_Unit]:
    units = []
    for statement in block.body:
        uses = _Uses()
        statement.visit(uses)
        units.append(_Unit(statement, uses.binds, uses.reads))
    return units


def _block_of(source: SourceFile, node: cst.CSTNode) -> list[tuple[_Block, cst.BaseStatement]]:
    """The blocks around a node, innermost first, each with the statement of it that holds the node."""
    found = []
    child: cst.CSTNode = node
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, (cst.IndentedBlock, cst.Module)) and isinstance(child, cst.BaseStatement):
            found.append((ancestor, child))
        child = ancestor
    return found


def _calls_at(source: SourceFile, site: Site) -> list[cst.Call]:
    return source.nodes_at(site, cst.Call)


class StepBetweenForwardAndBackward(Rule):
    code = "GF035"
    title = "optimizer step between a forward and the backward that needs it"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash, fact = trace.crash, trace.stepped_before_backward
        if crash is None or fact is None or "modified by an inplace operation" not in crash.message:
            return []
        placed = self._place(project, fact)
        if placed is None:
            return []
        source, block, forwards, step, backward, graphless = placed
        units = _units(block)
        candidates: list[Candidate] = []
        step_site = fact.step_sites[0] if fact.step_sites else None
        rerun = self._run_again(source, units, forwards, step, backward, graphless, step_site)
        if rerun is not None:
            candidates.append(rerun)
        later = self._step_later(source, block, units, fact, step, backward)
        if later is not None:
            candidates.append(later)

        def quoted(index: int, site: Optional[Site] = None) -> str:
            node = units[index].node
            return f"`{self._quote(source, node, site)}` (line {source.range(node).start.line})"

        # The crashed backward's own reach is recorded only when it succeeds: what any loss reached.
        params = [
            p.name for p in trace.params
            if p.reached and p.requires_grad and p.is_leaf and (p.optimizers or not trace.optimizers)
        ]
        backward_site = fact.backward_sites[0] if fact.backward_sites else None
        message = (
            f"backward() crashed: {quoted(step, step_site)} updated {short_list(fact.params, 3)} in place after "
            f"{short_list([quoted(i) for i in forwards], 2)} ran the forward, and {quoted(backward, backward_site)} "
            "still needs the values that forward saw; run the forward again after the step"
        )
        where = crash.site if crash.site is not None and project.is_editable(crash.site.file) else source.site(units[backward].node)
        return [self.finding(project, where, message, params, candidates, blocking=True)]

    # -- where the forward, the step and the backward meet -----------------------------------------

    def _place(
        self, project: Project, fact: StepBeforeBackward
    ) -> Optional[tuple[SourceFile, _Block, list[int], int, int, set[str]]]:
        """The innermost block of the user's code that holds the backward, the step and a forward
        before them, each as one of its statements (a call inside a helper counts where the helper
        is called): the file, the block, the forwards' indices, the step's and the backward's, and
        the names that the block's frame bound to tensors without a graph."""
        for level, site in enumerate(fact.backward_sites):
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            for call in _calls_at(source, site):
                for block, statement in _block_of(source, call):
                    backward = block.body.index(statement)
                    step = self._index(source, block, fact.step_sites)
                    if step is None or not step < backward:
                        continue
                    # A call of the module after the step already sees the new weights.
                    forwards = sorted({
                        index for chain in fact.forwards
                        if (index := self._index(source, block, chain)) is not None and index < step
                    })
                    if not forwards:
                        continue
                    graphless = set(fact.graphless[level]) if level < len(fact.graphless) else set()
                    return source, block, forwards, step, backward, graphless
        return None

    @staticmethod
    def _index(source: SourceFile, block: _Block, sites: list[Site]) -> Optional[int]:
        """The statement of ``block`` that one of the sites (a call and its callers) lies in."""
        for site in sites:
            if site.file != source.path:
                continue
            for call in _calls_at(source, site):
                for outer, statement in _block_of(source, call):
                    if outer is block:
                        return list(block.body).index(statement)
        return None

    # -- candidates -----------------------------------------------------------------------------

    def _run_again(
        self, source: SourceFile, units: list[_Unit], forwards: list[int], step: int, backward: int,
        graphless: set[str], step_site: Optional[Site],
    ) -> Optional[Candidate]:
        """Run the forward again right after the step, with every statement between it and the
        step that the crashed loss is built from. A statement whose results carry no graph (a
        sampled action, a detached advantage) needs no second run, nor what only it reads."""
        first = forwards[0]

        def no_graph(unit: _Unit) -> bool:
            return bool(unit.binds) and unit.binds <= graphless

        # Forward: what the forwards' outputs flow into, up to the step.
        tainted: set[int] = set()
        flowing: set[str] = set()
        for index in range(first, step):
            unit = units[index]
            if index in forwards or (_overlap(unit.reads, flowing) and not no_graph(unit)):
                tainted.add(index)
                flowing |= unit.binds
            else:
                flowing = _without(flowing, unit.binds)
        # Backward: what the crashed loss is built from.
        needed_paths = set(units[backward].reads)
        needed: set[int] = set()
        for index in range(backward - 1, first - 1, -1):
            unit = units[index]
            if index != step and _overlap(unit.binds, needed_paths):
                needed_paths = _without(needed_paths, unit.binds)
                if not no_graph(unit):
                    needed.add(index)
                    needed_paths |= unit.reads
        chosen = sorted(i for i in tainted & needed if i < step)
        if not chosen or not any(i in chosen for i in forwards):
            return None
        others = [i for i in range(first, step + 1) if i not in chosen]
        bound_before: set[str] = set()
        for index in chosen:
            unit = units[index]
            outside = _without(unit.reads, bound_before)
            # The statement must compute the same thing after the step as before it: nothing it
            # reads changes in between (the step's parameters aside, which is the point).
            if any(_overlap(units[j].binds, outside) for j in others if j > index):
                return None
            bound_before |= unit.binds
        # A statement moves unless something that stays before the step reads what it binds; then
        # it is copied, and stays, and so must what it reads.
        staying = set(others)
        moved: list[int] = []
        for index in reversed(chosen):
            unit = units[index]
            if any(_overlap(units[j].reads, unit.binds) for j in staying if j > index):
                if _overlap(unit.reads, unit.binds):
                    return None  # `loss += ...` run twice would add twice
                staying.add(index)
            else:
                moved.append(index)
        edits: list[Edit] = []
        texts = []
        for index in chosen:
            start, end = source.statement_lines(units[index].node, with_comments=index in moved)
            texts.append(source.text[start:end])
            if index in moved:
                edits.append(Edit(source.position(start), source.position(end), ""))
        after = source.range(units[step].node).end.line + 1
        inserted = "".join(text if text.endswith("\n") else text + "\n" for text in texts)
        edits.append(source.insert_lines(after, inserted))
        forward = self._quote(source, units[forwards[0]].node)
        step_code = self._quote(source, units[step].node, step_site)
        if forwards[0] in moved:
            description = f"move `{forward}` after `{step_code}`"
            if any(i not in forwards for i in moved):
                description += ", with the loss built from it"
        else:
            description = f"run `{forward}` again after `{step_code}`"
            if any(i not in forwards for i in moved):
                description += ", and build the loss from it there"
        return self.candidate(description, source.path, edits)

    def _step_later(
        self, source: SourceFile, block: _Block, units: list[_Unit], fact: StepBeforeBackward, step: int, backward: int
    ) -> Optional[Candidate]:
        """Move the step() itself after the backward that needs the old weights (that backward's
        gradients then join the step's own)."""
        site = fact.step_sites[0] if fact.step_sites else None
        if site is None or site.file != source.path:
            return None
        statement = units[step].node
        if not isinstance(statement, cst.SimpleStatementLine):
            return None
        calls = [c for c in _calls_at(source, site) if source.parent(c) in statement.body]
        if not calls:
            return None
        small = source.parent(calls[0])
        assert isinstance(small, cst.Expr)
        receiver = calls[0].func.value if isinstance(calls[0].func, cst.Attribute) else None
        path = _Uses.path(receiver) if receiver is not None else None
        if path is None or any(path in units[j].reads or _overlap(units[j].binds, {path}) for j in range(step + 1, backward)):
            return None  # the optimizer is used in between (its zero_grad would now clear the step's gradients)
        code = source.code(small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)).strip()
        indentation = source.indentation(source.range(statement).start.line)
        edits = []
        if len(statement.body) == 1:
            edits.append(source.remove_statement(statement))
        else:
            rest = [s for s in statement.body if s is not small]
            rest[-1] = rest[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            edits.append(source.replace_statement(statement, statement.with_changes(body=rest)))
        after = source.range(units[backward].node).end.line + 1
        edits.append(source.insert_lines(after, f"{indentation}{code}\n"))
        backward_site = fact.backward_sites[0] if fact.backward_sites else None
        return self.candidate(f"call `{code}` after `{self._quote(source, units[backward].node, backward_site)}`", source.path, edits)

    @staticmethod
    def _quote(source: SourceFile, statement: cst.BaseStatement, site: Optional[Site] = None) -> str:
        """The statement's first line as the user wrote it; of a line of several statements, the
        one that makes the call at ``site``."""
        if site is not None and isinstance(statement, cst.SimpleStatementLine) and len(statement.body) > 1:
            for call in _calls_at(source, site):
                if source.parent(call) in statement.body:
                    return source.code(call)
        line = source.range(statement).start.line
        text = source.text[source.lines.line_start(line) : source.lines.line_end(line)].strip()
        return text if isinstance(statement, cst.SimpleStatementLine) else text.rstrip(":")
