"""GF046: the forward pass calls the module a ``DistributedDataParallel`` wrapper holds, not the
wrapper (``model = DDP(net)``, then ``net(x)`` in the loop).

DDP all-reduces gradients only for the graphs its own ``forward`` built. Called past the wrapper,
each rank trains on its own gradients and the replicas silently drift apart; nothing raises. The
probe sees every rank: the wrapper never ran, its module ran with gradients on from a line of user
code, and at the end the parameters' checksums differ between ranks. The fix calls the wrapper
instead, with a name the failing frame binds to it; the re-run of every rank must show the
replicas equal after the step.
"""

from __future__ import annotations

import libcst as cst

from gradfix.edits import Patch
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.trace import Trace, WrapperBypass
from gradfix.verify import judge_across_ranks


class WrapperBypassed(Rule):
    code = "GF046"
    title = "forward pass bypasses the DistributedDataParallel wrapper"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.steps or not trace.replicas_differ:
            return []
        by_wrapper: dict[int, list[WrapperBypass]] = {}
        for bypass in trace.wrapper_bypasses:
            by_wrapper.setdefault(bypass.wrapper, []).append(bypass)
        findings = []
        for wrapper_id, bypasses in by_wrapper.items():
            wrapper, module = trace.module(wrapper_id), trace.module(bypasses[0].module)
            if wrapper is None or module is None or wrapper.ran_with_grad or not module.path:
                continue  # the wrapper ran too: DDP itself would complain about the mix
            drifted = [name for name in trace.replicas_differ if name.startswith(f"{module.path}.")]
            if not drifted:
                continue
            edits, calls = [], []
            for bypass in bypasses:
                if not project.is_editable(bypass.site.file):
                    continue
                source = project.source(bypass.site.file)
                wrapper_name = next((n for n in bypass.wrapper_names if all(part.isidentifier() for part in n.split("."))), None)
                if wrapper_name is None:
                    continue
                for call in source.nodes_at(bypass.site, cst.Call):
                    if source.code(call.func) in bypass.module_names:
                        new = cst.parse_expression(wrapper_name, config=source.module.config_for_parsing)
                        edits.append((source.path, source.replace_node(call.func, new)))
                        calls.append((source.code(call), wrapper_name))
                        break
            first = bypasses[0]
            if not project.is_editable(first.site.file):
                continue
            candidates = []
            if edits and len(edits) == len(bypasses):
                patches: dict[str, list] = {}  # type: ignore[type-arg]
                for path, edit in edits:
                    patches.setdefault(path, []).append(edit)
                said = ", ".join(f"`{name}(...)`" for _, name in dict.fromkeys(calls))
                candidates.append(Candidate(
                    f"call the DDP wrapper {said} instead of the module it wraps",
                    [Patch(path, sorted(found, key=lambda e: e.start)) for path, found in sorted(patches.items())],
                    self.applicability,
                ))
            wrapper_said = f"`{first.wrapper_names[0]}`" if first.wrapper_names else "its DistributedDataParallel wrapper"
            module_said = f"`{first.module_names[0]}`" if first.module_names else f"`{module.path}`"
            ranks = f"the {trace.world_size} ranks" if trace.world_size > 1 else "the ranks"
            message = (
                f"{module_said} is called directly, past {wrapper_said} (DistributedDataParallel), which never runs: "
                f"its gradients are never all-reduced, so each rank trains on its own and after {trace.steps} steps "
                f"{short_list(drifted)} differ between {ranks}; call {wrapper_said} instead"
            )
            findings.append(self.finding(project, first.site, message, drifted, candidates))
        return findings

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        return judge_across_ranks(finding, candidate, before, run)
