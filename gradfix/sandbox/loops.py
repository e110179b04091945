"""Shortened loops: the early stop that lets a run reach every phase of a script.

Stopping the whole script after its first few optimizer steps hides whatever it does later: a
second model trained after the first, a fine-tuning stage, the epochs after a scheduler's first
decay. Instead, every ``for`` loop of the user's code (the script and the modules it imports from
the project) iterates through :func:`LoopCap.wrap`, which ends a loop early once enough of its
iterations trained: ``steps`` iterations that stepped an optimizer (or, where there is no
optimizer, ran backward). Nested loops are cut each on its own, so ``for epoch`` ends after a few
epochs of a few batches, and the script goes on to its next phase. Loops that train nothing
(building layers, reading data, evaluating) run in full: what they compute is what the next phase
is built from. A ``while`` loop (``while step < max_steps:``, ``while not done:``) is rewritten as a
``for`` over an endless iterable whose body first leaves when the test fails, and is cut the same
way; one with an ``else`` is left alone.

The rewrite wraps only the ``for`` statement's iterable in a call that keeps the iterable's source
position, so every line and column the probe reports is the same as in the file on disk.

A loop that ran to its end with backward() calls in it and no optimizer step is recorded, by the
position of its iterable (GF014: an epoch of gradient accumulation whose step condition never held).

A loop is not cut while a branch of its body that waits on the loop's progress has never run: an
``if`` whose test reads the loop's target or a counter its body advances (``if epoch ==
unfreeze_at``, ``elif step >= warmup_steps``, ``if (epoch + 1) % 5 == 0``) may start a later phase,
an unfreezing, a new parameter group, that the first few iterations never reach. The rewrite marks
the start of each arm of such an ``if`` (a store into a dict, no call); the loop goes on past its cut,
its inner loops still shortened, within a budget of iterations and time (:data:`EXTEND`), and a
branch still never run when the budget is spent is recorded, so the report names what it did not
reach instead of an all-clear. An arm that only prints, logs, saves a checkpoint or runs an
evaluation pass is not waited on (reporting_arms.py): reaching it would find nothing.

An epoch's last batch is often short (the dataset's size is no multiple of the batch size), and a
short batch is where a BatchNorm sees one sample ("Expected more than 1 value per channel when
training") or a reshape to the batch size fails. Cutting a loop over a DataLoader after its first
batches would never show it: instead, at the cut, each loader epoch the loop iterates (directly,
or through ``enumerate``, ``zip``, ``tqdm``) that has a short last batch still to come skips to it
(its batch sampler's other index lists are drawn and dropped, no sample is read), and the loop
runs that one batch more and ends as it would at the epoch's end.
"""

from __future__ import annotations

import ast
import builtins
import gc
import itertools
import os
import sys
import threading
import time
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

from gradfix.sandbox.reporting_arms import ReportingArms, dotted_name, own_nodes
from gradfix.trace import Site, UnreachedBranch, UnsteppedLoop

if TYPE_CHECKING:
    from gradfix.sandbox.probe import Probe

WRAPPER = "__gradfix_loop__"
FOREVER = "__gradfix_forever__"  # what a `while` loop iterates over once it is a `for`
PASS = "__gradfix_pass__"  # the item it binds: a name of its own (a local of the function it is in)
RAN = "__gradfix_branch_ran__"  # the dict each arm of a watched `if` stores its number into when it runs

# How far a loop goes on past its cut for a branch that has not run yet: this many times the
# iterations (and the time) it took to reach the cut, the time at least MIN_SECONDS, and never past
# half the run's time limit. The steps and backward() calls it takes count apart from the run's caps
# (probe.py), up to EXTEND times those caps in all.
EXTEND = 10
MIN_SECONDS = 1.0


@dataclass
class _Branch:
    """One arm of an ``if`` that waits on a loop's progress: where its test is, which arm."""

    file: str
    test: ast.expr
    orelse: bool


@dataclass
class _Loop:
    """A ``for`` loop of user code with branches waiting on its progress (their numbers)."""

    branches: list[int] = field(default_factory=list)


# Filled as user files compile (in the sandboxed child only: each run is its own process).
_branches: list[_Branch] = []
_loops: list[_Loop] = []


def _read(node: ast.AST) -> set[str]:
    """The names and dotted attribute paths an expression reads (``epoch``, ``self.epoch``)."""
    read: set[str] = set()
    for sub in ast.walk(node):
        path = dotted_name(sub)
        if path is not None:
            read.add(path)
    return read


def _progress(loop: ast.For) -> set[str]:
    """What a loop's iterations advance: its target's names, and the counters its body adds to
    (``step += 1``, ``self.epoch = self.epoch + 1``) and does not reset (``step = 0`` in the body
    makes ``step`` an inner loop's counter)."""
    advanced: set[str] = set(_read(loop.target))
    reset: set[str] = set()
    for node in own_nodes(loop.body):
        if isinstance(node, ast.AugAssign):
            name = dotted_name(node.target)
            if name is not None:
                advanced.add(name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                name = dotted_name(target)
                if name is None:
                    continue
                if isinstance(node.value, ast.BinOp) and name in _read(node.value):
                    advanced.add(name)
                else:
                    reset.add(name)
    return advanced - (reset - set(_read(loop.target)))


def _progress_fed(function: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call, bound: bool, progress: set[str]) -> set[str]:
    """What of a function's own names follows the progress of the loop whose body makes ``call``:
    its parameters given an expression of the loop's progress (``learn(batch, step)``). ``bound``:
    a method called on an object, whose first parameter is the object. (A counter the function
    advances itself is not taken: a replay buffer's ``self.size += 1`` beside ``if self.size >
    self.capacity`` would hold every loop that pushes into it.)"""
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if bound:
        params = params[1:]
    waits: set[str] = set()
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            break
        if index < len(params) and _read(arg) & progress:
            waits.add(params[index])
    for keyword in call.keywords:
        if keyword.arg is not None and _read(keyword.value) & progress:
            waits.add(keyword.arg)
    return waits


class _WatchBranches(ast.NodeTransformer):
    """Numbers the arms of each ``if`` whose test reads a loop's progress, and marks their start.

    A branch belongs to the outermost enclosing loop whose progress its test reads: ``if epoch == 4
    and i == 0`` waits on the epochs, which the batches loop (cut on its own each epoch) cannot
    reach by going on."""

    def __init__(self, path: str, tree: ast.Module):
        self.path = path
        self.arms = ReportingArms(tree, RAN)
        self.scope: ast.AST = tree  # the module, or the function whose statements are being read
        self.enclosing: list[tuple[ast.For, set[str], _Loop]] = []
        self.numbers: dict[int, int] = {}  # id(For) -> its number in _loops
        self.loop_of: dict[int, _Loop] = {}  # id(For) -> its branches, made before the visit
        self.visited: list[tuple[ast.For, _Loop]] = []
        self.fed = self._fed_branches(tree)

    def _fed_branches(self, tree: ast.Module) -> dict[int, list[_Loop]]:
        """The ifs of functions a loop calls that wait on its progress, by id: ``agent.learn(batch,
        step)`` in the loop's body makes ``learn``'s ``if step % sync_every == 0:`` wait on the loop. A
        periodic target sync or unfreeze lives in such a method as often as in the loop. Functions
        of this file, called by their name from the loop's own statements."""
        functions: dict[str, list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        functions.setdefault(item.name, []).append((item, True))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.setdefault(node.name, []).append((node, False))
        fed: dict[int, list[_Loop]] = {}
        for loop in (n for n in ast.walk(tree) if isinstance(n, ast.For)):
            progress = _progress(loop)
            owner = self.loop_of.setdefault(id(loop), _Loop())
            for call in (n for n in own_nodes(loop.body) if isinstance(n, ast.Call)):
                name = call.func.id if isinstance(call.func, ast.Name) else call.func.attr if isinstance(call.func, ast.Attribute) else None
                for function, method in functions.get(name or "", []):
                    static = any(dotted_name(d) in ("staticmethod", "classmethod") for d in function.decorator_list)
                    bound = method and isinstance(call.func, ast.Attribute) and not static
                    if static and any(dotted_name(d) == "classmethod" for d in function.decorator_list):
                        bound = True  # cls comes first, as self does
                    waits = _progress_fed(function, call, bound, progress)
                    if not waits:
                        continue
                    for test in (n for n in own_nodes(function.body) if isinstance(n, ast.If)):
                        if _read(test.test) & waits and owner not in fed.setdefault(id(test), []):
                            fed[id(test)].append(owner)
        return fed

    def visit_For(self, node: ast.For) -> ast.For:
        loop = self.loop_of.setdefault(id(node), _Loop())
        self.enclosing.append((node, _progress(node), loop))
        try:
            node.body = self._block(node.body)
            node.orelse = self._block(node.orelse)
        finally:
            self.enclosing.pop()
        self.visited.append((node, loop))
        return node

    def number_loops(self) -> None:
        """Number the loops that have branches waiting on them, once every function is read: a
        method defined below the loop that calls it adds its branches to that loop."""
        for node, loop in self.visited:
            if loop.branches:
                _loops.append(loop)
                self.numbers[id(node)] = len(_loops) - 1

    def _block(self, body: list[ast.stmt]) -> list[ast.stmt]:
        return [self.visit(statement) for statement in body]

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        return self._apart(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AsyncFunctionDef:
        return self._apart(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        return self._apart(node)

    def _apart(self, node: Any) -> Any:
        # A function's body runs when it is called, not per iteration of the loop it is defined in.
        enclosing, self.enclosing = self.enclosing, []
        scope = self.scope
        if not isinstance(node, ast.ClassDef):
            self.scope = node
        try:
            self.generic_visit(node)
        finally:
            self.enclosing, self.scope = enclosing, scope
        return node

    def visit_If(self, node: ast.If) -> ast.If:
        reads = _read(node.test)
        owner, progress = next(((loop, progress) for _, progress, loop in self.enclosing if progress & reads), (None, set()))
        # An elif on the same progress is watched as its own if: its arms say more than this else.
        elif_watched = len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If) and bool(_read(node.orelse[0].test) & progress)
        if owner is None and len(node.orelse) == 1 and id(node.orelse[0]) in self.fed:
            elif_watched = True
        node.body = self._block(node.body)
        node.orelse = self._block(node.orelse)
        owners = [owner] if owner is not None else self.fed.get(id(node), [])
        if not owners:
            return node
        for orelse in (False, True):
            arm = node.orelse if orelse else node.body
            # An arm that only prints, logs, saves or evaluates hides no training: not waited on.
            if not arm or (orelse and elif_watched) or self.arms.only_reports(arm, self.scope):
                continue
            number = len(_branches)
            _branches.append(_Branch(file=self.path, test=node.test, orelse=orelse))
            for waiting in owners:
                waiting.branches.append(number)
            arm.insert(0, _mark(number, arm[0]))
        return node


def _mark(number: int, at: ast.stmt) -> ast.stmt:
    """``__gradfix_branch_ran__[number] = 1``, placed at the arm's first statement."""
    store = ast.Assign(
        targets=[ast.Subscript(value=ast.Name(id=RAN, ctx=ast.Load()), slice=ast.Constant(number), ctx=ast.Store())],
        value=ast.Constant(1),
    )
    return ast.fix_missing_locations(ast.copy_location(store, at))


class _WrapForLoops(ast.NodeTransformer):
    def __init__(self, numbers: dict[int, int]):
        self.numbers = numbers

    def visit_For(self, node: ast.For) -> ast.For:
        number = self.numbers.get(id(node))
        self.generic_visit(node)
        args = [node.iter] if number is None else [node.iter, ast.Constant(number)]
        call = ast.Call(func=ast.Name(id=WRAPPER, ctx=ast.Load()), args=args, keywords=[])
        node.iter = ast.copy_location(call, node.iter)
        ast.copy_location(call.func, node.iter)
        call.func.end_lineno, call.func.end_col_offset = node.iter.end_lineno, node.iter.end_col_offset  # type: ignore[attr-defined]
        if number is not None:
            ast.copy_location(args[1], node.iter)
            args[1].end_lineno, args[1].end_col_offset = node.iter.end_lineno, node.iter.end_col_offset  # type: ignore[attr-defined]
        return node


class _Endless:
    """What a rewritten ``while`` loop goes through: no end of its own, the test ends it."""

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)


class _WhileAsFor(ast.NodeTransformer):
    """``while test: body`` becomes ``for _ in <forever>: if not test: break`` then ``body``, so a
    ``while`` loop is shortened as a ``for`` loop is: ``while step < max_steps:`` around the
    batches, ``while not done:`` over an episode. ``continue`` and ``break`` mean what they meant.
    Left as they are: a ``while`` with an ``else`` (its else runs when the test fails, which a
    ``break`` out of the ``for`` would skip), and one in a generator (``while True: yield
    batch``, an IterableDataset's ``__iter__``): each of its iterations spans what its consumer
    does with the item, training included, and cutting it would end the consumer's loop with a
    StopIteration instead. One running in a thread other than the main one (a producer filling a
    queue) is not cut either: see :meth:`LoopCap.wrap`."""

    def __init__(self) -> None:
        self.in_generator = False

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        return self._function(node)

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        return self._function(node)

    def _function(self, node: Any) -> Any:
        outer = self.in_generator
        body = node.body if isinstance(node.body, list) else [node.body]
        self.in_generator = any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in own_nodes(body))
        try:
            self.generic_visit(node)
        finally:
            self.in_generator = outer
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        self.generic_visit(node)
        if node.orelse or self.in_generator:
            return node
        forever = ast.Call(func=ast.Name(id=FOREVER, ctx=ast.Load()), args=[], keywords=[])
        leave = ast.If(test=ast.UnaryOp(op=ast.Not(), operand=node.test), body=[ast.Break()], orelse=[])
        loop = ast.For(
            target=ast.Name(id=PASS, ctx=ast.Store()), iter=forever, body=[leave, *node.body], orelse=[],
        )
        # Every new node at the test's place: the loop's iterable is reported by where it is.
        for new in (forever, forever.func, leave, leave.test, leave.body[0]):
            ast.copy_location(new, node.test)
            new.end_lineno, new.end_col_offset = node.test.end_lineno, node.test.end_col_offset  # type: ignore[attr-defined]
        ast.copy_location(loop.target, node.test)
        ast.copy_location(loop, node)
        return loop


def compile_user_code(source: str | bytes, path: str) -> Any:
    """Compile a user file with its ``for`` and ``while`` loops shortened; positions stay those of the file."""
    tree = ast.parse(source, path)
    tree = _WhileAsFor().visit(tree)
    watch = _WatchBranches(path, tree)
    tree = watch.visit(tree)
    watch.number_loops()
    tree = _WrapForLoops(watch.numbers).visit(tree)
    from gradfix.sandbox.watch_steps import count_step_conditions

    tree = count_step_conditions(tree)  # the tests of ifs around step() calls (GF055)
    return compile(tree, path, "exec", dont_inherit=True)


@dataclass
class _Hold:
    """One pass of a loop with watched branches: when it started, and when it first reached its cut."""

    loop: int
    started: float
    cut_after: Optional[float] = None  # seconds from the start to the cut
    cut_trained: int = 0  # trained iterations at the cut
    extending: bool = False


class LoopCap:
    """Ends the user's loops once they have trained enough; counts what it cut."""

    def __init__(self, probe: "Probe", steps: int):
        self.probe = probe
        self.steps = steps
        self.cut = 0
        # (code, instruction) of a loop's iterable -> its passes that ended with backward() and no step
        self.unstepped: dict[tuple[types.CodeType, int], UnsteppedLoop] = {}
        self.ran: dict[int, int] = {}  # the numbers of the watched branches that ran (at least once)
        self.unreached: set[int] = set()  # branches a loop was cut before, its budget spent
        self.created = time.monotonic()
        # Loops going on past their cut (nested ones each count), and what they ran beyond it
        self.extending = 0
        self._began = (0, 0)
        self.extra_steps = self.extra_backwards = 0

    def install(self) -> None:
        setattr(builtins, WRAPPER, self.wrap)
        setattr(builtins, FOREVER, _Endless)
        setattr(builtins, RAN, self.ran)

    def wrap(self, iterable: Iterable[Any], loop: Optional[int] = None) -> Iterator[Any]:
        if isinstance(iterable, _Endless) and threading.current_thread() is not threading.main_thread():
            # A `while` loop in another thread (a producer filling a queue): the steps counted
            # during its iterations are the main thread's, and cutting it would starve them.
            return iter(iterable)
        caller = sys._getframe(1)  # the user frame whose `for` starts: where the loop is, kept cheaply
        items = iter(iterable)
        return self._shortened(items, caller.f_code, caller.f_lasti, loop, _loaders_in(items))

    def _shortened(
        self, items: Iterator[Any], code: types.CodeType, lasti: int, loop: Optional[int], loaders: list[Any],
    ) -> Iterator[Any]:
        probe = self.probe
        stepped = backwards_only = 0
        steps_before, backwards_before = probe.step_count, len(probe.backwards)
        hold = None if loop is None else _Hold(loop, time.monotonic())
        at_last_batch = False
        try:
            for item in items:
                steps, backwards = probe.step_count, len(probe.backwards)
                yield item
                if probe.step_count > steps:
                    stepped += 1
                elif len(probe.backwards) > backwards:
                    backwards_only += 1
                else:
                    continue  # an iteration that trained nothing (reading data, building layers): cheap
                if self._enough(stepped, backwards_only) and not at_last_batch:
                    if hold is not None and self._go_on(hold, stepped + backwards_only):
                        continue
                    self.cut += 1
                    if loaders and _to_short_last_batch(probe, loaders):
                        at_last_batch = True
                        continue  # that batch, then the loader's epoch ends the loop
                    return
            # Ran to its end (a `break`, an exception or a cut never gets here).
            backwards = len(probe.backwards) - backwards_before
            if backwards and probe.step_count == steps_before:
                self._record_unstepped(code, lasti, backwards)
        finally:
            if hold is not None and hold.extending:
                self._end_extension()

    # -- going on past the cut for a branch not yet run --------------------------------------------

    def _go_on(self, hold: "_Hold", trained: int) -> bool:
        """Whether a loop at its cut goes on: a branch waiting on its progress has not run yet, and
        the budget allows. A branch still waiting when the budget is spent is recorded."""
        pending = [number for number in _loops[hold.loop].branches if number not in self.ran]
        if not pending:
            return False
        now = time.monotonic()
        if hold.cut_after is None:
            hold.cut_after, hold.cut_trained = now - hold.started, trained
        within = (
            trained < hold.cut_trained * EXTEND
            and now - hold.started < max(hold.cut_after * EXTEND, MIN_SECONDS)
            and now < self._halfway()
            and self._extra_steps() < self.probe.max_steps * 20 * (EXTEND - 1)
            and self._extra_backwards() < self.probe.max_backwards * (EXTEND - 1)
        )
        if not within:
            self.unreached.update(pending)
            return False
        if not hold.extending:
            hold.extending = True
            if self.extending == 0:
                self._began = (self.probe.step_count, len(self.probe.backwards))
            self.extending += 1
        return True

    def _end_extension(self) -> None:
        self.extending -= 1
        if self.extending == 0:
            self.extra_steps += self.probe.step_count - self._began[0]
            self.extra_backwards += len(self.probe.backwards) - self._began[1]

    def _extra_steps(self) -> int:
        live = self.probe.step_count - self._began[0] if self.extending else 0
        return self.extra_steps + live

    def _extra_backwards(self) -> int:
        live = len(self.probe.backwards) - self._began[1] if self.extending else 0
        return self.extra_backwards + live

    def counted(self) -> tuple[int, int]:
        """The run's steps and backward() calls that count against its caps: those taken while a
        loop went on past its cut for a branch count apart (up to EXTEND times the caps, above)."""
        return self.probe.step_count - self._extra_steps(), len(self.probe.backwards) - self._extra_backwards()

    def _halfway(self) -> float:
        deadline = self.probe.ranks.deadline
        return float("inf") if deadline is None else self.created + (deadline - self.created) / 2

    def unreached_branches(self) -> list[UnreachedBranch]:
        """The branches a loop was cut before, still never run at the end of the run."""
        facts = []
        for number in sorted(self.unreached):
            if number in self.ran:
                continue  # a later pass of the loop, or another call of its function, ran it
            branch = _branches[number]
            test = branch.test
            site = Site(
                file=os.path.realpath(branch.file), line=test.lineno, column=test.col_offset,
                end_line=test.end_lineno, end_column=test.end_col_offset,
            )
            facts.append(UnreachedBranch(site=site, orelse=branch.orelse))
        return facts

    def _record_unstepped(self, code: types.CodeType, lasti: int, backwards: int) -> None:
        from gradfix.sandbox.facts import site_in

        loop = self.unstepped.get((code, lasti))
        if loop is None:
            loop = self.unstepped[(code, lasti)] = UnsteppedLoop(site=site_in(code, lasti, None))
        loop.passes += 1
        loop.backwards = backwards

    def _enough(self, stepped: int, backwards_only: int) -> bool:
        probe = self.probe
        if stepped >= self.steps:
            # An optimizer whose modules already trained gets its first step first (a WGAN's
            # generator steps once per five critic steps), up to a bound.
            return stepped >= self.steps * 8 or not probe.awaiting_first_step()
        # Training by hand (w -= lr * w.grad): no optimizer will ever step.
        return not probe.optimizers and backwards_only >= self.steps


def _loaders_in(items: Any) -> list[Any]:
    """The DataLoaders (and their epochs' iterators) a loop iterates: the iterator itself, or what
    a wrapper around it holds, ``enumerate(loader)``, ``zip(a, b)``, ``tqdm(loader)``, a few
    references deep."""
    dataloader = sys.modules.get("torch.utils.data.dataloader")
    if dataloader is None:  # torch's data loading never imported: no loader to find
        return []
    kinds = (dataloader.DataLoader, dataloader._BaseDataLoaderIter)
    found: list[Any] = []
    level, seen = [items], set()
    for _ in range(3):
        below: list[Any] = []
        for obj in level:
            if id(obj) in seen or isinstance(obj, _NOT_LOADERS):
                continue
            if isinstance(obj, (list, tuple, dict, set, frozenset)) and len(obj) > 16:
                continue  # a list of items, not the few iterators a zip holds: not walked
            seen.add(id(obj))
            if isinstance(obj, kinds):
                found.append(obj)
            elif not isinstance(obj, types.GeneratorType):  # a generator's frame holds whatever
                below.extend(gc.get_referents(obj))
        level = below[:64]
    return found


_NOT_LOADERS = (int, float, str, bytes, bool, type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, range)


def _to_short_last_batch(probe: "Probe", loaders: list[Any]) -> bool:
    """Skip the epoch of each loader the loop iterates to its last batch, when that one is shorter
    than the others. Only a map-style dataset's epoch can skip: its batch sampler gives index lists,
    which are drawn here without reading a sample."""
    from torch.utils.data.dataloader import DataLoader, _DatasetKind

    skipped = False
    for loader in loaders:
        if isinstance(loader, DataLoader):
            ref = probe.loader_epochs.get(loader)
            epoch = ref() if ref is not None else None
        else:
            epoch = loader
        indices = getattr(epoch, "_sampler_iter", None)
        if indices is None or getattr(epoch, "_dataset_kind", None) != _DatasetKind.Map:
            continue
        batch_size = getattr(getattr(epoch, "_index_sampler", None), "batch_size", None)
        try:
            rest = list(itertools.islice(indices, _INDEX_LISTS))
        except Exception:  # a sampler of the script's own that fails: leave its epoch as it is
            continue
        if len(rest) == _INDEX_LISTS:
            epoch._sampler_iter = itertools.chain(rest, indices)  # too many to draw: left whole
            continue
        last = rest[-1] if rest else None
        if isinstance(batch_size, int) and isinstance(last, list) and 0 < len(last) < batch_size:
            epoch._sampler_iter = iter([last])
            skipped = True
        else:
            epoch._sampler_iter = iter(rest)
    return skipped


# Index lists an epoch's skip draws at most (a dataset of this many batches is skipped in a blink;
# one larger keeps its epoch whole).
_INDEX_LISTS = 100_000


def shorten_imported_loops(user: Any) -> None:
    """The project's own modules, imported by the script, get their loops shortened too (a
    ``train_one_epoch`` in ``engine.py``); installed packages are left as they are."""
    from importlib.machinery import SourceFileLoader

    original = SourceFileLoader.source_to_code

    def source_to_code(loader: Any, data: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(path, str) and path in user:
            try:
                return compile_user_code(data, path)
            except SyntaxError:
                pass  # let the import report it as it would without gradfix
        return original(loader, data, path, *args, **kwargs)

    SourceFileLoader.source_to_code = source_to_code  # type: ignore[method-assign]
