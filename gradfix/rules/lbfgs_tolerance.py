"""GF115: an L-BFGS optimizer whose tolerances stop every ``step(closure)`` before it moves. L-BFGS
returns at its first check when the largest gradient entry is at most ``tolerance_grad`` (1e-7 by
default), and ends its iterations when the loss or the step changes by less than
``tolerance_change``. A loss on a small scale (a mean squared error in metres, about 1e-7; a
physics residual of normalised units) has gradients below a tolerance written for another scale
(``tolerance_grad=1e-5``), so no step ever changes a parameter, silently: the log shows the same
loss and the same fitted constants every round.

The evidence is the run's: an L-BFGS optimizer stepped, its parameters received non-zero
gradients, and none of them changed. The candidates, smallest first, at the constructor call:
``tolerance_grad`` back to its default (dropped, when the call sets it), ``tolerance_grad=0.0``,
and both tolerances ``0.0`` (iterations then end at ``max_iter``). The re-run decides. Unsafe: the
optimizer now takes the steps the tolerances refused.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.expressions import call_argument, with_keyword, without_arguments
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.trace import OptimizerFact, Trace

_GRAD, _CHANGE = 4, 5  # LBFGS(params, lr, max_iter, max_eval, tolerance_grad, tolerance_change, ...)


class LbfgsTolerance(Rule):
    code = "GF115"
    title = "L-BFGS tolerances stop every step before it moves"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for optimizer in trace.optimizers:
            finding = self._finding(trace, project, optimizer)
            if finding is not None:
                findings.append(finding)
        return findings

    def _finding(self, trace: Trace, project: Project, optimizer: OptimizerFact) -> Optional[Finding]:
        if not optimizer.cls.endswith(".LBFGS") or not optimizer.steps or optimizer.site is None:
            return None
        held = [p for n in optimizer.params if (p := trace.param(n)) is not None and p.requires_grad]
        if not held or any(p.changed for p in held) or not any(p.nonzero_grad for p in held):
            return None
        if not project.is_editable(optimizer.site.file):
            return None
        source = project.source(optimizer.site.file)
        # the call at the site that built it, however the class was imported (`LBFGS as QuasiNewton`)
        calls = source.nodes_at(optimizer.site, cst.Call)
        if not calls:
            return None
        call = calls[-1]
        config = source.module.config_for_parsing
        zero = cst.parse_expression("0.0", config=config)
        candidates: list[Candidate] = []
        given = call_argument(call, _GRAD, "tolerance_grad")
        if given is not None and given.keyword is not None:
            candidates.append(self.candidate(
                "leave tolerance_grad at its default (1e-7)", source.path, [source.replace_node(call, without_arguments(call, [given]))],
            ))
        candidates.append(self.candidate(
            "tolerance_grad=0.0: step whatever the gradient's size", source.path,
            [source.replace_node(call, with_keyword(call, "tolerance_grad", zero, _GRAD))],
        ))
        both = with_keyword(with_keyword(call, "tolerance_grad", zero, _GRAD), "tolerance_change", zero.deep_clone(), _CHANGE)
        candidates.append(self.candidate(
            "tolerance_grad=0.0 and tolerance_change=0.0: iterate to max_iter at every step", source.path,
            [source.replace_node(call, both)],
        ))
        names = [p.name for p in held if p.nonzero_grad]
        limit = f" ({source.code(given.value)})" if given is not None else " (1e-7 by default)"
        message = (
            f"{short_list(names)} {'receives' if len(names) == 1 else 'receive'} non-zero gradients but never "
            f"{'changes' if len(names) == 1 else 'change'} in {optimizer.steps} L-BFGS steps: each "
            f"step returns before it moves when the largest gradient entry is at most tolerance_grad{limit}, or the loss "
            "changes by less than tolerance_change; the loss's scale is smaller than the tolerances"
        )
        return self.finding(project, optimizer.site, message, names, candidates)
