"""GF014: backward() runs but no optimizer ever steps.

The step was forgotten, only ``scheduler.step()`` is called, or ``optimizer.step()`` sits under a
condition that is never true. Gradients are computed and thrown away; nothing updates. The fix
inserts ``<optimizer>.step()`` right after the ``backward()`` line, naming the optimizer as it is
bound where backward runs. Evaluation-only scripts never call backward, and a single backward (a
gradient check, a demo) is no training loop: neither is flagged.

A step under a condition that counts batches (gradient accumulation) that held in no pass of its
loop (more accumulation steps than batches per epoch, a modulo on the epoch instead of the batch,
a counter reset every epoch) gets every fix the code allows, and the re-run judges: count the
batches of the step's own loop, step on its last batch too (``or (step + 1) == len(loader)``),
count across epochs, set the counter once before the epoch loop, step once after the loop on
what is left over. When gradfix ended the run early, a whole pass of that loop ended without a
step, under a condition on the loop's own count, must show it; otherwise nothing is reported
(the step may come after more backward passes than the run saw: repair.py then runs the script
again for longer).

A step under any other ``if`` whose test the probe saw false at every evaluation gets the edits
that could make it hold (a modulo tested against 0, a strict bound loosened, the block without
its ``if``, the step after it), all unsafe: each changes which iterations step.

A step in one branch of an ``if``/``elif``/``else`` whose other branch steps something else (a
scheduler, a scaler's update, an EMA, a logger: ``if scheduler: scheduler.step() else:
optimizer.step()``) moves out of its branch, to just before the ``if`` or just after it; a
branch left empty goes, and the re-run judges.
"""

from __future__ import annotations

import difflib
from typing import Optional

import libcst as cst

from gradfix.edits import Edit, Position
from gradfix.expressions import and_operands, dotted_path
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants, is_zero_literal
from gradfix.trace import Trace, UnsteppedLoop


def _names_read(node: cst.CSTNode) -> set[str]:
    return {name.value for name in descendants(node, cst.Name)}


def _dotted_read(node: cst.CSTNode) -> set[str]:
    """``self.global_step``, ``state.count``: the attribute paths a condition reads."""
    return {path for attribute in descendants(node, cst.Attribute) if (path := dotted_path(attribute)) is not None}


def _counts_batches(source: SourceFile, test: cst.BaseExpression, loop_variables: set[str], counters: set[str]) -> bool:
    """An accumulation condition: a modulo of a loop's variable or of a counter the function
    increments (``(step + 1) % accum == 0``), or a counter compared with its bound
    (``micro == accumulate``, ``self.seen >= self.accum``). A threshold on an epoch
    (``epoch >= warmup``) or a flag counts nothing."""
    counting = loop_variables | counters

    def reads_a_count(node: cst.CSTNode) -> bool:
        return bool((_names_read(node) & counting) or (_dotted_read(node) & counters))

    for operation in descendants(test, cst.BinaryOperation):
        if isinstance(operation.operator, cst.Modulo) and reads_a_count(operation.left):
            return True
    for comparison in descendants(test, cst.Comparison):
        sides = [comparison.left, *(c.comparator for c in comparison.comparisons)]
        equal = all(isinstance(c.operator, (cst.Equal, cst.GreaterThanEqual)) for c in comparison.comparisons)
        if equal and any(isinstance(side, (cst.Name, cst.Attribute)) and source.code(side) in counters for side in sides):
            return True
    return False


def _targets(loop: cst.For) -> set[str]:
    return _names_read(loop.target)


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _enumerated(loop: cst.For) -> Optional[tuple[str, str, int]]:
    """``for step, batch in enumerate(loader)``: the index, what has the batches' count (the
    loader; the one positional argument of a wrapper such as ``tqdm(loader, desc=...)``), and the
    first index. Only dotted names of the source."""
    call = loop.iter
    target = loop.target
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "enumerate"):
        return None
    if not (isinstance(target, cst.Tuple) and target.elements and isinstance(target.elements[0].value, cst.Name)):
        return None
    positional = [a for a in call.args if a.keyword is None and not a.star]
    start_arg = positional[1].value if len(positional) == 2 else next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "start"), None)
    if len(positional) not in (1, 2) or len(call.args) > 2:
        return None
    start = 0
    if start_arg is not None:
        if not (isinstance(start_arg, cst.Integer) and start_arg.value in ("0", "1")):
            return None
        start = int(start_arg.value)
    sized = positional[0].value
    if isinstance(sized, cst.Call):
        inner = [a for a in sized.args if a.keyword is None and not a.star]
        if len(inner) != 1:
            return None
        sized = inner[0].value
    spelled = dotted_path(sized)
    if spelled is None:
        return None
    return target.elements[0].value.value, spelled, start


def _is_range(source: SourceFile, iterable: cst.BaseExpression) -> bool:
    return isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) and iterable.func.value == "range"


def _grouped(test: cst.BaseExpression, always: bool = False) -> cst.BaseExpression:
    """A condition joined to another by ``or``: parenthesised when it is an ``and``, a ternary or a lambda."""
    if test.lpar or not (always or isinstance(test, (cst.BooleanOperation, cst.IfExp, cst.Lambda, cst.NamedExpr))):
        return test
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or) and not always:
        return test
    return test.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _renamed(test: cst.BaseExpression, name: str, new: cst.BaseExpression) -> cst.BaseExpression:
    """The condition with every read of the variable ``name`` replaced by ``new`` (``args.step``
    and ``f(step=...)`` name no variable)."""
    not_variables = {id(a.attr) for a in descendants(test, cst.Attribute)} | {id(a.keyword) for a in descendants(test, cst.Arg) if a.keyword}
    # `(step + 1)` becomes `(epoch * n + step + 1)`: a sum's first term needs no parentheses.
    first_terms = {id(b.left) for b in descendants(test, cst.BinaryOperation) if isinstance(b.operator, cst.Add)}
    bare = new.with_changes(lpar=[], rpar=[])
    result = test
    for node in descendants(test, cst.Name):
        if node.value == name and id(node) not in not_variables:
            added = isinstance(new, cst.BinaryOperation) and isinstance(new.operator, cst.Add)
            result = result.deep_replace(node, bare if added and id(node) in first_terms else new)  # type: ignore[assignment]
    return result


# What a branch does instead of stepping the optimizer: steps a scheduler, updates a scaler or an
# average, logs.
_OTHER_STEPS = frozenset({"step", "update", "log", "info", "add_scalar", "add_scalars", "log_metrics"})

_OPPOSITE: dict[type, type] = {
    cst.Equal: cst.NotEqual, cst.NotEqual: cst.Equal, cst.Is: cst.IsNot, cst.IsNot: cst.Is,
    cst.In: cst.NotIn, cst.NotIn: cst.In, cst.LessThan: cst.GreaterThanEqual, cst.GreaterThanEqual: cst.LessThan,
    cst.GreaterThan: cst.LessThanEqual, cst.LessThanEqual: cst.GreaterThan,
}


def _negated(test: cst.BaseExpression) -> cst.BaseExpression:
    """``not test``, spelled as a reader would: ``a != b`` for ``a == b``, ``x`` for ``not x``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) and not test.lpar:
        return test.expression.with_changes(lpar=[], rpar=[]) if isinstance(test.expression, (cst.Name, cst.Attribute, cst.Call)) else test.expression
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and not test.lpar:
        operator = test.comparisons[0].operator
        opposite = _OPPOSITE.get(type(operator))
        if opposite is not None:
            new = opposite(whitespace_before=cst.SimpleWhitespace(" "), whitespace_after=cst.SimpleWhitespace(" "))  # type: ignore[call-arg]
            return test.with_changes(comparisons=[test.comparisons[0].with_changes(operator=new)])
    return cst.UnaryOperation(operator=cst.Not(), expression=_grouped(test, always=isinstance(test, cst.BooleanOperation)))


def _without(top: cst.If, statement: cst.BaseStatement) -> Optional[cst.If]:
    """The ``if`` chain with the statement taken out of its branch; a branch left empty goes
    (an ``else`` or an ``elif`` whose test calls nothing; the ``if`` itself when an ``else``
    follows it, by negating its test). None when that cannot be done."""

    def emptied(block: cst.BaseSuite) -> Optional[cst.BaseSuite]:
        if not isinstance(block, cst.IndentedBlock) or not any(s is statement for s in block.body):
            return None
        return block.with_changes(body=[s for s in block.body if s is not statement])

    def rebuilt(clause: cst.If, first: bool) -> Optional[cst.If]:
        body = emptied(clause.body)
        if body is not None:
            assert isinstance(body, cst.IndentedBlock)
            if body.body:
                return clause.with_changes(body=body)
            if isinstance(clause.orelse, cst.Else) and first:
                return clause.with_changes(test=_negated(clause.test), body=clause.orelse.body, orelse=None)
            return None
        orelse = clause.orelse
        if isinstance(orelse, cst.Else):
            block = emptied(orelse.body)
            if block is None:
                return None
            assert isinstance(block, cst.IndentedBlock)
            return clause.with_changes(orelse=orelse.with_changes(body=block) if block.body else None)
        if isinstance(orelse, cst.If):
            inner = emptied(orelse.body)
            if inner is not None and not inner.body:  # type: ignore[attr-defined]
                if descendants(orelse.test, cst.Call):
                    return None
                return clause.with_changes(orelse=orelse.orelse)
            deeper = rebuilt(orelse, first=False)
            return clause.with_changes(orelse=deeper) if deeper is not None else None
        return None

    return rebuilt(top, first=True)


def _held_variants(operand: cst.BaseExpression) -> list[tuple[str, cst.BaseExpression]]:
    """Ways to make a test that never held hold, from its shape alone: a bare modulo tested for
    truth (``n % k``: true only when ``n`` is not a multiple, never with ``k = 1``) or compared
    with anything but 0 (``n % k != 0``, ``n % k == k``) is tested against 0 instead; a strict
    comparison takes its bound too (``>`` to ``>=``, ``<`` to ``<=``)."""
    spaced = {"whitespace_before": cst.SimpleWhitespace(" "), "whitespace_after": cst.SimpleWhitespace(" ")}
    if isinstance(operand, cst.BinaryOperation) and isinstance(operand.operator, cst.Modulo):
        bare = operand.with_changes(lpar=[], rpar=[])
        test = cst.Comparison(left=bare, comparisons=[cst.ComparisonTarget(operator=cst.Equal(**spaced), comparator=cst.Integer("0"))])
        return [("step when the count is a multiple (`== 0`), not when it is not", test.with_changes(lpar=operand.lpar, rpar=operand.rpar))]
    if not (isinstance(operand, cst.Comparison) and len(operand.comparisons) == 1):
        return []
    target = operand.comparisons[0]
    operator = target.operator
    left = operand.left
    if isinstance(left, cst.BinaryOperation) and isinstance(left.operator, cst.Modulo) and isinstance(operator, (cst.Equal, cst.NotEqual)):
        if isinstance(operator, cst.Equal) and is_zero_literal(target.comparator):
            return []
        zero = target.with_changes(operator=cst.Equal(**spaced), comparator=cst.Integer("0"))
        return [("step when the count is a multiple (`== 0`)", operand.with_changes(comparisons=[zero]))]
    looser = {cst.GreaterThan: cst.GreaterThanEqual, cst.LessThan: cst.LessThanEqual}.get(type(operator))
    if looser is None:
        return []
    new = looser(whitespace_before=operator.whitespace_before, whitespace_after=operator.whitespace_after)  # type: ignore[call-arg,attr-defined]
    return [(f"take the bound too (`{'>=' if looser is cst.GreaterThanEqual else '<='}`)", operand.with_changes(comparisons=[target.with_changes(operator=new)]))]


class MissingStep(Rule):
    code = "GF014"
    title = "backward() runs but no optimizer step does"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        # One backward is a gradient check or a demo; a loop of them that never steps is training
        # whose updates were forgotten.
        if len(trace.backwards) < 2 or not trace.optimizers or trace.steps or trace.crash is not None:
            return []
        if trace.scaler_skips:
            return []  # a GradScaler called step() and skipped it, for gradients with inf or NaN: GF092's
        if any(p.reached and p.got_grad and p.module is None and not p.is_parameter for p in trace.params):
            return []  # backward for the gradient of an input (saliency maps, attacks): no step is wanted
        backward = trace.backwards[-1]
        if backward.site is None or not project.is_editable(backward.site.file):
            return []
        source = project.source(backward.site.file)
        calls = source.nodes_at(backward.site, cst.Call)
        statement = source.statement_of(calls[0]) if calls else None
        if not isinstance(statement, cst.SimpleStatementLine):
            return []
        held = [p for o in trace.optimizers for p in o.params]
        names = set(backward.scope_optimizers)
        # Only what is written where backward runs: a step in a helper nobody calls is as good as none.
        home = source.enclosing_function(statement)
        uncalled = [a for a in self._uncalled_steps(source, names) if source.enclosing_function(a) is home]
        if uncalled:
            return [self._call_it(project, source, uncalled, held)]
        written = [c for c in self._steps_in_code(source, names) if source.enclosing_function(c) is home]
        if written:
            finding = self._never_ran(trace, project, source, written[0], held, source.range(statement).start.line)
            return [finding] if finding is not None else []
        reached = set(backward.reached)
        # Optimizers holding what this backward reaches come first; the re-run decides.
        ranked = sorted(
            backward.scope_optimizers.items(),
            key=lambda item: -len(reached & set(trace.optimizers[item[1]].params)),
        )
        end_line = source.range(statement).end.line
        indent = source.indentation(source.range(statement).start.line)
        candidates = [
            self.candidate(f"call {name}.step() after backward()", source.path, [source.insert_lines(end_line + 1, f"{indent}{name}.step()\n")], [p for p in trace.optimizers[index].params if p in reached] or None)
            for name, index in ranked
        ]
        message = (
            f"backward() ran {len(trace.backwards)} time(s) but no optimizer.step() did; "
            f"{short_list(held)} receive gradients and never change"
        )
        return [self.finding(project, backward.site, message, held, candidates)]

    @staticmethod
    def _steps_in_code(source: SourceFile, names: set[str]) -> list[cst.Call]:
        """``<optimizer>.step()`` calls written in the file, for the names bound where backward ran."""
        return [
            call
            for call in descendants(source.module, cst.Call)
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "step" and source.code(call.func.value) in names
        ]

    def _never_ran(
        self, trace: Trace, project: Project, source: SourceFile, step: cst.Call, held: list[str], backward_line: int,
    ) -> Optional[Finding]:
        """The step is written but never ran: its condition was never true, or its branch never
        reached. Under a condition that counts batches (gradient accumulation) whose whole loop
        ran without it, the ways to make it hold are candidates: step on the loop's last batch
        too, count the batches the loop runs, count them across epochs, stop resetting the
        counter each epoch, step once after the loop on what is left; the re-run judges. Any
        other condition is explained only: another step would change the schedule the author wrote."""
        condition = next((a for a in source.ancestors(step) if isinstance(a, (cst.If, cst.While))), None)
        loop = next((a for a in source.ancestors(step) if isinstance(a, cst.For)), None)
        if loop is not None and source.enclosing_function(loop) is not source.enclosing_function(step):
            loop = None
        unstepped = self._unstepped(trace, source, loop) if loop is not None else None
        counts_passes = condition is not None and loop is not None and bool(_names_read(condition.test) & _targets(loop))
        if condition is not None and (trace.stopped_early or trace.timed_out) and not (unstepped and counts_passes):
            # The run ended before the script did: a condition that has not held yet may hold
            # later (an accumulation over more backward passes than the run saw). Only a whole pass
            # of the loop, ended without a step, under a condition on that loop's own count, says
            # it never will.
            return None
        site = source.site(condition if condition is not None else step)
        count = len(trace.backwards)
        stopped = " (gradfix stopped the run there)" if trace.stopped_early or trace.timed_out else ""
        candidates = []
        if condition is None:
            where = f"where the run never went in its {count} backward passes{stopped}"
        else:
            keyword = "if" if isinstance(condition, cst.If) else "while"
            test = source.code(condition.test)
            in_else = condition.orelse is not None and any(a is condition.orelse for a in source.ancestors(step))
            parent = source.parent(condition)
            if not in_else and isinstance(parent, cst.If) and parent.orelse is condition:
                # An `elif` runs only when every test above it failed: the run may never have
                # evaluated its own condition.
                where = f"under `elif {test}`, a branch the run never took in its {count} backward passes{stopped}"
            elif in_else:
                where = f"in the `else` of `{keyword} {test}`, whose condition held in all {count} backward passes{stopped}"
            else:
                where = f"under `{keyword} {test}`, which held in none of the {count} backward passes{stopped}"
            if unstepped is not None and loop is not None:
                where += (
                    f"; the loop at line {source.range(loop).start.line} ran to its end {_times(unstepped.passes)} without a "
                    f"step ({unstepped.backwards} backward passes in {'it' if unstepped.passes == 1 else 'the last'})"
                )
            if isinstance(condition, cst.If) and not in_else and loop is not None and any(a is loop for a in source.ancestors(condition)):
                candidates = self._accumulation_fixes(source, condition, loop, held)
            if isinstance(condition, cst.If) and not candidates:
                candidates = self._out_of_branch(source, condition, step, loop, backward_line)
            if isinstance(condition, cst.If) and not candidates and not in_else and not (isinstance(parent, cst.If) and parent.orelse is condition):
                candidates = self._never_held(trace, source, condition, step)
        one = len(held) == 1
        message = (
            f"{source.code(step)} at line {source.range(step).start.line} never ran: it sits {where}; "
            f"{short_list(held)} {'receives' if one else 'receive'} gradients and never {'changes' if one else 'change'}"
        )
        return self.finding(project, site, message, held, candidates)

    def _out_of_branch(
        self, source: SourceFile, condition: cst.If, step: cst.Call, loop: Optional[cst.For], backward_line: int,
    ) -> list[Candidate]:
        """The step in one branch of an ``if``/``elif``/``else`` whose other branch steps something
        else (``if scheduler: scheduler.step() else: optimizer.step()``): the branch that ran
        stepped the scheduler, the scaler or the logger instead of the optimizer. The step moves
        out of the branch, to just before the ``if`` (a scheduler steps after its optimizer) or
        just after it; a branch left empty goes. Only when backward ran before the ``if`` (a
        step moved above a backward in a branch would use the last batch's gradients) and no
        test of the chain counts batches (an accumulation steps every few batches on purpose)."""
        statement = source.statement_of(step)
        if not (
            isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr) and statement.body[0].value is step
        ):
            return []
        top = condition
        while isinstance(source.parent(top), cst.If) and source.parent(top).orelse is top:  # type: ignore[union-attr]
            top = source.parent(top)  # type: ignore[assignment]
        clauses: list[cst.CSTNode] = []
        clause: Optional[cst.CSTNode] = top
        while clause is not None:
            clauses.append(clause)
            clause = clause.orelse if isinstance(clause, cst.If) else None
        block = source.parent(statement)
        owner = source.parent(block) if isinstance(block, cst.IndentedBlock) else None
        if not any(owner is c for c in clauses) or len(clauses) < 2:
            return []
        if source.range(top).start.line <= backward_line or source.enclosing_function(top) is not source.enclosing_function(step):
            return []
        if any(isinstance(c.func, cst.Attribute) and c.func.attr.value == "backward" for c in descendants(top, cst.Call)):
            return []
        receiver = source.code(step.func.value)  # type: ignore[attr-defined]
        others = [c for c in clauses if c is not owner]
        if not any(self._steps_something_else(source, c.body, receiver) for c in others):  # type: ignore[attr-defined]
            return []
        if any(receiver in _dotted_read(c.body) | _names_read(c.body) for c in others):  # type: ignore[attr-defined]
            # The other branch handles this optimizer its own way (`scaler.unscale_(optimizer)`,
            # `scaler.step(optimizer)`): the fix is not a move.
            return []
        if loop is not None:
            home = source.enclosing_function(loop)
            region: cst.CSTNode = home if home is not None else source.module
            counters = {source.code(a.target) for a in descendants(region, cst.AugAssign) if isinstance(a.operator, cst.AddAssign)}
            outer = [a for a in source.ancestors(loop) if isinstance(a, cst.For) and source.enclosing_function(a) is home]
            loop_variables = _targets(loop).union(*(_targets(o) for o in outer))
            if any(_counts_batches(source, c.test, loop_variables, counters) for c in clauses if isinstance(c, cst.If)):
                return []
        remaining = _without(top, statement)
        if remaining is None:
            return []
        moved = statement.with_changes(leading_lines=[])
        code = source.code(step)
        branch = "the `else`" if isinstance(owner, cst.Else) else "its branch"
        return [
            self.candidate(
                f"call {code} before the `if`, out of {branch}", source.path,
                # The comments above the `if` stay above the lines that take its place.
                self._by_line(source, source.replace_statement(
                    top, cst.FlattenSentinel([moved.with_changes(leading_lines=top.leading_lines), remaining.with_changes(leading_lines=[])]),
                )),
            ),
            self.candidate(
                f"call {code} after the `if`, out of {branch}", source.path,
                self._by_line(source, source.replace_statement(top, cst.FlattenSentinel([remaining, moved]))),
            ),
        ]

    def _never_held(self, trace: Trace, source: SourceFile, condition: cst.If, step: cst.Call) -> list[Candidate]:
        """The step under an ``if`` (no ``elif``, no ``else``) whose test the probe saw false at
        every evaluation, and that counts nothing gradfix knows how to keep: each way the test
        could be made to hold, smallest first, and the re-run judges. A bare modulo
        (``if n % k:``, never true with ``k = 1``) and a modulo compared with a number other than
        0 become ``n % k == 0``; a strict comparison loosens (``>`` to ``>=``, ``<`` to ``<=``);
        then the block without its ``if``; then the step alone, moved after the ``if``. Every one
        changes which iterations step, so each is unsafe: the user reviews the schedule."""
        statement = source.statement_of(step)
        if condition.orelse is not None or not isinstance(condition.body, cst.IndentedBlock):
            return []
        if not any(s is statement for s in condition.body.body):
            return []  # nested deeper: which `if` to change is not this evidence's to say
        tests = {(t.site.file, t.site.line, t.site.column): t for t in trace.condition_tests}
        ways: list[tuple[str, list[Edit]]] = []
        failed = False
        for operand in and_operands(condition.test):
            site = source.site(operand)
            seen = tests.get((site.file, site.line, site.column))
            if seen is None or not seen.evaluated or seen.held:
                continue  # only an operand the run saw false every time it was tested
            failed = True
            for description, new in _held_variants(operand):
                ways.append((f"{description}: `{source.code(operand)}` becomes `{cst.Module([]).code_for_node(new)}`", [source.replace_node(operand, new)]))
        if not failed:
            return []  # the probe did not see the test fail: the branch may not have been reached
        body = list(condition.body.body)
        body[0] = body[0].with_changes(leading_lines=[*condition.leading_lines, *body[0].leading_lines])
        ways.append(("run the block on every pass: drop its `if`", [source.replace_statement(condition, cst.FlattenSentinel(body))]))
        if len(condition.body.body) > 1 and isinstance(statement, cst.SimpleStatementLine):
            remaining = condition.with_changes(body=condition.body.with_changes(body=[s for s in condition.body.body if s is not statement]))
            moved = statement.with_changes(leading_lines=[])
            ways.append((
                f"call {source.code(step)} on every pass, after the `if`",
                self._by_line(source, source.replace_statement(condition, cst.FlattenSentinel([remaining, moved]))),
            ))
        candidates = []
        for description, edits in ways:
            candidate = self.candidate(description, source.path, edits)
            candidate.applicability = Applicability.UNSAFE
            candidates.append(candidate)
        return candidates

    @staticmethod
    def _by_line(source: SourceFile, edit: Edit) -> list[Edit]:
        """A whole-lines edit as the lines it really changes: the diff then shows the step moving
        and the ``else:`` going, not the whole ``if`` rewritten."""
        start, end = source.lines.offset(edit.start), source.lines.offset(edit.end)
        old, new = source.text[start:end], edit.replacement
        if edit.start.column != 0 or not old.endswith("\n") or not new.endswith("\n"):
            return [edit]
        old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
        edits = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False).get_opcodes():
            if tag != "equal":
                edits.append(Edit(
                    Position(edit.start.line + i1, 0), Position(edit.start.line + i2, 0), "".join(new_lines[j1:j2]),
                ))
        return edits

    @staticmethod
    def _steps_something_else(source: SourceFile, body: cst.BaseSuite, receiver: str) -> bool:
        """A branch that steps or updates another object (a scheduler, a scaler, an EMA) or logs."""
        for call in descendants(body, cst.Call):
            if not isinstance(call.func, cst.Attribute) or source.code(call.func.value) == receiver:
                continue
            if call.func.attr.value in _OTHER_STEPS:
                return True
        return False

    @staticmethod
    def _unstepped(trace: Trace, source: SourceFile, loop: cst.For) -> Optional[UnsteppedLoop]:
        """The probe's record of this loop running to its end with backward() and no step."""
        where = source.site(loop.iter)
        return next((u for u in trace.unstepped_loops if u.site.same_place(where)), None)

    def _accumulation_fixes(self, source: SourceFile, condition: cst.If, loop: cst.For, held: list[str]) -> list[Candidate]:
        """Every way to make a batch-counting step condition hold that the code allows, smallest
        first. Only a condition that counts (it reads a loop's variable or a counter the function
        increments) is one: a flag (``if not args.dry_run``) is the author's choice."""
        home = source.enclosing_function(loop)
        region: cst.CSTNode = home if home is not None else source.module
        test = condition.test
        read = _names_read(test)
        outer = [a for a in source.ancestors(loop) if isinstance(a, cst.For) and source.enclosing_function(a) is home]
        counters = {source.code(a.target) for a in descendants(region, cst.AugAssign) if isinstance(a.operator, cst.AddAssign)}
        loop_variables = _targets(loop).union(*(_targets(o) for o in outer))
        if not _counts_batches(source, test, loop_variables, counters):
            return []
        ways: list[tuple[str, Optional[list[Edit]]]] = []
        enumerated = _enumerated(loop)
        if enumerated is not None:
            index, sized, start = enumerated
            spelled = f"({index} + 1)" if f"({index} + 1)" in source.code(test) else f"{index} + 1"
            last = f"{spelled} == len({sized})" if start == 0 else f"{index} == len({sized})"
            wrong = [o for o in outer if read & _targets(o) and isinstance(o.target, cst.Name)]
            if index not in read and len(wrong) == 1:
                # The condition counts epochs where it meant batches: the most specific fix first.
                counter = wrong[0].target
                assert isinstance(counter, cst.Name)
                ways.append((
                    f"count the batches of the loop the step is in (`{index}`), not the outer loop's (`{counter.value}`)",
                    [source.replace_node(test, _renamed(test, counter.value, cst.Name(index)))],
                ))
            ways.append((
                f"step on the loop's last batch too: `or {last}`",
                [source.replace_node(test, cst.BooleanOperation(left=_grouped(test), operator=cst.Or(), right=cst.parse_expression(last)))],
            ))
            epochs = next((o for o in outer if isinstance(o.target, cst.Name) and _is_range(source, o.iter)), None)
            if index in read and start == 0 and epochs is not None:
                assert isinstance(epochs.target, cst.Name)
                across = cst.parse_expression(f"({epochs.target.value} * len({sized}) + {index})")
                ways.append((
                    "count the batches across epochs, not from 0 in each epoch",
                    [source.replace_node(test, _renamed(test, index, across))],
                ))
        ways.append(("count across epochs: set the counter once, before the outer loop", self._counter_set_once(source, loop, outer, read)))
        ways.append(("step once after the loop on the gradients left over", self._step_after_loop(source, condition, loop)))
        candidates = []
        for description, edits in ways:
            if edits:
                candidates.append(self.candidate(description, source.path, edits))
        return candidates

    @staticmethod
    def _counter_set_once(source: SourceFile, loop: cst.For, outer: list[cst.For], read: set[str]) -> Optional[list[Edit]]:
        """``n = 0`` at the top of each epoch, read by the step's condition: set it once, before the
        epoch loop, so that it counts the batches of every epoch."""
        for epoch_loop in outer:
            body = epoch_loop.body.body if isinstance(epoch_loop.body, cst.IndentedBlock) else []
            for statement in body:
                if statement is loop or any(a is statement for a in source.ancestors(loop)):
                    break
                if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
                    continue
                assign = statement.body[0]
                if (
                    isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)
                    and assign.targets[0].target.value in read and isinstance(assign.value, (cst.Integer, cst.Float))
                ):
                    line = source.range(epoch_loop).start.line
                    text = source.indentation(line) + cst.Module([]).code_for_node(assign) + "\n"
                    return [source.remove_statement(statement), source.insert_lines(line, text)]
        return None

    @staticmethod
    def _step_after_loop(source: SourceFile, condition: cst.If, loop: cst.For) -> Optional[list[Edit]]:
        """After the loop, the step's block once more when the last batch did not step:
        ``if (step + 1) % accum != 0: <the block>``."""
        if loop.orelse is not None or descendants(condition.body, (cst.Break, cst.Continue)):  # type: ignore[arg-type]
            return None
        test = condition.test
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.comparisons[0].operator, cst.Equal):
            left_over: cst.BaseExpression = test.with_changes(
                comparisons=[test.comparisons[0].with_changes(operator=cst.NotEqual(
                    whitespace_before=test.comparisons[0].operator.whitespace_before,
                    whitespace_after=test.comparisons[0].operator.whitespace_after,
                ))]
            )
        else:
            left_over = cst.UnaryOperation(operator=cst.Not(), expression=_grouped(test, always=isinstance(test, cst.BooleanOperation)))
        after = cst.If(test=left_over, body=condition.body)
        edit = source.replace_statement(loop, cst.FlattenSentinel([loop, after]))
        # The loop is rendered as it was: the edit is the block inserted after it.
        start, end = source.lines.offset(edit.start), source.lines.offset(edit.end)
        kept = source.text[start:end]
        if not edit.replacement.startswith(kept):
            return None
        return [Edit(edit.end, edit.end, edit.replacement[len(kept):])]

    @staticmethod
    def _uncalled_steps(source: SourceFile, names: set[str]) -> list[cst.Attribute]:
        """``optimizer.step`` alone on a line: the method is looked up and never called."""
        return [
            small.value
            for line in descendants(source.module, cst.SimpleStatementLine)
            for small in line.body
            if isinstance(small, cst.Expr)
            and isinstance(small.value, cst.Attribute)
            and small.value.attr.value == "step"
            and source.code(small.value.value) in names
        ]

    def _call_it(self, project: Project, source: SourceFile, uncalled: list[cst.Attribute], held: list[str]) -> Finding:
        edits = [source.replace_node(attribute, cst.Call(func=attribute)) for attribute in uncalled]
        site = source.site(uncalled[0])
        code = source.code(uncalled[0])
        message = f"`{code}` names the method without calling it (no parentheses), so {short_list(held)} never change"
        return self.finding(project, site, message, held, [self.candidate(f"call it: {code}()", source.path, edits)])
