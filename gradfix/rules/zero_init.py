"""GF038: parameters initialised to zero whose gradient stays exactly zero.

A product of factors that all start at zero has a zero gradient for each of them, at every step:
LoRA's ``B @ A`` with both ``lora_A`` and ``lora_B`` zeroed (LoRA zeroes only ``B``), or a stack
of layers whose weights were all set to zero. The optimizer steps, the loss is computed from them,
and nothing moves. The probe records which parameters were all zeros when first seen and whether
their gradient was ever non-zero at a step. When several such parameters of one module (or of one
model) are stuck at zero together, this rule names them with the statements that zeroed them.

The fix initialises one of them randomly, as torch initialises a layer's weight
(``nn.init.kaiming_uniform_(w, a=5 ** 0.5)``; ``nn.init.normal_(b, std=0.02)`` for a vector),
one candidate per zeroing statement, in source order; the re-run keeps the first one after which
every named parameter changes. A zero start that something else keeps at zero (a gate that is 1
whatever its logits are) is not fixed by any of them: the finding then only explains. A single
zero-initialised parameter that gets gradients (a bias, a LayerScale or ReZero gain, LoRA's ``B``
when ``A`` is random) trains, and is never named.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants, is_zero_literal
from gradfix.torch_api import module_alias
from gradfix.trace import ParamFact, Trace

_ZEROING = {"torch.nn.init.zeros_": 1, "torch.nn.init.constant_": 2}
_ZERO_TENSORS = {"torch.zeros", "torch.zeros_like"}


class ZeroInit(Rule):
    code = "GF038"
    title = "parameters initialised to zero keep a zero gradient"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.steps or trace.crash is not None:
            return []
        # Behind a softmax over one value (a top-1 gate), the gradient is 0 whatever the start:
        # GF057 explains those, and no random start would move them.
        behind_constant = {name for norm in trace.one_element_norms for name in norm.leaves}
        stuck = [
            p for p in trace.params
            if p.zeros and p.requires_grad and p.optimizers and p.got_grad and not p.nonzero_grad and not p.changed
            and p.name not in behind_constant
        ]
        # Grouped by the class of the module that holds them: every LoRA layer zeroed its A and B
        # in the same statements, and one edit there fixes them all.
        classes = {m.path: m.cls for m in trace.modules if m.path}
        by_owner: dict[str, list[ParamFact]] = {}
        for p in stuck:
            owner = p.name.rsplit(".", 1)[0]
            by_owner.setdefault(classes.get(owner, owner), []).append(p)
        # Stuck together: two or more zero starts in one module (B @ A), or across the model.
        groups = [params for params in by_owner.values() if len(params) > 1]
        if not groups and len(stuck) > 1:
            groups = [stuck]
        findings = []
        for params in groups:
            sites = self._zeroing(trace, project, params)
            if not sites:
                continue
            names = [p.name for p in params]
            first_source, first_node, _ = sites[0]
            candidates = [
                self.candidate(
                    f"initialise {source.code(target)} randomly instead of with zeros", source.path, [edit],
                )
                for source, target, edit in (
                    (source, target, self._randomise(source, node, target, params)) for source, node, target in sites
                )
                if edit is not None
            ]
            message = (
                f"{short_list(names)} start at zero and their gradient is exactly zero at every step, so they never "
                "change; when they are factors of one product (LoRA's B @ A with both zeroed), each one's gradient "
                "is a product with the others and stays zero: initialise one of them randomly"
            )
            findings.append(self.finding(project, first_source.site(first_node), message, names, candidates[:6]))
        return findings

    @staticmethod
    def _zeroing(trace: Trace, project: Project, params: list[ParamFact]) -> list[tuple[SourceFile, cst.CSTNode, cst.BaseExpression]]:
        """Statements that zeroed the parameters, in source order: ``nn.init.zeros_(self.A)``,
        ``self.A.data.zero_()``, ``self.A = nn.Parameter(torch.zeros(...))``, in the class of the
        module that owns them (or naming the parameter by its full path in the script)."""
        attrs: dict[str, set[str]] = {}  # class name -> attribute names
        paths = set()
        last_names: set[str] = set()
        for p in params:
            owner_path, _, attr = p.name.rpartition(".")
            module = next((m for m in trace.modules if m.path == owner_path), None)
            if module is not None:
                attrs.setdefault(module.cls.rsplit(".", 1)[-1], set()).add(attr)
            paths.add(p.name)
            last_names.add(attr)
        files = {trace.script, *(m.site.file for m in trace.modules if m.site is not None)}
        found = []
        for path in sorted(files):
            if not project.is_editable(path):
                continue
            source = project.source(path)
            for cls in descendants(source.module, cst.ClassDef):
                wanted = attrs.get(cls.name.value)
                if wanted:
                    found += [(source, node, target) for node, target in _zeroings(source, cls, lambda t: _self_attr(t) in wanted)]
            found += [(source, node, target) for node, target in _zeroings(source, source.module, lambda t: source.code(t) in paths)]
            # An init function applied to every layer (`model.apply(init)` zeroing `m.weight`):
            # any zeroing of an attribute by the parameters' own name; the re-run judges.
            found += [
                (source, node, target) for node, target in _zeroings(
                    source, source.module,
                    lambda t: isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value != "self"
                    and t.attr.value in last_names,
                )
            ]
        unique = {id(node): (source, node, target) for source, node, target in found}
        return sorted(unique.values(), key=lambda f: (f[0].path, f[0].range(f[1]).start.line, f[0].range(f[1]).start.column))

    @staticmethod
    def _randomise(source: SourceFile, node: cst.CSTNode, target: cst.BaseExpression, params: list[ParamFact]) -> Optional[Edit]:
        nn = module_alias(source, "torch.nn")
        if nn is None:
            return None
        attr = target.attr.value if isinstance(target, cst.Attribute) else source.code(target)
        param = next((p for p in params if p.name.rsplit(".", 1)[-1] == attr or p.name == source.code(target)), None)
        if param is None:
            return None
        code = source.code(target)
        if len(param.shape) >= 2:
            init = f"{nn}.init.kaiming_uniform_({code}, a=5 ** 0.5)"
        else:
            init = f"{nn}.init.normal_({code}, std=0.02)"
        if isinstance(node, cst.Call):
            return source.replace_node(node, cst.parse_expression(init, config=source.module.config_for_parsing))
        # `self.A = nn.Parameter(torch.zeros(r, d))`: the tensor made random where it is made.
        assert isinstance(node, cst.Assign)
        zeros = next(c for c in descendants(node.value, cst.Call) if source.qualified_names(c.func) & _ZERO_TENSORS)
        torch = module_alias(source, "torch")
        if torch is None or any(a.keyword is not None for a in zeros.args) or source.qualified_names(zeros.func) != {"torch.zeros"}:
            return None  # dtype=, device=, zeros_like: not rewritten by hand
        empty = f"{torch}.empty({', '.join(source.code(a.value) for a in zeros.args)})"
        made = f"{nn}.init.kaiming_uniform_({empty}, a=5 ** 0.5)" if len(param.shape) >= 2 else f"{nn}.init.normal_({empty}, std=0.02)"
        return source.replace_node(zeros, cst.parse_expression(made, config=source.module.config_for_parsing))


def _self_attr(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def _zeroings(source: SourceFile, scope: cst.CSTNode, wanted) -> list[tuple[cst.CSTNode, cst.BaseExpression]]:  # type: ignore[no-untyped-def]
    """(the node to replace, the parameter expression) for each zeroing of a wanted parameter."""
    found: list[tuple[cst.CSTNode, cst.BaseExpression]] = []
    for call in descendants(scope, cst.Call):
        names = source.qualified_names(call.func)
        for name, arity in _ZEROING.items():
            if name in names and call.args and wanted(call.args[0].value):
                if arity == 2 and not (len(call.args) > 1 and is_zero_literal(call.args[1].value)):
                    continue
                found.append((call, call.args[0].value))
        # `self.A.data.zero_()`, `self.A.zero_()`, `self.A.data.fill_(0)`
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("zero_", "fill_"):
            if call.func.attr.value == "fill_" and not (call.args and is_zero_literal(call.args[0].value)):
                continue
            target = call.func.value
            if isinstance(target, cst.Attribute) and target.attr.value == "data":
                target = target.value
            if wanted(target):
                # the whole statement is the call: replaced by an init of the parameter itself
                found.append((call, target))
    for assign in descendants(scope, cst.Assign):
        if len(assign.targets) != 1 or not wanted(assign.targets[0].target) or not isinstance(assign.value, cst.Call):
            continue
        if not source.qualified_names(assign.value.func) & {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}:
            continue
        if any(source.qualified_names(c.func) & _ZERO_TENSORS for c in descendants(assign.value, cst.Call)):
            found.append((assign, assign.targets[0].target))
    return found
