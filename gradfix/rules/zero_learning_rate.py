"""GF019: the learning rate fell to 0 and stayed there, so the steps stop changing anything.

``StepLR(optimizer, step_size=1, gamma=0)`` (a factor of 0 where "no decay" is a factor of 1),
``MultiStepLR(..., gamma=0)``, ``ReduceLROnPlateau(..., factor=0)``: after the first decay every
learning rate is 0. The parameters still receive gradients, ``optimizer.step()`` still runs, and
nothing changes: the loss goes flat. The probe records each optimizer's learning rate at every
step and where each scheduler was built. When the learning rate of an optimizer that began with a
positive one was 0 at its last two steps or more, this rule names it, with the scheduler that set
it. The candidate fixes change a 0 factor in the scheduler's construction (a keyword, a
positional argument, or a name bound once to a literal 0, such as ``LR_DECAY = 0``): to 1 (keep the
rate; not for ReduceLROnPlateau, which wants a factor below 1), or to torch's default (drop the
argument; not for ExponentialLR, which has none). A ``LambdaLR`` or ``MultiplicativeLR`` whose
function divides with ``//`` (``min(1, step // warmup)`` is 0 until the warm-up ends): each ``//``
becomes ``/``. A rate 0 from the start because an optimizer built with ``lr=0`` was stepped past a
wrapper of the script's own (``opt.optimizer.step()``, where the method of ``opt`` that calls
``self.optimizer.step()`` first writes ``param_group["lr"]``): the wrapper's method is called
instead. A scheduler that set the rate to 0 when it was built (a warm-up from 0, ``CyclicLR``
from ``base_lr=0``) and whose step() never ran (the probe counts them), the rate 0 at every step:
``scheduler.step()`` is added after the optimizer's. A schedule whose length counts epochs
(``num_training_steps=N_EPOCHS + 1``) stepped once per batch: unsafe candidates multiply the length
by ``len()`` of the loop's iterable, or move ``scheduler.step()`` after that loop; the length is
read where the scheduler is built or where the script's own helper that builds it is called (the
probe records those calls). A schedule resumed from the saved state of
a finished run (a ``load_state_dict`` into the scheduler, which the probe records): unsafe
candidates drop that load, or it and the optimizer's (whose groups carry the saved rate), so the
new run starts a new schedule. A rate held at 0 by another schedule is named without a fix; one
built at 0 with no wrapper bypassed is left to GF018. The re-run must show the rate is no longer 0 at the end and
the parameters change.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants, is_zero_literal
from gradfix.trace import OptimizerFact, SchedulerFact, Site, Trace
from gradfix.verify import judge

# A scheduler argument that multiplies the learning rate, by scheduler: its keyword, its place
# among the positional arguments (the optimizer is 0), and whether leaving it out gives a default
# (ExponentialLR has none) and whether 1 is allowed (ReduceLROnPlateau wants a factor below 1).
_FACTORS = {
    "StepLR": ("gamma", 2, True, True),
    "MultiStepLR": ("gamma", 2, True, True),
    "ExponentialLR": ("gamma", 1, False, True),
    "ReduceLROnPlateau": ("factor", 2, True, False),
}


# The keywords a schedule's length is given by: transformers' get_*_schedule_with_warmup and the
# helpers written after them, CosineAnnealingLR, OneCycleLR, LinearLR/PolynomialLR and the like.
_SCHEDULE_LENGTHS = frozenset({
    "num_training_steps", "total_steps", "T_max", "max_steps", "num_steps", "total_iters",
    "t_total", "max_iter", "max_iters", "training_steps", "num_train_steps",
})


def _calls_of(source: SourceFile, receiver: str, method: str) -> list[cst.Call]:
    """``<receiver>.<method>()`` calls with no arguments: ``scheduler.step()``."""
    return [
        c for c in descendants(source.module, cst.Call)
        if isinstance(c.func, cst.Attribute) and c.func.attr.value == method and not c.args
        and source.code(c.func.value) == receiver
    ]


def _iterated(iterable: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """What a loop goes through, as ``len()`` can take it: ``train_loader`` in ``for batch in
    train_loader``, ``enumerate(train_loader)`` or ``tqdm(train_loader, ...)``, ``range(n)``."""
    if isinstance(iterable, (cst.Name, cst.Attribute)):
        return iterable
    if not isinstance(iterable, cst.Call) or not iterable.args:
        return None
    called = iterable.func.attr.value if isinstance(iterable.func, cst.Attribute) else iterable.func.value if isinstance(iterable.func, cst.Name) else ""
    if called == "range":
        return iterable  # `len(range(n))` is n
    if called in ("enumerate", "tqdm", "iter") and iterable.args[0].keyword is None and not iterable.args[0].star:
        return _iterated(iterable.args[0].value)
    return None


def _trailing_zeros(optimizer: OptimizerFact) -> int:
    count = 0
    for rate in reversed(optimizer.lrs):
        if rate != 0:
            break
        count += 1
    return count


def _stalled(trace: Trace) -> list[OptimizerFact]:
    return [o for o in trace.optimizers if o.initial_lr and _trailing_zeros(o) >= 2]


def _never_set(trace: Trace) -> list[OptimizerFact]:
    """Optimizers built with a learning rate of 0 that was still 0 at every step: what was meant to
    set it never ran (a wrapper's step() bypassed)."""
    return [o for o in trace.optimizers if o.initial_lr == 0 and len(o.lrs) >= 2 and _trailing_zeros(o) == len(o.lrs)]


def _lr_assignments(method: cst.FunctionDef) -> bool:
    """Whether a method writes a learning rate: ``group["lr"] = ...`` (or ``'lr'``)."""
    for assign in descendants(method, cst.Assign):
        for target in assign.targets:
            t = target.target
            if isinstance(t, cst.Subscript) and len(t.slice) == 1:
                index = t.slice[0].slice
                if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString) and index.value.evaluated_value == "lr":
                    return True
    return False


def _wrapper_attrs(source: SourceFile) -> dict[str, tuple[str, str]]:
    """The attributes through which a class of the script's own keeps the optimizer one of its
    methods drives, with the class and that method: a method that writes ``param_group["lr"]``
    (itself, or through another method of the class it calls on ``self``) and then calls
    ``self.<attr>.step()`` (NoamOpt's ``step()``, a ``step_and_update_lr()``)."""
    attrs: dict[str, tuple[str, str]] = {}
    for cls in descendants(source.module, cst.ClassDef):
        methods = {m.name.value: m for m in cls.body.body if isinstance(m, cst.FunctionDef)}
        setters = {name for name, m in methods.items() if _lr_assignments(m)}
        for name, method in methods.items():
            inner: list[str] = []
            sets = name in setters
            for call in descendants(method, cst.Call):
                func = call.func
                if not isinstance(func, cst.Attribute):
                    continue
                if isinstance(func.value, cst.Name) and func.value.value == "self" and func.attr.value in setters:
                    sets = True
                if (
                    func.attr.value == "step" and isinstance(func.value, cst.Attribute)
                    and isinstance(func.value.value, cst.Name) and func.value.value.value == "self"
                ):
                    inner.append(func.value.attr.value)
            if sets:
                for attr in inner:
                    attrs.setdefault(attr, (cls.name.value, name))
    return attrs


class ZeroLearningRate(Rule):
    code = "GF019"
    title = "learning rate set to 0 by a schedule"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for optimizer in _stalled(trace) + _never_set(trace):
            params = [p.name for p in trace.params if optimizer.id in p.optimizers and p.requires_grad and p.got_grad]
            if not params:
                continue
            # Only a rate that was 0 from the start can have been left as built by a bypassed wrapper.
            bypasses = [] if optimizer.initial_lr else self._bypasses(trace, project, optimizer)
            schedulers = [s for s in trace.schedulers if s.optimizer == optimizer.id and s.site is not None and project.is_editable(s.site.file)]
            zeros = _trailing_zeros(optimizer)
            # A scheduler whose step() never ran, while the rate it set at its construction was 0
            # from the first step to the last (a warm-up from 0, a CyclicLR from base_lr=0).
            idle = [s for s in schedulers if not s.steps] if zeros == len(optimizer.lrs) and len(schedulers) == 1 else []
            if not optimizer.initial_lr and not bypasses and not idle:
                continue  # built with 0 and nothing meant to raise it: GF018 says so
            if zeros == len(optimizer.lrs):
                when = f"the learning rate was 0 at every one of the {zeros} steps"
            else:
                when = f"the learning rate fell to 0 at step {len(optimizer.lrs) - zeros + 1} and stayed 0 for the last {zeros} steps"
            by = ""
            candidates: list[Candidate] = []
            site = schedulers[0].site if schedulers else optimizer.site
            if bypasses:
                step_site, wrapper_cls, inner, outer, candidate = bypasses[0]
                by = (
                    f" (the optimizer was built with a learning rate of 0, and `{inner}.step()` steps it past "
                    f"{wrapper_cls}, which sets the learning rate: `{outer}()` is never called)"
                )
                candidates = [b[-1] for b in bypasses]
                site = step_site
            elif idle:
                by = (
                    f" (set by the {idle[0].cls.rsplit('.', 1)[-1]} built at line {idle[0].site.line}, "  # type: ignore[union-attr]
                    "whose step() is never called: it keeps the rate it set when it was built)"
                )
                candidates = self._step_scheduler(trace, project, optimizer, idle[0])
            elif schedulers:
                by = f" (set by the {schedulers[0].cls.rsplit('.', 1)[-1]} built at line {schedulers[0].site.line})"  # type: ignore[union-attr]
                candidates = [c for s in schedulers for c in self._candidates(project.source(s.site.file), s)]  # type: ignore[union-attr]
                candidates += [c for s in schedulers for c in self._length_in_epochs(project, s)]
                resumed = next((s for s in schedulers if s.loaded is not None), None)
                if resumed is not None:
                    by = (
                        f" (set by the {resumed.cls.rsplit('.', 1)[-1]} built at line {resumed.site.line}, "  # type: ignore[union-attr]
                        f"into which line {resumed.loaded.line} loads a saved state: a schedule resumed where it "  # type: ignore[union-attr]
                        "ended goes on from its last rate)"
                    )
                    candidates += self._fresh_schedule(project, optimizer, resumed)
            one = len(params) == 1
            # A rate that was 0 from the first step never let them change at all.
            change = "never changes" if one else "never change"
            if zeros != len(optimizer.lrs):
                change = "does not change any more" if one else "do not change any more"
            message = f"{when}{by}: {short_list(params)} {'receives' if one else 'receive'} gradients and {change}"
            if site is None or not project.is_editable(site.file):
                continue
            findings.append(self.finding(project, site, message, params, candidates[:6]))
        return findings

    def _step_scheduler(self, trace: Trace, project: Project, optimizer: OptimizerFact, scheduler: SchedulerFact) -> list[Candidate]:
        """``<scheduler>.step()`` on the line after each statement that stepped the optimizer, with
        the name the scheduler's construction binds it to (``scheduler = LambdaLR(...)``,
        ``self.scheduler = ...``)."""
        source = project.source(scheduler.site.file)  # type: ignore[union-attr]
        calls = source.nodes_at(scheduler.site, cst.Call)  # type: ignore[arg-type]
        statement = source.statement_of(calls[-1]) if calls else None
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return []
        assign = statement.body[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or assign.value is not calls[-1]:
            return []
        name = source.code(assign.targets[0].target)
        if not all(part.isidentifier() for part in name.split(".")):
            return []
        candidates = []
        for call_chain in trace.step_calls:
            if call_chain.optimizer != optimizer.id or not call_chain.sites or call_chain.sites[0].file != source.path:
                continue
            steps = source.nodes_at(call_chain.sites[0], cst.Call)
            stepped = source.statement_of(steps[-1]) if steps else None
            if not isinstance(stepped, cst.SimpleStatementLine):
                continue
            last = source.range(stepped).end.line
            indent = source.indentation(call_chain.sites[0].line)
            candidates.append(self.candidate(
                f"call `{name}.step()` after the optimizer's step() at line {call_chain.sites[0].line}: "
                f"the scheduler sets the learning rate only when it steps",
                source.path, [source.insert_lines(last + 1, f"{indent}{name}.step()\n")],
            ))
        return candidates[:3]

    def _length_in_epochs(self, project: Project, scheduler: SchedulerFact) -> list[Candidate]:
        """A schedule whose length counts epochs (``num_training_steps=N_EPOCHS + 1``), stepped once
        per batch: it reaches its end, a rate of 0, within the first epoch. The length times the
        batches of the loop around ``scheduler.step()`` (``* len(train_loader)``), or the step moved
        after that loop, once per epoch. Unsafe: how long the schedule is, and what it counts, is the
        user's to say."""
        found: list[Candidate] = []
        for site in [scheduler.site, *scheduler.callers]:
            if site is None or not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            calls = source.nodes_at(site, cst.Call)
            if not calls:
                continue
            call = calls[-1]
            length = next((a for a in call.args if a.keyword is not None and a.keyword.value in _SCHEDULE_LENGTHS), None)
            statement = source.statement_of(call)
            if length is None or not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
                continue
            assign = statement.body[0]
            if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or assign.value is not call:
                continue
            name = source.code(assign.targets[0].target)
            for step in _calls_of(source, name, "step"):
                loop = next((a for a in source.ancestors(step) if isinstance(a, (cst.For, cst.FunctionDef))), None)
                stepping = source.statement_of(step)
                if not isinstance(loop, cst.For) or not isinstance(stepping, cst.SimpleStatementLine):
                    continue
                batches = _iterated(loop.iter)
                if batches is not None:
                    value = length.value
                    shown = source.code(value)
                    if not isinstance(value, (cst.Name, cst.Attribute, cst.Integer, cst.Call, cst.Subscript)):
                        shown = f"({shown})"
                    single = isinstance(batches, cst.Call) and len(batches.args) == 1 and batches.args[0].keyword is None
                    count = source.code(batches.args[0].value) if single else f"len({source.code(batches)})"  # type: ignore[union-attr]
                    scaled = cst.parse_expression(f"{shown} * {count}")
                    found.append(self.candidate(
                        f"count the schedule's length in batches: {length.keyword.value}={source.code(scaled)} "  # type: ignore[union-attr]
                        f"(`{name}.step()` runs once per batch of `{source.code(batches)}`)",
                        source.path, [source.replace_node(value, scaled)],
                    ))
                last = source.range(loop).end.line
                indent = source.indentation(source.range(loop).start.line)
                # The statement alone: a comment above it stays where it was (libcst counts it in).
                moved = source.module.code_for_node(stepping.with_changes(leading_lines=())).strip()
                found.append(self.candidate(
                    f"step the schedule once per epoch: move `{name}.step()` after the loop over "
                    f"`{source.code(loop.iter)}`",
                    source.path, [source.remove_statement(stepping), source.insert_lines(last + 1, f"{indent}{moved}\n")],
                ))
            if found:
                break
        return [dataclasses.replace(c, applicability=Applicability.UNSAFE) for c in found]

    def _fresh_schedule(self, project: Project, optimizer: OptimizerFact, scheduler: SchedulerFact) -> list[Candidate]:
        """A saved scheduler state loaded into a new run (fine-tuning from the last checkpoint of a
        finished run): the schedule starts again if that load goes, or, with it, the load of the
        optimizer's state, whose groups carry the rate the saved run ended at."""
        loads = [(scheduler.loaded, "scheduler")]
        if optimizer.loaded is not None and optimizer.loaded.file == scheduler.loaded.file:  # type: ignore[union-attr]
            loads.append((optimizer.loaded, "optimizer"))
        if not project.is_editable(loads[0][0].file):  # type: ignore[union-attr]
            return []
        source = project.source(loads[0][0].file)  # type: ignore[union-attr]
        statements = []
        for site, _ in loads:
            calls = [c for c in source.nodes_at(site, cst.Call) if isinstance(c.func, cst.Attribute) and c.func.attr.value == "load_state_dict"]  # type: ignore[arg-type]
            statement = source.statement_of(calls[-1]) if calls else None
            if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1 or not isinstance(statement.body[0], cst.Expr):
                return []  # the load's result is used: not a statement to drop
            statements.append(statement)
        candidates = [self.candidate(
            f"drop the scheduler's load at line {loads[0][0].line}: the schedule starts again",  # type: ignore[union-attr]
            source.path, [source.remove_statement(statements[0])],
        )]
        if len(statements) == 2 and statements[0] is not statements[1]:
            block = source.parent(statements[0])
            if isinstance(block, cst.IndentedBlock) and source.parent(statements[1]) is block and len(block.body) == 2:
                # Both loads are all their block does: the block goes as one statement would.
                owner = source.parent(block)
                edits = [source.remove_statement(owner)] if isinstance(owner, cst.If) and owner.orelse is None and not descendants(owner.test, cst.Call) else [
                    source.replace_statement(statements[0], cst.SimpleStatementLine([cst.Pass()])), source.remove_statement(statements[1]),
                ]
            else:
                edits = [source.remove_statement(statements[0]), source.remove_statement(statements[1])]
            candidates.append(self.candidate(
                f"drop the loads of the scheduler's and the optimizer's saved states (lines {loads[0][0].line} and "  # type: ignore[union-attr]
                f"{loads[1][0].line}): keep the weights, start a new schedule and a new optimizer",  # type: ignore[union-attr]
                source.path, edits,
            ))
        # Unsafe: a resumed run that meant to go on at the saved rate trains differently now; only
        # the user knows whether the new run is a new schedule.
        return [dataclasses.replace(c, applicability=Applicability.UNSAFE) for c in candidates]

    def _bypasses(self, trace: Trace, project: Project, optimizer: OptimizerFact) -> list[tuple[Site, str, str, str, Candidate]]:
        """``opt.optimizer.step()`` where ``opt`` is meant to be a wrapper of the script's own whose
        ``step()`` sets each group's learning rate and then steps ``self.optimizer``: the calls of
        the inner step() (the run saw them step this optimizer) to turn into the wrapper's."""
        found = []
        for call_chain in trace.step_calls:
            if call_chain.optimizer != optimizer.id or not call_chain.sites or not project.is_editable(call_chain.sites[0].file):
                continue
            step_site = call_chain.sites[0]
            source = project.source(step_site.file)
            wrappers = _wrapper_attrs(source)
            for call in source.nodes_at(step_site, cst.Call):
                func = call.func
                if not (isinstance(func, cst.Attribute) and func.attr.value == "step" and isinstance(func.value, cst.Attribute)):
                    continue
                holder, attr = func.value.value, func.value.attr.value
                if attr not in wrappers or not isinstance(holder, (cst.Name, cst.Attribute)):
                    continue
                outer, inner = source.code(holder), source.code(func.value)
                cls, method = wrappers[attr]
                home = next((a for a in source.ancestors(call) if isinstance(a, cst.ClassDef)), None)
                if home is not None and home.name.value == cls:
                    break  # the wrapper's own inner step: the run went through the wrapper
                if not all(part.isidentifier() for part in outer.split(".")) or call.args:
                    continue
                candidate = self.candidate(
                    f"call `{outer}.{method}()` instead of `{inner}.step()`: {cls}.{method}() sets the learning rate, then steps `{inner}`",
                    source.path, [source.replace_node(func, func.with_changes(value=holder, attr=cst.Name(method)))],
                )
                found.append((step_site, f"{cls}.{method}()", inner, f"{outer}.{method}", candidate))
                break
        return found

    def _candidates(self, source: SourceFile, scheduler: SchedulerFact) -> list[Candidate]:
        """A 0 factor in the scheduler's construction, written there or through a name bound once to
        a literal 0 (``LR_DECAY = 0``): 1 keeps the rate, leaving it out gives torch's default."""
        name = scheduler.cls.rsplit(".", 1)[-1]
        if name in ("LambdaLR", "MultiplicativeLR"):
            return self._true_division(source, scheduler, name)
        if name not in _FACTORS:
            return []
        word, position, has_default, one_allowed = _FACTORS[name]
        calls = source.nodes_at(scheduler.site, cst.Call)  # type: ignore[arg-type]
        if not calls:
            return []
        call = calls[-1]
        arg = self._factor_arg(call, word, position)
        if arg is None:
            return []
        shown = source.code(arg.value)
        zero: cst.BaseExpression = arg.value
        if isinstance(arg.value, cst.Name):
            bound = source.bound_once(arg.value)
            if bound is None:
                return []
            zero = bound[0].value
        if not is_zero_literal(zero):
            return []
        if zero is not arg.value:
            keep, dropped = f"`{shown} = 1`", f"`{word}={shown}`"
        elif arg.keyword is not None:
            keep, dropped = f"`{word}=1`", f"`{word}={shown}`"
        else:
            keep, dropped = f"{word} 1 instead of `{shown}`", f"the {word} argument `{shown}`"
        candidates = []
        if one_allowed:
            candidates.append(self.candidate(
                f"{keep}: a factor of 1 keeps the learning rate", source.path,
                [source.replace_node(zero, cst.Integer("1"))],
            ))
        last_positional = arg.keyword is None and arg is not call.args[-1]
        if has_default and not last_positional:
            candidates.append(self.candidate(
                f"drop {dropped}: {name}'s default {word}", source.path, [self._drop(source, call, arg)],
            ))
        return candidates

    def _true_division(self, source: SourceFile, scheduler: SchedulerFact, name: str) -> list[Candidate]:
        """A ``LambdaLR`` whose function divides with ``//`` (``min(1, step // warmup)``): integer
        division rounds every ratio below 1 down to 0. Each ``//`` in the function (a lambda given
        to the scheduler, a name bound once to one, or a function of the file) becomes ``/``, one at
        a time, then all together; the re-run judges."""
        calls = source.nodes_at(scheduler.site, cst.Call)  # type: ignore[arg-type]
        if not calls:
            return []
        arg = self._factor_arg(calls[-1], "lr_lambda", 1)
        if arg is None:
            return []
        function: Optional[cst.CSTNode] = arg.value
        if isinstance(arg.value, cst.Name):
            bound = source.bound_once(arg.value)
            if bound is not None:
                function = bound[0].value
            else:
                defs = [d for d in descendants(source.module, cst.FunctionDef) if d.name.value == arg.value.value]
                function = defs[0] if len(defs) == 1 else None
        if not isinstance(function, (cst.Lambda, cst.FunctionDef)):
            return []
        divisions = [b for b in descendants(function, cst.BinaryOperation) if isinstance(b.operator, cst.FloorDivide)]

        def divide(op: cst.BinaryOperation):  # type: ignore[no-untyped-def]
            floor = op.operator
            assert isinstance(floor, cst.FloorDivide)
            return source.replace_node(floor, cst.Divide(whitespace_before=floor.whitespace_before, whitespace_after=floor.whitespace_after))

        candidates = [
            self.candidate(
                f"`{source.code(d.with_changes(operator=cst.Divide(whitespace_before=d.operator.whitespace_before, whitespace_after=d.operator.whitespace_after)))}` "  # type: ignore[union-attr]
                f"instead of `{source.code(d)}`: `//` rounds a ratio below 1 down to 0, so {name}'s factor is 0",
                source.path, [divide(d)],
            )
            for d in divisions[:5]
        ]
        if len(divisions) > 1:
            candidates.append(self.candidate(
                f"`/` instead of each `//` in {name}'s function", source.path, [divide(d) for d in divisions],
            ))
        return candidates

    @staticmethod
    def _factor_arg(call: cst.Call, word: str, position: int) -> Optional[cst.Arg]:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == word:
                return arg
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if len(positional) > position and len(positional) == len([a for a in call.args if a.keyword is None]):
            return positional[position]
        return None

    @staticmethod
    def _drop(source: SourceFile, call: cst.Call, arg: cst.Arg):  # type: ignore[no-untyped-def]
        args = [a for a in call.args if a is not arg]
        if args:
            # The last argument keeps no trailing comma of its own, as if written that way.
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT) if arg is call.args[-1] else args[-1]
        return source.replace_node(call, call.with_changes(args=args))

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        if not verdict.verified or verdict.partial:
            return verdict
        still = _stalled(run.trace) + _never_set(run.trace)
        if still:
            return Verdict(False, f"the learning rate is still 0 at the last {_trailing_zeros(still[0])} steps")
        return Verdict(True, f"the learning rate stays above 0; {verdict.reason}", verdict.trained)
