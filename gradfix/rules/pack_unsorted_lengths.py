"""GF090: ``pack_padded_sequence`` given a batch whose lengths are not sorted in decreasing order,
under its default ``enforce_sorted=True``: "`lengths` array must be sorted in decreasing order
when `enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or
pack_sequence to sidestep this requirement if you do not need ONNX exportability." Nothing
trains.

A recurrent model over variable-length sequences (speech frames, sentences, event logs) packs
its padded batch before the RNN. With a shuffling ``DataLoader`` (or a collate function that does
not sort), the lengths come in any order, and the first unsorted batch stops the run.

The crash is read from the run (torch's message). gradfix finds the ``pack_padded_sequence`` and
``pack_sequence`` calls (``nn.utils.rnn.*``, under any import alias) that do not pass
``enforce_sorted`` in the file that raised and the files that built the run's modules, and
proposes ``enforce_sorted=False`` on each: the batch is sorted inside the packed sequence, and
``pad_packed_sequence`` gives the outputs back in the batch's own order. The re-run decides. Safe:
the values computed are the same; only a model exported to ONNX needs sorted batches.
"""

from __future__ import annotations

import libcst as cst

from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import Trace

_MESSAGE = "must be sorted in decreasing order when `enforce_sorted` is True"
_PACKS = {
    "torch.nn.utils.rnn.pack_padded_sequence": 3,  # enforce_sorted's position
    "torch.nn.utils.rnn.pack_sequence": 1,
}


def _unsorted_allowed(source: SourceFile, call: cst.Call) -> bool:
    """A packing call that does not say whether its lengths must come sorted."""
    names = source.qualified_names(call.func) & set(_PACKS)
    if not names or any(a.star for a in call.args):
        return False
    return call_argument(call, _PACKS[next(iter(names))], "enforce_sorted") is None


class PackUnsortedLengths(Rule):
    code = "GF090"
    title = "sequences packed unsorted with enforce_sorted=True"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message:
            return []
        candidates = self.keyword_candidates(
            trace, project, _unsorted_allowed, "enforce_sorted", "False",
            lambda callee, line: f"pass enforce_sorted=False to {callee} at line {line}: the batch is sorted inside the packed sequence",
        )
        if not candidates:
            return []
        together = self.together(candidates, f"pass enforce_sorted=False to all {len(candidates)} packing calls")
        if together is not None:
            candidates.append(together)
        message = (
            f"the script crashed: {crash.type}: a batch whose lengths are not in decreasing order was packed with "
            "enforce_sorted=True (the default); nothing trains"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]
