"""GF073: the optimizer holds the models of an ensemble while the forward runs their stacked copies.

``torch.func.stack_module_state(models)`` (``functorch.combine_state_for_ensemble`` before it)
returns new tensors, each the models' parameters stacked along a first dimension, and
``vmap(functional_call(base, (params, buffers), x))`` runs the whole ensemble on them. Those
stacked tensors are what the loss reaches; the models' own parameters are never used again. An
optimizer built over the models (``[p for m in models for p in m.parameters()]``) steps
parameters that never get a gradient, while the stacked tensors get gradients every step and
nothing applies them: the ensemble never learns, and nothing crashes.

The evidence is the run's: an optimizer steps and none of what it holds ever receives a gradient,
while tensors that no module and no optimizer holds (loose leaves) do. The file must stack
models with ``stack_module_state`` (or ``combine_state_for_ensemble``) into a name. The
candidate gives the optimizer the stacked parameters instead (``params.values()`` for
``stack_module_state``'s dict, the tuple itself for ``combine_state_for_ensemble``'s). The re-run
must show the optimizer's tensors receiving gradients and changing.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import libcst as cst

from gradfix.expressions import params_given
from gradfix.findings import Applicability, Candidate, Finding, Verdict
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import OptimizerFact, Trace
from gradfix.verify import judge

# What stacks an ensemble's parameters, and where the stacked parameters are among the names
# its result is unpacked into, with how they are passed to an optimizer.
_STACKERS = {
    "torch.func.stack_module_state": (0, "{}.values()"),
    "torch._functorch.functional_call.stack_module_state": (0, "{}.values()"),
    "functorch.combine_state_for_ensemble": (1, "{}"),
}


def _stacked(source: SourceFile) -> list[tuple[str, str]]:
    """The names bound to stacked parameters in a file, each with what an optimizer is given."""
    found = []
    for assign in descendants(source.module, cst.Assign):
        if not isinstance(assign.value, cst.Call) or len(assign.targets) != 1:
            continue
        kinds = [k for k in source.qualified_names(assign.value.func) if k in _STACKERS]
        if not kinds:
            continue
        index, spelled = _STACKERS[kinds[0]]
        target = assign.targets[0].target
        names = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [target]
        if index < len(names) and isinstance(names[index], (cst.Name, cst.Attribute)):
            name = source.code(names[index])  # `params`, or `self.params` of a trainer
            found.append((name, spelled.format(name)))
    return found


class OptimizerOverStackedModels(Rule):
    code = "GF073"
    title = "optimizer over the models whose stacked copies train"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        loose = [p for p in trace.params if p.module is None and not p.optimizers and p.got_grad and p.is_leaf]
        if not loose:
            return []
        findings = []
        for optimizer in trace.optimizers:
            held = [p for p in trace.params if optimizer.id in p.optimizers]
            if not optimizer.steps or not held or any(p.got_grad for p in held):
                continue
            site = optimizer.site
            if site is None or not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            candidates = self._candidates(source, optimizer)
            if not candidates:
                continue
            message = (
                f"the optimizer built here steps {len(held)} parameters of the models, which no loss reaches, while "
                f"{len(loose)} stacked tensors that the ensemble's forward runs on get gradients that no optimizer "
                "applies: the ensemble never learns"
            )
            findings.append(self.finding(project, site, message, [p.name for p in held], candidates))
        return findings

    def _candidates(self, source: SourceFile, optimizer: OptimizerFact) -> list[Candidate]:
        calls = source.nodes_at(optimizer.site, cst.Call)  # type: ignore[arg-type]
        given = params_given(calls[-1]) if calls else None
        if given is None:
            return []
        candidates = []
        for name, spelled in _stacked(source):
            new = cst.parse_expression(spelled)
            candidates.append(self.candidate(
                f"give the optimizer the stacked parameters, {spelled}, that the ensemble's forward runs on",
                source.path, [source.replace_node(given, new)],
            ))
        return candidates

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        # The models' own parameters stay unused, as they were: the stacked tensors now train.
        verdict = judge(finding, dataclasses.replace(candidate, params=[]), before, run)
        if not verdict.verified or verdict.partial:
            return verdict
        after = run.trace
        optimizer = _same_optimizer(finding, after)
        if optimizer is None:
            return Verdict(False, "the re-run has no optimizer built where this one was")
        held = [p for p in after.params if optimizer.id in p.optimizers]
        if not optimizer.steps or not held or not all(p.got_grad and p.changed for p in held):
            return Verdict(False, "the optimizer's tensors still do not all receive gradients and change")
        return Verdict(True, f"the optimizer's {len(held)} stacked tensors now receive gradients and change", [p.name for p in held])


def _same_optimizer(finding: Finding, trace: Trace) -> Optional[OptimizerFact]:
    return next((o for o in trace.optimizers if o.site is not None and o.site.line == finding.line), None)
