"""GF007: a module attribute made with ``requires_grad=True`` instead of ``nn.Parameter``.

``self.scale = torch.ones(1, requires_grad=True)`` receives a gradient, but a plain tensor is not
registered: it is not in ``model.parameters()``, no optimizer holds it, it never updates. The fix
wraps it in ``nn.Parameter(...)`` (and drops ``requires_grad=True``, which a Parameter implies). A
tensor meant to stay fixed does not need a gradient: keep it with ``register_buffer``.
"""

from __future__ import annotations

import libcst as cst

from gradfix.findings import Applicability, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.torch_api import made_from_data, module_alias, wrap
from gradfix.trace import Trace


def _without_requires_grad(value: cst.BaseExpression) -> cst.BaseExpression:
    """The tensor without what made it trainable (nn.Parameter does that): a ``requires_grad=``
    keyword, or a trailing ``.requires_grad_()`` / ``.requires_grad_(True)``."""
    if not isinstance(value, cst.Call):
        return value
    if (
        isinstance(value.func, cst.Attribute)
        and value.func.attr.value == "requires_grad_"
        and all(isinstance(a.value, cst.Name) and a.value.value == "True" for a in value.args)
    ):
        return value.func.value
    args = [a for a in value.args if not (a.keyword is not None and a.keyword.value == "requires_grad")]
    if len(args) == len(value.args):
        return value
    if args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return value.with_changes(args=args)


class TensorAttribute(Rule):
    code = "GF007"
    title = "tensor attribute with requires_grad=True instead of nn.Parameter"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for attribute in trace.attributes:
            if attribute.kind != "tensor" or not attribute.requires_grad or not attribute.is_leaf:
                continue
            if attribute.site is None or not project.is_editable(attribute.site.file):
                continue
            name = f"{attribute.owner_name}.{attribute.attr}"
            param = trace.param(name)
            if param is None or not param.got_grad or param.optimizers or param.changed:
                continue  # changed: updated by hand (a perturbation in free adversarial training)
            source = project.source(attribute.site.file)
            value = source.assigned_value(attribute.site.line, attribute.attr)
            if value is not None and made_from_data(source, value):
                continue  # inputs whose gradient is wanted (a PINN's collocation points), not weights
            nn = module_alias(source, "torch.nn")
            candidates = []
            if value is not None and nn is not None:
                wrapped = wrap(source, f"{nn}.Parameter", _without_requires_grad(value))
                candidates.append(self.candidate(f"make it an {nn}.Parameter", source.path, [source.replace_node(value, wrapped)]))
            message = (
                f"`{name}` is a plain tensor with requires_grad=True: it receives a gradient but is not in "
                f"{attribute.owner_name}.parameters(), so no optimizer holds it and it never changes "
                "(if it is meant to stay fixed, keep it with register_buffer instead)"
            )
            findings.append(self.finding(project, attribute.site, message, [name], candidates))
        return findings
