"""GF114: a policy-gradient (score-function) loss on the log-probability of a reparameterised
sample: ``action = dist.rsample()`` then ``-(dist.log_prob(action) * advantage)``. The action moves
with the mean: ``log N(mu + sigma * eps; mu, sigma)`` does not depend on ``mu`` at all, so the
mean's gradient is exactly zero at every step and the network that outputs it never changes,
while the log standard deviation and the critic train. Nothing raises. (A REINFORCE or A2C loss
wants the log-probability of a sample taken as data; ``rsample`` is for losses that differentiate
through the action itself, as SAC's actor loss does through the critic.)

The evidence is the run's: parameters that an optimizer holds and steps got an exactly-zero
gradient at every step and never changed. In the user's files, a name bound from ``.rsample(...)``
and passed to ``.log_prob(...)`` in the same function makes a candidate: that ``rsample`` becomes
``sample``. It is a conjecture from the source, reported only when the re-run proves it: the
stuck parameters must then get non-zero gradients and change. Unsafe: what the loss differentiates
changes, as the score-function estimator needs.
"""

from __future__ import annotations

import libcst as cst

from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import descendants
from gradfix.trace import Trace


_MAX_ANYWHERE = 4  # rsample() calls tried when none is scored in the function that draws it


def _method(call: cst.BaseExpression, name: str) -> bool:
    return isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == name


class LogProbOfRsample(Rule):
    code = "GF114"
    title = "score-function loss on the log-probability of a reparameterised sample"
    applicability = Applicability.UNSAFE
    claims_what_trains = True

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if trace.crash is not None or not trace.steps:
            return []
        # exactly zero at every step; weight decay may still move them (AdamW shrinks the mean head)
        stuck = [
            p.name for p in trace.params
            if p.requires_grad and p.optimizers and p.got_grad and not p.nonzero_grad and p.is_leaf
        ]
        if not stuck:
            return []
        findings = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for function in descendants(source.module, cst.FunctionDef):
                sampled: dict[str, cst.Call] = {}
                for assign in descendants(function.body, cst.Assign):
                    if _method(assign.value, "rsample") and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name):
                        sampled[assign.targets[0].target.value] = assign.value  # type: ignore[assignment]
                for annotated in descendants(function.body, cst.AnnAssign):  # `depth: Tensor = dist.rsample()`
                    if annotated.value is not None and _method(annotated.value, "rsample") and isinstance(annotated.target, cst.Name):
                        sampled[annotated.target.value] = annotated.value  # type: ignore[assignment]
                used = {
                    a.value.value for call in descendants(function.body, cst.Call) if _method(call, "log_prob")
                    for a in call.args[:1] if isinstance(a.value, cst.Name)
                }
                for name in sorted(set(sampled) & used):
                    call = sampled[name]
                    assert isinstance(call.func, cst.Attribute)
                    edit = source.replace_node(call.func.attr, cst.Name("sample"))
                    line = source.range(call).start.line
                    candidate = self.candidate(
                        f"take `{name}` with `sample()` at line {line}: the log-probability of a sample taken as data", path, [edit],
                    )
                    message = (
                        f"`{name}` is a reparameterised sample (`rsample()`, line {line}) and its own log-probability is the loss: "
                        f"the sample moves with the distribution's parameters, so the log-probability does not depend on its "
                        f"mean, and {short_list(stuck)} get exactly zero gradient at every step"
                    )
                    finding = self.finding(project, source.site(call), message, stuck, [candidate])
                    finding.conjecture = True  # which parameters the mean comes from only the re-run shows
                    findings.append(finding)
        if not findings:
            # The sample taken in one function (a policy's `act()`) and scored in another (the
            # update, a loss helper): each `rsample()` of the files in turn, the re-run decides.
            findings = self._anywhere(trace, project, stuck)
        return findings

    def _anywhere(self, trace: Trace, project: Project, stuck: list[str]) -> list[Finding]:
        found = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for call in descendants(source.module, cst.Call):
                if not _method(call, "rsample") or len(found) >= _MAX_ANYWHERE:
                    continue
                assert isinstance(call.func, cst.Attribute)
                line = source.range(call).start.line
                candidate = self.candidate(
                    f"sample with `sample()` at line {line}: a score-function loss needs the log-probability of a sample taken as data",
                    path, [source.replace_node(call.func.attr, cst.Name("sample"))],
                )
                message = (
                    f"{short_list(stuck)} get exactly zero gradient at every step, and `{source.code(call)}` (line {line}) draws a "
                    "reparameterised sample: if a loss scores that sample's own log-probability, the sample moves with the "
                    "distribution's mean and the log-probability does not depend on it"
                )
                finding = self.finding(project, source.site(call), message, stuck, [candidate])
                finding.conjecture = True
                found.append(finding)
        return found
