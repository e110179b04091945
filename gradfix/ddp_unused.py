"""A part of a ``DistributedDataParallel`` model that sits out an iteration on purpose.

DDP waits for a gradient of every parameter it holds; a branch that ran and was left out of the
loss (GF056), or that did not run in this phase at all (GF016), stops the next iteration with
"Expected to have finished reduction in the prior iteration". When the branch is meant to sit out
(it joins the loss after a warm-up, in a later epoch, once a teacher is attached), the fix is DDP's:
``find_unused_parameters=True`` on the call that built the wrapper. The candidate, and its verdict:
the crash gone, every other parameter trained, the branch left as it was.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Patch
from gradfix.expressions import call_argument, with_keyword
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile
from gradfix.trace import Trace
from gradfix.verify import judge

_KEYWORD = "find_unused_parameters"
_DESCRIBED = "let DistributedDataParallel skip the gradients a branch left out of the loss does not get"


def ddp_waits_for_gradients(trace: Trace) -> bool:
    """The run stopped where DDP found gradients of the previous iteration never reduced."""
    return trace.crash is not None and "Expected to have finished reduction" in trace.crash.message


def ddp_wrappers_holding(trace: Trace, project: Project, paths: list[str]) -> list[tuple[SourceFile, cst.Call]]:
    """The ``DistributedDataParallel(...)`` calls that built the wrappers holding the modules at
    these paths (``model.module.aux``), in files gradfix may edit."""
    found = []
    for wrapper in trace.modules:
        if not wrapper.cls.endswith(".DistributedDataParallel") or wrapper.site is None or not wrapper.path:
            continue
        if not any(path.startswith(f"{wrapper.path}.") for path in paths):
            continue
        if not project.is_editable(wrapper.site.file):
            continue
        source = project.source(wrapper.site.file)
        calls = source.nodes_at(wrapper.site, cst.Call)
        if calls:
            # Without columns (Python 3.10) every call on the line comes, the outermost first:
            # `DDP(Net(), ...)` is the wrapper's, `Net()` the model's.
            found.append((source, calls[0]))
    return found


def told_unused(call: cst.Call) -> bool:
    """The call passes ``find_unused_parameters=True`` as the literal ``True``."""
    given = call_argument(call, None, _KEYWORD)
    return given is not None and isinstance(given.value, cst.Name) and given.value.value == "True"


def find_unused_candidate(source: SourceFile, call: cst.Call) -> Optional[Candidate]:
    """``DistributedDataParallel(model, find_unused_parameters=True)``: the keyword added, or the
    value it passes replaced. The branch stays as it is: it sits out on purpose. ``params=[]``
    marks it for :func:`judge_find_unused`."""
    if any(arg.star for arg in call.args) or not call.args:
        return None  # `**ddp_kwargs`: what they hold is known only at run time
    new = with_keyword(call, _KEYWORD, cst.Name("True"))
    line = source.range(call).start.line
    spelled = source.module.code_for_node(new)  # type: ignore[arg-type]
    shown = f"`{spelled}`" if "\n" not in spelled and len(spelled) <= 100 else f"{_KEYWORD}=True"
    description = f"{_DESCRIBED}: {shown} at line {line}"
    return Candidate(description, [Patch(source.path, [source.replace_node(call, new)])], Applicability.UNSAFE, params=[])


def is_find_unused(candidate: Candidate) -> bool:
    """The candidate :func:`find_unused_candidate` made."""
    return candidate.params == [] and candidate.description.startswith(_DESCRIBED)


def judge_find_unused(finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
    """The usual verdict, except for the find_unused_parameters candidate: the branch stays out of
    the loss on purpose, so what counts is that DDP runs on and every other parameter of the model
    trains, with the replicas equal."""
    verdict = judge(finding, candidate, before, run)
    if not is_find_unused(candidate) or not verdict.verified or verdict.partial:
        return verdict
    after = run.trace
    stuck = [
        p.name for p in after.params
        if p.requires_grad and p.optimizers and not (p.got_grad and p.changed) and p.name not in finding.params
    ]
    if stuck:
        return Verdict(False, f"{short_list(stuck)} still do not train")
    if after.replicas_differ:
        return Verdict(False, f"the replicas differ after the step: {short_list(after.replicas_differ)}")
    ranks = f" in all {after.world_size} ranks" if after.world_size > 1 else ""
    return Verdict(
        True,
        f"the crash is gone: every other parameter of the model receives a gradient and changes after "
        f"optimizer.step(){ranks}; {short_list(finding.params)}, left out of the loss in this run, stay as they were",
        [],
    )
