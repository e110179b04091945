"""GF101: a Dataset whose items carry a graph (a learnable transform, an ``nn.Module`` with
parameters, applied in ``__getitem__``), loaded by worker processes: the workers' collate stacks
into shared memory with ``torch.stack(..., out=...)``, which refuses tensors that require grad:
"Caught RuntimeError in DataLoader worker process 0 ... stack(): functions with out=... arguments
don't support automatic differentiation, but one of the arguments requires grad". Nothing trains.

A learnable enhancement curve, a learned augmentation or a feature extractor passed to a Dataset
as its ``transform`` runs inside ``__getitem__``. In the main process its outputs keep their graph
to the module's parameters and the loader stacks them with ``torch.stack``; in a worker they
cannot even be sent back (a graph does not cross processes), and torch's collate fails first.

The crash is read from the run: gradfix reads the worker's own error out of the traceback the
DataLoader re-raises. The fix loads in the main process: each ``DataLoader(...)`` call in the
user's files that passes ``num_workers`` (not 0) gets ``num_workers=0``, each alone and all
together; the re-run decides, and the transform's parameters must then receive gradients and
change. Unsafe: loading is no longer parallel. The better change, which the report says, is to
apply the module in the training step (``model(enhancer(x))``) and keep the Dataset to plain data.
"""

from __future__ import annotations

import libcst as cst

from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.trace import Trace

_MESSAGE = "arguments don't support automatic differentiation, but one of the arguments requires grad"
_WORKER = "(raised in DataLoader worker process"
_LOADERS = {"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"}


_NUM_WORKERS = 5  # DataLoader(dataset, batch_size, shuffle, sampler, batch_sampler, num_workers, ...)
# What a loader in the main process refuses ("persistent_workers option needs num_workers > 0",
# "prefetch_factor option could only be specified in multiprocessing"), where the call names them
_WORKERS_ONLY = {"persistent_workers": "False", "prefetch_factor": "None", "multiprocessing_context": "None"}


def _in_workers(call: cst.Call) -> bool:
    workers = call_argument(call, _NUM_WORKERS, "num_workers")
    return workers is not None and not (isinstance(workers.value, cst.Integer) and workers.value.evaluated_value == 0)


class GraphThroughLoaderWorkers(Rule):
    code = "GF101"
    title = "Dataset items that carry a graph, loaded by worker processes"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message or _WORKER not in crash.message:
            return []
        candidates = self.keyword_candidates(
            trace, project, lambda source, call: bool(source.qualified_names(call.func) & _LOADERS) and _in_workers(call),
            "num_workers", "0", lambda _, line: f"load in the main process: num_workers=0 for the DataLoader at line {line}",
            position=_NUM_WORKERS, conflicting=_WORKERS_ONLY,
        )
        # Every loader first: a worker's grad mode is on even when the loop that iterates it runs
        # under no_grad, so an evaluation loader with workers fails the same way, later.
        both = self.together(candidates, "load in the main process: num_workers=0 for every DataLoader that has workers")
        if both is not None:
            candidates.insert(0, both)
        message = (
            f"the script crashed: {crash.type}: {crash.message}; the Dataset's items require grad (a module with parameters "
            "runs in __getitem__, as its transform), and worker processes cannot stack or send a graph; nothing trains. "
            "Better than the fix: apply that module in the training step and keep the Dataset to plain data"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]
