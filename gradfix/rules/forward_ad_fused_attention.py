"""GF099: forward-mode differentiation (``torch.func.jvp``, ``torch.autograd.forward_ad``,
``jacfwd``) through ``F.scaled_dot_product_attention``, whose fused kernels have no forward-AD
formula: "Trying to use forward AD with _scaled_dot_product_flash_attention_for_cpu that does not
support it". Nothing trains.

Consistency and flow-map models (MeanFlow, sCM, shortcut models) take the time derivative of the
network with ``jvp``; a transformer written with ``F.scaled_dot_product_attention`` dispatches to a
fused kernel (flash attention on the CPU, flash or memory-efficient attention on a GPU), and those
kernels implement only reverse-mode gradients. The first training step fails.

The crash is read from the run (torch's message, naming the fused kernel, and the attention call
in the user's code). The fix runs that call under the math backend, which is written in ops that
all have forward-AD formulas: the statement goes inside
``with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):``, and the module is
imported when the file does not. Safe: the math backend computes the same attention (slower on a
GPU, and only for this call).
"""

from __future__ import annotations

import re

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.torch_api import spelled_or_imported
from gradfix.trace import Trace

_MESSAGE = re.compile(r"Trying to use forward AD with (_scaled_dot_product_\w*attention\w*) that does not support it")
_SDPA = {"torch.nn.functional.scaled_dot_product_attention", "torch._C._nn.scaled_dot_product_attention"}


class ForwardAdFusedAttention(Rule):
    code = "GF099"
    title = "forward-mode AD through a fused attention kernel"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        found = _MESSAGE.search(crash.message) if crash is not None else None
        if crash is None or found is None or crash.site is None or not project.is_editable(crash.site.file):
            return []
        source = project.source(crash.site.file)
        calls = [c for c in source.nodes_at(crash.site, cst.Call) if source.qualified_names(c.func) & _SDPA]
        candidate = self._candidate(source, calls[-1]) if calls else None
        message = (
            f"the script crashed: {crash.type}: {crash.message}; forward-mode differentiation (jvp) went through "
            f"scaled_dot_product_attention's fused kernel ({found.group(1)}), which has no forward-AD formula; "
            "the math backend has one; nothing trains"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), [candidate] if candidate else [], blocking=True)]

    def _candidate(self, source: SourceFile, call: cst.Call) -> Candidate | None:
        statement = source.statement_of(call)
        if not isinstance(statement, cst.SimpleStatementLine):
            return None
        kernel, imports = spelled_or_imported(source, "torch.nn.attention.sdpa_kernel")
        backend, more = spelled_or_imported(source, "torch.nn.attention.SDPBackend")
        imports += [edit for edit in more if edit not in imports]
        item = cst.parse_expression(f"{kernel}({backend}.MATH)", config=source.module.config_for_parsing)
        wrapped = cst.With(
            items=[cst.WithItem(item)],
            body=cst.IndentedBlock(body=[statement.with_changes(leading_lines=[])]),
            leading_lines=statement.leading_lines,
        )
        return self.candidate(
            f"run the attention at line {source.range(call).start.line} under the math backend, which forward-mode AD can differentiate: "
            f"`with {kernel}({backend}.MATH):`",
            source.path, [source.replace_statement(statement, wrapped), *imports],
        )
