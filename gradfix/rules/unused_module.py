"""GF016: a submodule defined in ``__init__`` and never used.

``self.fc_extra = nn.Linear(...)`` that nothing else refers to (in its file, the script, or the
files backward runs from) never runs, so its parameters never receive a gradient. gradfix cannot
know what the layer was meant to do, so it only explains: it says where the layer is defined
(display-only, no automatic fix). A head used only in another method (``predict``), or only by a
later stage of the script, is referenced, and is not flagged.
"""

from __future__ import annotations

import libcst as cst

from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.trace import Trace


class UnusedModule(Rule):
    code = "GF016"
    title = "submodule defined but never used"
    applicability = Applicability.DISPLAY_ONLY

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.backwards:
            return []
        ran = {m.id for m in trace.modules if m.ran_with_grad or m.ran_without_grad}
        findings = []
        for attribute in trace.attributes:
            if attribute.kind != "module" or attribute.site is None or attribute.owner not in ran:
                continue
            child = next(
                (m for m in trace.modules if m.path == f"{attribute.owner_name}.{attribute.attr}"), None
            )
            if child is None or child.id in ran or any(c in ran for c in child.children):
                continue
            # A frozen module that never runs loses no training (a frozen encoder in eval() whose
            # fast path skips its layers' forward): only parameters meant to train count.
            params = [
                p.name for p in trace.params
                if p.name.startswith(f"{child.path}.") and not p.reached and p.requires_grad
            ]
            if not params or not project.is_editable(attribute.site.file):
                continue
            # The module's own file, the script and every file backward ran from: a layer used
            # only by a later stage of the script (which the early stop cut off) is referenced there.
            files = {attribute.site.file, trace.script, *(b.site.file for b in trace.backwards if b.site is not None)}
            if any(
                self._referenced(project, path, attribute.attr, attribute.site.line if path == attribute.site.file else 0)
                for path in sorted(files)
                if project.is_editable(path)
            ):
                continue
            message = (
                f"`{child.path}` is defined here but never used: it never runs, so {short_list(params)} "
                "never receive a gradient; call it in forward() or delete it"
            )
            findings.append(self.finding(project, attribute.site, message, params))
        return findings

    @staticmethod
    def _referenced(project: Project, path: str, attr: str, defined_on: int) -> bool:
        """Any other use of ``.attr`` (or the string ``"attr"``) in the file, off its defining line."""
        source = project.source(path)
        for node, where in source.positions.items():
            if isinstance(node, cst.Attribute) and node.attr.value == attr and where.start.line != defined_on:
                return True
            if isinstance(node, cst.SimpleString) and node.evaluated_value == attr:
                return True
            if (  # getattr(self, f"head_{task}"): any layer may be the one asked for
                isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "getattr"
                and len(node.args) >= 2 and not isinstance(node.args[1].value, cst.SimpleString)
            ):
                return True
        return False
