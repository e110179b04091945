"""GF087: a BatchNorm in training mode given a batch of one sample, the epoch's short last batch:
"ValueError: Expected more than 1 value per channel when training". Training stops at the end of
the first epoch.

When the dataset's size leaves one sample over a multiple of the batch size (57 tiles in batches
of 8), a ``DataLoader`` with the default ``drop_last=False`` ends each epoch with a batch of one.
A ``BatchNorm1d`` after a linear layer, or a ``BatchNorm2d`` after a global pooling (an ASPP's
image-pooling branch, a squeeze-and-excitation block), then sees one value per channel, whose
batch variance is undefined, and raises. The first batches train; the crash comes at the epoch's
end, which gradfix reaches by running each loader's short last batch before it ends a loop early.

The crash is read from the run (torch's message). The fix goes where the loaders are built: each
``DataLoader(...)`` call in the user's files that does not already drop its last batch gets
``drop_last=True``, after a ``**config`` it unpacks (a loader given ``batch_size=1`` or a
``batch_sampler`` is left alone, as is one whose ``drop_last`` is a name: the script's own switch); the re-run keeps the one after which
the run goes past the epoch's end and the parameters train (dropping a validation loader's last
batch changes nothing, and is rejected). Unsafe: each epoch leaves one sample out (another one
each epoch when the loader shuffles).
"""

from __future__ import annotations

import libcst as cst

from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.trace import Trace

_MESSAGE = "Expected more than 1 value per channel when training"
_LOADERS = {"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"}


def _drops_nothing(call: cst.Call) -> bool:
    """A loader that keeps its short last batch: ``drop_last`` not given, or ``False``; with a
    batch size that is not 1 and no batch sampler."""
    # `DataLoader(ds, **config)`: the keyword goes after it (a config that holds drop_last too
    # makes the call fail with "multiple values", and the re-run rejects it); a `*args` hides
    # which positions are given
    if call_argument(call, 4, "batch_sampler") is not None or any(a.star == "*" for a in call.args):
        return False
    size = call_argument(call, 1, "batch_size")
    if size is not None and isinstance(size.value, cst.Integer) and size.value.evaluated_value == 1:
        return False
    drop = call_argument(call, 8, "drop_last")
    return drop is None or (isinstance(drop.value, cst.Name) and drop.value.value == "False")


class BatchnormBatchOfOne(Rule):
    code = "GF087"
    title = "BatchNorm given a batch of one sample in training"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message:
            return []
        candidates = self.keyword_candidates(
            trace, project, lambda source, call: bool(source.qualified_names(call.func) & _LOADERS) and _drops_nothing(call),
            "drop_last", "True", lambda _, line: f"drop_last=True on the DataLoader at line {line}: its epochs end with full batches",
        )
        message = (
            f"the script crashed: {crash.type}: {crash.message.strip()}: a BatchNorm in training mode got a batch of one "
            "sample (a DataLoader's short last batch: the dataset's size leaves one sample over), and the variance of "
            "one value is undefined; training stops at the first epoch's end"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]
