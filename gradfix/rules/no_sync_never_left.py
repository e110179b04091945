"""GF048: gradient accumulation under ``DistributedDataParallel`` whose ``no_sync()`` is never
left before the optimizer steps, so the gradients it applies were never all-reduced.

``with model.no_sync():`` skips the all-reduce for the graphs the wrapper builds inside it; the
gradients accumulate on each rank until a backward of a graph built outside it reduces them all.
When every micro-batch runs inside it (the last one too), or the condition that picks the
micro-batches is inverted (the one before ``step()`` is the one kept local), each rank steps on
its own gradients and the replicas drift apart; nothing raises. DDP decides at the wrapper's
forward whether a graph syncs, so the probe records, in every rank, each ``no_sync()`` call, the
backward() calls of graphs the wrapper built inside it, and the optimizer steps that applied
such local gradients with no synced backward after them; at the end the parameters' checksums
differ between ranks. A script that runs collectives itself on the wrapped parameters or their
gradients (averaged gradients, local SGD's periodic averaging), or whose file has such a call
the shortened run may not have reached yet, reduces by hand: no finding.

The candidates, most precise first: a ``no_sync()`` that is one branch of a conditional
expression gets its branches swapped; one inside ``if ...: else:`` gets the condition negated
(the branches swapped when it cannot be); one that every micro-batch enters gets
``contextlib.nullcontext() if <the step's micro-batch> else model.no_sync()``, the micro-batch
taken from the ``if`` that guards ``step()`` in the same loop, or from the accumulation loop's
last iteration (``range``, ``enumerate``) when ``step()`` follows that loop; last, ``no_sync()``
dropped (every backward syncs: the same gradients, without the saving). The re-run of every rank
judges: the replicas must be equal after the step.
"""

from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import spelled_or_imported
from gradfix.trace import Trace
from gradfix.verify import judge_across_ranks

_NEGATED: dict[type, type] = {
    cst.Equal: cst.NotEqual, cst.NotEqual: cst.Equal, cst.LessThan: cst.GreaterThanEqual,
    cst.GreaterThanEqual: cst.LessThan, cst.GreaterThan: cst.LessThanEqual, cst.LessThanEqual: cst.GreaterThan,
    cst.Is: cst.IsNot, cst.IsNot: cst.Is, cst.In: cst.NotIn, cst.NotIn: cst.In,
}
_LOOPS = (cst.For, cst.While)


class NoSyncNeverLeft(Rule):
    code = "GF048"
    title = "optimizer steps on gradients that no_sync() kept from the all-reduce"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.steps or not trace.replicas_differ or trace.own_reductions:
            return []  # the script reduces by hand (local SGD's averaging may not have come yet)
        findings = []
        for use in trace.no_sync_uses:
            wrapper = trace.module(use.wrapper)
            if not use.steps or wrapper is None or not wrapper.path or not project.is_editable(use.site.file):
                continue
            drifted = [name for name in trace.replicas_differ if name.startswith(f"{wrapper.path}.")]
            if not drifted:
                continue
            source = project.source(use.site.file)
            if _reduces_by_hand(source):
                continue
            calls = [c for c in source.nodes_at(use.site, cst.Call) if _is_no_sync(c)]
            candidates = self._candidates(trace, source, calls[0]) if calls else []
            said = f"`{source.code(calls[0])}`" if calls else "no_sync()"
            never = ": no step followed a synced backward()" if not trace.synced_steps else ""
            ranks = f"the {trace.world_size} ranks" if trace.world_size > 1 else "the ranks"
            message = (
                f"{said} keeps the gradients of the backward() calls inside it from the all-reduce, and "
                f"{use.steps} optimizer step{'s' if use.steps != 1 else ''} applied them with no synced backward() "
                f"after them{never}; each rank trains on its own gradients and after {trace.steps} steps "
                f"{short_list(drifted)} differ between {ranks}; leave no_sync() for the micro-batch that steps"
            )
            findings.append(self.finding(project, use.site, message, drifted, candidates))
        return findings

    # -- candidates -------------------------------------------------------------------------------

    def _candidates(self, trace: Trace, source: SourceFile, call: cst.Call) -> list[Candidate]:
        path = source.path
        parent = source.parent(call)
        found: list[Optional[Candidate]] = []
        if isinstance(parent, cst.IfExp) and (parent.body is call or parent.orelse is call):
            # `model.no_sync() if last else nullcontext()`: the condition picks the wrong micro-batches.
            swapped = parent.with_changes(body=parent.orelse, orelse=parent.body)
            return [self.candidate("swap the branches: no_sync() for the micro-batches that do not step", path, [source.replace_node(parent, swapped)])]
        with_ = source.parent(parent) if isinstance(parent, cst.WithItem) else None
        if not isinstance(with_, cst.With):
            return []  # `context = model.no_sync()` entered elsewhere: no edit is sure of its effect
        owner_block = source.parent(with_)
        owner = source.parent(owner_block) if isinstance(owner_block, cst.IndentedBlock) else None
        if isinstance(owner, cst.If) and owner.body is owner_block and isinstance(owner.orelse, cst.Else):
            # `if <step>: with model.no_sync(): ... else: ...`: the branches are the wrong way round.
            negated = _negated(owner.test)
            if negated is not None:
                found.append(self.candidate("negate the condition: no_sync() for the micro-batches that do not step", path, [source.replace_node(owner.test, negated)]))
            else:
                swapped = owner.with_changes(body=owner.orelse.body, orelse=owner.orelse.with_changes(body=owner.body))
                found.append(self.candidate("swap the branches: no_sync() for the micro-batches that do not step", path, [source.replace_statement(owner, swapped)]))
        else:
            for condition, why in self._conditions(trace, source, with_):
                found.append(self._synced_when(source, call, condition, why))
        found.append(self._dropped(source, with_))
        return [c for c in found if c is not None]

    def _conditions(self, trace: Trace, source: SourceFile, with_: cst.With) -> list[tuple[str, str]]:
        """Expressions true on the micro-batch that steps: the test of the ``if`` that guards a
        ``step()`` later in the same loop, or the last iteration of the loop that ``step()`` follows."""
        loop = next((a for a in source.ancestors(with_) if isinstance(a, _LOOPS)), None)
        if loop is None:
            return []
        sites = dict.fromkeys(e.site for e in trace.order if e.kind == "step" and e.site is not None and e.site.file == source.path)
        steps = [
            call for site in sites for call in source.nodes_at(site, cst.Call)
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "step"
        ]
        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        for step in steps:
            ancestors = list(source.ancestors(step))
            if loop in ancestors:
                guard = next((a for a in ancestors if isinstance(a, cst.If)), None)
                if guard is None or loop not in source.ancestors(guard) or with_ in _all(guard) or not _after(source, guard, with_):
                    continue
                if _reads(guard.test) & _assigned_between(source, loop, with_, guard):
                    continue  # the test reads what the micro-batch computes: not known before it
                condition = cst.Module([]).code_for_node(guard.test)
                if isinstance(guard.test, (cst.IfExp, cst.Lambda, cst.NamedExpr)) and not guard.test.lpar:
                    condition = f"({condition})"  # it becomes the test of a conditional expression
                why = "the micro-batch on which step() runs"
            else:
                condition, why = _last_iteration(source, loop) or ("", "")
            if condition and condition not in seen:
                seen.add(condition)
                found.append((condition, why))
        return found

    def _synced_when(self, source: SourceFile, call: cst.Call, condition: str, why: str) -> Optional[Candidate]:
        nullcontext, imported = spelled_or_imported(source, "contextlib.nullcontext")
        config = source.module.config_for_parsing
        try:
            new = cst.parse_expression(f"{nullcontext}() if {condition} else {source.code(call)}", config=config)
        except cst.ParserSyntaxError:
            return None
        edits = [*imported, source.replace_node(call, new)]
        return self.candidate(f"leave no_sync() for {why} (`{condition}`)", source.path, edits)

    def _dropped(self, source: SourceFile, with_: cst.With) -> Optional[Candidate]:
        """``with model.no_sync():`` replaced by its body: every backward syncs."""
        if len(with_.items) != 1 or with_.items[0].asname is not None or not isinstance(with_.body, cst.IndentedBlock):
            return None
        body = list(with_.body.body)
        body[0] = body[0].with_changes(leading_lines=[*with_.leading_lines, *body[0].leading_lines])
        edit = source.replace_statement(with_, cst.FlattenSentinel(body))
        return self.candidate("drop no_sync(): every backward() all-reduces", source.path, [edit])

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        return judge_across_ranks(finding, candidate, before, run)


_COLLECTIVES = {
    f"torch.distributed.{name}"
    for name in ("all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter", "all_reduce_coalesced")
}


def _reduces_by_hand(source: SourceFile) -> bool:
    """A collective on gradients or parameters in the file (``dist.all_reduce(p.grad)``, local
    SGD's ``dist.all_reduce(param.data)``): no_sync() may be left on purpose to a reduction that a
    shortened run did not reach yet. A loss all-reduced for logging is not one."""
    for call in descendants(source.module, cst.Call):
        if call.args and source.qualified_names(call.func) & _COLLECTIVES:
            said = source.code(call.args[0].value).lower()
            if "grad" in said or "param" in said or ".data" in said:
                return True
    return False


def _is_no_sync(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "no_sync" and not call.args


def _negated(test: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """The test with its one comparison reversed (``==`` -> ``!=``), its ``not`` taken off, or a
    ``not`` put before a name, attribute or call; None for anything else."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and not test.lpar:
        target = test.comparisons[0]
        other = _NEGATED.get(type(target.operator))
        if other is None:
            return None
        old = target.operator
        operator = other(whitespace_before=old.whitespace_before, whitespace_after=old.whitespace_after)  # type: ignore[attr-defined]
        return test.with_changes(comparisons=[target.with_changes(operator=operator)])
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return test.expression
    if isinstance(test, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
        return cst.UnaryOperation(operator=cst.Not(), expression=test)
    return None


def _all(node: cst.CSTNode) -> list[cst.CSTNode]:
    return descendants(node, cst.CSTNode)


def _after(source: SourceFile, later: cst.CSTNode, earlier: cst.CSTNode) -> bool:
    a, b = source.range(later).start, source.range(earlier).end
    return (a.line, a.column) >= (b.line, b.column)


def _reads(node: cst.CSTNode) -> set[str]:
    attrs = {id(a.attr) for a in descendants(node, cst.Attribute)}
    return {n.value for n in descendants(node, cst.Name) if id(n) not in attrs}


def _assigned_between(source: SourceFile, loop: cst.CSTNode, first: cst.CSTNode, last: cst.CSTNode) -> set[str]:
    """Names assigned in the loop from ``first`` (included) up to ``last``: what one pass computes."""
    start, end = source.range(first).start, source.range(last).start
    names: set[str] = set()
    for target in _targets(loop):
        where = source.range(target).start
        if (start.line, start.column) <= (where.line, where.column) < (end.line, end.column):
            names |= {n.value for n in descendants(target, cst.Name)}
    return names


def _targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    found: list[cst.BaseExpression] = []
    for assign in descendants(node, cst.AssignTarget):
        found.append(assign.target)
    for other in descendants(node, cst.CSTNode):
        if isinstance(other, (cst.AugAssign, cst.AnnAssign, cst.NamedExpr)):
            found.append(other.target)
        elif isinstance(other, (cst.For, cst.CompFor)):
            found.append(other.target)
        elif isinstance(other, cst.AsName) and isinstance(other.name, cst.BaseExpression):
            found.append(other.name)
    return found


def _last_iteration(source: SourceFile, loop: Union[cst.For, cst.While]) -> Optional[tuple[str, str]]:
    """``micro == ACCUMULATE - 1`` for ``for micro in range(ACCUMULATE)``; ``i == len(chunks) - 1``
    for ``for i, chunk in enumerate(chunks)``."""
    if not isinstance(loop, cst.For) or not isinstance(loop.iter, cst.Call) or not isinstance(loop.iter.func, cst.Name):
        return None
    args = loop.iter.args
    if any(a.star or a.keyword is not None for a in args):
        return None
    kind = loop.iter.func.value
    if kind == "range" and len(args) in (1, 2) and isinstance(loop.target, cst.Name):
        stop = args[-1].value
        if isinstance(stop, cst.Integer):
            last = str(int(stop.value, 0) - 1)
        elif isinstance(stop, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
            last = f"{source.code(stop)} - 1"
        else:
            last = f"({source.code(stop)}) - 1"
        return f"{loop.target.value} == {last}", "the last micro-batch"
    if kind == "enumerate" and len(args) == 1 and isinstance(loop.target, cst.Tuple) and loop.target.elements:
        index = loop.target.elements[0].value
        if isinstance(index, cst.Name):
            return f"{index.value} == len({source.code(args[0].value)}) - 1", "the last micro-batch"
    return None

