"""GF091: the loss computed for one optimizer never runs the model that optimizer trains: a DDPG or
TD3 actor loss that scores the replay buffer's actions (``-critic(states, actions).mean()``)
instead of the actor's (``-critic(states, actor(states)).mean()``).

The loss reaches only the critic, whose own optimizer already stepped on the critic's loss; the
actor's optimizer zeroes, steps and changes nothing, every iteration. Nothing raises. The probe
shows it: a ``step()`` whose optimizer holds none of what the ``backward()`` before it (in the same
function) reached, parameters no loss of the whole run ever reached, and the parameters that loss
did reach held by another optimizer that steps after a loss of its own. (Without that last fact
the step itself is the suspect: GF020.)

The fix feeds the model that should be trained into the loss. gradfix reads the loss's
expression at that ``backward()`` (through the name it was assigned to): each call of a module
the loss reached (``self.critic(states, actions)``) with two or more arguments gives candidates
that replace one argument by the untrained model applied to another (``self.critic(states,
self.actor(states))``), the untrained model named as the calling frame names it. The re-run
decides: the untrained model's parameters must now change, and the others must still train.
Unsafe: it changes what the loss computes, which is the point, and only the re-run shows that
it trains.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import BackwardFact, CallEvent, Trace

_CANDIDATES = 6


def losses_without_their_model(trace: Trace) -> list[tuple[CallEvent, BackwardFact, list[str]]]:
    """Each step whose optimizer holds none of what the backward before it (in the same function)
    reached, whose parameters no backward ever reached, while what that backward reached is held
    by another optimizer that steps after a backward of its own: with the never-trained parameters."""
    found = []
    reached_ever = {name for b in trace.backwards for name in b.reached}
    steps = []  # (step, the backward before it, what the backwards since the previous step reached)
    since: set[str] = set()
    last: Optional[BackwardFact] = None
    index = 0
    for event in trace.order:
        if event.kind == "backward":
            if index < len(trace.backwards):
                last = trace.backwards[index]
                since |= set(last.reached)
            index += 1
        elif event.kind == "step" and event.optimizer is not None:
            if last is not None:
                steps.append((event, last, since))
            since, last = set(), None
    own_loss = {s.optimizer for s, _, reached in steps if reached & set(trace.optimizers[s.optimizer].params)}  # type: ignore[index]
    seen = set()
    for step, backward, reached in steps:
        stepped = trace.optimizers[step.optimizer]  # type: ignore[index]
        if not reached or reached & set(stepped.params) or step.site is None or backward.site is None:
            continue
        if backward.site.function != step.site.function or set(stepped.params) & reached_ever:
            continue
        others = [o for o in trace.optimizers if o.id != stepped.id and reached & set(o.params)]
        if not others or not all(o.id in own_loss for o in others):
            continue
        untrained = [n for n in stepped.params if (p := trace.param(n)) is not None and p.requires_grad and not p.changed]
        if untrained and (step.site.file, step.site.line) not in seen:
            seen.add((step.site.file, step.site.line))
            found.append((step, backward, untrained))
    return found


class LossWithoutItsModel(Rule):
    code = "GF091"
    title = "loss for one optimizer never runs the model it trains"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for step, backward, untrained in losses_without_their_model(trace):
            if backward.site is None or not project.is_editable(backward.site.file):
                continue
            source = project.source(backward.site.file)
            model = self._model_name(trace, untrained)
            judged = [n for n in backward.reached if (p := trace.param(n)) is not None and p.optimizers]
            candidates = self._fed(source, backward, model, judged + untrained) if model else []
            message = (
                f"the loss passed to backward() here reaches none of {short_list(untrained)}, which the optimizer stepped "
                "after it holds, and no loss of the run ever reaches them: they never change. What it reaches is "
                "trained by another optimizer, after a loss of its own: this loss is computed without the model it "
                f"should train{f' (`{model}`)' if model else ''}"
            )
            findings.append(self.finding(project, backward.site, message, untrained, candidates))
        return findings

    @staticmethod
    def _model_name(trace: Trace, untrained: list[str]) -> Optional[str]:
        """How user code names the module that holds the untrained parameters (``self.actor``)."""
        owners = {p.module for n in untrained if (p := trace.param(n)) is not None}
        names = {m.name for m in trace.modules if m.id in owners and m.name}
        if len(names) != 1:
            return None
        name = names.pop()
        return name if all(part.isidentifier() for part in name.split(".")) else None

    def _fed(self, source: SourceFile, backward: BackwardFact, model: str, params: list[str]) -> list[Candidate]:
        """``critic(states, actions)`` in the loss -> ``critic(states, actor(states))``, for each
        argument replaced by the model applied to each other argument."""
        assert backward.site is not None
        calls = [c for c in source.nodes_at(backward.site, cst.Call) if isinstance(c.func, cst.Attribute) and c.func.attr.value == "backward"]
        if not calls:
            return []
        loss = calls[-1].func.value  # type: ignore[attr-defined]
        scope = source.enclosing_scope(calls[-1])
        values = [loss]
        if isinstance(loss, cst.Name):
            values = [
                a.value for a in descendants(scope, cst.Assign)
                if source.range(a).start.line < backward.site.line
                and any(isinstance(t.target, cst.Name) and t.target.value == loss.value for t in a.targets)
            ][-1:]
        candidates: list[Candidate] = []
        for value in values:
            for call in descendants(value, cst.Call) if not isinstance(value, cst.Call) else [value, *descendants(value, cst.Call)]:
                args = list(call.args)
                if len(args) < 2 or any(a.star for a in args) or source.code(call.func) == model:
                    continue
                for i, replaced in enumerate(args):
                    for j, given in enumerate(args):
                        if i == j or not isinstance(given.value, (cst.Name, cst.Attribute)):
                            continue
                        fed = cst.parse_expression(f"{model}({source.code(given.value)})", config=source.module.config_for_parsing)
                        edit = source.replace_node(replaced.value, fed)
                        candidates.append(self.candidate(
                            f"feed `{model}({source.code(given.value)})` to `{source.code(call.func)}` in place of "
                            f"`{source.code(replaced.value)}`: the loss is then computed from what `{model}` gives",
                            source.path, [edit], params,
                        ))
        return candidates[:_CANDIDATES]
