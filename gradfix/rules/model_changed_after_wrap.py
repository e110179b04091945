"""GF049: the model is changed after ``DistributedDataParallel`` wrapped it: a layer replaced
(``net.fc = nn.Linear(...)``, ``model.module.classifier = ...``), a parameter added or made anew,
or its parameters converted (``model.double()``).

DDP takes the module's parameters when it is built: it broadcasts them, hooks their gradients
and lays out its all-reduce buckets for them, with their dtype. Parameters that come later are
never all-reduced, so each rank trains them on its own gradients; parameters taken out never get a
gradient again, and DDP refuses the next iteration ("Expected to have finished reduction in the
prior iteration"); converted parameters are reduced in buckets of the old dtype, and the replicas
drift apart. The probe records, in every rank, each wrapper with the parameters it held when it
was built, and every layer or parameter that user code assigned into the wrapped module, or
converted, afterwards, with its line and the frame that built the wrapper; the rule fires when the
run shows the harm: the new or converted parameters differ between the ranks at the end, or DDP
refused the iteration after parameters it holds were taken out.

The fix makes the change before the wrapping: the statement of the function that built the
wrapper that made the change (an assignment, a helper's call) moves above the ``DDP(...)``
statement, with the wrapper's names read as the module it wraps (``model.module.fc`` becomes
``net.fc``); when an optimizer was built over the module before the wrapping, a second candidate
moves it above the optimizer too. The re-run of every rank judges: no refusal, and the parameters
named receive gradients, change, and are equal in every rank after the step.

Parameters frozen after the wrapping (a linear probe's backbone, frozen through ``model.module``)
are taken out the same way: DDP took them while they required grad and waits for their gradients,
and refuses the next iteration. A frozen parameter under a wrapper that refused was frozen after
it (one frozen before is one DDP never took). The freeze is often reachable only through the
wrapper, with no name to move it to, so the candidate is DDP's own: ``find_unused_parameters=True``
on the call that built the wrapper (unsafe; judged as GF056 judges it: the crash gone, everything
else trained, the frozen parameters left as they were).
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.ddp_unused import ddp_wrappers_holding, find_unused_candidate, is_find_unused, judge_find_unused, told_unused
from gradfix.edits import Edit
from gradfix.expressions import is_dotted_name
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace, WrapperChange
from gradfix.verify import judge_across_ranks

_REFUSED = "Expected to have finished reduction in the prior iteration"


class ModelChangedAfterWrap(Rule):
    code = "GF049"
    title = "model changed after DistributedDataParallel wrapped it"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        refused = trace.crash is not None and trace.crash.message.startswith(_REFUSED)
        differ = set(trace.replicas_differ)
        by_wrapper: dict[int, list[WrapperChange]] = {}
        for change in trace.wrapper_changes:
            if (differ & set(change.params)) or (refused and change.dropped):
                by_wrapper.setdefault(change.wrapper, []).append(change)
        findings = []
        for changes in by_wrapper.values():
            first = changes[0]
            at = first.sites[first.wrapping_frame] if first.wrapping_frame is not None else first.sites[0]
            if not project.is_editable(at.file):
                continue
            params = list(dict.fromkeys(n for c in changes for n in c.params if trace.param(n) is not None))
            source = project.source(at.file)
            wrap = _wrap_statement(source, first)
            wrapped_by = f"`{source.code(wrap[1]).strip()}` (line {source.range(wrap[1]).start.line})" if wrap else "its DistributedDataParallel wrapper"
            blocked = refused and any(c.dropped for c in changes)
            message = f"the model is changed here after {wrapped_by} wrapped it; DDP keeps the parameters it was built with: " + self._harm(trace, changes, params, blocked)
            candidates = self._candidates(trace, source, changes, wrap) if wrap else []
            findings.append(self.finding(project, at, message, params, candidates, blocking=blocked))
        if refused and not findings:
            findings += self._frozen_after_wrapping(trace, project)
        return findings

    def _frozen_after_wrapping(self, trace: Trace, project: Project) -> list[Finding]:
        """Parameters frozen after DDP wrapped the model (a linear probe's encoder, frozen through
        ``probe.module``): DDP took them while they required grad and waits for their gradients
        at every iteration, and the next one is refused. A parameter frozen before the wrapping is
        one DDP never took, so a frozen parameter under a wrapper that refused was frozen after it.
        The candidate is DDP's: ``find_unused_parameters=True`` where the wrapper is built (the
        freeze may be reached only through the wrapper's ``.module``, with no name to move it to)."""
        wrappers = [m.path for m in trace.modules if m.cls.endswith(".DistributedDataParallel") and m.path]
        frozen = [
            p for p in trace.params
            if not p.requires_grad and p.frozen_at and any(p.name.startswith(f"{w}.") for w in wrappers)
        ]
        at = next((site for p in frozen for site in p.frozen_at if project.is_editable(site.file)), None)
        if at is None:
            return []
        names = [p.name for p in frozen]
        paths = sorted({p.name.rsplit(".", 1)[0] for p in frozen})
        candidates = [c for source, call in ddp_wrappers_holding(trace, project, paths) if not told_unused(call) and (c := find_unused_candidate(source, call)) is not None]
        message = (
            f"{short_list(names)} {'is' if len(names) == 1 else 'are'} frozen here after DistributedDataParallel wrapped the model; "
            f"DDP took them while they required grad and waits for their gradients, so it refuses the next iteration "
            f"(\"{_REFUSED}\"); freeze before the wrapping, or let DDP find unused parameters"
        )
        return [self.finding(project, at, message, names, candidates[:1], blocking=True)]

    @staticmethod
    def _harm(trace: Trace, changes: list[WrapperChange], params: list[str], blocked: bool) -> str:
        ranks = f"the {trace.world_size} ranks" if trace.world_size > 1 else "the ranks"
        drifted = [n for n in params if n in trace.replicas_differ]
        said = []
        if blocked:
            said.append(
                "the parameters it replaced never get a gradient again, so DDP refuses the next iteration "
                f"(\"{_REFUSED}\")"
            )
        if any(c.kind == "assigned" for c in changes) and drifted:
            said.append(f"{short_list(drifted)} are never all-reduced and differ between {ranks} after {trace.steps} steps")
        elif any(c.kind == "assigned" for c in changes) and params:
            said.append(f"{short_list(params)} are never all-reduced")
        if any(c.kind == "converted" for c in changes) and drifted:
            said.append(f"its buckets keep the old dtype or device, and {short_list(drifted)} differ between {ranks} after {trace.steps} steps")
        return "; ".join(said) + "; make the change before the wrapping"

    # -- candidates -------------------------------------------------------------------------------

    def _candidates(
        self, trace: Trace, source: SourceFile, changes: list[WrapperChange], wrap: tuple[cst.Call, cst.SimpleStatementLine]
    ) -> list[Candidate]:
        call, statement = wrap
        block = source.parent(statement)
        body = list(getattr(block, "body", []))
        if statement not in body:
            return []
        module = _module_argument(source, call)
        if module is None or not any(module in c.module_names for c in changes):
            return []  # what DDP wrapped has no name there before the wrapping
        moved: list[cst.SimpleStatementLine] = []
        for change in changes:
            if change.wrapping_frame is None:
                return []
            site = change.sites[change.wrapping_frame]
            found = [s for s in source.statements_on_line(site.line) if isinstance(s, cst.SimpleStatementLine)] if site.file == source.path else []
            if not found or found[0] not in body or body.index(found[0]) < body.index(statement):
                return []  # in a loop, a branch, another function: moving it would change when it runs
            if found[0] not in moved:
                moved.append(found[0])
        moved.sort(key=body.index)
        names = list(dict.fromkeys(n for c in changes for n in c.wrapper_names if is_dotted_name(n)))
        rewritten = [_as_module(s, names, module) for s in moved]
        places = [statement]
        optimizers = {o.site.line for o in trace.optimizers if o.site is not None and o.site.file == source.path}
        start = _last_binding(source, body[: body.index(statement)], module.split(".")[0])
        for earlier in body[start : body.index(statement)]:
            lines = range(source.range(earlier).start.line, source.range(earlier).end.line + 1)
            if any(line in optimizers for line in lines):
                places.append(earlier)  # an optimizer over the module, built before the wrapping
                break
        candidates = []
        for place in places:
            between = [s for s in body[body.index(place) : body.index(moved[-1])] if s not in moved]
            reads = {n for s in rewritten for n in _reads(s)} - {module.split(".")[0]}
            if reads & {n for s in between for n in _assigned(s)}:
                continue  # the change needs what is computed after that point
            text = ""
            for original, new in zip(moved, rewritten):
                first, _ = source.statement_lines(original, with_comments=True)
                own, _ = source.statement_lines(original, with_comments=False)
                line = source.range(original).start.line
                text += source.text[first:own] + source.indentation(line) + source.module.code_for_node(new.with_changes(leading_lines=[]))
            before, _ = source.statement_lines(place, with_comments=True)
            position = source.position(before)
            edits = [Edit(position, position, text), *(source.remove_statement(s, moved=True) for s in moved)]
            where = "the wrapping" if place is statement else "the optimizer and the wrapping"
            candidates.append(self.candidate(f"make the change before {where}", source.path, edits))
        return candidates

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        if is_find_unused(candidate):
            return judge_find_unused(finding, candidate, before, run)
        return judge_across_ranks(finding, candidate, before, run)


def _wrap_statement(source: SourceFile, change: WrapperChange) -> Optional[tuple[cst.Call, cst.SimpleStatementLine]]:
    """The ``DDP(...)`` call that built the wrapper, and its statement."""
    site = change.wrap_site
    if site is None or site.file != source.path:
        return None
    for call in source.nodes_at(site, cst.Call):
        statement = source.statement_of(call)
        if isinstance(statement, cst.SimpleStatementLine):
            return call, statement
    return None


def _module_argument(source: SourceFile, call: cst.Call) -> Optional[str]:
    """The module given to ``DDP(...)``, when it is a name (``net``, ``self.net``)."""
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None or arg.keyword.value == "module":
            code = source.code(arg.value).strip()
            return code if is_dotted_name(code) else None
    return None


class _AsModule(cst.CSTTransformer):
    """``model.module`` and ``model`` (the wrapper's names) read as the module it wraps."""

    def __init__(self, names: list[str], module: str):
        super().__init__()
        self.names = set(names)
        self.module = cst.parse_expression(module)
        self.not_read: set[int] = set()  # names that are not references: `.attr` of `x.attr`, keywords

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.not_read.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.not_read.add(id(node.keyword))

    def _code(self, node: cst.CSTNode) -> str:
        return cst.Module([]).code_for_node(node)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        code = self._code(original)
        if original.attr.value == "module" and self._code(original.value) in self.names:
            return self.module.with_changes(lpar=updated.lpar, rpar=updated.rpar)  # type: ignore[return-value]
        if code in self.names:
            return self.module
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        return self.module if original.value in self.names and id(original) not in self.not_read else updated


def _as_module(statement: cst.SimpleStatementLine, names: list[str], module: str) -> cst.SimpleStatementLine:
    return statement.visit(_AsModule(names, module)) if names else statement  # type: ignore[return-value]


def _reads(node: cst.CSTNode) -> set[str]:
    attrs = {id(a.attr) for a in descendants(node, cst.Attribute)}
    return {n.value for n in descendants(node, cst.Name) if id(n) not in attrs}


def _assigned(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()
    for target in descendants(node, cst.AssignTarget):
        found |= _roots(target.target)
    for other in descendants(node, cst.CSTNode):
        if isinstance(other, (cst.AugAssign, cst.AnnAssign, cst.NamedExpr)):
            found |= _roots(other.target)
        elif isinstance(other, (cst.For, cst.CompFor)):
            found |= _roots(other.target)
        elif isinstance(other, cst.AsName) and isinstance(other.name, cst.BaseExpression):
            found |= _roots(other.name)
        elif isinstance(other, (cst.Import, cst.ImportFrom)) and not isinstance(other.names, cst.ImportStar):
            for alias in other.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                while isinstance(bound, cst.Attribute):
                    bound = bound.value
                if isinstance(bound, cst.Name):
                    found.add(bound.value)
    return found


def _roots(target: cst.BaseExpression) -> set[str]:
    """Names a target binds: ``a`` of ``a = ...``, of ``a, b = ...``; not ``a`` of ``a.x = ...``."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return {n for element in target.elements for n in _roots(element.value)}
    if isinstance(target, cst.StarredElement):
        return _roots(target.value)
    return set()


def _last_binding(source: SourceFile, statements: list[cst.BaseStatement], name: str) -> int:
    """Index just after the last of ``statements`` that binds ``name`` (0 when none does)."""
    for index in range(len(statements) - 1, -1, -1):
        if name in _assigned(statements[index]):
            return index + 1
    return 0
