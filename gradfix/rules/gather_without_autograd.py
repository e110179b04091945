"""GF097: a loss built on features gathered from every rank with ``torch.distributed.all_gather``,
which has no autograd: the gathered copies carry no graph, this rank's own features included, so
the tower that made them gets no gradient from the loss and never changes. Nothing raises.

Contrastive losses (CLIP, SimCLR, MoCo's in-batch negatives) gather the embeddings of every rank
so that each sample sees the whole global batch as negatives. ``dist.all_gather(out, x)`` writes
plain copies into ``out``; a loss written on ``torch.cat(out)`` alone never reaches ``x``. The usual
remedy, as in open_clip and SimCLR, puts this rank's own tensor, with its graph, back in its slot
(``out[rank] = x``): the gradient of the local part flows, and each rank's optimizer (or DDP's
all-reduce) does the rest.

The evidence comes from the run: parameters that an optimizer holds and steps never got a
gradient, and the user's files call ``all_gather`` (``torch.distributed``, under any alias) with a
list named in the script. The fix adds ``out[dist.get_rank()] = x`` after the call, spelled with the
call's own module name (``get_rank(group)`` when the call passes a process group: the slot is the
rank within it). It is a conjecture from the source, reported only when the re-run proves
it: the stuck parameters must then get gradients and change. Safe: the values are the same; only
the graph of the local slot comes back.
"""

from __future__ import annotations

import libcst as cst

from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import descendants
from gradfix.torch_api import spelled_or_imported
from gradfix.trace import Trace

_ALL_GATHER = {"torch.distributed.all_gather", "torch.distributed.distributed_c10d.all_gather"}


class GatherWithoutAutograd(Rule):
    code = "GF097"
    title = "loss on features gathered by all_gather, which has no autograd"
    applicability = Applicability.SAFE
    claims_what_trains = True

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if trace.crash is not None or not trace.steps:
            return []
        stuck = [p.name for p in trace.params if p.requires_grad and p.optimizers and not p.got_grad and p.is_leaf]
        if not stuck:
            return []
        findings = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for call in descendants(source.module, cst.Call):
                if not source.qualified_names(call.func) & _ALL_GATHER or any(a.star for a in call.args):
                    continue
                out, given = call_argument(call, 0, "tensor_list"), call_argument(call, 1, "tensor")
                if out is None or given is None or not isinstance(out.value, cst.Name):
                    continue
                statement = source.statement_of(call)
                if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1 or not isinstance(statement.body[0], cst.Expr):
                    continue
                gathered, local = out.value.value, source.code(given.value)
                edits = []
                if isinstance(call.func, cst.Attribute):
                    get_rank = f"{source.code(call.func.value)}.get_rank"
                else:  # `from torch.distributed import all_gather`
                    get_rank, edits = spelled_or_imported(source, "torch.distributed.get_rank")
                # within a process group, the slot is the rank in that group
                group = call_argument(call, 2, "group")
                within = "" if group is None or (isinstance(group.value, cst.Name) and group.value.value == "None") else source.code(group.value)
                line = source.range(statement).end.line
                indent = source.indentation(source.range(statement).start.line)
                put_back = f"{gathered}[{get_rank}({within})] = {local}"
                candidate = self.candidate(
                    f"put this rank's own `{local}`, with its graph, back into its slot of `{gathered}` after the gather: `{put_back}`",
                    path, [source.insert_lines(line + 1, f"{indent}{put_back}\n"), *edits],
                )
                message = (
                    f"`{source.code(call.func)}` copies every rank's `{local}` into `{gathered}` without a graph, this rank's own too; "
                    f"a loss on `{gathered}` never reaches what made `{local}`: {short_list(stuck)} never "
                    f"{'gets' if len(stuck) == 1 else 'get'} a gradient"
                )
                finding = self.finding(project, source.site(call), message, stuck, [candidate])
                finding.conjecture = True  # the source suggests it; only a re-run that trains them shows it
                findings.append(finding)
        return findings
