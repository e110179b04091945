"""GF019: the learning rate fell to 0 and stayed there, so the steps stop changing anything.

``StepLR(optimizer, step_size=1, gamma=0)`` (a factor of 0 where "no decay" is a factor of 1),
``MultiStepLR(..., gamma=0)``, ``ReduceLROnPlateau(..., factor=0)``: after the first decay every
learning rate is 0. The parameters still receive gradients, ``optimizer.step()`` still runs, and
nothing changes: the loss goes flat. The probe records each optimizer's learning rate at every
step and where each scheduler was built. When the learning rate of an optimizer that began with a
positive one was 0 at its last two steps or more, this rule names it, with the scheduler that set
it. The candidate fixes change a 0 factor in the scheduler's construction (a keyword, a
positional argument, or a name bound once to a literal 0, such as ``LR_DECAY = 0``): to 1 (keep the
rate; not for ReduceLROnPlateau, which wants a factor below 1), or to torch's default (drop the
argument; not for ExponentialLR, which has none). A rate held at 0 by another schedule (a
``LambdaLR`` whose function gives 0) is named without a fix. The re-run must show the rate is no
longer 0 at the end and the parameters change.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, is_zero_literal
from gradfix.trace import OptimizerFact, SchedulerFact, Trace
from gradfix.verify import judge

# A scheduler argument that multiplies the learning rate, by scheduler: its keyword, its place
# among the positional arguments (the optimizer is 0), and whether leaving it out gives a default
# (ExponentialLR has none) and whether 1 is allowed (ReduceLROnPlateau wants a factor below 1).
_FACTORS = {
    "StepLR": ("gamma", 2, True, True),
    "MultiStepLR": ("gamma", 2, True, True),
    "ExponentialLR": ("gamma", 1, False, True),
    "ReduceLROnPlateau": ("factor", 2, True, False),
}


def _trailing_zeros(optimizer: OptimizerFact) -> int:
    count = 0
    for rate in reversed(optimizer.lrs):
        if rate != 0:
            break
        count += 1
    return count


def _stalled(trace: Trace) -> list[OptimizerFact]:
    return [o for o in trace.optimizers if o.initial_lr and _trailing_zeros(o) >= 2]


class ZeroLearningRate(Rule):
    code = "GF019"
    title = "learning rate set to 0 by a schedule"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for optimizer in _stalled(trace):
            params = [p.name for p in trace.params if optimizer.id in p.optimizers and p.requires_grad and p.got_grad]
            if not params:
                continue
            schedulers = [s for s in trace.schedulers if s.optimizer == optimizer.id and s.site is not None and project.is_editable(s.site.file)]
            zeros = _trailing_zeros(optimizer)
            if zeros == len(optimizer.lrs):
                when = f"the learning rate was 0 at every one of the {zeros} steps"
            else:
                when = f"the learning rate fell to 0 at step {len(optimizer.lrs) - zeros + 1} and stayed 0 for the last {zeros} steps"
            by = ""
            if schedulers:
                by = f" (set by the {schedulers[0].cls.rsplit('.', 1)[-1]} built at line {schedulers[0].site.line})"  # type: ignore[union-attr]
            one = len(params) == 1
            message = (
                f"{when}{by}: {short_list(params)} {'receives' if one else 'receive'} gradients and "
                f"{'does' if one else 'do'} not change any more"
            )
            candidates = [c for s in schedulers for c in self._candidates(project.source(s.site.file), s)]  # type: ignore[union-attr]
            site = schedulers[0].site if schedulers else optimizer.site
            if site is None or not project.is_editable(site.file):
                continue
            findings.append(self.finding(project, site, message, params, candidates[:6]))
        return findings

    def _candidates(self, source: SourceFile, scheduler: SchedulerFact) -> list[Candidate]:
        """A 0 factor in the scheduler's construction, written there or through a name bound once to
        a literal 0 (``LR_DECAY = 0``): 1 keeps the rate, leaving it out gives torch's default."""
        name = scheduler.cls.rsplit(".", 1)[-1]
        if name not in _FACTORS:
            return []
        word, position, has_default, one_allowed = _FACTORS[name]
        calls = source.nodes_at(scheduler.site, cst.Call)  # type: ignore[arg-type]
        if not calls:
            return []
        call = calls[-1]
        arg = self._factor_arg(call, word, position)
        if arg is None:
            return []
        shown = source.code(arg.value)
        zero: cst.BaseExpression = arg.value
        if isinstance(arg.value, cst.Name):
            bound = source.bound_once(arg.value)
            if bound is None:
                return []
            zero = bound[0].value
        if not is_zero_literal(zero):
            return []
        if zero is not arg.value:
            keep, dropped = f"`{shown} = 1`", f"`{word}={shown}`"
        elif arg.keyword is not None:
            keep, dropped = f"`{word}=1`", f"`{word}={shown}`"
        else:
            keep, dropped = f"{word} 1 instead of `{shown}`", f"the {word} argument `{shown}`"
        candidates = []
        if one_allowed:
            candidates.append(self.candidate(
                f"{keep}: a factor of 1 keeps the learning rate", source.path,
                [source.replace_node(zero, cst.Integer("1"))],
            ))
        last_positional = arg.keyword is None and arg is not call.args[-1]
        if has_default and not last_positional:
            candidates.append(self.candidate(
                f"drop {dropped}: {name}'s default {word}", source.path, [self._drop(source, call, arg)],
            ))
        return candidates

    @staticmethod
    def _factor_arg(call: cst.Call, word: str, position: int) -> Optional[cst.Arg]:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == word:
                return arg
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if len(positional) > position and len(positional) == len([a for a in call.args if a.keyword is None]):
            return positional[position]
        return None

    @staticmethod
    def _drop(source: SourceFile, call: cst.Call, arg: cst.Arg):  # type: ignore[no-untyped-def]
        args = [a for a in call.args if a is not arg]
        if args:
            # The last argument keeps no trailing comma of its own, as if written that way.
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT) if arg is call.args[-1] else args[-1]
        return source.replace_node(call, call.with_changes(args=args))

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        if not verdict.verified or verdict.partial:
            return verdict
        still = _stalled(run.trace)
        if still:
            return Verdict(False, f"the learning rate is still 0 at the last {_trailing_zeros(still[0])} steps")
        return Verdict(True, f"the learning rate stays above 0; {verdict.reason}", verdict.trained)
