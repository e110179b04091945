"""GF021: an optimizer built with a module instead of its parameters (``optim.SGD(model, lr=0.01)``,
``Adam(params=net)``, ``SGD([encoder, decoder])``, ``[{"params": model.head, "lr": 1e-3}]``), with the
``parameters`` method uncalled (``SGD(model.parameters, lr=0.1)``), or with a
single tensor instead of an iterable of them (``SGD(model.prompt_learner.ctx, lr=...)``,
``Adam(self.log_temperature)``, a helper ``build_optimizer(param, lr)`` given one tensor).

Current torch raises while building the optimizer: ``TypeError: 'Net' object is not iterable`` for a
module where the parameters belong, or ``optimizer can only optimize Tensors, but one of the params
is torch.nn.modules.linear.Linear`` for a list of modules (or an ``nn.Sequential``, which iterates
over its layers). The fix asks each such module for its parameters: ``model`` becomes
``model.parameters()``, a module inside a list becomes ``*model.parameters()``. Only an expression
that the crashed frame really bound to an ``nn.Module`` (read from the Trace) is rewritten.

The method itself, given without its call (``SGD(model.parameters, lr=0.1)``, a group's
``{"params": model.head.parameters}``), makes torch say ``'method' object is not iterable`` (in a
list: ``... one of the params is torch.nn.modules.module.Module.parameters``). The fix adds the
missing parentheses, ``model.parameters()`` (``*model.parameters()`` inside a list), for a module
bound in the crashed frame. A list of groups bound to a name above the call is repaired where it is
written.

For a single tensor torch says ``params argument given to the optimizer should be an iterable of
Tensors or dicts, but got torch.FloatTensor``. The fix puts the tensor in a list, ``[ctx]``, where
the crashed call names it; when a helper builds the optimizer from its own argument, at each of the
helper's callers first (the helper keeps taking an iterable), then at the helper's optimizer call.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import call_argument, dotted_path
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import Crash, ModuleFact, Trace
from gradfix.verify import judge

_NOT_ITERABLE = re.compile(r"^'(?P<cls>[A-Za-z_]\w*)' object is not iterable$")
_NOT_TENSOR = re.compile(r"^optimizer can only optimize Tensors, but one of the params is (?P<cls>[A-Za-z_][\w.]*)$")
# torch's Optimizer.__init__ says this only when params is a tensor: a single tensor, not an iterable
_ONE_TENSOR = re.compile(r"^params argument given to the optimizer should be an iterable of Tensors or dicts, but got (?P<cls>[\w.]+)$")
# arguments that are iterables already: wrapping them in a list would be wrong
_ITERABLE = (cst.List, cst.Tuple, cst.Set, cst.Dict, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_MAX_CALLERS = 5
# torch.optim.SGD, torch.optim.adamw.AdamW: the optimizers, not the schedulers or SWA helpers
_OPTIMIZER = re.compile(r"^torch\.optim\.(?:(?!lr_scheduler\.|swa_utils\.)[a-z_]+\.)?[A-Z]\w*$")


def _is_params_key(key: cst.BaseExpression) -> bool:
    return isinstance(key, cst.SimpleString) and key.evaluated_value == "params"


class _Rewrite:
    """Rewrites a ``params`` expression, asking every module in it for its parameters."""

    def __init__(self, trace: Trace, scope: dict[str, int]):
        self.trace = trace
        self.scope = scope
        self.modules: list[tuple[str, ModuleFact]] = []  # what was rewritten, in source order
        # ``model.parameters`` given uncalled: the method itself, not the tensors it yields
        self.methods: list[tuple[str, ModuleFact]] = []

    def module(self, node: cst.BaseExpression) -> Optional[ModuleFact]:
        """The module a name or attribute chain is bound to in the crashed frame, if any: the
        frame's own name, or an attribute path below one (``model.head`` of ``model``)."""
        found = self._resolve(node)
        if found is not None:
            self.modules.append((dotted_path(node) or "", found))
        return found

    def method(self, node: cst.BaseExpression) -> Optional[ModuleFact]:
        """For ``<module>.parameters`` written without its call: the module, bound in the crashed
        frame as :meth:`module` reads it."""
        if not (isinstance(node, cst.Attribute) and node.attr.value == "parameters"):
            return None
        found = self._resolve(node.value)
        if found is not None:
            self.methods.append((dotted_path(node) or "", found))
        return found

    def _resolve(self, node: cst.BaseExpression) -> Optional[ModuleFact]:
        dotted = dotted_path(node)
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
            return found
        return None

    @staticmethod
    def parameters(node: cst.BaseExpression) -> cst.Call:
        return cst.Call(func=cst.Attribute(value=node, attr=cst.Name("parameters")))

    def params(self, node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        """The rewritten expression, or None when nothing in it is a module."""
        if self.module(node) is not None:
            return self.parameters(node)
        if self.method(node) is not None:
            return cst.Call(func=node)  # the parentheses it was missing
        if isinstance(node, (cst.List, cst.Tuple)):
            return self._sequence(node)
        if isinstance(node, (cst.Dict, cst.Call)):
            return self._group(node)
        return None

    def _sequence(self, node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        assert isinstance(node, (cst.List, cst.Tuple))
        elements = list(node.elements)
        if len(elements) == 1 and isinstance(elements[0], cst.Element):
            if self.module(elements[0].value) is not None:
                return self.parameters(elements[0].value)  # `[model]`: the module's parameters themselves
            if self.method(elements[0].value) is not None:
                return cst.Call(func=elements[0].value)  # `[model.parameters]`: likewise
        changed = False
        new_elements: list[cst.BaseElement] = []
        for element in elements:
            if isinstance(element, cst.Element):
                if self.module(element.value) is not None:
                    new_elements.append(cst.StarredElement(value=self.parameters(element.value), comma=element.comma))
                    changed = True
                    continue
                if self.method(element.value) is not None:
                    new_elements.append(cst.StarredElement(value=cst.Call(func=element.value), comma=element.comma))
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


def _names_method(message_cls: str, qualified: bool) -> bool:
    """Does torch's message say that it was handed a method (``model.parameters`` uncalled)? Alone,
    ``'method' object is not iterable``; in a list, the method's qualified name
    (``torch.nn.modules.module.Module.parameters``, or the model's own override)."""
    return message_cls.endswith(".parameters") if qualified else message_cls == "method"


def _method_message(message: str) -> bool:
    unqualified, qualified = _NOT_ITERABLE.match(message), _NOT_TENSOR.match(message)
    return bool(unqualified and _names_method(unqualified.group("cls"), False)) or bool(
        qualified and _names_method(qualified.group("cls"), True)
    )


def _given_what(rewrite: "_Rewrite") -> str:
    """What the optimizer was given, for the finding's message."""
    parts = []
    modules = list(dict.fromkeys(name for name, _ in rewrite.modules))
    if modules:
        parts.append(
            f"the module {modules[0]} instead of its parameters" if len(modules) == 1
            else f"the modules {short_list(modules)} instead of their parameters"
        )
    methods = list(dict.fromkeys(name for name, _ in rewrite.methods))
    if methods:
        one = len(methods) == 1
        parts.append(
            f"the method{'' if one else 's'} {short_list(methods)} {'itself' if one else 'themselves'}, not "
            f"{'its' if one else 'their'} result: the call's parentheses are missing"
        )
    return ", and ".join(parts)


def _edits(source: SourceFile, old: cst.CSTNode, new: cst.CSTNode) -> list[Edit]:
    """The rewrite of ``old`` into ``new`` as edits on the nodes it really changed (the one group of
    a parameter list that was wrong, not the whole list): the rewrite keeps every untouched child as
    the same object, so the tree says where the changes are."""
    if old is new:
        return []
    if type(old) is type(new) and len(old.children) == len(new.children) and old.children:
        try:
            return [e for a, b in zip(old.children, new.children) for e in _edits(source, a, b)]
        except (ValueError, KeyError):  # a changed child that cannot be replaced on its own: the node as a whole
            pass
    return [source.replace_node(old, new)]


def _listed(node: cst.BaseExpression) -> cst.List:
    return cst.List([cst.Element(node)])


def _is_super_init(call: cst.Call) -> bool:
    """``super().__init__(params, defaults)`` in an optimizer class of the project's own: its argument
    is whatever its caller gave, and the class is right to pass it on."""
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == "__init__"
        and isinstance(func.value, cst.Call)
        and isinstance(func.value.func, cst.Name)
        and func.value.func.value == "super"
    )


def _tensor_params(trace: Trace, expression: str, scope: dict[str, int]) -> list[str]:
    """The trainable tensor an expression names, as the Trace names it: through a module bound in
    the crashed frame (``model.prompt_learner.ctx`` below ``model``), by its own name (a global
    ``w``), or, from a caller's frame the probe did not see, by the unique parameter whose path
    ends the same way (``prompt_learner.ctx`` of an unnamed ``<CoOp#1>``)."""
    parts = expression.split(".")
    if not all(part.isidentifier() for part in parts):
        return []
    trainable = [p for p in trace.params if p.requires_grad]
    for cut in range(len(parts), 0, -1):
        owner = trace.module(scope[".".join(parts[:cut])]) if ".".join(parts[:cut]) in scope else None
        if owner is not None and owner.path is not None and cut < len(parts):
            name = ".".join([owner.path, *parts[cut:]])
            return [p.name for p in trainable if p.name == name]
    if any(p.name == expression for p in trainable):
        return [expression]
    if len(parts) > 1:
        tail = "." + ".".join(parts[1:])
        found = [p.name for p in trainable if p.name.endswith(tail)]
        if len(found) == 1:
            return found
    return []


def _helper_parameter(source: SourceFile, given: cst.BaseExpression) -> Optional[tuple[cst.FunctionDef, int, bool]]:
    """For a name that is a parameter of the enclosing function, never reassigned there: the
    function, the parameter's position among the positional ones, and whether it is keyword-only."""
    if not isinstance(given, cst.Name):
        return None
    scope = source.scopes.get(given)
    if scope is None:
        return None
    assignments = list(scope.assignments[given.value])
    if len(assignments) != 1 or not isinstance(assignments[0].node, cst.Param):
        return None
    param = assignments[0].node
    function = next((a for a in source.ancestors(param) if isinstance(a, cst.FunctionDef)), None)
    if function is None:
        return None
    positional = [*function.params.posonly_params, *function.params.params]
    if param in positional:
        return function, positional.index(param), False
    if param in function.params.kwonly_params:
        return function, -1, True
    return None


_ITERATORS = {"parameters", "named_parameters", "values", "items", "list", "tuple", "filter", "map", "iter", "chain", "sorted"}


def _callers(
    project: Project, trace: Trace, source: SourceFile, function: cst.FunctionDef, index: int, keyword_only: bool, name: str
) -> list[tuple[SourceFile, cst.BaseExpression]]:
    """The arguments the project's calls of ``function`` pass for its parameter ``name``, in the
    crashed file and in the script, except those that already are iterables."""
    owner = source.parent(source.parent(function) or function)
    method = isinstance(owner, cst.ClassDef) and not any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in function.decorators
    )
    called = function.name.value
    if method and called == "__init__":
        assert isinstance(owner, cst.ClassDef)
        called = owner.name.value  # the class is called to build it
    paths = list(dict.fromkeys([source.path, trace.script]))
    found: list[tuple[SourceFile, cst.BaseExpression]] = []
    for path in paths:
        if not project.is_editable(path):
            continue
        file = project.source(path)
        for call in descendants(file.module, cst.Call):
            func = call.func
            by_attribute = isinstance(func, cst.Attribute) and func.attr.value == called
            if not (by_attribute or (isinstance(func, cst.Name) and func.value == called)):
                continue
            argument = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == name), None)
            position = index - 1 if method and (by_attribute or called != function.name.value) else index
            if argument is None and not keyword_only and position >= 0:
                positional = []
                for arg in call.args:
                    if arg.keyword is not None or arg.star:
                        break
                    positional.append(arg.value)
                argument = positional[position] if position < len(positional) else None
            if argument is None or isinstance(argument, _ITERABLE):
                continue
            if isinstance(argument, cst.Call):
                callee = argument.func.attr.value if isinstance(argument.func, cst.Attribute) else getattr(argument.func, "value", "")
                if callee in _ITERATORS:
                    continue
            found.append((file, argument))
    return found


class OptimizerGivenModule(Rule):
    code = "GF021"
    title = "optimizer given a module or a single tensor instead of an iterable of parameters"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or crash.type != "TypeError":
            return []
        if _ONE_TENSOR.match(crash.message):
            return self._single_tensor(trace, project, crash) if project.is_editable(crash.site.file) else []
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
            if new is None and isinstance(given, cst.Name):
                # `param_groups = [...]` written above the call and passed by name: the groups are
                # repaired where they are written.
                bound = source.bound_once(given)
                if bound is not None and isinstance(bound[0].value, (cst.List, cst.Tuple, cst.Dict)):
                    given = bound[0].value
                    new = rewrite.params(given)
            modules = [module for _, module in rewrite.modules]
            methods = [module for _, module in rewrite.methods]
            named = _named_by_message(trace, match.group("cls"), modules, qualified) or (
                bool(methods) and _names_method(match.group("cls"), qualified)
            )
            if new is None or not named:
                continue
            text = source.module.code_for_node(new)
            description = f"pass {text} to the optimizer"
            if methods and not modules and "\n" in text:  # the groups written over several lines: name the calls
                called = ", ".join(f"{name}()" for name in dict.fromkeys(name for name, _ in rewrite.methods))
                description = f"add the missing parentheses: {called}"
            candidate = self.candidate(description, source.path, _edits(source, given, new))
            params = [p.name for p in trace.params if p.requires_grad and any(_under(p.name, m) for m in modules + methods)]
            message = f"the script crashed: {crash.type}: {crash.message}; the optimizer was given {_given_what(rewrite)}"
            return [self.finding(project, crash.site, message, params, [candidate], blocking=True)]
        return []

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        """For a single tensor or an uncalled ``parameters``, the parameters to judge are what the
        optimizer built at the crashed call holds in the re-run: a model that the first run never saw
        bound to a name (``train(CoOp())``, crashed in a helper; ``Adam(self.parameters)`` in the
        model's own ``__init__``) is named differently once the script gets further."""
        crash = before.crash
        if crash is not None and crash.site is not None and (_ONE_TENSOR.match(crash.message) or _method_message(crash.message)):
            at = (crash.site.file, crash.site.line)
            built = [o for o in run.trace.optimizers if o.site is not None and (o.site.file, o.site.line) == at]
            # A helper that built other optimizers before the crash (the warm-up's, from a module's
            # parameters): only the ones it builds from the crashed call on are this fix's.
            earlier = sum(1 for o in before.optimizers if o.site is not None and (o.site.file, o.site.line) == at)
            held = [name for optimizer in built[earlier:] or built for name in optimizer.params]
            if held:
                held = list(dict.fromkeys(held))
                verdict = judge(dataclasses.replace(finding, params=held), dataclasses.replace(candidate, params=None), before, run)
                if verdict.verified:
                    # What this candidate fixes, as the runs after it name it: the repair loop
                    # takes these as the finding's parameters, and judges them again at the end.
                    candidate.params = held
                return verdict
        return judge(finding, candidate, before, run)

    def _single_tensor(self, trace: Trace, project: Project, crash: Crash) -> list[Finding]:
        """``SGD(model.prompt_learner.ctx, lr=...)``: torch wants an iterable of tensors and says it got
        one tensor. The fix puts it in a list, where the crashed call names it or, when a helper builds
        the optimizer from its argument, at the helper's callers first (the helper keeps its contract),
        then at the helper's own call."""
        assert crash.site is not None
        source = project.source(crash.site.file)
        for call in source.nodes_at(crash.site, cst.Call):
            given = self._params_argument(source, call, qualified=True)
            if given is None or isinstance(given, _ITERABLE):
                continue
            candidates: list[Candidate] = []
            claimed = _tensor_params(trace, source.code(given), crash.scope_modules)
            subject = f"the optimizer was given the single tensor `{source.code(given)}`"
            helper = _helper_parameter(source, given)
            if helper is not None:
                function, index, keyword_only = helper
                callers = _callers(project, trace, source, function, index, keyword_only, source.code(given))
                for caller_source, argument in callers[:_MAX_CALLERS]:
                    text = caller_source.code(argument)
                    candidates.append(self.candidate(
                        f"pass [{text}] to {function.name.value}()", caller_source.path,
                        [caller_source.replace_node(argument, _listed(argument))],
                    ))
                    claimed += [n for n in _tensor_params(trace, text, {}) if n not in claimed]
                subject = f"`{source.code(given)}`, the argument of {function.name.value}(), holds a single tensor"
                if len(callers) == 1:
                    caller_source, argument = callers[0]
                    subject += f" (`{caller_source.code(argument)}`, line {caller_source.range(argument).start.line})"
            if not _is_super_init(call):
                text = source.code(given)
                candidates.append(self.candidate(f"pass [{text}] to the optimizer", source.path, [source.replace_node(given, _listed(given))]))
            if not candidates:
                continue
            # A model the run never saw bound to a name (`<CoOp#1>`) is named otherwise once the
            # script gets further: verify() judges what the re-run's optimizer holds instead.
            claimed = [name for name in claimed if not name.startswith("<")]
            message = (
                f"the script crashed: {crash.type}: {crash.message}; {subject}, where the optimizer wants an "
                "iterable of tensors (a list of them, or a module's parameters())"
            )
            return [self.finding(project, crash.site, message, claimed, candidates, blocking=True)]
        return []

    @staticmethod
    def _params_argument(source: SourceFile, call: cst.Call, qualified: bool) -> Optional[cst.BaseExpression]:
        """What the crashed call passed as the parameters, when the call builds an optimizer (or
        adds a group to one). torch's "optimizer can only optimize Tensors" says by itself that an
        optimizer was being built; "not iterable" does not, so the callee must be torch's."""
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_param_group":
            arg = call_argument(call, 0, "param_group")
            return arg.value if arg is not None and isinstance(arg.value, (cst.Dict, cst.Call)) else None
        if not qualified and not any(_OPTIMIZER.match(name) for name in source.qualified_names(call.func)):
            return None
        arg = call_argument(call, 0, "params")
        return arg.value if arg is not None else None
