"""GF104: a model with BatchNorm layers that track running statistics, run inside a ``torch.func``
transform (``grad``, ``vjp``, ``jacrev``, ``vmap``): in training mode each BatchNorm updates its
``running_mean`` and ``running_var`` in place, buffers the transform captured from outside, and
torch refuses: "During a grad (vjp, jvp, grad, etc) transform, the function provided attempted to
call in-place operation (aten::add_.Tensor) that would mutate a captured Tensor" (under ``vmap``:
"Batch norm got a batched tensor as input while the running_mean or running_var, which will be
updated in place, were not batched"). The first meta-step or per-sample step fails; nothing trains.

MAML with ``functional_call`` and ``torch.func.grad``, per-sample gradients, model ensembling: all
substitute the parameters, not the buffers. The torch.func documentation's remedies are to stop
tracking running statistics (``track_running_stats=False``: batch statistics in training and in
evaluation alike, as MAML's own reference code does) or to pass the buffers in explicitly.

The evidence is the run's: the crash message, and the BatchNorm layers the run built (a user
class that extends one counts) at their constructor calls in the user's files: ``nn.BatchNorm2d(c)``,
``FreezableBN(c)``, a ``norm_layer(c)`` factory, a flag read from a config, ``**norm_kwargs``.
The fix passes ``track_running_stats=False`` at those calls, all of them together first, then each
alone; the re-run decides. Unsafe: evaluation then normalises with the statistics of its own batch
instead of running averages.
"""

from __future__ import annotations

from typing import Callable

import libcst as cst

from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import Trace

_MESSAGES = (
    "transform, the function provided attempted to call in-place operation",
    "Batch norm got a batched tensor as input while the running_mean or running_var",
)
_NORMS = {
    f"torch.nn.{kind}{n}d" for kind in ("BatchNorm", "LazyBatchNorm") for n in (1, 2, 3)
} | {f"torch.nn.modules.batchnorm.BatchNorm{n}d" for n in (1, 2, 3)} | {"torch.nn.SyncBatchNorm"}
_BATCHNORM_MODULE = "torch.nn.modules.batchnorm."
_TRACK = 4  # BatchNorm2d(num_features, eps, momentum, affine, track_running_stats, ...)


def _built_here(trace: Trace) -> Callable[[SourceFile, cst.Call], bool]:
    """The calls that built the run's BatchNorm layers, and any BatchNorm constructor, that do not
    already turn running statistics off (``False``, or ``None`` from a config default)."""
    sites = {
        (m.site.file, m.site.line, m.site.column) for m in trace.modules
        if m.site is not None and m.torch_class.startswith(_BATCHNORM_MODULE)
    }

    def tracking(source: SourceFile, call: cst.Call) -> bool:
        start = source.range(call).start
        if not (source.qualified_names(call.func) & _NORMS or (source.path, start.line, start.column) in sites):
            return False
        given = call_argument(call, _TRACK, "track_running_stats")
        return given is None or not (isinstance(given.value, cst.Name) and given.value.value in ("False", "None"))

    return tracking


class BatchnormStatsInTransform(Rule):
    code = "GF104"
    title = "BatchNorm running statistics updated inside a torch.func transform"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or not any(m in crash.message for m in _MESSAGES):
            return []
        if not any(m.torch_class.startswith(_BATCHNORM_MODULE) for m in trace.modules):
            return []
        candidates = self.keyword_candidates(
            trace, project, _built_here(trace), "track_running_stats", "False",
            lambda callee, line: f"track_running_stats=False for the `{callee}` at line {line}: it normalises with batch statistics",
            position=_TRACK,
        )
        every = self.together(candidates, "track_running_stats=False for every BatchNorm: they normalise with batch statistics")
        if every is not None:
            candidates.insert(0, every)
        message = (
            f"the script crashed: {crash.type}: {crash.message}; the model's BatchNorm layers update their running "
            "statistics in place in training mode, and inside a torch.func transform those buffers are captured from "
            "outside, which the transform refuses; nothing trains"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]
