"""GF008: the loss path is cut, so a part of the model that ran is never reached from any loss.

``.detach()``, ``.data``, ``torch.tensor(x, requires_grad=True)`` or ``torch.tensor(loss.item(), ...)``
on the way from a module's output to the loss leaves everything before the cut without a
gradient. The probe records where user code cut the graph; a cut is a fault only when some
module ran with grad on and its parameters were never reached by any backward over the whole run
(a GAN's ``fake.detach()`` in the discriminator step is fine: the generator is reached in its own
step). Each recorded cut is a candidate fix — remove it — and the re-run decides which one it was.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import Cut, Trace

_BREAKS = {"detach", "data", "tensor", "as_tensor", "item", "tolist", "numpy"}
_REWRAPS = {"torch.tensor", "torch.as_tensor"}


class GraphBreak(Rule):
    code = "GF008"
    title = "graph cut on the loss path"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.backwards:
            return []
        ran = {m.path for m in trace.modules if m.ran_with_grad and m.path}
        # Parameters of modules that ran with grad on, never reached by any backward.
        # Held by an optimizer: the script means to train them (a deliberate detach in front of a
        # feature extractor usually leaves it out of the optimizer).
        cut_off = [
            p.name for p in trace.params
            if p.requires_grad and not p.reached and p.optimizers and p.name.rsplit(".", 1)[0] in ran
        ]
        if not cut_off:
            return []
        candidates: list[Candidate] = []
        first_site = None
        for cut in sorted(trace.cuts, key=lambda c: -c.count):
            if cut.op not in _BREAKS or not project.is_editable(cut.site.file):
                continue
            source = project.source(cut.site.file)
            edit = self._remove(source, cut)
            if edit is None:
                continue
            first_site = first_site or cut.site
            candidates.append(
                self.candidate(f"remove the `{source.code(self._node(source, cut) or source.module)}` cut", source.path, [edit])
            )
        if first_site is None:
            return []
        message = (
            f"{short_list(cut_off)} ran with gradients on but no loss ever reaches them: the graph is cut "
            "on the way to the loss"
        )
        candidates = candidates[:5]
        if len(candidates) > 1:
            # Cuts often come in pairs (`self.weight.data` and `self.bias.data` in one forward):
            # each alone leaves the other in place, so all of them together is a candidate too.
            combined = self._combined(candidates)
            if combined is not None:
                candidates.append(combined)
        return [self.finding(project, first_site, message, cut_off, candidates)]

    def _combined(self, candidates: list[Candidate]) -> Optional[Candidate]:
        edits: dict[str, list[Edit]] = {}
        for candidate in candidates:
            for patch in candidate.patches:
                edits.setdefault(patch.path, []).extend(patch.edits)
        for path, found in edits.items():
            ordered = sorted(found, key=lambda e: (e.start, e.end))
            if any(a.end > b.start for a, b in zip(ordered, ordered[1:])):
                return None  # nested cuts (`x.detach().data`): one edit holds the other
            edits[path] = ordered
        return Candidate(
            f"remove all {len(candidates)} cuts", [Patch(path, found) for path, found in sorted(edits.items())], self.applicability,
        )

    @staticmethod
    def _node(source: SourceFile, cut: Cut) -> Optional[cst.CSTNode]:
        kind = cst.Attribute if cut.op == "data" else cst.Call
        nodes = source.nodes_at(cut.site, kind)
        return nodes[-1] if nodes else None

    def _remove(self, source: SourceFile, cut: Cut) -> Optional[Edit]:
        node = self._node(source, cut)
        if node is None:
            return None
        if cut.op == "data" and isinstance(node, cst.Attribute):
            return source.replace_node(node, node.value)
        if not isinstance(node, cst.Call):
            return None
        if cut.op == "detach" and isinstance(node.func, cst.Attribute):
            return source.replace_node(node, node.func.value)
        if cut.op in ("item", "tolist", "numpy"):
            # Only a value re-wrapped into a tensor is a cut worth undoing; logging is not.
            wrap = source.parent(source.parent(node) or node)
            if isinstance(wrap, cst.Call) and source.qualified_names(wrap.func) & _REWRAPS and isinstance(node.func, cst.Attribute):
                return source.replace_node(wrap, node.func.value)
            return None
        if source.qualified_names(node.func) & _REWRAPS and node.args:
            inner = node.args[0].value
            if isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) and inner.func.attr.value in ("item", "tolist", "numpy"):
                inner = inner.func.value
            return source.replace_node(node, inner)
        return None
