"""GF006: submodules or trainable tensors kept in a plain ``list`` or ``dict`` attribute.

``self.layers = [nn.Linear(4, 4) for _ in range(3)]`` runs fine and the layers receive gradients,
but ``nn.Module`` does not look inside plain containers: the layers are not in
``model.parameters()``, so no optimizer holds them and they never update (and ``model.to(device)``
misses them). When every layer of the model is in the list, ``model.parameters()`` is empty and
torch refuses to build the optimizer. The fix wraps the container in ``nn.ModuleList`` / ``nn.ModuleDict``. A list that
only holds modules registered elsewhere too is a convenience and is left alone.

Weights kept as ``nn.Parameter`` (or tensors that require grad) in a plain list or dict, such as
per-relation matrices ``self.rel_weight[rel] = nn.Parameter(...)``, are the same fault: they get
gradients and never change. The fix wraps the container in ``nn.ParameterList`` /
``nn.ParameterDict`` (which also turn plain tensors into Parameters).
"""

from __future__ import annotations

import libcst as cst

from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias, wrap
from gradfix.trace import AttributeFact, Trace


class ModuleList(Rule):
    code = "GF006"
    title = "submodules or parameters kept in a plain list or dict"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        found: dict[tuple[str, int, str], tuple[AttributeFact, list[str], bool]] = {}
        empty_optimizer = trace.crash is not None and "empty parameter list" in trace.crash.message
        roots = {m.id for m in trace.modules if not any(m.id in o.children for o in trace.modules)}
        for attribute in trace.attributes:
            if attribute.site is None or not project.is_editable(attribute.site.file):
                continue
            if attribute.kind == "tensors":
                # Weights kept as tensors in a plain container (per-relation matrices in a dict):
                # the same fault, wrapped in nn.ParameterList / nn.ParameterDict.
                held = [trace.param(name) for name in attribute.tensors]
                stranded = [p.name for p in held if p is not None and p.got_grad and not p.optimizers and not p.changed]
                if stranded and len(stranded) == len(attribute.tensors):
                    found.setdefault((attribute.site.file, attribute.site.line, attribute.attr), (attribute, [], False))[1].extend(stranded)
                continue
            if attribute.kind != "modules":
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
            key = (attribute.site.file, attribute.site.line, attribute.attr)
            found.setdefault(key, (attribute, [], blocking))[1].extend(stranded)
        # One finding per line: every instance of the class (each layer of a stack) made its own
        # container there, and one edit fixes them all.
        return [self._finding(trace, project, attribute, names, blocking) for attribute, names, blocking in found.values()]

    def _finding(self, trace: Trace, project: Project, attribute: AttributeFact, stranded: list[str], blocking: bool = False) -> Finding:
        assert attribute.site is not None
        source = project.source(attribute.site.file)
        value = source.assigned_value(attribute.site.line, attribute.attr)
        candidates = []
        nn = module_alias(source, "torch.nn")
        if value is not None and nn is not None:
            # What the run held decides, not the syntax: a helper may return an OrderedDict.
            kind = ("Parameter" if attribute.kind == "tensors" else "Module") + ("Dict" if attribute.mapping else "List")
            empty = isinstance(value, (cst.List, cst.Dict, cst.Tuple)) and not value.elements
            wrapper = wrap(source, f"{nn}.{kind}", None if empty else value)
            edit = source.replace_node(value, wrapper)
            candidates.append(self.candidate(f"keep them in {nn}.{kind}", source.path, [edit]))
            sequences = _sequence_uses(source, value, attribute.attr) if kind == "ParameterList" else []
            if sequences:
                # torch.stack/cat take a list or tuple, which a ParameterList is not: hand them one.
                candidates.append(self.candidate(
                    f"keep them in {nn}.{kind}, and pass list(...) of it to torch.stack/cat", source.path,
                    sorted([edit, *(source.replace_node(use, wrap(source, "list", use)) for use in sequences)], key=lambda e: e.start),
                ))
        outcome = (
            f"{attribute.owner_name}.parameters() is empty and the optimizer refused it" if blocking
            else f"{short_list(stranded)} receive gradients but are not in {attribute.owner_name}.parameters() and no optimizer holds them"
        )
        message = (
            f"`{attribute.owner_name}.{attribute.attr}` is a plain container: nn.Module does not register "
            f"what is inside, so {outcome}"
        )
        if attribute.kind == "tensors":
            message += " (nn.ParameterList / nn.ParameterDict register them, and turn plain tensors into Parameters)"
        return self.finding(project, attribute.site, message, stranded, candidates, blocking=blocking)


_SEQUENCE_FUNCTIONS = {f"torch.{name}" for name in ("stack", "cat", "concat", "concatenate", "vstack", "hstack", "dstack")}


def _sequence_uses(source: SourceFile, value: cst.BaseExpression, attr: str) -> list[cst.Attribute]:
    """``self.<attr>`` passed as the tensors of ``torch.stack``/``torch.cat`` in the class that
    built the container."""
    holder = next((a for a in source.ancestors(value) if isinstance(a, cst.ClassDef)), None)
    if holder is None:
        return []
    uses = []
    for call in descendants(holder, cst.Call):
        if not call.args or not source.qualified_names(call.func) & _SEQUENCE_FUNCTIONS:
            continue
        given = call.args[0].value
        if (
            isinstance(given, cst.Attribute) and given.attr.value == attr
            and isinstance(given.value, cst.Name) and given.value.value == "self"
        ):
            uses.append(given)
    return uses
