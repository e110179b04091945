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


def _receiver(node: cst.Attribute) -> Optional[cst.BaseExpression]:
    """The module whose ``forward`` this ``<module>.forward`` names, unless it is ``super()``'s."""
    if node.attr.value != "forward":
        return None
    receiver = node.value
    if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Name) and receiver.func.value == "super":
        return None
    return receiver


def _direct_uses(source: SourceFile) -> dict[str, list[tuple[cst.CSTNode, cst.BaseExpression]]]:
    """Each ``<module>.forward(...)`` call, and each ``<module>.forward`` handed on uncalled
    (``checkpoint(block.forward, h)``), by the module's code: the node to replace and its stand-in."""
    found: dict[str, list[tuple[cst.CSTNode, cst.BaseExpression]]] = {}
    for attribute in descendants(source.module, cst.Attribute):
        receiver = _receiver(attribute)
        if receiver is None:
            continue
        parent = source.parent(attribute)
        if isinstance(parent, cst.Call) and parent.func is attribute:
            found.setdefault(source.code(receiver), []).append((parent, parent.with_changes(func=receiver)))
        elif isinstance(parent, cst.Arg) and parent.value is attribute:
            found.setdefault(source.code(receiver), []).append((attribute, receiver))
    return found


# everything trainable is in what the hooks add: the loss has no graph at all
_NOTHING_TRAINS = "does not require grad and does not have a grad_fn"


class ForwardCalledDirectly(Rule):
    code = "GF112"
    title = "module run through .forward(), which skips its hooks"
    applicability = Applicability.SAFE
    claims_what_trains = True

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is not None and _NOTHING_TRAINS not in crash.message:
            return []
        if crash is None and not trace.steps:
            return []
        stuck = [p.name for p in trace.params if p.requires_grad and p.optimizers and not p.got_grad and not p.changed and p.is_leaf]
        if not stuck:
            return []
        findings = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for module, uses in _direct_uses(source).items():
                findings.append(self._finding(project, source, module, uses, stuck, blocking=crash is not None))
        return findings

    def _finding(
        self, project: Project, source: SourceFile, module: str, uses: list[tuple[cst.CSTNode, cst.BaseExpression]],
        stuck: list[str], blocking: bool,
    ) -> Finding:
        """One candidate for all the direct uses of one module in a file: training and evaluation
        alike then run its hooks."""
        edits = [source.replace_node(node, stand_in) for node, stand_in in uses]
        lines = sorted({source.range(node).start.line for node, _ in uses})
        at = f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"
        candidate = self.candidate(f"call `{module}(...)` instead of `{module}.forward(...)` at {at}: its hooks run", source.path, edits)
        message = (
            f"`{module}.forward` runs the module's forward without its hooks (forward hooks and pre-hooks run only "
            f"when the module itself is called), while {short_list(stuck)} never {'gets' if len(stuck) == 1 else 'get'} a "
            "gradient: what a hook adds (an adapter, a mask, a learned prompt) never runs"
        )
        finding = self.finding(project, source.site(uses[0][0]), message, stuck, [candidate], blocking=blocking)
        finding.conjecture = True  # whether a hook holds the stuck parameters only the re-run shows
        return finding
