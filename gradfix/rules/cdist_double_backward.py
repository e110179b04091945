"""GF111: ``torch.cdist`` differentiated twice (a PINN's Laplacian of an RBF network taken with
``create_graph=True``, score matching's trace of the Hessian, a gradient penalty through a
distance kernel) in its direct mode: its backward, ``_cdist_backward``, has no derivative, and the
first ``loss.backward()`` fails with "the derivative for '_cdist_backward' is not implemented".
Nothing trains. The direct mode is used when the script asks for it
(``compute_mode="donot_use_mm_for_euclid_dist"``), and by default whenever both point sets have
25 rows or fewer, so a script can pass with a large batch and fail with a small one.

The evidence is the run's: the crash message. The fix asks each Euclidean ``torch.cdist`` call in
the files where the crash's cause can be written (``p`` not given, 2, or read from a config) for the matrix-product
mode, ``compute_mode="use_mm_for_euclid_dist"``, whose ops are all twice differentiable; all of
them together first, then each alone, and the re-run decides. Safe: the distances are the same
up to rounding (the product form loses a little precision for nearly equal points).
"""

from __future__ import annotations

import libcst as cst

from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import Trace

_MESSAGE = "the derivative for '_cdist_backward' is not implemented"
_CDIST = {"torch.cdist", "torch.functional.cdist"}
_MODE = 3  # cdist(x1, x2, p=2.0, compute_mode=...)
_MM = '"use_mm_for_euclid_dist"'


def _euclidean(source: SourceFile, call: cst.Call) -> bool:
    """A ``torch.cdist`` with ``p`` 2 that does not already use the matrix-product mode."""
    if not source.qualified_names(call.func) & _CDIST:
        return False
    p = call_argument(call, 2, "p")
    # a literal other norm has no matrix-product mode; a `p` read from a config may well be 2
    # (torch ignores the mode for other norms): the re-run decides
    if p is not None and isinstance(p.value, (cst.Integer, cst.Float)) and float(p.value.value) != 2.0:
        return False
    mode = call_argument(call, _MODE, "compute_mode")
    return mode is None or not (isinstance(mode.value, cst.SimpleString) and mode.value.evaluated_value == "use_mm_for_euclid_dist")


class CdistDoubleBackward(Rule):
    code = "GF111"
    title = "torch.cdist differentiated twice in its direct mode"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message:
            return []
        candidates = self.keyword_candidates(
            trace, project, _euclidean, "compute_mode", _MM,
            lambda callee, line: f'compute_mode="use_mm_for_euclid_dist" for the `{callee}` at line {line}: twice differentiable',
            position=_MODE,
        )
        every = self.together(candidates, 'compute_mode="use_mm_for_euclid_dist" for every torch.cdist: twice differentiable')
        if every is not None:
            candidates.insert(0, every)
        message = (
            f"the script crashed: {crash.type}: {crash.message}; torch.cdist's direct mode (asked for, or torch's default when "
            "both point sets have 25 rows or fewer) has a backward with no derivative, and the loss differentiates through it "
            "twice (create_graph=True); nothing trains"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]
