"""GF075: a checkpointed block whose forward changes state it reads (a KV cache it appends to, a
memory it rolls, a counter), so that the recomputation during ``backward()`` differs from the
forward: ``CheckpointError: torch.utils.checkpoint: Recomputed values for the following tensors
have different metadata than during the forward pass`` (or "A different number of tensors was
saved during the original forward and recomputation"), and nothing trains.

Activation checkpointing runs the block twice: once in the forward, keeping only its inputs, and
again in ``backward()`` to rebuild what it needs. A block that appended to ``self.cache_k`` in its
forward finds the cache one chunk longer the second time, and the non-reentrant variant refuses the
mismatch. The crash is read from the run (torch's own message) with the probe's record of the
checkpoint calls; the explanation names the attributes the ``forward`` of the modules that ran
inside assigns to ``self``.

The candidate calls the checkpointed function directly at each non-reentrant ``checkpoint(...)``
call of the user's code, one candidate per call (and all of them together): the block then runs
once, with its state as the forward left it. Its activations are kept: more memory, the same
values. It is unsafe for that reason (a model that fit in memory only with checkpointing may not
fit without it). Making the state change idempotent (slicing the cache to the position it starts
at) keeps the checkpointing; it is the user's to write, and the message points at the assignment.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import CheckpointCall, Trace

_MESSAGES = (
    "Recomputed values for the following tensors have different metadata than during the forward pass",
    "A different number of tensors was saved during the original forward and recomputation",
)
# checkpoint()'s own keywords; any other keyword goes on to the function.
_CHECKPOINT_KEYWORDS = {"use_reentrant", "preserve_rng_state", "determinism_check", "debug", "context_fn"}


def _direct_call(source: SourceFile, call: cst.Call) -> Optional[cst.Call]:
    """``checkpoint(block, h, pos, use_reentrant=False)`` -> ``block(h, pos)``."""
    if not call.args or call.args[0].keyword is not None or call.args[0].star:
        return None
    function = call.args[0].value
    if isinstance(function, (cst.Lambda, cst.IfExp, cst.BinaryOperation, cst.BooleanOperation)):
        function = function.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    rest = [a for a in call.args[1:] if a.keyword is None or a.keyword.value not in _CHECKPOINT_KEYWORDS]
    if rest:
        rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return cst.Call(func=function, args=rest)


def _state_writes(source: SourceFile, classes: set[str]) -> list[tuple[str, str, int, int]]:
    """(class, attribute, line, column) of ``self.<attr> = ...`` in the ``forward`` of these classes."""
    found = []
    for cls in descendants(source.module, cst.ClassDef):
        if cls.name.value not in classes:
            continue
        for method in descendants(cls, cst.FunctionDef):
            if method.name.value != "forward" or not method.params.params:
                continue
            me = method.params.params[0].name.value
            targets = [t.target for t in descendants(method, cst.AssignTarget)]
            targets += [a.target for a in descendants(method, cst.AugAssign)]
            elements = [e.value for t in targets if isinstance(t, cst.Tuple) for e in t.elements]
            for target in [*targets, *elements]:
                if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == me:
                    where = source.range(target).start
                    found.append((cls.name.value, target.attr.value, where.line, where.column))
    return found


class CheckpointRecomputesDifferently(Rule):
    code = "GF075"
    title = "checkpointed block changes its state in forward"
    # Unsafe: the same values, but the activations are kept in memory.
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or not any(m in crash.message for m in _MESSAGES):
            return []
        calls = [c for c in trace.checkpoints if not c.reentrant and c.api == "checkpoint" and project.is_editable(c.site.file)]
        if not calls:
            return []
        candidates: list[Candidate] = []
        for fact in calls:
            made = self._uncheckpointed(project, fact)
            if made is None:
                continue
            path, edit, shown = made
            candidates.append(self.candidate(f"call `{shown}` directly, without checkpointing", path, [edit], at=(path, fact.site.line, fact.site.column or 0)))
        together = self.together(candidates, f"all {len(candidates)} checkpointed calls made directly")
        if together is not None:
            candidates.append(together)
        writes = self._writes(trace, project, calls)
        shown_writes = ", ".join(f"`self.{attr}` ({cls}.forward, line {line})" for cls, attr, line, _ in writes[:3])
        why = (
            f"the forward of a module inside assigns {shown_writes}, so the recomputation in backward() does not see what the forward saw"
            if writes else (
                "the checkpointed function computed something else the second time (state it reads changed in between, "
                "or a draw from Python's or NumPy's random generator, which checkpointing does not replay)"
            )
        )
        site = calls[0].site
        message = (
            f"the script crashed: {crash.type}: a checkpointed block is run again in backward() to rebuild its activations, and "
            f"{why}; nothing trains"
        )
        # what the optimizers hold: a table kept out of them (read only through a detached cache) is not the fix's to train
        params = trace.meant_to_train()
        return [self.finding(project, site, message, params, candidates, blocking=True)]

    @staticmethod
    def _uncheckpointed(project: Project, fact: CheckpointCall) -> Optional[tuple[str, Edit, str]]:
        source = project.source(fact.site.file)
        calls = [c for c in source.nodes_at(fact.site, cst.Call) if source.qualified_names(c.func) & {"torch.utils.checkpoint.checkpoint"}]
        if len(calls) != 1:
            return None
        direct = _direct_call(source, calls[0])
        if direct is None:
            return None
        return source.path, source.replace_node(calls[0], direct), source.code(calls[0])

    @staticmethod
    def _writes(trace: Trace, project: Project, calls: list[CheckpointCall]) -> list[tuple[str, str, int, int]]:
        """The ``self.<attr>`` assignments in the forward of the user's classes that ran inside."""
        inside = {name.rsplit(".", 1)[0] for c in calls for name in c.params}
        classes: dict[str, set[str]] = {}
        for module in trace.modules:
            if module.path is None or module.site is None or not project.is_editable(module.site.file):
                continue
            if any(name == module.path or name.startswith(module.path + ".") for name in inside):
                classes.setdefault(module.site.file, set()).add(module.cls.rsplit(".", 1)[-1])
        found: list[tuple[str, str, int, int]] = []
        for path, names in classes.items():
            found += _state_writes(project.source(path), names)
        return sorted(set(found), key=lambda w: (w[2], w[3]))
