"""GF055: an optimizer never stepped while others did, and the run shows which call should have stepped it.

Its parameters receive gradients and end the run as they began. The probe records, for each chain
of user calls through which an optimizer's ``step()`` ran, the names each frame binds to
optimizers and which optimizers held the parameters that the ``backward()`` calls before that step
reached; it counts, for each ``if`` in user code whose block calls ``step()`` or ``zero_grad()``,
how many times each operand of its ``and`` was tested and held; and it finds the user objects that
keep the optimizer that never stepped (a wrapper's ``self._optimizer``). Two shapes are repaired:

- The optimizer was passed in the wrong place: a training function or a helper given the other
  optimizer twice (``train(..., g_optimizer, g_optimizer, ...)``, or ``update(d_loss, g_opt)``
  after ``update(g_loss, g_opt)``). The step that the idle optimizer's loss was computed for ran on
  the other one, through a parameter of the function (or an attribute a constructor set from
  one: ``Trainer(G, D, opt_g, opt_g)``); the caller binds the idle optimizer. The fix passes it
  there, for each frame of the chain that binds it.

- Its ``step()`` sits under a condition that never held: an operand of the ``if`` was false every
  time it was tested (``self._gradient_accumulation_steps > 1 and ...`` of an optimizer wrapper
  whose default is 1), the step call names the idle optimizer or an object that keeps it, and the
  operand compares values that do not change in the run: it calls nothing and reads no argument of
  its function, and nothing the file assigns twice, counts, assigns in a loop, or (an attribute)
  assigns outside ``__init__``. A threshold on the epoch or the step is a schedule the run has not
  reached, and a flag is the author's choice: neither is dropped. The fix drops that operand, in
  the step's condition and in the ``zero_grad()`` under the same operand in its class; or makes the
  step unconditional.

- No ``step()`` is written for it at all (a discriminator's ``loss_D.backward()`` and no
  ``optimizer_d.step()``): the fix puts ``<name>.step()`` after each backward whose loss reached
  its parameters, in a frame that binds it; its own loss first. Unsafe when the script never calls
  its ``zero_grad()``.

Every candidate is re-run: the idle optimizer's parameters must now change, and everything that
changed before must still change. A discriminator stepped once every few generator steps steps in
the run; an optimizer for a phase the run did not reach holds nothing that received a gradient; a
model frozen on purpose requires no gradient: none of them is reported.
"""

from __future__ import annotations

import os
from typing import Optional

import libcst as cst

from gradfix.edits import Edit, Position
from gradfix.expressions import and_operands, dotted_path
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import ConditionTest, OptimizerFact, ParamFact, StepCall, Trace
from gradfix.verify import judge

MAX_CANDIDATES = 6
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _idle(trace: Trace) -> list[tuple[OptimizerFact, list[ParamFact]]]:
    """Optimizers that never stepped, in a run where others did, with their parameters that
    received gradients and ended unchanged (held by no optimizer that stepped)."""
    if not trace.steps or trace.crash is not None:
        return []
    found = []
    for optimizer in trace.optimizers:
        if optimizer.steps:
            continue
        stale = [
            p for p in trace.params
            if optimizer.id in p.optimizers and p.requires_grad and p.is_leaf and p.got_grad and not p.changed
            and not p.lr_zero and not any(trace.optimizers[i].steps for i in p.optimizers if i < len(trace.optimizers))
        ]
        if stale:
            found.append((optimizer, stale))
    return found


def _expression(text: str, source: SourceFile) -> Optional[cst.BaseExpression]:
    """``opt`` or ``self.opt``, rooted in a name the file binds; nothing else goes into the code."""
    parts = text.split(".")
    if not all(part.isidentifier() for part in parts) or parts[0] not in source.bindings:
        return None
    node: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def _class_of(source: SourceFile, function: cst.FunctionDef) -> Optional[cst.ClassDef]:
    block = source.parent(function)
    owner = source.parent(block) if block is not None else None
    return owner if isinstance(owner, cst.ClassDef) else None


def _is_method(source: SourceFile, function: cst.FunctionDef) -> bool:
    if _class_of(source, function) is None:
        return False
    return not any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in function.decorators)


def _argument_for_parameter(
    source: SourceFile, call: cst.Call, function: cst.FunctionDef, name: str, bound: bool = False,
) -> Optional[cst.BaseExpression]:
    """The expression a call passes for the parameter ``name`` of ``function`` (``bound``: its
    first parameter is given by Python, as a constructor's ``self``)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in positional):
        return None
    params = [*function.params.posonly_params, *function.params.params]
    if bound or (_is_method(source, function) and isinstance(call.func, cst.Attribute)):
        params = params[1:]
    names = [p.name.value for p in params]
    if name not in names:
        return None
    index = names.index(name)
    return positional[index].value if index < len(positional) else None


def _calls(node: cst.CSTNode, method: str) -> list[cst.Call]:
    """``x.<method>(...)`` calls in a block, outside the functions and classes it defines."""
    found: list[cst.Call] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, visited: cst.CSTNode) -> bool:
            if visited is not node and isinstance(visited, _SCOPES):
                return False
            if isinstance(visited, cst.Call) and isinstance(visited.func, cst.Attribute) and visited.func.attr.value == method:
                found.append(visited)
            return True

    node.visit(Collect())
    return found


def _varying(source: SourceFile) -> set[str]:
    """Names (`n`) and attributes (`.count`, whatever object they are set on: `self.epoch` in a
    method is `schedule.epoch` outside) that the file assigns more than once, augments, assigns
    inside a loop or as a loop's variable, or assigns as an attribute in a function other than
    ``__init__``."""
    seen: dict[str, int] = {}
    varying: set[str] = set()

    def bound(target: cst.BaseExpression, node: cst.CSTNode, counted: bool = False) -> None:
        for part in ([e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [target]):
            if isinstance(part, cst.StarredElement):
                part = part.value
            name = dotted_path(part)  # type: ignore[arg-type]
            if name is None:
                continue
            if "." in name:
                name = "." + name.rsplit(".", 1)[1]
            seen[name] = seen.get(name, 0) + 1
            looped = any(isinstance(a, (cst.For, cst.While, cst.CompFor)) for a in source.ancestors(node))
            function = source.enclosing_function(node)
            outside_init = name.startswith(".") and function is not None and function.name.value not in ("__init__", "__post_init__")
            if counted or looped or outside_init or seen[name] > 1:
                varying.add(name)

    for assign in descendants(source.module, cst.Assign):
        for target in assign.targets:
            bound(target.target, assign)
    for annotated in descendants(source.module, cst.AnnAssign):
        if annotated.value is not None:
            bound(annotated.target, annotated)
    for augmented in descendants(source.module, cst.AugAssign):
        bound(augmented.target, augmented, counted=True)
    for loop in descendants(source.module, cst.For):
        bound(loop.target, loop, counted=True)
    for walrus in descendants(source.module, cst.NamedExpr):
        bound(walrus.target, walrus, counted=True)
    return varying


def _one_line(code: str) -> str:
    """Code as one line for a message: `(\n a\n and b\n)` reads `(a and b)`."""
    return " ".join(code.split()).replace("( ", "(").replace(" )", ")")


def _span(source: SourceFile, node: cst.CSTNode) -> tuple[int, int]:
    """Offsets of a node in the text, with its own parentheses."""
    where = source.range(node)
    start = source.lines.offset(Position(where.start.line, where.start.column))
    end = source.lines.offset(Position(where.end.line, where.end.column))
    for _ in getattr(node, "lpar", ()):
        start = source.text.rindex("(", 0, start)
    for _ in getattr(node, "rpar", ()):
        end = source.text.index(")", end) + 1
    return start, end


def _comparison(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        node = node.expression
    return isinstance(node, cst.Comparison)


def _called(trace: Trace, optimizer: OptimizerFact) -> str:
    """An optimizer as the script names it (its shortest name: where the run reached it, or where
    its step() was called), or where it was built."""
    known = [*optimizer.reached_as, *(n for c in trace.step_calls for n, i in c.names[0].items() if i == optimizer.id and c.names)]
    who = min(known, key=lambda path: (path.count("."), len(path)), default=None) or optimizer.name
    return f"`{who}`" if who else f"the optimizer built at line {optimizer.site.line if optimizer.site else '?'}"


class OptimizerNeverStepped(Rule):
    code = "GF055"
    title = "an optimizer never stepped while others did"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for optimizer, stale in _idle(trace):
            finding = (
                self._passed_instead(trace, project, optimizer, stale) or self._under_condition(trace, project, optimizer, stale)
                or self._step_not_written(trace, project, optimizer, stale)
            )
            if finding is not None:
                findings.append(finding)
        return findings

    # -- the other optimizer passed where this one belongs ---------------------------------------

    def _passed_instead(self, trace: Trace, project: Project, idle: OptimizerFact, stale: list[ParamFact]) -> Optional[Finding]:
        candidates: list[Candidate] = []
        first: Optional[tuple[SourceFile, cst.BaseExpression, str, str, StepCall, int]] = None
        seen: set[tuple[str, int, int, str]] = set()
        names = [p.name for p in stale]
        # Steps that came after backward() calls whose gradients were the idle optimizer's.
        calls = [c for c in trace.step_calls if idle.id in c.others and c.optimizer != idle.id]
        # A step that applied nothing of what the backward() calls before it reached is the
        # place of the mix-up; one that applied some of it (a generator's loss also reaches the
        # discriminator) is looked at only when there is no such step.
        if any(c.held_none for c in calls):
            calls = [c for c in calls if c.held_none]
        for call in calls:
            for source, argument, param, caller_name, depth in self._arguments_for(project, call):
                wanted = [n for n, index in call.names[depth].items() if index == idle.id]
                for name in sorted(wanted, key=lambda n: ("." in n, n)):
                    replacement = _expression(name, source)
                    where = source.range(argument).start
                    key = (source.path, where.line, where.column, name)
                    if replacement is None or key in seen or name == source.code(argument):
                        continue
                    seen.add(key)
                    if first is None:
                        first = (source, argument, param, name, call, depth)
                    candidates.append(self.candidate(
                        f"pass `{name}` to {caller_name}() as its `{param}` at line {where.line}, not `{source.code(argument)}`",
                        source.path, [source.replace_node(argument, replacement)], names,
                    ))
        if first is None:
            return None
        source, argument, param, name, call, depth = first
        stepped = trace.optimizers[call.optimizer]
        given = source.code(argument)
        line = source.range(argument).start.line
        steps = f"{stepped.steps} time{'s' if stepped.steps != 1 else ''}"
        one = len(names) == 1
        built = "?" if idle.site is None else str(idle.site.line) if idle.site.file == source.path else f"{os.path.basename(idle.site.file)}:{idle.site.line}"
        message = (
            f"`{name}` (built at line {built}) never stepped, while `{given}` stepped {steps}: "
            f"the call at line {line} passes `{given}` for `{param}`, and the step it reaches through `{param}` "
            f"(line {call.sites[0].line}) comes after backward() calls whose gradients are `{name}`'s; "
            f"{short_list(names)} {'receives' if one else 'receive'} gradients and never {'changes' if one else 'change'}"
        )
        site = source.site(argument)
        return self.finding(project, site, message, names, candidates[:MAX_CANDIDATES])

    def _arguments_for(self, project: Project, call: StepCall) -> list[tuple[SourceFile, cst.BaseExpression, str, str, int]]:
        """Up the chain of calls from the step: the argument that each caller passed for the
        parameter the optimizer came through, while that argument is the stepped optimizer there.
        Each with the parameter's name, the called function's name and the caller's depth."""
        found: list[tuple[SourceFile, cst.BaseExpression, str, str, int]] = []
        site = call.sites[0]
        if not project.is_editable(site.file):
            return found
        source = project.source(site.file)
        nodes = source.nodes_at(site, cst.Call)
        if not nodes:
            return found
        step = nodes[-1]
        # What names the stepped optimizer in the step's frame: the receiver, or an argument
        # (`scaler.step(optimizer)`).
        spelled = [step.func.value] if isinstance(step.func, cst.Attribute) else []
        spelled += [a.value for a in step.args]
        expression = next((e for e in spelled if call.names[0].get(source.code(e)) == call.optimizer), None)
        depth = 1
        while depth < len(call.sites) and expression is not None:
            if isinstance(expression, cst.Attribute):
                # `self.opt_d.step()`: the optimizer came in through the constructor.
                slot = self._constructor_slot(project, source, expression, call, depth)
                if slot is None:
                    break
                found.append(slot)
                source, expression, depth = slot[0], slot[1], slot[4] + 1
                continue
            if not isinstance(expression, cst.Name):
                break
            function = source.enclosing_function(expression)
            if function is None:
                break
            params = [*function.params.posonly_params, *function.params.params, *function.params.kwonly_params]
            if expression.value not in {p.name.value for p in params}:
                break
            outer = call.sites[depth]
            if not project.is_editable(outer.file):
                break
            caller = project.source(outer.file)
            made = [
                c for c in caller.nodes_at(outer, cst.Call)
                if (isinstance(c.func, cst.Name) and c.func.value == function.name.value)
                or (isinstance(c.func, cst.Attribute) and c.func.attr.value == function.name.value)
            ]
            if not made:
                break
            argument = _argument_for_parameter(source, made[-1], function, expression.value)
            if argument is None or call.names[depth].get(caller.code(argument)) != call.optimizer:
                break
            found.append((caller, argument, expression.value, function.name.value, depth))
            source, expression, depth = caller, argument, depth + 1
        return found

    @staticmethod
    def _constructor_slot(
        project: Project, source: SourceFile, expression: cst.Attribute, call: StepCall, depth: int,
    ) -> Optional[tuple[SourceFile, cst.BaseExpression, str, str, int]]:
        """``self.<attr>`` in a method, set in ``__init__`` from one of its parameters: the argument
        given for that parameter where the class is built, in the first frame up the chain whose
        function builds it once (`trainer = Trainer(G, D, opt_g, opt_g)` then `trainer.fit()`)."""
        if not (isinstance(expression.value, cst.Name) and expression.value.value == "self"):
            return None
        method = source.enclosing_function(expression)
        owner = _class_of(source, method) if method is not None else None
        if owner is None or not isinstance(owner.body, cst.IndentedBlock):
            return None
        init = next((s for s in owner.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"), None)
        if init is None:
            return None
        params = {p.name.value for p in [*init.params.posonly_params, *init.params.params, *init.params.kwonly_params][1:]}
        given = [
            a.value.value for a in descendants(init, cst.Assign)
            if isinstance(a.value, cst.Name) and a.value.value in params
            and any(dotted_path(t.target) == f"self.{expression.attr.value}" for t in a.targets)
        ]
        if len(given) != 1:
            return None
        for outer_depth in range(depth, len(call.sites)):
            outer = call.sites[outer_depth]
            if not project.is_editable(outer.file):
                return None
            caller = project.source(outer.file)
            frames = [f for f in descendants(caller.module, cst.FunctionDef) if f.name.value == outer.function
                      and caller.range(f).start.line <= outer.line <= caller.range(f).end.line]
            scope: Optional[cst.CSTNode] = frames[-1] if frames else (caller.module if outer.function == "<module>" else None)
            if scope is None:
                return None
            built = [
                c for c in descendants(scope, cst.Call)
                if ((isinstance(c.func, cst.Name) and c.func.value == owner.name.value)
                    or (isinstance(c.func, cst.Attribute) and c.func.attr.value == owner.name.value))
                and caller.enclosing_function(c) is (scope if isinstance(scope, cst.FunctionDef) else None)
            ]
            if len(built) != 1:
                continue
            argument = _argument_for_parameter(source, built[0], init, given[0], bound=True)
            if argument is None or call.names[outer_depth].get(caller.code(argument)) != call.optimizer:
                return None
            return caller, argument, given[0], owner.name.value, outer_depth
        return None

    # -- no step() written for it at all --------------------------------------------------------

    def _step_not_written(self, trace: Trace, project: Project, idle: OptimizerFact, stale: list[ParamFact]) -> Optional[Finding]:
        """Backward calls whose loss reached the idle optimizer's parameters, in frames that bind
        it to a name, and no ``step()`` written for any name the run knew it by: the step was
        forgotten (a discriminator's loss back-propagated and never applied). The candidates put
        ``<name>.step()`` (``scaler.step(<name>)`` after ``scaler.scale(loss).backward()``) on
        the line after each such backward, the backward whose loss reaches least of what stepped
        optimizers hold first (the idle optimizer's own loss, not the generator's, which also
        reaches the discriminator); a ``<name>.step`` written without its parentheses is called
        instead, first. The re-run judges."""
        if any(idle.id in c.others and c.held_none for c in trace.step_calls):
            # A step ran on an optimizer that held none of what the idle one's loss reached: the
            # wrong optimizer stepped there (GF020), and a second step is not the fix.
            return None
        names = [p.name for p in stale]
        mine = set(names)
        stepping = {p for o in trace.optimizers if o.steps for p in o.params}
        spellings = set(idle.reached_as) | ({idle.name} if idle.name else set())
        places: dict[tuple[str, int], tuple[int, int, str]] = {}  # backward's (file, line) -> (others reached, first seen, name)
        for order, backward in enumerate(trace.backwards):
            site = backward.site
            if site is None or not project.is_editable(site.file) or not mine & set(backward.reached):
                continue
            bound = sorted((n for n, i in backward.scope_optimizers.items() if i == idle.id), key=lambda n: ("." in n, n))
            if not bound:
                continue
            spellings.update(bound)
            others = len(stepping & set(backward.reached))
            key = (site.file, site.line)
            if key in places:
                others = min(others, places[key][0])
                order = places[key][1]
            places[key] = (others, order, bound[0])
        if not places:
            return None
        files = {path for path, _ in places}
        for path in files:
            source = project.source(path)
            # Anywhere in the file, in functions too: a helper that steps it is a step written.
            for call in descendants(source.module, cst.Call):
                if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "step"):
                    continue
                spelled = [call.func.value] if isinstance(call.func, cst.Attribute) else []  # type: ignore[union-attr]
                if any(dotted_path(e) in spellings for e in [*spelled, *(a.value for a in call.args)]):
                    return None  # a step is written for it: it did not run, which is another story
        candidates: list[Candidate] = []
        for path in sorted(files):
            source = project.source(path)
            for line in descendants(source.module, cst.SimpleStatementLine):
                for small in line.body:
                    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Attribute) and small.value.attr.value == "step" \
                            and dotted_path(small.value.value) in spellings:
                        code = source.code(small.value)
                        candidates.append(self.candidate(f"call it: {code}()", path, [source.replace_node(small.value, cst.Call(func=small.value))], names))
        first_site = None
        zeroed = False
        for (path, line), (others, _, name) in sorted(places.items(), key=lambda item: (item[1][0], item[1][1])):
            source = project.source(path)
            statement = next((s for s in source.statements_on_line(line) if isinstance(s, cst.SimpleStatementLine)), None)
            backward = next((c for c in _calls(statement, "backward")), None) if statement is not None else None
            if statement is None or backward is None or len(statement.body) != 1:
                continue
            zeroed = zeroed or any(
                isinstance(c.func, cst.Attribute) and c.func.attr.value == "zero_grad" and dotted_path(c.func.value) in spellings
                for c in descendants(source.module, cst.Call)
            )
            receiver = backward.func.value  # type: ignore[attr-defined]
            step = f"{name}.step()"
            if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute) and receiver.func.attr.value == "scale":
                scaler = dotted_path(receiver.func.value)
                if scaler is None:
                    continue
                step = f"{scaler}.step({name})"
            where = source.range(statement)
            indent = source.indentation(where.start.line)
            candidates.append(self.candidate(
                f"call {step} after `{_one_line(source.code(backward))}` (line {where.start.line})", path,
                [source.insert_lines(where.end.line + 1, f"{indent}{step}\n")], names,
            ))
            if first_site is None:
                first_site = (source, backward, name)
        if first_site is None:
            return None
        # The optimizer's zero_grad() written beside its backward says its gradients were meant to
        # be applied; without it, the optimizer might have been built and left on purpose.
        if not zeroed:
            for candidate in candidates:
                candidate.applicability = Applicability.UNSAFE
        source, backward, name = first_site
        stepped = ", ".join(_called(trace, o) for o in trace.optimizers if o.steps)
        one = len(names) == 1
        message = (
            f"`{name}` never stepped, while {stepped} did: `{_one_line(source.code(backward))}` at line "
            f"{source.range(backward).start.line} reaches its parameters, and no `{name}.step()` is written; "
            f"{short_list(names)} {'receives' if one else 'receive'} gradients and never {'changes' if one else 'change'}"
        )
        return self.finding(project, source.site(backward), message, names, candidates[:MAX_CANDIDATES])

    # -- its step() under a condition that never held -------------------------------------------

    def _under_condition(self, trace: Trace, project: Project, idle: OptimizerFact, stale: list[ParamFact]) -> Optional[Finding]:
        tests = {(t.site.file, t.site.line, t.site.column): t for t in trace.condition_tests}
        files = sorted({t.site.file for t in trace.condition_tests if t.evaluated and not t.held})
        names = [p.name for p in stale]
        for path in files:
            if not project.is_editable(path):
                continue
            source = project.source(path)
            for condition in descendants(source.module, cst.If):
                steps = [c for c in _calls(condition.body, "step") if self._meant_for(source, c, idle)]
                # The call on the optimizer (or what keeps it) first, then `scaler.step(optimizer)`.
                steps.sort(key=lambda c: not self._meant_for(source, c, idle, receiver_only=True))
                if not steps:
                    continue
                operands = and_operands(condition.test)
                counted = [(op, self._test_of(source, op, tests)) for op in operands]
                never = [(op, t) for op, t in counted if t is not None and t.evaluated and not t.held]
                droppable = [(op, t) for op, t in never if _comparison(op) and self._unchanging(source, op, condition)]
                if not droppable:
                    continue
                return self._condition_finding(project, source, condition, steps[0], droppable, operands, idle, names, tests)
        return None

    @staticmethod
    def _test_of(source: SourceFile, operand: cst.BaseExpression, tests: dict[tuple[str, int, Optional[int]], ConditionTest]) -> Optional[ConditionTest]:
        site = source.site(operand)
        return tests.get((site.file, site.line, site.column))

    @staticmethod
    def _meant_for(source: SourceFile, step: cst.Call, idle: OptimizerFact, receiver_only: bool = False) -> bool:
        """The step call names the idle optimizer, or an object that keeps it: a name the run
        reached it by (`dense_optimizer._optimizer`), or `self.<attr>` in a method of a class whose
        instances keep it in that attribute."""
        spelled = [step.func.value] if isinstance(step.func, cst.Attribute) else []
        spelled += [] if receiver_only else [a.value for a in step.args]
        function = source.enclosing_function(step)
        owner = _class_of(source, function) if function is not None else None
        for expression in spelled:
            dotted = dotted_path(expression)
            if dotted is None:
                continue
            if any(path == dotted or path.startswith(f"{dotted}.") for path in idle.reached_as):
                return True
            parts = dotted.split(".")
            if owner is not None and len(parts) >= 2 and parts[0] == "self" and any(
                h.attr == parts[1] and h.cls.rsplit(".", 1)[-1] == owner.name.value and h.file == source.path for h in idle.holders
            ):
                return True
        return False

    @staticmethod
    def _unchanging(source: SourceFile, operand: cst.BaseExpression, condition: cst.If) -> bool:
        """An operand that compares values the run does not change: it calls nothing, reads no
        argument of its function (``self`` aside), and reads nothing that the file assigns more
        than once, counts (``n += 1``, ``self.step += 1``), assigns in a loop or as a loop's
        variable, or assigns as an attribute outside ``__init__`` (``self.epoch = epoch`` in a
        ``set_epoch``): a threshold on the epoch or the step is a schedule, not a constant."""
        if descendants(operand, cst.Call):
            return False
        attributes = {id(a.attr) for a in descendants(operand, cst.Attribute)}
        read = {n.value for n in descendants(operand, cst.Name) if id(n) not in attributes}
        read |= {f".{a.attr.value}" for a in descendants(operand, cst.Attribute)}
        function = source.enclosing_function(condition)
        if function is not None:
            params = [*function.params.posonly_params, *function.params.params, *function.params.kwonly_params]
            params += [p for p in (function.params.star_arg, function.params.star_kwarg) if isinstance(p, cst.Param)]
            skip = 1 if _is_method(source, function) else 0
            if read & {p.name.value for p in params[skip:]}:
                return False
        return not read & _varying(source)

    def _condition_finding(
        self, project: Project, source: SourceFile, condition: cst.If, step: cst.Call,
        droppable: list[tuple[cst.BaseExpression, ConditionTest]], operands: list[cst.BaseExpression],
        idle: OptimizerFact, names: list[str], tests: dict[tuple[str, int, Optional[int]], ConditionTest],
    ) -> Finding:
        dropped = {id(op) for op, _ in droppable}
        texts = {source.code(op) for op, _ in droppable}
        twins = self._twins(source, condition, texts)
        drop_edits = self._drop(source, condition, dropped)
        twin_edits = [
            edit for twin in twins
            for edit in self._drop(source, twin, {id(op) for op in and_operands(twin.test) if source.code(op) in texts})
        ]
        whole = [self._unconditional(source, condition)]
        whole_twins = [self._unconditional(source, twin) for twin in twins]
        gone = " and ".join(f"`{t}`" for t in sorted(texts))
        partial = len(dropped) < len(operands)
        ways: list[tuple[str, list[Optional[Edit]], Applicability]] = []
        # Dropping an operand that never held keeps the rest of the schedule the author wrote (the
        # accumulation count); a step made unconditional beside other operands does not.
        twin = f" and of the zero_grad() under the same condition (line {', '.join(str(source.range(t).start.line) for t in twins)})" if twins else ""
        if partial:
            if twins:
                ways.append((f"drop {gone} from the condition of the step{twin}", drop_edits + twin_edits, Applicability.SAFE))
            ways.append((f"drop {gone} from the condition of the step", drop_edits, Applicability.SAFE))
            if twins:
                ways.append(("make the step unconditional, and the zero_grad() under the same condition", whole + whole_twins, Applicability.UNSAFE))
            ways.append(("make the step unconditional", whole, Applicability.UNSAFE))
        else:
            if twins:
                ways.append(("make the step unconditional, and the zero_grad() under the same condition", whole + whole_twins, Applicability.SAFE))
            ways.append(("make the step unconditional", whole, Applicability.SAFE))
        candidates: list[Candidate] = []
        seen: list[list[Edit]] = []
        for description, edits, applicability in ways:
            if not edits or any(e is None for e in edits):
                continue
            made = [e for e in edits if e is not None]
            if made in seen:
                continue
            seen.append(made)
            candidate = self.candidate(description, source.path, made, names)
            candidate.applicability = applicability
            candidates.append(candidate)
        operand, test = droppable[0]
        one = len(names) == 1
        who = min(idle.reached_as, key=lambda path: (path.count("."), len(path)), default=None)
        called = f"`{who}`" if who else f"the optimizer built at line {idle.site.line if idle.site else '?'}"
        message = (
            f"{called} never stepped, while other optimizers did: its step() at line {source.range(step).start.line} "
            f"(`{_one_line(source.code(step))}`) sits under `if {_one_line(source.code(condition.test))}`, whose `{source.code(operand)}` "
            f"was false all {test.evaluated} time{'s' if test.evaluated != 1 else ''} it was tested and compares values the run "
            f"does not change; {short_list(names)} {'receives' if one else 'receive'} gradients and never {'changes' if one else 'change'}"
        )
        return self.finding(project, source.site(operand), message, names, candidates[:MAX_CANDIDATES])

    @staticmethod
    def _twins(source: SourceFile, condition: cst.If, texts: set[str]) -> list[cst.If]:
        """``if`` blocks that call ``zero_grad()`` under an operand the step's condition drops, in
        the same class (or function, or file) as the step's."""
        function = source.enclosing_function(condition)
        scope: cst.CSTNode = source.module
        if function is not None:
            scope = _class_of(source, function) or function
        return [
            other for other in descendants(scope, cst.If)
            if other is not condition and _calls(other.body, "zero_grad") and not _calls(other.body, "step")
            and texts & {source.code(op) for op in and_operands(other.test)}
        ]

    @staticmethod
    def _drop(source: SourceFile, condition: cst.If, dropped: set[int]) -> list[Optional[Edit]]:
        """The operands ``dropped`` (by id) taken out of the condition's ``and``, each with the
        ``and`` that joins it to the next operand (to the previous one for the last): every other
        byte of the condition stays as it was written. Nothing left: the block, unconditional."""
        operands = and_operands(condition.test)
        gone = [id(op) in dropped for op in operands]
        if all(gone):
            return [OptimizerNeverStepped._unconditional(source, condition)]
        spans = [_span(source, op) for op in operands]
        edits: list[Optional[Edit]] = []
        first = 0
        while first < len(operands):
            if not gone[first]:
                first += 1
                continue
            last = first
            while last + 1 < len(operands) and gone[last + 1]:
                last += 1
            start, end = (spans[first][0], spans[last + 1][0]) if last + 1 < len(operands) else (spans[first - 1][1], spans[last][1])
            edits.append(Edit(source.position(start), source.position(end), ""))
            first = last + 1
        return edits

    @staticmethod
    def _unconditional(source: SourceFile, condition: cst.If) -> Optional[Edit]:
        """The block of the ``if`` in its place, one level out; an ``if`` with an ``else`` is left alone."""
        if condition.orelse is not None or not isinstance(condition.body, cst.IndentedBlock) or not condition.body.body:
            return None
        body = list(condition.body.body)
        body[0] = body[0].with_changes(leading_lines=[*condition.leading_lines, *body[0].leading_lines])
        return source.replace_statement(condition, cst.FlattenSentinel(body))

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        if not verdict.verified or verdict.partial:
            return verdict
        # Passing an optimizer in a new place must not take the steps away from the one that trained.
        after = run.trace
        stopped = [
            p.name for p in before.params
            if p.changed and p.optimizers and (q := after.param(p.name)) is not None and not q.changed
        ]
        if stopped:
            return Verdict(False, f"{short_list(stopped)} no longer {'changes' if len(stopped) == 1 else 'change'}")
        return verdict
