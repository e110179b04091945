"""GF001: an optimizer built with an empty parameter list (``optim.SGD([], lr=0.01)``, a
``params = []`` that nothing fills, or ``decay + no_decay`` of such lists), or with a generator that was already used up
(``params = model.parameters()``, then ``sum(p.numel() for p in params)``).

torch raises ``ValueError: optimizer got an empty parameter list``. The used-up generator becomes a
``list(...)``, which every reader can go through. For an empty list, the fix passes
``<model>.parameters()``, where ``<model>`` is a name that the crashed frame really bound to an
``nn.Module`` (read from the Trace, never guessed). With several candidates (a GAN's G and D) the
one no optimizer holds yet, and whose name fits the optimizer's, is tried first; the re-run decides.

``<model>.parameters()`` is empty too when the model keeps its weights as buffers that require grad
(``register_buffer("weight", w.requires_grad_())``, so that a meta-learning step can swap them for
functional copies): the probe lists, at the crash, the buffers that require grad of each parameterless
module in scope. The candidates, smallest first: a method of the model's own classes, named for its
weights and taking no argument, that gives them (``model.params()``); the buffers that require grad
(``[t for t in model.buffers() if t.requires_grad]``); and the buffers registered as parameters (which
breaks a class that assigns plain tensors to those names, as the re-run shows).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias
from gradfix.trace import GradBuffer, ModuleFact, Trace
from gradfix.verify import judge

_OPTIMIZER_WORDS = {"opt", "optim", "optimizer", "optimiser", "solver"}


def _params_arg(call: cst.Call) -> Optional[cst.BaseExpression]:
    """The expression passed as ``params``."""
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "params":
            return arg.value
    if call.args and call.args[0].keyword is None and not call.args[0].star:
        return call.args[0].value
    return None


def _is_empty_literal(value: cst.BaseExpression) -> bool:
    if isinstance(value, (cst.List, cst.Tuple)) and not value.elements:
        return True
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("list", "tuple") and not value.args


def _unfilled_lists_joined(source: SourceFile, value: cst.BaseExpression) -> bool:
    """``a + b (+ ...)`` of names each bound once to an empty list (``a, b = [], []`` too) and read
    nowhere else: nothing ever appended to them."""
    if not isinstance(value, cst.BinaryOperation) or not isinstance(value.operator, cst.Add):
        return False
    operands: list[cst.BaseExpression] = []
    pending: list[cst.BaseExpression] = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            pending += [node.left, node.right]
        else:
            operands.append(node)
    return all(isinstance(o, cst.Name) and _bound_to_an_unfilled_list(source, o) for o in operands)


def _bound_to_an_unfilled_list(source: SourceFile, name: cst.Name) -> bool:
    scope = source.scopes.get(name)
    if scope is None or len(scope.accesses[name.value]) != 1:
        return False
    assignments = list(scope.assignments[name.value])
    if len(assignments) != 1 or not isinstance(assignments[0].node, cst.Name):
        return False
    target = assignments[0].node
    parent = source.parent(target)
    if isinstance(parent, cst.AssignTarget):
        assign = source.parent(parent)
        return isinstance(assign, cst.Assign) and len(assign.targets) == 1 and _is_empty_literal(assign.value)
    # `decay, no_decay = [], []`: the element of the value at the target's position.
    if not isinstance(parent, cst.Element):
        return False
    names = source.parent(parent)
    holder = source.parent(names) if isinstance(names, (cst.Tuple, cst.List)) else None
    assign = source.parent(holder) if isinstance(holder, cst.AssignTarget) else None
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or not isinstance(assign.value, (cst.Tuple, cst.List)):
        return False
    position = [e.value for e in names.elements].index(target)
    values = assign.value.elements
    return len(values) == len(names.elements) and _is_empty_literal(values[position].value)


# Expressions that give a one-shot iterator: a second pass over one sees nothing.
_ONE_SHOT_METHODS = {"parameters", "named_parameters"}
_ONE_SHOT_FUNCTIONS = {"filter", "map", "iter", "itertools.chain", "itertools.chain.from_iterable"}


def _is_one_shot(source: SourceFile, value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.GeneratorExp):
        return True
    if not isinstance(value, cst.Call):
        return False
    if isinstance(value.func, cst.Attribute) and value.func.attr.value in _ONE_SHOT_METHODS:
        return True
    names = source.qualified_names(value.func)
    return bool({n.replace("builtins.", "") for n in names} & _ONE_SHOT_FUNCTIONS)


def _words(name: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return {w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w}


def _affinity(optimizer_name: str, module_name: str) -> int:
    """How well a module's name fits the optimizer's (``opt_g`` ~ ``G``/``netG``/``generator``)."""
    wanted = _words(optimizer_name) - _OPTIMIZER_WORDS
    have = _words(module_name) - {"self", "net", "model"}
    return sum(1 for w in wanted for h in have if w == h or w.startswith(h) or h.startswith(w))


def _assigned_name(source, call: cst.Call) -> str:  # type: ignore[no-untyped-def]
    statement = source.statement_of(call)
    if isinstance(statement, cst.SimpleStatementLine) and statement.body:
        small = statement.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            return source.code(small.targets[0].target)
        if isinstance(small, cst.AnnAssign):
            return source.code(small.target)
    return ""


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _unheld(trace: Trace, modules: list[tuple[str, ModuleFact]]) -> list[str]:
    return [p.name for _, module in modules for p in trace.params_of(module.id) if p.requires_grad and not p.optimizers]


class EmptyOptimizer(Rule):
    code = "GF001"
    title = "optimizer built with an empty parameter list"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or "empty parameter list" not in crash.message:
            return []
        if not project.is_editable(crash.site.file):
            return []
        source = project.source(crash.site.file)
        for call in source.nodes_at(crash.site, cst.Call):
            given = _params_arg(call)
            if given is None:
                continue
            if _is_empty_literal(given):
                return [self._empty(trace, project, source, call, given, through_name=False)]
            function = self._read_argument(source, given) if isinstance(given, cst.Name) else None
            if function is not None:
                return [self._argument_used_up(trace, project, source, given, function)]
            if _unfilled_lists_joined(source, given):
                # `decay + no_decay`, two group lists that the loop meant to fill never did.
                return [self._empty(trace, project, source, call, given, through_name=False)]
            owner = _parameters_of(source, given)
            if owner is not None and crash.grad_buffers.get(owner):
                return [self._weights_in_buffers(trace, project, source, given, owner)]
            bound = source.bound_once(given) if isinstance(given, cst.Name) else None
            if bound is None:
                continue
            assign, reads = bound
            if _is_empty_literal(assign.value) and reads == 1:
                # `params = []` and nothing ever fills it: the same as passing [] itself.
                return [self._empty(trace, project, source, call, assign.value, through_name=True)]
            if _is_one_shot(source, assign.value) and reads > 1:
                return [self._used_up(trace, project, source, given, assign)]
        return []  # built from an expression that happened to be empty (e.g. all frozen): not ours

    @staticmethod
    def _read_argument(source: SourceFile, given: cst.Name) -> Optional[cst.FunctionDef]:
        """The function whose own argument ``given`` is, when the function reads it more than once
        (``def build_optimizer(params): count(params); return AdamW(params)``)."""
        scope = source.scopes.get(given)
        if not isinstance(getattr(scope, "node", None), cst.FunctionDef):
            return None
        assignments = list(scope.assignments[given.value])
        if len(assignments) != 1:
            return None
        node = assignments[0].node
        if not (isinstance(node, cst.Param) or isinstance(source.parent(node), cst.Param)):
            return None
        if len(scope.accesses[given.value]) < 2:
            return None
        function = scope.node
        # Some caller in this file passes a one-shot iterator (`model.parameters()`); a list that is
        # empty because everything is frozen is not this fault.
        position = next((i for i, param in enumerate(function.params.params) if param.name.value == given.value), None)
        for call in descendants(source.module, cst.Call):
            if not (isinstance(call.func, cst.Name) and call.func.value == function.name.value):
                continue
            passed = [a.value for a in call.args if a.keyword is not None and a.keyword.value == given.value]
            positional = [a.value for a in call.args if a.keyword is None and not a.star]
            if not passed and position is not None and position < len(positional):
                passed = [positional[position]]
            if passed and _is_one_shot(source, passed[0]):
                return function
        return None

    def _argument_used_up(self, trace: Trace, project: Project, source: SourceFile, given: cst.Name, function: cst.FunctionDef) -> Finding:
        """A generator passed in and read before the optimizer reads it: the function makes its
        own list first, whatever its callers pass."""
        assert trace.crash is not None and trace.crash.site is not None
        body = list(function.body.body) if isinstance(function.body, cst.IndentedBlock) else []
        first = body[0] if body else None
        if first is not None and len(body) > 1 and _is_docstring(first):
            first = body[1]
        candidates = []
        if first is not None:
            line = source.range(first).start.line
            text = f"{source.indentation(line)}{given.value} = list({given.value})\n"
            candidates.append(self.candidate(
                f"make {given.value} a list at the top of {function.name.value}(), so that every reader sees all the parameters",
                source.path, [source.insert_lines(line, text)],
            ))
        message = (
            f"the script crashed: the optimizer got an empty parameter list; {function.name.value}() reads its argument "
            f"{given.value} before the optimizer does, and a generator such as model.parameters() is then used up"
        )
        # The helper's frame binds no module: the models are the caller's, every one no optimizer holds.
        unheld = [p.name for p in trace.params if p.module is not None and p.requires_grad and not p.optimizers]
        return self.finding(project, trace.crash.site, message, unheld, candidates, blocking=True)

    def _used_up(self, trace: Trace, project: Project, source: SourceFile, given: cst.Name, assign: cst.Assign) -> Finding:
        """``params = model.parameters()`` read once before the optimizer reads it: the first
        pass consumed the generator. Materialising it keeps every reader's intent."""
        assert trace.crash is not None and trace.crash.site is not None
        value = source.code(assign.value)
        wrapped = f"list{value}" if isinstance(assign.value, cst.GeneratorExp) and value.startswith("(") else f"list({value})"
        replacement = cst.parse_expression(wrapped, config=source.module.config_for_parsing)
        candidate = self.candidate(
            f"make {given.value} a list, so that every reader sees all the parameters",
            source.path,
            [source.replace_node(assign.value, replacement)],
        )
        message = (
            f"the script crashed: the optimizer got an empty parameter list; {given.value} = {value} is a one-shot "
            f"iterator, and it was already consumed before the optimizer read it"
        )
        unheld = _unheld(trace, self._candidates(trace, trace.crash.scope_modules, ""))
        return self.finding(project, trace.crash.site, message, unheld, [candidate], blocking=True)

    def _empty(
        self, trace: Trace, project: Project, source: SourceFile, call: cst.Call, empty: cst.BaseExpression, through_name: bool
    ) -> Finding:
        crash = trace.crash
        assert crash is not None and crash.site is not None
        optimizer_name = _assigned_name(source, call)
        modules = self._candidates(trace, crash.scope_modules, optimizer_name)
        unheld = _unheld(trace, modules)
        candidates = []
        for name, module in modules:
            # A name keeps a list: a generator bound to it would be empty for its second reader.
            text = f"list({name}.parameters())" if through_name else f"{name}.parameters()"
            replacement = cst.parse_expression(text, config=source.module.config_for_parsing)
            candidates.append(
                self.candidate(f"pass {text} to the optimizer", source.path, [source.replace_node(empty, replacement)], [p.name for p in trace.params_of(module.id) if p.requires_grad])
            )
        if len(modules) > 1:
            # An autoencoder's encoder and decoder trained by one optimizer: both, together.
            text = " + ".join(f"list({name}.parameters())" for name, _ in modules)
            replacement = cst.parse_expression(text, config=source.module.config_for_parsing)
            candidates.append(
                self.candidate(f"pass the parameters of {', '.join(n for n, _ in modules)} to the optimizer", source.path, [source.replace_node(empty, replacement)], [p.name for _, module in modules for p in trace.params_of(module.id) if p.requires_grad])
            )
        if modules:
            names = ", ".join(name for name, _ in modules)
            why = f"in scope: {names}; parameters no optimizer holds: {short_list(unheld) or 'none'}"
        else:
            why = "no nn.Module with trainable parameters is bound to a name where the optimizer is built"
        message = f"the script crashed: {crash.type}: {crash.message}; {why}"
        return self.finding(project, crash.site, message, unheld, candidates, blocking=True)

    def _weights_in_buffers(self, trace: Trace, project: Project, source: SourceFile, given: cst.Call, owner: str) -> Finding:
        crash = trace.crash
        assert crash is not None and crash.site is not None
        buffers = crash.grad_buffers[owner]
        params = [b.name for b in buffers]
        candidates = []
        for method in _weight_methods(trace, project, crash.scope_modules.get(owner)):
            text = f"{owner}.{method}()"
            candidates.append(self.candidate(
                f"pass {text}, the model's own method for its weights, to the optimizer", source.path,
                [source.replace_node(given, cst.parse_expression(text, config=source.module.config_for_parsing))], params,
            ))
        text = f"[t for t in {owner}.buffers() if t.requires_grad]"
        candidates.append(self.candidate(
            "pass the model's buffers that require grad to the optimizer", source.path,
            [source.replace_node(given, cst.parse_expression(text, config=source.module.config_for_parsing))], params,
        ))
        registered = _registered_as_parameters(trace, project, buffers)
        if registered:
            candidates.append(self.candidate(
                "register the weights as parameters instead of buffers", registered[0][0],
                [edit for _, edit in registered], params,
            ))
        message = (
            f"the script crashed: {crash.type}: {crash.message}; {owner} has no parameter: its weights "
            f"{short_list(params)} are buffers that require grad, and {owner}.parameters() does not give them"
        )
        return self.finding(project, crash.site, message, params, candidates, blocking=True)

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        candidate = _renamed_after(candidate, before, run.trace)
        verdict = judge(finding, candidate, before, run)
        if not verdict.verified or run.trace.crash is not None:
            return verdict
        # The right module is the one whose training needs the optimizer: after the fix, nothing
        # that receives a gradient may be left without one.
        orphans = [p.name for p in run.trace.params if p.got_grad and p.requires_grad and not p.optimizers and p.is_leaf]
        if orphans:
            # Another candidate may hand the optimizer the module these belong to (a GAN's G or D);
            # if none does, they may be a second fault (layers in a plain list) that the loop finds next.
            return Verdict(True, f"the crash is gone, but {short_list(orphans)} receive gradients that no optimizer holds", partial=True)
        return verdict

    @staticmethod
    def _candidates(trace: Trace, scope: dict[str, int], optimizer_name: str) -> list[tuple[str, ModuleFact]]:
        """Modules bound in the crashed frame that have trainable parameters, most likely first."""
        found: list[tuple[str, ModuleFact]] = []
        for name, module_id in scope.items():
            module = trace.module(module_id)
            if module is None or any(m.id == module_id for _, m in found):
                continue
            if any(p.requires_grad for p in trace.params_of(module_id)):
                found.append((name, module))  # params_of() is empty for loss modules and submodules

        def rank(item: tuple[str, ModuleFact]) -> tuple[int, int, int]:
            name, module = item
            held = any(p.optimizers for p in trace.params_of(module.id))
            return (held, -_affinity(optimizer_name, name), name.startswith("self."))

        return sorted(found, key=rank)


def _parameters_of(source: SourceFile, given: cst.BaseExpression) -> Optional[str]:
    """``model`` of ``model.parameters()`` (or of ``list(model.parameters())``)."""
    if isinstance(given, cst.Call) and isinstance(given.func, cst.Name) and given.func.value == "list" and len(given.args) == 1:
        given = given.args[0].value
    if isinstance(given, cst.Call) and not given.args and isinstance(given.func, cst.Attribute) and given.func.attr.value == "parameters":
        return source.code(given.func.value)
    return None


# Words a method that gives a model's weights is named with (`params()`, `get_weights()`, `meta_parameters()`).
_WEIGHT_WORDS = {"param", "params", "parameter", "parameters", "weight", "weights", "leaves", "tensors", "variables"}
# nn.Module's own methods: parameters() is the one that came back empty; the others are not weights.
_MODULE_METHODS = set(dir(object)) | {
    "parameters", "named_parameters", "buffers", "named_buffers", "reset_parameters", "forward", "extra_repr",
}


def _classes(trace: Trace, project: Project, short_names: set[str]) -> list[tuple[SourceFile, cst.ClassDef]]:
    """The class definitions of the user's code with these names, with their bases found the same way."""
    files = sorted({trace.script, *(m.site.file for m in trace.modules if m.site is not None)} - {""})
    defined = [
        (source, cls) for path in files if project.is_editable(path)
        for source in [project.source(path)] for cls in descendants(source.module, cst.ClassDef)
    ]
    found: list[tuple[SourceFile, cst.ClassDef]] = []
    pending = list(short_names)
    while pending:
        name = pending.pop(0)
        for source, cls in defined:
            if cls.name.value == name and all(c is not cls for _, c in found):
                found.append((source, cls))
                for base in cls.bases:
                    path = source.code(base.value)
                    pending.append(path.rsplit(".", 1)[-1])
    return found


def _weight_methods(trace: Trace, project: Project, module_id: Optional[int]) -> list[str]:
    """Methods of the model's class and its bases, named for weights, callable with no argument, that
    return or yield something: the class's own way to list what it trains (``def params(self)``)."""
    module = trace.module(module_id) if module_id is not None else None
    if module is None:
        return []
    methods: list[str] = []
    for _, cls in _classes(trace, project, {module.cls.rsplit(".", 1)[-1]}):
        for statement in cls.body.body:
            if not isinstance(statement, cst.FunctionDef) or statement.name.value in _MODULE_METHODS:
                continue
            name = statement.name.value
            # `named_*()` gives (name, tensor) pairs, which no optimizer takes.
            if name.startswith(("_", "named_")) or not (_words(name) & _WEIGHT_WORDS) or statement.decorators:
                continue
            params = statement.params
            required = [p for p in [*params.posonly_params, *params.params][1:] if p.default is None]
            if required or params.kwonly_params and any(p.default is None for p in params.kwonly_params):
                continue
            gives = any(True for _ in descendants(statement, cst.Yield)) or any(
                r.value is not None for r in descendants(statement, cst.Return)
            )
            if gives and name not in methods:
                methods.append(name)
    return methods


def _registered_as_parameters(trace: Trace, project: Project, buffers: list[GradBuffer]) -> Optional[list[tuple[str, object]]]:
    """``self.register_buffer("w", value)`` of each buffer's class, as
    ``self.register_parameter("w", nn.Parameter(value))``: (file, edit) pairs, None when one is not found."""
    edits: list[tuple[str, object]] = []
    done: set[tuple[str, str]] = set()
    for buffer in buffers:
        cls_name, leaf = buffer.cls.rsplit(".", 1)[-1], buffer.name.rsplit(".", 1)[-1]
        if (cls_name, leaf) in done:
            continue
        done.add((cls_name, leaf))
        statement = None
        for source, cls in _classes(trace, project, {cls_name}):
            statement = next((s for s in descendants(cls, cst.SimpleStatementLine) if _registers_buffer(s, leaf)), None)
            if statement is not None:
                break
        nn = module_alias(source, "torch.nn") if statement is not None else None
        if statement is None or nn is None:
            return None
        call = statement.body[0].value  # type: ignore[attr-defined]
        value = source.code(call.args[1].value)
        text = f"{source.code(call.func.value)}.register_parameter({call.args[0].value.value}, {nn}.Parameter({value}))\n"
        new = cst.parse_statement(text, config=source.module.config_for_parsing)
        edits.append((source.path, source.replace_statement(statement, new.with_changes(leading_lines=statement.leading_lines))))
    if len({path for path, _ in edits}) > 1:
        return None  # one candidate edits one file
    return edits


def _registers_buffer(statement: cst.SimpleStatementLine, leaf: str) -> bool:
    if len(statement.body) != 1 or not isinstance(statement.body[0], cst.Expr):
        return False
    call = statement.body[0].value
    return (
        isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "register_buffer"
        and len(call.args) >= 2 and all(a.keyword is None for a in call.args[:2])
        and isinstance(call.args[0].value, cst.SimpleString) and call.args[0].value.evaluated_value == leaf
    )


def _renamed_after(candidate: Candidate, before: Trace, after: Trace) -> Candidate:
    """The weights a buffer fix claims, named as the re-run names them: the crashed frame called the
    model `model` (inside `build_model()`), the run that gets further names it by the global it ends in."""
    crash = before.crash
    if crash is None or not crash.grad_buffers or not candidate.params:
        return candidate
    renamed = []
    for name in candidate.params:
        owner = next((o for o in crash.grad_buffers if name.startswith(f"{o}.")), None)
        if owner is None or after.param(name) is not None:
            renamed.append(name)
            continue
        tail = name[len(owner):]
        # The same path under another name: copies of the model (a meta-learning step's) too, so
        # the one an optimizer holds.
        matches = [p.name for p in after.params if p.name.endswith(tail) and p.optimizers]
        renamed.append(matches[0] if len(matches) == 1 else name)
    return dataclasses.replace(candidate, params=renamed)
