"""GF089: a random operation (dropout, ``randn_like``, ``bernoulli``) inside a function mapped with
``torch.vmap`` under its default ``randomness="error"``: "vmap: called random operation while in
randomness error mode. Please either use the 'same' or 'different' randomness flags on vmap or
perform the randomness operation out of vmap". Nothing trains.

Ensembles vectorised with ``torch.vmap(functional_call)`` (a DroQ or REDQ critic ensemble, a
deep ensemble, model soups) and per-sample gradients (``vmap(grad(loss))`` in DP-SGD) map a
model's forward; when that model has dropout in training mode, or samples noise, vmap cannot know
whether each mapped call should draw its own random numbers, and refuses by default.

The crash is read from the run (torch's message). gradfix finds the ``vmap`` calls (``torch.vmap``,
``torch.func.vmap``, ``functorch.vmap``, under any import alias) that do not pass ``randomness`` in
the file that raised and the files that built the run's modules, and proposes
``randomness="different"`` on each (each mapped call draws its own numbers: an ensemble's members
their own dropout masks, each sample its own, as an unmapped loop would), then
``randomness="same"`` (one draw shared by all). The re-run decides. Safe: nothing but the random
draws changes, and only where vmap refused to draw.
"""

from __future__ import annotations

import libcst as cst

from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import Trace

_MESSAGE = "called random operation while in randomness error mode"
_VMAP = {"torch.vmap", "torch.func.vmap", "functorch.vmap", "torch._functorch.apis.vmap", "torch._functorch.vmap.vmap"}


def _without_randomness(source: SourceFile, call: cst.Call) -> bool:
    # `vmap(f)(x)`: the outer call, of what vmap returned, is named torch.vmap too
    if isinstance(call.func, cst.Call) or not source.qualified_names(call.func) & _VMAP or any(a.star for a in call.args):
        return False
    return call_argument(call, 3, "randomness") is None


class VmapRandomness(Rule):
    code = "GF089"
    title = "random operation under vmap in randomness error mode"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message:
            return []
        candidates = [
            candidate for mode, says in (
                ("different", "each mapped call draws its own random numbers"), ("same", "one draw shared by every mapped call"),
            )
            for candidate in self.keyword_candidates(
                trace, project, _without_randomness, "randomness", f'"{mode}"',
                lambda _, line, mode=mode, says=says: f'pass randomness="{mode}" to vmap at line {line}: {says}',
            )
        ]
        if not candidates:
            return []
        message = (
            f"the script crashed: {crash.type}: a random operation (dropout, noise) ran inside a function mapped by vmap, "
            'whose default randomness="error" refuses it; nothing trains'
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]
