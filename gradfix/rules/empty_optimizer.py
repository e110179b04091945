"""GF001: an optimizer built with an empty parameter list (``optim.SGD([], lr=0.01)``, a
``params = []`` that nothing fills, or ``decay + no_decay`` of such lists), or with a generator that was already used up
(``params = model.parameters()``, then ``sum(p.numel() for p in params)``).

torch raises ``ValueError: optimizer got an empty parameter list``. The used-up generator becomes a
``list(...)``, which every reader can go through. For an empty list, the fix passes
``<model>.parameters()``, where ``<model>`` is a name that the crashed frame really bound to an
``nn.Module`` (read from the Trace, never guessed). With several candidates (a GAN's G and D) the
one no optimizer holds yet, and whose name fits the optimizer's, is tried first; the re-run decides.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import ModuleFact, Trace
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

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
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
