"""GF105: a custom ``torch.autograd.Function`` whose ``forward`` marks as dirty a tensor it does
not return: "Some elements marked as dirty during the forward method were not returned as output.
The inputs that are modified inplace must all be outputs of the Function." The first forward with
gradients on fails; nothing trains.

``ctx.mark_dirty`` is for the inputs that ``forward`` changed in place *and returns*: autograd
rebases their history onto the Function's output. A buffer updated in place on the side (the
running mean and variance of a hand-written in-place BatchNorm, a counter, a cache) is no output
and carries no gradient: it must not be marked. An evaluation under ``no_grad`` before training
runs fine (the check runs only when gradients are on); the first training step fails.

The evidence is the run's: the crash message. The fix, in the Functions of the files where the
crash's cause can be written, removes from each ``ctx.mark_dirty(...)`` in ``forward`` the names
that no ``return`` of that ``forward`` gives back (a name alone or an element of a returned
tuple), one candidate per Function; the re-run decides. Safe: what is returned is marked as
before, and the side buffers are updated as before.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_MESSAGE = "Some elements marked as dirty during the forward method were not returned as output"


def _returned(forward: cst.FunctionDef) -> set[str]:
    """The names ``forward`` returns, alone or as elements of a tuple or list."""
    names: set[str] = set()
    for ret in descendants(forward, cst.Return):
        value = ret.value
        elements = [e.value for e in value.elements] if isinstance(value, (cst.Tuple, cst.List)) else [value]
        names |= {e.value for e in elements if isinstance(e, cst.Name)}
    return names


class DirtyNotReturned(Rule):
    code = "GF105"
    title = "custom Function marks dirty a tensor it does not return"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message:
            return []
        candidates = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for forward in descendants(source.module, cst.FunctionDef):
                if forward.name.value == "forward" and (candidate := self._candidate(source, forward)) is not None:
                    candidates.append(candidate)
        message = (
            f"the script crashed: {crash.type}: {crash.message}; a custom Function's forward marks as dirty a tensor it "
            "changes in place but does not return (a running statistic, a cache): mark_dirty is for the inputs it returns; "
            "nothing trains"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]

    def _candidate(self, source: SourceFile, forward: cst.FunctionDef) -> Optional[Candidate]:
        returned = _returned(forward)
        if not returned:
            return None
        edits, dropped = [], []
        for call in descendants(forward, cst.Call):
            if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "mark_dirty") or any(a.star or a.keyword for a in call.args):
                continue
            kept = [a for a in call.args if not (isinstance(a.value, cst.Name) and a.value.value not in returned)]
            if len(kept) == len(call.args) or not kept:
                continue
            kept[-1] = kept[-1].with_changes(comma=call.args[-1].comma)
            dropped += [source.code(a.value) for a in call.args if a not in kept]
            edits.append(source.replace_node(call, call.with_changes(args=kept)))
        if not edits:
            return None
        cls = next((a for a in source.ancestors(forward) if isinstance(a, cst.ClassDef)), None)
        owner = f"`{cls.name.value}.forward`" if cls is not None else "forward"
        shown = ", ".join(f"`{n}`" for n in dict.fromkeys(dropped))
        return self.candidate(f"mark only what {owner} returns as dirty: not {shown}, which it changes in place on the side", source.path, edits)
