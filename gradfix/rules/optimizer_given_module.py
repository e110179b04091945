"""GF021: an optimizer built with a module instead of its parameters (``optim.SGD(model, lr=0.01)``,
``Adam(params=net)``, ``SGD([encoder, decoder])``, ``[{"params": model.head, "lr": 1e-3}]``).

Current torch raises while building the optimizer: ``TypeError: 'Net' object is not iterable`` for a
module where the parameters belong, or ``optimizer can only optimize Tensors, but one of the params
is torch.nn.modules.linear.Linear`` for a list of modules (or an ``nn.Sequential``, which iterates
over its layers). The fix asks each such module for its parameters: ``model`` becomes
``model.parameters()``, a module inside a list becomes ``*model.parameters()``. Only an expression
that the crashed frame really bound to an ``nn.Module`` (read from the Trace) is rewritten.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import ModuleFact, Trace

_NOT_ITERABLE = re.compile(r"^'(?P<cls>[A-Za-z_]\w*)' object is not iterable$")
_NOT_TENSOR = re.compile(r"^optimizer can only optimize Tensors, but one of the params is (?P<cls>[A-Za-z_][\w.]*)$")
# torch.optim.SGD, torch.optim.adamw.AdamW: the optimizers, not the schedulers or SWA helpers
_OPTIMIZER = re.compile(r"^torch\.optim\.(?:(?!lr_scheduler\.|swa_utils\.)[a-z_]+\.)?[A-Z]\w*$")


def _argument(call: cst.Call, keyword: str) -> Optional[cst.Arg]:
    """The argument passed as ``keyword``, or as the first positional one."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    if call.args and call.args[0].keyword is None and not call.args[0].star:
        return call.args[0]
    return None


def _dotted(node: cst.BaseExpression) -> Optional[str]:
    """``model`` or ``self.model.head``: a plain name or attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = _dotted(node.value)
        return None if inner is None else f"{inner}.{node.attr.value}"
    return None


def _is_params_key(key: cst.BaseExpression) -> bool:
    return isinstance(key, cst.SimpleString) and key.evaluated_value == "params"


class _Rewrite:
    """Rewrites a ``params`` expression, asking every module in it for its parameters."""

    def __init__(self, trace: Trace, scope: dict[str, int]):
        self.trace = trace
        self.scope = scope
        self.modules: list[tuple[str, ModuleFact]] = []  # what was rewritten, in source order

    def module(self, node: cst.BaseExpression) -> Optional[ModuleFact]:
        """The module a name or attribute chain is bound to in the crashed frame, if any: the
        frame's own name, or an attribute path below one (``model.head`` of ``model``)."""
        dotted = _dotted(node)
        if dotted is None:
            return None
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix not in self.scope:
                continue
            owner = self.trace.module(self.scope[prefix])
            if owner is None:
                return None
            if cut == len(parts):
                found: Optional[ModuleFact] = owner
            elif owner.path is None:
                return None
            else:
                path = ".".join([owner.path, *parts[cut:]])
                found = next((m for m in self.trace.modules if m.path == path), None)
            if found is None or not any(p.requires_grad for p in self.trace.params if _under(p.name, found)):
                return None
            self.modules.append((dotted, found))
            return found
        return None

    @staticmethod
    def parameters(node: cst.BaseExpression) -> cst.Call:
        return cst.Call(func=cst.Attribute(value=node, attr=cst.Name("parameters")))

    def params(self, node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        """The rewritten expression, or None when nothing in it is a module."""
        if self.module(node) is not None:
            return self.parameters(node)
        if isinstance(node, (cst.List, cst.Tuple)):
            return self._sequence(node)
        if isinstance(node, (cst.Dict, cst.Call)):
            return self._group(node)
        return None

    def _sequence(self, node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        assert isinstance(node, (cst.List, cst.Tuple))
        elements = list(node.elements)
        if len(elements) == 1 and isinstance(elements[0], cst.Element) and self.module(elements[0].value) is not None:
            return self.parameters(elements[0].value)  # `[model]`: the module's parameters themselves
        changed = False
        new_elements: list[cst.BaseElement] = []
        for element in elements:
            if isinstance(element, cst.Element):
                if self.module(element.value) is not None:
                    new_elements.append(cst.StarredElement(value=self.parameters(element.value), comma=element.comma))
                    changed = True
                    continue
                group = self._group(element.value) if isinstance(element.value, (cst.Dict, cst.Call)) else None
                if group is not None:
                    new_elements.append(element.with_changes(value=group))
                    changed = True
                    continue
            new_elements.append(element)
        return node.with_changes(elements=new_elements) if changed else None

    def _group(self, node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        """A parameter group: ``{"params": model.head, "lr": 1e-3}`` or ``dict(params=...)``."""
        if isinstance(node, cst.Dict):
            for index, element in enumerate(node.elements):
                if isinstance(element, cst.DictElement) and _is_params_key(element.key):
                    value = self.params(element.value)
                    if value is None:
                        return None
                    elements = list(node.elements)
                    elements[index] = element.with_changes(value=value)
                    return node.with_changes(elements=elements)
            return None
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
            for index, arg in enumerate(node.args):
                if arg.keyword is not None and arg.keyword.value == "params":
                    value = self.params(arg.value)
                    if value is None:
                        return None
                    args = list(node.args)
                    args[index] = arg.with_changes(value=value)
                    return node.with_changes(args=args)
        return None


def _under(param: str, module: ModuleFact) -> bool:
    return module.path is not None and param.startswith(module.path + ".")


def _named_by_message(trace: Trace, message_cls: str, modules: list[ModuleFact], qualified: bool) -> bool:
    """Does the class torch names in its message belong to a module being rewritten (or, for an
    ``nn.Sequential`` that iterates over its layers, to one of its submodules)?"""
    for module in modules:
        if not qualified:
            if module.cls.rsplit(".", 1)[-1] == message_cls:
                return True
            continue
        family = [module, *(m for m in (trace.module(c) for c in module.children) if m is not None)]
        if any(m.cls == message_cls for m in family):
            return True
    return False


class OptimizerGivenModule(Rule):
    code = "GF021"
    title = "optimizer given a module instead of its parameters"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or crash.type != "TypeError":
            return []
        match = _NOT_ITERABLE.match(crash.message)
        qualified = match is None
        match = match or _NOT_TENSOR.match(crash.message)
        if match is None or not project.is_editable(crash.site.file):
            return []
        source = project.source(crash.site.file)
        for call in source.nodes_at(crash.site, cst.Call):
            given = self._params_argument(source, call, qualified)
            if given is None:
                continue
            rewrite = _Rewrite(trace, crash.scope_modules)
            new = rewrite.params(given)
            modules = [module for _, module in rewrite.modules]
            if new is None or not _named_by_message(trace, match.group("cls"), modules, qualified):
                continue
            text = source.module.code_for_node(new)
            candidate = self.candidate(f"pass {text} to the optimizer", source.path, [source.replace_node(given, new)])
            names = list(dict.fromkeys(name for name, _ in rewrite.modules))
            params = [p.name for p in trace.params if p.requires_grad and any(_under(p.name, m) for m in modules)]
            given_what = f"the module {names[0]} instead of its" if len(names) == 1 else f"the modules {short_list(names)} instead of their"
            message = f"the script crashed: {crash.type}: {crash.message}; the optimizer was given {given_what} parameters"
            return [self.finding(project, crash.site, message, params, [candidate], blocking=True)]
        return []

    @staticmethod
    def _params_argument(source: SourceFile, call: cst.Call, qualified: bool) -> Optional[cst.BaseExpression]:
        """What the crashed call passed as the parameters, when the call builds an optimizer (or
        adds a group to one). torch's "optimizer can only optimize Tensors" says by itself that an
        optimizer was being built; "not iterable" does not, so the callee must be torch's."""
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_param_group":
            arg = _argument(call, "param_group")
            return arg.value if arg is not None and isinstance(arg.value, (cst.Dict, cst.Call)) else None
        if not qualified and not any(_OPTIMIZER.match(name) for name in source.qualified_names(call.func)):
            return None
        arg = _argument(call, "params")
        return arg.value if arg is not None else None
