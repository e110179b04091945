"""GF112: a module run by calling its ``forward`` method (``self.backbone.forward(x)``) instead of
the module itself, while something the script trains lives in that module's hooks: an adapter or
a LoRA branch added by a forward hook, a pre-hook that applies a pruning mask or a weight
parametrization, a hook that mixes in a learned prompt. ``nn.Module.__call__`` runs the hooks and
``forward`` alone does not, so what the hooks would run never runs: its parameters get no
gradient and never change. Nothing raises.

The evidence comes from the run: parameters that an optimizer holds and steps never got a
gradient. In the user's files, each ``<module>.forward(...)`` call (not ``super().forward``)
becomes a call of the module, ``<module>(...)``. It is a conjecture from the source, reported only
when the re-run proves it: the stuck parameters must then get non-zero gradients and change, and
no parameter may lose its gradient. Safe: the module runs as torch means it to, with its hooks.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace


def _direct(call: cst.Call) -> Optional[cst.BaseExpression]:
    """The module whose ``forward`` this call runs directly, unless it is ``super()``'s."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "forward"):
        return None
    receiver = func.value
    if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Name) and receiver.func.value == "super":
        return None
    return receiver


class ForwardCalledDirectly(Rule):
    code = "GF112"
    title = "module run through .forward(), which skips its hooks"
    applicability = Applicability.SAFE
    claims_what_trains = True

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if trace.crash is not None or not trace.steps:
            return []
        stuck = [p.name for p in trace.params if p.requires_grad and p.optimizers and not p.got_grad and not p.changed and p.is_leaf]
        if not stuck:
            return []
        findings = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for call in descendants(source.module, cst.Call):
                receiver = _direct(call)
                if receiver is not None:
                    findings.append(self._finding(project, source, call, receiver, stuck))
        return findings

    def _finding(self, project: Project, source: SourceFile, call: cst.Call, receiver: cst.BaseExpression, stuck: list[str]) -> Finding:
        module = source.code(receiver)
        line = source.range(call).start.line
        edit = source.replace_node(call, call.with_changes(func=receiver))
        candidate = self.candidate(f"call `{module}(...)` instead of `{module}.forward(...)` at line {line}: its hooks run", source.path, [edit])
        message = (
            f"`{module}.forward(...)` runs the module's forward without its hooks (forward hooks and pre-hooks run only "
            f"when the module itself is called), while {short_list(stuck)} never {'gets' if len(stuck) == 1 else 'get'} a "
            "gradient: what a hook adds (an adapter, a mask, a learned prompt) never runs"
        )
        finding = self.finding(project, source.site(call), message, stuck, [candidate])
        finding.conjecture = True  # whether a hook holds the stuck parameters only the re-run shows
        return finding
