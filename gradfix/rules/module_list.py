"""GF006: submodules kept in a plain ``list`` or ``dict`` attribute.

``self.layers = [nn.Linear(4, 4) for _ in range(3)]`` runs fine and the layers receive gradients,
but ``nn.Module`` does not look inside plain containers: the layers are not in
``model.parameters()``, so no optimizer holds them and they never update (and ``model.to(device)``
misses them). When every layer of the model is in the list, ``model.parameters()`` is empty and
torch refuses to build the optimizer. The fix wraps the container in ``nn.ModuleList`` / ``nn.ModuleDict``. A list that
only holds modules registered elsewhere too is a convenience and is left alone.
"""

from __future__ import annotations

import libcst as cst

from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.torch_api import module_alias, wrap
from gradfix.trace import AttributeFact, Trace


class ModuleList(Rule):
    code = "GF006"
    title = "submodules kept in a plain list or dict"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        empty_optimizer = trace.crash is not None and "empty parameter list" in trace.crash.message
        roots = {m.id for m in trace.modules if not any(m.id in o.children for o in trace.modules)}
        for attribute in trace.attributes:
            if attribute.kind != "modules" or attribute.site is None or not project.is_editable(attribute.site.file):
                continue
            if not all(member in roots for member in attribute.members):
                continue  # registered elsewhere too: the list is only a convenience
            if all(m.loaded for m in trace.modules if m.id in attribute.members):
                continue  # a loaded network kept out of parameters() on purpose (a perceptual loss)
            stranded = [
                p.name for member in attribute.members for p in trace.params_of(member)
                if p.got_grad and not p.optimizers
            ]
            owner = trace.module(attribute.owner)
            blocking = bool(not stranded and empty_optimizer and owner is not None and owner.num_params == 0)
            if blocking:
                # Every layer of the model is in the list: model.parameters() is empty and the
                # optimizer refuses it before any training ran.
                stranded = [p.name for member in attribute.members for p in trace.params_of(member) if p.requires_grad]
            if not stranded:
                continue
            findings.append(self._finding(trace, project, attribute, stranded, blocking))
        return findings

    def _finding(self, trace: Trace, project: Project, attribute: AttributeFact, stranded: list[str], blocking: bool = False) -> Finding:
        assert attribute.site is not None
        source = project.source(attribute.site.file)
        value = source.assigned_value(attribute.site.line, attribute.attr)
        candidates = []
        nn = module_alias(source, "torch.nn")
        if value is not None and nn is not None:
            # What the run held decides, not the syntax: a helper may return an OrderedDict.
            kind = "ModuleDict" if attribute.mapping else "ModuleList"
            empty = isinstance(value, (cst.List, cst.Dict, cst.Tuple)) and not value.elements
            wrapper = wrap(source, f"{nn}.{kind}", None if empty else value)
            candidates.append(self.candidate(f"keep them in {nn}.{kind}", source.path, [source.replace_node(value, wrapper)]))
        outcome = (
            f"{attribute.owner_name}.parameters() is empty and the optimizer refused it" if blocking
            else f"{short_list(stranded)} receive gradients but are not in {attribute.owner_name}.parameters() and no optimizer holds them"
        )
        message = (
            f"`{attribute.owner_name}.{attribute.attr}` is a plain container: nn.Module does not register "
            f"what is inside, so {outcome}"
        )
        return self.finding(project, attribute.site, message, stranded, candidates, blocking=blocking)
