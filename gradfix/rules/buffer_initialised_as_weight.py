"""GF061: a tensor registered as a buffer and initialised like a weight.

``self.register_buffer("slots_mu", nn.init.xavier_uniform_(torch.zeros(1, 1, d)))``, or a
``pos_embed`` buffer that ``_init_weights`` later fills with ``nn.init.trunc_normal_``: the module
uses it in its forward pass as a learned tensor, but a buffer is not a parameter. It is not in
``model.parameters()``, no optimizer holds it, it never requires a gradient, and it keeps its
initial values for the whole run. Nothing crashes and no parameter an optimizer holds stays
unchanged, so nothing else says so.

A buffer is often right (running statistics, a fixed grid, a mask, random Fourier features). The
evidence here is the initialiser: Xavier, Kaiming and truncated-normal initialisation compute a
weight's scale from its fan-in and fan-out, which a fixed buffer has no use for. Even so, the
finding is a conjecture: it is reported only when the re-run proves it, that is when the tensor
made an ``nn.Parameter`` (the optimizer built over the model's parameters then holds it) receives a
gradient and changes. A buffer that no loss reaches, or that no optimizer would hold, gives nothing.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.expressions import self_attribute
from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias
from gradfix.trace import Trace
from gradfix.untrusted import is_identifier_path

# Initialisers that size a weight from its fans: nothing a fixed buffer needs.
WEIGHT_INITS = {
    f"torch.nn.init.{name}" for name in (
        "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "trunc_normal_",
    )
}


class BufferInitialisedAsWeight(Rule):
    code = "GF061"
    title = "a buffer initialised like a weight"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.optimizers or not trace.backwards:
            return []
        files = sorted({trace.script, *(m.site.file for m in trace.modules if m.site is not None)} - {""})
        findings = []
        for path in files:
            if not project.is_editable(path):
                continue
            source = project.source(path)
            for cls in descendants(source.module, cst.ClassDef):
                paths = [
                    m.path for m in trace.modules
                    if m.path and m.ran_with_grad and m.cls.rsplit(".", 1)[-1] == cls.name.value
                ]
                if not paths:
                    continue
                for statement, name, initialiser in _weight_like_buffers(source, cls):
                    finding = self._finding(project, source, statement, name, initialiser, paths)
                    if finding is not None:
                        findings.append(finding)
        return findings

    def _finding(
        self, project: Project, source: SourceFile, statement: cst.SimpleStatementLine, name: str, initialiser: str, paths: list[str]
    ) -> Optional[Finding]:
        nn = module_alias(source, "torch.nn")
        call = statement.body[0].value  # type: ignore[attr-defined]
        value = call.args[1].value
        if nn is None or not is_identifier_path(name) or "." in name:
            return None
        new = cst.parse_statement(f"self.{name} = {nn}.Parameter({source.code(value)})\n", config=source.module.config_for_parsing)
        edit = source.replace_statement(statement, new.with_changes(leading_lines=statement.leading_lines))
        params = [f"{p}.{name}" for p in paths]
        candidate = self.candidate(f"make `{name}` an nn.Parameter instead of a buffer", source.path, [edit], params)
        message = (
            f"`{name}` is registered as a buffer but initialised like a weight ({initialiser}): a buffer is not a "
            f"parameter, no optimizer holds it, and {short_list(params)} never {'changes' if len(params) == 1 else 'change'}; made an nn.Parameter, "
            "it receives gradients and trains"
        )
        found = self.finding(project, source.site(statement), message, params, [candidate])
        found.conjecture = True  # the initialiser suggests it; only the re-run shows it
        return found


def _weight_like_buffers(source: SourceFile, cls: cst.ClassDef) -> list[tuple[cst.SimpleStatementLine, str, str]]:
    """``self.register_buffer("name", value)`` statements of the class whose buffer is made by a
    weight initialiser, or given to one anywhere in the class (``init.trunc_normal_(self.name)``):
    (statement, name, the initialiser's short name)."""
    initialised: dict[str, str] = {}  # `self.name` given to an initialiser
    locals_initialised: dict[str, str] = {}  # a local given to one, then registered
    for call in descendants(cls, cst.Call):
        names = source.qualified_names(call.func) & WEIGHT_INITS
        if not names or not call.args:
            continue
        short = sorted(names)[0].rsplit(".", 1)[-1]
        target = call.args[0].value
        if self_attribute(target):
            initialised.setdefault(self_attribute(target) or "", short)
        elif isinstance(target, cst.Name):
            locals_initialised.setdefault(target.value, short)
    written = _written_in_place(cls)
    found = []
    for statement in descendants(cls, cst.SimpleStatementLine):
        if len(statement.body) != 1 or not isinstance(statement.body[0], cst.Expr):
            continue
        call = statement.body[0].value
        if not (
            isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "register_buffer"
            and self_attribute(call.func) is not None and len(call.args) >= 2
            and all(a.keyword is None for a in call.args[:2]) and isinstance(call.args[0].value, cst.SimpleString)
        ):
            continue
        if any(a.keyword is not None and a.keyword.value != "persistent" for a in call.args[2:]):
            continue
        name = call.args[0].value.evaluated_value
        if not isinstance(name, str):
            continue
        value = call.args[1].value
        made_by = [
            sorted(source.qualified_names(c.func) & WEIGHT_INITS)[0].rsplit(".", 1)[-1]
            for c in [value, *descendants(value, cst.Call)] if isinstance(c, cst.Call) and source.qualified_names(c.func) & WEIGHT_INITS
        ]
        initialiser = made_by[0] if made_by else initialised.get(name)
        if initialiser is None and isinstance(value, cst.Name):
            initialiser = locals_initialised.get(value.value)
        if initialiser is not None and name not in written:
            found.append((statement, name, initialiser))
    return found


# Methods that write a tensor in place: a buffer the class updates itself (an EMA codebook, a
# running statistic) is state, whatever it was initialised with.
_IN_PLACE = {"copy_", "mul_", "add_", "sub_", "lerp_", "addcmul_", "div_", "fill_", "zero_", "index_copy_", "scatter_"}


def _written_in_place(cls: cst.ClassDef) -> set[str]:
    """The ``self.<name>`` tensors the class writes in place (``self.embed.mul_(decay)``,
    ``self.embed.data = ...``, ``self.embed[i] = ...``)."""
    written = set()
    for call in descendants(cls, cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in _IN_PLACE:
            receiver = call.func.value
            if isinstance(receiver, cst.Attribute) and receiver.attr.value == "data":
                receiver = receiver.value
            if (name := self_attribute(receiver)) is not None:
                written.add(name)
    for target in descendants(cls, cst.AssignTarget):
        node = target.target
        if isinstance(node, cst.Subscript):
            node = node.value
        if isinstance(node, cst.Attribute) and node.attr.value == "data":
            node = node.value
        if target.target is not node and (name := self_attribute(node)) is not None:
            written.add(name)
    return written

