"""GF066: a param group's ``"params"`` set to a one-shot iterable after the optimizer was built.

``optimizer.param_groups[0]["params"] = model.parameters()`` (to hand the optimizer a parameter
made for a new task, a new head) stores a generator in the group. torch lists ``params`` only
when it builds the optimizer or ``add_param_group`` runs; a value assigned into a group later is
kept as it is. The next ``zero_grad()`` goes through the generator and uses it up; every
``step()`` after that goes through nothing and updates nothing. torch says nothing. The same
holds for ``filter(...)``, ``map(...)``, a generator expression and ``iter(...)``.

The probe reads a group's ``params`` only when it is a list, tuple or set (reading an iterator
would use it up for the script), and records, at each ``step()``, the groups whose ``params`` is an
iterator. The rule fires when a stepping optimizer had such a group; the fix is at each
assignment into a group's ``"params"`` of the run's sources (``X.param_groups[i]["params"] = v``,
or ``g["params"] = v`` for ``for g in X.param_groups`` or ``g = X.param_groups[i]``) whose value is not already a list, tuple
or set.

The candidates: ``list(v)`` in place of ``v`` (``list(x)`` for ``iter(x)``) at each such assignment (and at all of them together
when there are several); the re-run judges, and it must show the optimizer's groups hold lists at
every step. ``optimizer.param_groups[0]["params"] = list(model.parameters())``, a group added with
``add_param_group`` (torch lists it) and a change of a group's ``"lr"`` give nothing.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import OptimizerFact, Site, Trace
from gradfix.verify import judge

# values that are read afresh by every reader: already what torch keeps in a group
_CONTAINERS = {"list", "tuple", "set", "frozenset", "sorted"}


class OneShotParamGroup(Rule):
    code = "GF066"
    title = "param group's params set to a one-shot iterable after the optimizer was built"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for optimizer in trace.optimizers:
            if not optimizer.steps or not optimizer.one_shot_groups:
                continue
            group = optimizer.one_shot_groups[0]
            assignments = [
                (source, node)
                for source in _sources(trace, optimizer, project)
                for node in _group_assignments(source)
            ]
            if not assignments:
                continue
            source, first = assignments[0]
            names = _left_without_update(trace)
            if not names and not any(g.reused for g in optimizer.one_shot_groups):
                continue  # every step read a fresh iterator and everything trained: nothing was lost
            candidates = [self._listed(source, node, names) for source, node in assignments]
            if len(assignments) > 1:
                by_file: dict[str, list[cst.Assign]] = {}
                for source, node in assignments:
                    by_file.setdefault(source.path, []).append(node)
                if len(by_file) == 1:
                    only = project.source(next(iter(by_file)))
                    candidates.append(self.candidate(
                        "wrap every value assigned to a group's params in list(...)", only.path,
                        [only.replace_node(node.value, _listed_value(node.value)) for node in by_file[only.path]], names,
                    ))
            where = f" (first at line {group.step.line})" if group.step is not None else ""
            held = f" {short_list(names)} {'is' if len(names) == 1 else 'are'} left unchanged." if names else ""
            message = (
                f"this stores a one-shot iterable in param group {group.group} of the optimizer "
                f"({group.kind} at {group.steps} step() call{'s' if group.steps != 1 else ''}{where}): the first "
                f"zero_grad() or step() uses it up, and every step() after it updates nothing.{held}"
            )
            findings.append(self.finding(project, source.site(first), message, names, candidates))
        return findings

    def _listed(self, source: SourceFile, node: cst.Assign, names: list[str]) -> Candidate:
        return self.candidate(
            f"wrap the value in list(...) on line {source.range(node).start.line}, so every zero_grad() and step() reads it",
            source.path, [source.replace_node(node.value, _listed_value(node.value))], names,
        )

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        """The usual verdict, and no step() of the re-run meets a one-shot group any more: the
        parameters may all have changed before the group was replaced (a later task, a second
        phase), so their change alone does not show the groups hold them now."""
        verdict = judge(finding, candidate, before, run)
        if not verdict.verified or verdict.partial:
            return verdict
        left = [o for o in run.trace.optimizers if o.one_shot_groups]
        if left:
            return Verdict(False, f"a step() still meets a one-shot iterable in param group {left[0].one_shot_groups[0].group}")
        return verdict


def _left_without_update(trace: Trace) -> list[str]:
    """Parameters that received gradients, are held by no optimizer's readable groups and ended
    the run unchanged: what the used-up group was to hold."""
    return [
        p.name for p in trace.params
        if p.requires_grad and p.is_leaf and p.got_grad and not p.optimizers and not p.changed
    ]


def _sources(trace: Trace, optimizer: OptimizerFact, project: Project) -> list[SourceFile]:
    """The editable files of the run that can hold the assignment: the script, where the optimizer
    was built and stepped, the calls that led to it, and where modules were built."""
    sites: list[Optional[Site]] = [optimizer.site, *(g.step for g in optimizer.one_shot_groups)]
    sites += [c.site for c in optimizer.callers] + [m.site for m in trace.modules]
    files = [trace.script] + [s.file for s in sites if s is not None]
    seen: list[str] = []
    for path in files:
        if path not in seen and project.is_editable(path):
            seen.append(path)
    return [project.source(path) for path in seen]


def _group_assignments(source: SourceFile) -> list[cst.Assign]:
    """``X.param_groups[i]["params"] = v`` and ``g["params"] = v`` inside ``for g in X.param_groups``,
    whose ``v`` is not a list, tuple or set already."""
    found = []
    for node in descendants(source.module, cst.Assign):
        if _already_listed(node.value):
            continue
        for target in node.targets:
            if _is_group_params(source, target.target):
                found.append(node)
                break
    return found


def _is_group_params(source: SourceFile, target: cst.BaseExpression) -> bool:
    if not isinstance(target, cst.Subscript) or len(target.slice) != 1:
        return False
    index = target.slice[0].slice
    if not isinstance(index, cst.Index) or not isinstance(index.value, cst.SimpleString) or index.value.evaluated_value != "params":
        return False
    group = target.value
    if isinstance(group, cst.Subscript):
        return _indexes_param_groups(group)
    if isinstance(group, cst.Name):
        # `head_group = optimizer.param_groups[-1]`, then `head_group["params"] = ...`
        bound = source.bound_once(group)
        if bound is not None and isinstance(bound[0].value, cst.Subscript) and _indexes_param_groups(bound[0].value):
            return True
        # a name bound by `for g in X.param_groups` (or `enumerate(X.param_groups)`) around it
        for outer in source.ancestors(target):
            if isinstance(outer, cst.For) and _binds_group(outer, group.value):
                return True
    return False


def _indexes_param_groups(node: cst.Subscript) -> bool:
    return isinstance(node.value, cst.Attribute) and node.value.attr.value == "param_groups"


def _binds_group(loop: cst.For, name: str) -> bool:
    iterable = loop.iter
    if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) and iterable.func.value == "enumerate" and iterable.args:
        iterable = iterable.args[0].value
        bound: Optional[cst.BaseExpression] = (
            loop.target.elements[1].value if isinstance(loop.target, cst.Tuple) and len(loop.target.elements) == 2 else None
        )
    else:
        bound = loop.target
    return (
        isinstance(iterable, cst.Attribute) and iterable.attr.value == "param_groups"
        and isinstance(bound, cst.Name) and bound.value == name
    )


def _already_listed(value: cst.BaseExpression) -> bool:
    if isinstance(value, (cst.List, cst.Tuple, cst.Set, cst.ListComp, cst.SetComp)):
        return True
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in _CONTAINERS


def _listed_value(value: cst.BaseExpression) -> cst.BaseExpression:
    if (
        isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "iter"
        and len(value.args) == 1 and value.args[0].keyword is None and not value.args[0].star
    ):
        # `iter(params)` made an iterator of something already readable again: list that instead
        return cst.Call(func=cst.Name("list"), args=[cst.Arg(value.args[0].value)])
    if isinstance(value, cst.GeneratorExp):
        # `list(p for p in ...)`: the generator's own parentheses become the call's
        return cst.Call(func=cst.Name("list"), args=[cst.Arg(value.with_changes(lpar=[], rpar=[]))])
    return cst.Call(func=cst.Name("list"), args=[cst.Arg(value)])
