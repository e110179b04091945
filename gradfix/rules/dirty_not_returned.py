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
crash's cause can be written, removes from each ``ctx.mark_dirty(...)`` in ``forward`` what no
``return`` of that ``forward`` gives back (a name or an attribute, alone or as an element of a
returned tuple, or what a returned name was computed in place from: ``out = pre.clamp_(0, 1)``),
and the whole statement when that is all it marks; one candidate per Function, all of them
together first; the re-run decides. Safe: what is returned is marked as
before, and the side buffers are updated as before.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.expressions import without_arguments
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_MESSAGE = "Some elements marked as dirty during the forward method were not returned as output"


def _returned(source: SourceFile, forward: cst.FunctionDef) -> set[str]:
    """What ``forward`` returns, alone or as elements of a tuple or list, as written, with the
    names it was computed in place from (``out = pre.clamp_(0, 1)``, then ``return out``: ``pre``)."""
    returned: set[str] = set()
    for ret in descendants(forward, cst.Return):
        value = ret.value
        elements = [e.value for e in value.elements] if isinstance(value, (cst.Tuple, cst.List)) else [value]
        returned |= {source.code(e) for e in elements if e is not None}
    for assign in reversed(list(descendants(forward, cst.Assign))):
        value = assign.value
        while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value.endswith("_"):
            value = value.func.value  # an in-place method returns the tensor it changed
        if isinstance(value, (cst.Name, cst.Attribute)) and any(source.code(t.target) in returned for t in assign.targets):
            returned.add(source.code(value))
    return returned


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
        # Several Functions that do it: each alone leaves the others' crash.
        every = self.together(candidates, "mark only what each forward returns as dirty, in every Function that marks more")
        if every is not None:
            candidates.insert(0, every)
        message = (
            f"the script crashed: {crash.type}: {crash.message}; a custom Function's forward marks as dirty a tensor it "
            "changes in place but does not return (a running statistic, a cache): mark_dirty is for the inputs it returns; "
            "nothing trains"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]

    def _candidate(self, source: SourceFile, forward: cst.FunctionDef) -> Optional[Candidate]:
        returned = _returned(source, forward)
        edits, dropped = [], []
        for call in descendants(forward, cst.Call):
            if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "mark_dirty") or any(a.star or a.keyword for a in call.args):
                continue
            side = [a for a in call.args if source.code(a.value) not in returned]
            if not side:
                continue
            dropped += [source.code(a.value) for a in side]
            kept = [a for a in call.args if a not in side]
            statement = source.statement_of(call)
            if not kept:
                # only side buffers were marked: the statement goes, when it is only the call
                if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and isinstance(statement.body[0], cst.Expr)):
                    continue
                edits.append(source.remove_statement(statement))
                continue
            edits.append(source.replace_node(call, without_arguments(call, side)))
        if not edits:
            return None
        cls = next((a for a in source.ancestors(forward) if isinstance(a, cst.ClassDef)), None)
        owner = f"`{cls.name.value}.forward`" if cls is not None else "forward"
        shown = ", ".join(f"`{n}`" for n in dict.fromkeys(dropped))
        return self.candidate(f"mark only what {owner} returns as dirty: not {shown}, which it changes in place on the side", source.path, edits)
