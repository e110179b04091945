"""GF042: a ``GradScaler`` left half-way through a step: an iteration leaves between
``scaler.unscale_(optimizer)`` (or ``scaler.step(optimizer)``) and ``scaler.update()``.

A scaler remembers, per optimizer, that its gradients were unscaled (or stepped) until
``update()`` resets it. A "skip this step" branch (a gradient norm too large, a loss that is not
finite) that ``continue``s after ``unscale_``, a ``train_step`` function that ``return``s early, an
``if finite: step(); update()`` whose ``else`` only zeroes the gradients and moves on, a
``break`` out of an epoch that is run again, an ``update()`` written only inside a logging block:
the next ``unscale_`` raises ``RuntimeError: unscale_() has already been called on this optimizer
since the last update().`` (or ``unscale_() is being called after step().``, ``step() has already
been called since the last update().``), and training stops there.

The crash and the call it names are the evidence; the probe records where the script calls
``unscale_``, ``step`` and ``update`` of each enabled scaler (and from which helpers), so a skip
branch that the run did not take yet is found too, from the calls that did run. The paths from
``unscale_``/``step`` to the point where the same call runs again (the next iteration, the next
call of the step function) are followed through the source: each one that passes no
``update()`` gets ``<scaler>.update()`` right before its ``continue``/``break``/``return``, or at
the end of its branch, or in a new ``else:``; where ``update()`` sits last in an ``if`` that has no
``else``, moving it after the ``if`` is tried first. A path that already updates never gets a
second one. The scaler's name is the receiver of the recorded call (or a name the calling frame
binds to the same scaler), never a guess. Calling ``update()`` after ``unscale_`` without a step is
what ``scaler.step`` itself does when it skips a step for infinite gradients: the scale is
adjusted and the next iteration starts clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import libcst as cst

from gradfix.edits import Edit, Patch, Position
from gradfix.expressions import is_dotted_name
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import ScalerCall, Site, Trace
from gradfix.verify import judge

_CRASHES = (
    "unscale_() has already been called on this optimizer since the last update()",
    "unscale_() is being called after step()",
    "step() has already been called since the last update()",
)
_PATHS = 512  # paths followed at most: past that, the code is too tangled to say where update() goes
_LOOPS = (cst.For, cst.While)

Key = tuple[str, int, int]  # (kind, level, id of the node): a place where update() can go


class _GiveUp(Exception):
    """The code around the call has a shape the walk does not follow (a call in a loop's header,
    a handler): no finding is better than a wrong one."""


@dataclass(frozen=True)
class _Path:
    """One way through the code from the scaler's call: the places it passes where an
    ``update()`` could go, whether it called ``update()``, and whether it is the continuation of a
    path already counted (one that went on after its loop ended)."""

    points: tuple[Key, ...] = ()
    updated: bool = False
    counted: bool = False

    def at(self, key: Key) -> "_Path":
        return _Path(self.points + (key,), self.updated, self.counted)


@dataclass
class _End:
    path: _Path
    how: str  # "continue", "return", "next" (the loop's next iteration), "end" (of the script)
    node: Optional[cst.CSTNode]  # the statement that leaves, or the loop
    level: int
    again: bool  # the scaler's call runs again after it: a path that left without update() crashes there


class _Level:
    """One frame of the recorded call: its file, the call there, what it calls the scaler."""

    def __init__(self, source: SourceFile, call: cst.Call, names: list[str], invocations: int):
        self.source = source
        self.call = call
        self.names = names  # the first is the one a fix writes
        self.invocations = invocations
        self.update_calls: set[int] = set()  # Call nodes the run saw update this scaler (or lead to such a call)
        self.scaler_calls: set[int] = set()  # Call nodes the run saw unscale_ or step it


class _Walk:
    """The paths from the scaler's call until that call runs again, through the frames that
    called it: a ``return`` goes on after the call in the caller; the end of a loop's body or a
    ``continue`` is that loop's next iteration."""

    def __init__(self, levels: list[_Level], repeated: bool):
        self.levels = levels
        self.repeated = repeated  # the call ran more than once: the loops around it do iterate
        self.ends: list[_End] = []
        self.nodes: dict[Key, cst.CSTNode] = {}
        self.paths = 0
        # paths that `break` out of the loop being climbed out of, that `continue` it (they leave it
        # too, after its last iteration), that `return` from the function being climbed out of
        self.broken: list[_Path] = []
        self.looped: list[_Path] = []
        self.returned: list[_Path] = []

    # -- places -----------------------------------------------------------------------------------

    def key(self, kind: str, level: int, node: cst.CSTNode) -> Key:
        key = (kind, level, id(node))
        self.nodes[key] = node
        return key

    def end(self, path: _Path, how: str, node: Optional[cst.CSTNode], level: int, again: bool) -> None:
        self.paths += 1
        if self.paths > _PATHS:
            raise _GiveUp
        self.ends.append(_End(path, how, node, level, again and not path.updated))

    # -- updates ----------------------------------------------------------------------------------

    def is_update(self, level: int, call: cst.Call) -> bool:
        here = self.levels[level]
        source = here.source
        if id(call) in here.update_calls:
            return True
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "update" and source.code(func.value) in here.names:
            return True
        if id(call) in here.scaler_calls:
            return False
        # A helper given the scaler, or one of this file that calls `.update()` on something named
        # like it, may update it: the walk counts it as an update (a miss is better than a
        # second update() on a path that has one).
        if any(source.code(arg.value) in here.names for arg in call.args):
            return True
        helper = _helper(source, call)
        if helper is not None:
            last = {name.rsplit(".", 1)[-1] for name in here.names}
            for inner in descendants(helper, cst.Call):
                f = inner.func
                if isinstance(f, cst.Attribute) and f.attr.value == "update" and source.code(f.value).rsplit(".", 1)[-1] in last:
                    return True
        return False

    def updates(self, level: int, node: cst.CSTNode) -> bool:
        return any(self.is_update(level, call) for call in _calls(node))

    def updated_before(self, level: int, container: cst.CSTNode) -> bool:
        """An ``update()`` written before the call, inside ``container`` (at the top of the loop's
        body): the next run of the call may well find the scaler updated."""
        here = self.levels[level]
        start = _at(here.source, here.call)
        return any(self.is_update(level, call) and _at(here.source, call) < start for call in _calls(container))

    # -- the walk ---------------------------------------------------------------------------------

    def run(self) -> None:
        self.after_call(0, [_Path()])

    def after_call(self, level: int, paths: list[_Path]) -> None:
        here = self.levels[level]
        source = here.source
        statement = source.statement_of(here.call)
        if isinstance(statement, cst.SimpleStatementLine):
            small = next(i for i, s in enumerate(statement.body) if _within(source, here.call, s))
            if isinstance(statement.body[small], cst.Return):
                # `return unscale_and_clip(...)`: the function ends with the call (nothing can go
                # before the return on this path: it would come before the call too)
                self.returned += paths
                paths = []
            else:
                paths = self.smalls(level, statement.body[small + 1 :], paths, 0, statement)
        elif isinstance(statement, cst.If) and _within(source, here.call, statement.test):
            paths = self.statement(level, statement, paths, 0)  # `if not train_step(batch): continue`
        else:
            raise _GiveUp
        self.climb(level, statement, paths)

    def climb(self, level: int, node: cst.CSTNode, paths: list[_Path]) -> None:
        """Go on after ``node``, out through the blocks around it, to the function's end."""
        here = self.levels[level]
        source = here.source
        while True:
            parent = source.parent(node)
            if isinstance(parent, cst.If) and parent.orelse is node:  # an `elif`: its `if` goes on
                node = parent
                continue
            if not isinstance(parent, (cst.IndentedBlock, cst.Module)):
                raise _GiveUp
            body = list(parent.body)
            index = next(i for i, s in enumerate(body) if s is node)
            paths = self.block(level, body[index + 1 :], paths, 0)
            if isinstance(parent, cst.Module):
                for path in paths:  # the script's end: nothing calls the scaler again
                    self.end(path, "end", None, level, False)
                return
            owner = source.parent(parent)
            if isinstance(owner, _LOOPS) and owner.body is parent:
                paths = [p.at(self.key("end", level, parent)) for p in paths]
                again = self.repeated and not self.updated_before(level, parent)
                for path in paths:
                    self.end(path, "next", owner, level, again)
                # the loop's last iteration: everything goes on after the loop, even the paths
                # counted above (a second update() there would be one too many for them)
                paths = [_Path(p.points, p.updated, p.counted or not p.updated) for p in paths]
                paths += self.broken + self.looped
                self.broken, self.looped = [], []
                node = owner
                continue
            if isinstance(owner, cst.FunctionDef) and owner.body is parent:
                paths = [p.at(self.key("end", level, parent)) for p in paths] + self.returned
                self.returned = []
                self.leave(level, owner, paths)
                return
            if isinstance(owner, (cst.If, cst.With)) and owner.body is parent:
                paths = [p.at(self.key("end", level, parent)) for p in paths]
                node = owner
                continue
            if isinstance(owner, cst.Else):
                branch = source.parent(owner)
                if not isinstance(branch, cst.If):
                    raise _GiveUp  # a loop's or a try's `else`
                paths = [p.at(self.key("end", level, parent)) for p in paths]
                node = branch
                continue
            if isinstance(owner, cst.Try) and owner.body is parent:
                if owner.orelse is not None:
                    paths = self.block(level, owner.orelse.body.body, paths, 0)  # type: ignore[union-attr]
                if owner.finalbody is not None:
                    paths = self.block(level, owner.finalbody.body.body, paths, 0)  # type: ignore[union-attr]
                node = owner
                continue
            raise _GiveUp

    def leave(self, level: int, function: cst.FunctionDef, paths: list[_Path]) -> None:
        """The function returns: the caller goes on after its call, when the run saw who called it."""
        if level + 1 < len(self.levels):
            self.after_call(level + 1, paths)
            return
        here = self.levels[level]
        # Called by code that is not the user's (or from too deep to see): it runs again when it
        # ran more than once, and the update() is this function's to make when it makes one at all.
        again = here.invocations > 1 and self.updates(level, function) and not self.updated_before(level, function)
        for path in paths:
            self.end(path, "return", function, level, again)

    def block(self, level: int, statements: Sequence[cst.BaseStatement], paths: list[_Path], depth: int) -> list[_Path]:
        for statement in statements:
            if not paths:
                break
            paths = self.statement(level, statement, paths, depth)
        return paths

    def statement(self, level: int, statement: cst.BaseStatement, paths: list[_Path], depth: int) -> list[_Path]:
        if isinstance(statement, cst.SimpleStatementLine):
            return self.smalls(level, statement.body, paths, depth, statement)
        if isinstance(statement, cst.If):
            through = self.suite(level, statement.body, paths, depth)
            if statement.orelse is None:
                otherwise = [p.at(self.key("else", level, statement)) for p in paths] if depth == 0 else paths
            elif isinstance(statement.orelse, cst.If):
                otherwise = self.statement(level, statement.orelse, paths, depth)
            else:
                otherwise = self.suite(level, statement.orelse.body, paths, depth)
            if len(through) + len(otherwise) > _PATHS:
                raise _GiveUp
            return through + otherwise
        if isinstance(statement, _LOOPS):
            # A loop of its own (over the parameters, say): its `break`/`continue` stay inside it;
            # a `return` inside leaves. Whether it updates on the way is not followed: it counts as
            # an update when it holds one.
            self.block(level, statement.body.body if isinstance(statement.body, cst.IndentedBlock) else (), paths, depth + 1)
            if self.updates(level, statement):
                return [_Path(p.points, True, p.counted) for p in paths]
            return paths
        if isinstance(statement, cst.With):
            return self.suite(level, statement.body, paths, depth)
        if isinstance(statement, cst.Try):
            paths = self.block(level, _statements(statement.body), paths, depth)
            if statement.orelse is not None:
                paths = self.block(level, _statements(statement.orelse.body), paths, depth)
            if statement.finalbody is not None:
                paths = self.block(level, _statements(statement.finalbody.body), paths, depth)
            return paths
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            return paths
        if self.updates(level, statement):
            return [_Path(p.points, True, p.counted) for p in paths]
        return paths

    def suite(self, level: int, suite: cst.BaseSuite, paths: list[_Path], depth: int) -> list[_Path]:
        if isinstance(suite, cst.IndentedBlock):
            paths = self.block(level, suite.body, paths, depth)
            return [p.at(self.key("end", level, suite)) for p in paths] if depth == 0 else paths
        assert isinstance(suite, cst.SimpleStatementSuite)
        paths = self.smalls(level, suite.body, paths, depth, None)
        return [p.at(self.key("suite_end", level, suite)) for p in paths] if depth == 0 else paths

    def smalls(
        self, level: int, smalls: Sequence[cst.BaseSmallStatement], paths: list[_Path], depth: int,
        line: Optional[cst.SimpleStatementLine],
    ) -> list[_Path]:
        """Small statements in order; ``line`` is their line, None in a one-line suite (``if bad: continue``)."""
        for small in smalls:
            if isinstance(small, (cst.Continue, cst.Break, cst.Return)):
                if isinstance(small, cst.Return) or depth == 0:
                    place = self.key("before", level, line) if line is not None else self.key("inline", level, small)
                    left = [p.at(place) for p in paths]
                    if isinstance(small, cst.Return):
                        self.returned += left
                    elif isinstance(small, cst.Break):
                        self.broken += left
                    else:
                        again = self.repeated and not self.updated_before(level, self.loop_of(level, small))
                        for path in left:
                            self.end(path, "continue", line if line is not None else small, level, again)
                        self.looped += [_Path(p.points, p.updated, p.counted or not p.updated) for p in left]
                return []
            if isinstance(small, cst.Raise):
                return []
            if self.updates(level, small):
                paths = [_Path(p.points, True, p.counted) for p in paths]
        return paths

    def loop_of(self, level: int, node: cst.CSTNode) -> cst.CSTNode:
        source = self.levels[level].source
        loop = next((a for a in source.ancestors(node) if isinstance(a, _LOOPS)), None)
        if loop is None or not isinstance(loop.body, cst.IndentedBlock):
            raise _GiveUp
        return loop.body

    # -- where update() goes ----------------------------------------------------------------------

    def choose(self) -> Optional[list[Key]]:
        """One place on each path that leaves without ``update()`` and meets the call again, none
        on a path that updates, at most one on any path: the place nearest to where it leaves,
        else the first one after the call."""
        needing = [e for e in self.ends if e.again and not e.path.counted]
        if not needing:
            return None
        taken = {key for e in self.ends if e.path.updated for key in e.path.points}
        for pick in (-1, 0):
            chosen: list[Key] = []
            for e in needing:
                free = [key for key in e.path.points if key not in taken and self.levels[key[1]].names]
                if not free:
                    break
                if free[pick] not in chosen:
                    chosen.append(free[pick])
            else:
                if all(sum(key in chosen for key in e.path.points) <= (0 if e.path.updated else 1) for e in self.ends) and all(
                    sum(key in chosen for key in e.path.points) == 1 for e in needing
                ):
                    return chosen
        return []

    def leaving(self) -> list[_End]:
        return [e for e in self.ends if e.again and not e.path.counted]


def _statements(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    return suite.body if isinstance(suite, cst.IndentedBlock) else ()  # type: ignore[return-value]


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    """The calls a statement makes itself (not those of a function or class it defines)."""
    found: list[cst.Call] = []

    class Collect(cst.CSTVisitor):
        def visit_FunctionDef(self, _: cst.FunctionDef) -> bool:
            return False

        def visit_ClassDef(self, _: cst.ClassDef) -> bool:
            return False

        def visit_Lambda(self, _: cst.Lambda) -> bool:
            return False

        def visit_Call(self, call: cst.Call) -> None:
            found.append(call)

    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        for statement in _statements(node.body):
            statement.visit(Collect())
    else:
        node.visit(Collect())
    return found


def _at(source: SourceFile, node: cst.CSTNode) -> tuple[int, int]:
    start = source.range(node).start
    return start.line, start.column


def _within(source: SourceFile, node: cst.CSTNode, container: cst.CSTNode) -> bool:
    return node is container or any(a is container for a in source.ancestors(node))


def _helper(source: SourceFile, call: cst.Call) -> Optional[cst.FunctionDef]:
    """The function of this file a call runs: ``name(...)``, or ``self.name(...)`` in a method."""
    func = call.func
    if isinstance(func, cst.Name):
        name, scope = func.value, source.module
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
        name = func.attr.value
        scope = next((a for a in source.ancestors(call) if isinstance(a, cst.ClassDef)), None)  # type: ignore[assignment]
        if scope is None:
            return None
    else:
        return None
    return next((f for f in descendants(scope, cst.FunctionDef) if f.name.value == name), None)


def _receiver(source: SourceFile, call: cst.Call, kind: str) -> Optional[str]:
    """``scaler`` of ``scaler.unscale_(...)``: a name or an attribute path, as the source spells it."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == kind):
        return None
    value = func.value
    while isinstance(value, cst.Attribute):
        value = value.value
    if not isinstance(value, cst.Name):
        return None
    name = source.code(func.value)
    return name if is_dotted_name(name) else None


def _spelled(source: SourceFile, scope: cst.CSTNode, name: str) -> bool:
    """The source writes ``name`` (a name or an attribute path) somewhere in ``scope``."""
    for node in descendants(scope, (cst.Name, cst.Attribute)):  # type: ignore[arg-type]
        if source.code(node) == name:
            return True
    return False


class ScalerSkippedUpdate(Rule):
    code = "GF042"
    title = "GradScaler not updated on a path that leaves the step"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        crashed = crash is not None and crash.site is not None and any(m in crash.message for m in _CRASHES)
        findings: list[Finding] = []
        done: set[int] = set()
        if crashed:
            assert crash is not None and crash.site is not None
            failing = [c for c in trace.scaler_calls if c.kind != "update" and c.sites and c.sites[0].same_place(crash.site)]
            scaler = failing[0].scaler if failing else None
            anchors = [c for c in trace.scaler_calls if c.kind != "update" and c.scaler == scaler] or failing
            finding = self._scaler(trace, project, anchors, crash.site, True)
            if finding is not None:
                findings.append(finding)
            done.add(scaler if scaler is not None else -1)
        for call in trace.scaler_calls:
            if call.kind == "update" or call.scaler in done or not call.enabled:
                continue
            done.add(call.scaler)
            anchors = [c for c in trace.scaler_calls if c.kind != "update" and c.scaler == call.scaler and c.enabled]
            finding = self._scaler(trace, project, anchors, None, False)
            if finding is not None:
                findings.append(finding)
        return findings

    def _scaler(self, trace: Trace, project: Project, anchors: list[ScalerCall], crash_site: Optional[Site], crashed: bool) -> Optional[Finding]:
        """The finding for one scaler: from the first of its calls (in the order the run made
        them) whose paths leave without update()."""
        leaving_seen: Optional[tuple[_Walk, ScalerCall]] = None
        for anchor in anchors:
            walk = self._walk(trace, project, anchor, crashed)
            if walk is None or not walk.leaving():
                continue
            leaving_seen = leaving_seen or (walk, anchor)
            chosen = walk.choose()
            if chosen:
                return self._finding(trace, project, walk, anchor, chosen, crash_site)
        if crashed and leaving_seen is not None:
            walk, anchor = leaving_seen
            return self._finding(trace, project, walk, anchor, [], crash_site)
        return None

    def _walk(self, trace: Trace, project: Project, anchor: ScalerCall, crashed: bool) -> Optional[_Walk]:
        levels: list[_Level] = []
        for index, site in enumerate(anchor.sites):
            if not project.is_editable(site.file):
                break
            source = project.source(site.file)
            calls = source.nodes_at(site, cst.Call)
            if not calls:
                break
            call = calls[-1]
            names: list[str] = []
            if index == 0:
                receiver = _receiver(source, call, anchor.kind)
                if receiver is None:
                    return None
                names.append(receiver)
            function = next((a for a in source.ancestors(call) if isinstance(a, cst.FunctionDef)), source.module)
            recorded = anchor.names[index] if index < len(anchor.names) else []
            # names the frame bound to this scaler, that its code spells: those a fix may write
            arguments = {source.code(arg.value) for arg in call.args}
            for name in sorted(recorded, key=lambda n: n not in arguments):
                if name not in names and is_dotted_name(name) and _spelled(source, function, name):
                    names.append(name)
            invocations = anchor.invocations[index] if index < len(anchor.invocations) else 1
            levels.append(_Level(source, call, names, invocations))
        if not levels:
            return None
        for level in levels:
            for record in trace.scaler_calls:
                if record.scaler != anchor.scaler:
                    continue
                for site in record.sites:
                    if site.file != level.source.path:
                        continue
                    for call in level.source.nodes_at(site, cst.Call):
                        (level.update_calls if record.kind == "update" else level.scaler_calls).add(id(call))
        walk = _Walk(levels, crashed or anchor.count > 1)
        try:
            walk.run()
        except _GiveUp:
            return None
        return walk

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        if verdict.verified and not verdict.partial and before.crash is None:
            # The branch did not run: the re-run shows that the fix breaks nothing, not the crash it prevents.
            verdict.reason = f"with it, the script trains as before ({verdict.reason}); the branch did not run here"
        return verdict

    # -- the finding ------------------------------------------------------------------------------

    def _finding(
        self, trace: Trace, project: Project, walk: _Walk, anchor: ScalerCall, chosen: list[Key], crash_site: Optional[Site],
    ) -> Finding:
        first = walk.levels[0]
        name = first.names[0]
        line = first.source.range(first.call).start.line
        held = sorted({
            p for c in trace.scaler_calls if c.scaler == anchor.scaler for index in c.optimizers
            for o in trace.optimizers if o.id == index for p in o.params
            if (fact := trace.param(p)) is not None and fact.requires_grad
        })
        leaving = walk.leaving()
        where = short_list(sorted({self._where(walk, e) for e in leaving}), 3)
        call = f"{name}.{anchor.kind}()"
        if crash_site is not None:
            crash = trace.crash
            assert crash is not None
            message = (
                f"the script crashed: {crash.type}: {crash.message.rstrip('.')}; {call} at line {line} leaves the scaler waiting "
                f"for {name}.update(), and the iteration can leave before it: {where}"
            )
            site = crash_site
        else:
            expected = self._expected(trace, anchor)
            message = (
                f"{call} at line {line} leaves the scaler waiting for {name}.update(), and {where} "
                f"{'leaves' if len(leaving) == 1 else 'leave'} without it: when that runs, {expected} "
                f"(the branch did not run in gradfix's run)"
            )
            site = anchor.sites[0]
        candidates = self._candidates(walk, chosen)
        return self.finding(project, site, message, held, candidates, blocking=crash_site is not None)

    @staticmethod
    def _expected(trace: Trace, anchor: ScalerCall) -> str:
        """The error the script will meet: it depends on which call finds the scaler not updated."""
        unscales = any(c.kind == "unscale_" and c.scaler == anchor.scaler for c in trace.scaler_calls)
        if anchor.kind == "unscale_":
            return "the next unscale_() raises `RuntimeError: unscale_() has already been called on this optimizer since the last update().`"
        if unscales:
            return "the next unscale_() raises `RuntimeError: unscale_() is being called after step().`"
        return "the next step() raises `RuntimeError: step() has already been called since the last update().`"

    @staticmethod
    def _where(walk: _Walk, end: _End) -> str:
        """The path, by where it parts from those that update: its `continue`, its branch."""
        taken = {key for e in walk.ends if e.path.updated for key in e.path.points}
        for key in end.path.points:
            if key in taken:
                continue
            kind, level, _ = key
            node = walk.nodes[key]
            source = walk.levels[level].source
            line = source.range(node).start.line
            if kind == "before" and isinstance(node, cst.SimpleStatementLine):
                exiting = next((s for s in node.body if isinstance(s, (cst.Continue, cst.Break, cst.Return))), None)
                if exiting is not None:
                    return f"the `{source.code(exiting).split()[0]}` at line {line}"
            if kind == "inline":
                return f"the `{source.code(node).split()[0]}` at line {line}"
            if kind == "else":
                return f"the path where the `if` at line {line} is false"
            if kind in ("end", "suite_end"):
                return f"the branch that ends at line {source.range(node).end.line}"
        if end.how == "next" and end.node is not None:
            return f"the path that goes on to the next iteration of the loop at line {walk.levels[end.level].source.range(end.node).start.line}"
        if end.how == "return" and isinstance(end.node, cst.FunctionDef):
            return f"the path that returns from {end.node.name.value}()"
        return "a path"

    # -- the edits --------------------------------------------------------------------------------

    def _candidates(self, walk: _Walk, chosen: list[Key]) -> list[Candidate]:
        if not chosen:
            return []
        plain: list[tuple[str, Edit, str]] = []
        moved: list[tuple[str, Edit, str]] = []
        for key in sorted(chosen, key=lambda k: (k[1], _at(walk.levels[k[1]].source, walk.nodes[k]))):
            edit = self._edit(walk, key)
            if edit is None:
                return []
            plain.append(edit)
            moved.append(self._move(walk, key) or edit)
        candidates = []
        if moved != plain:
            candidates.append(self._candidate(moved))
        candidates.append(self._candidate(plain))
        return candidates

    def _candidate(self, edits: list[tuple[str, Edit, str]]) -> Candidate:
        by_path: dict[str, list[Edit]] = {}
        for path, edit, _ in edits:
            by_path.setdefault(path, []).append(edit)
        description = "; ".join(dict.fromkeys(text for _, _, text in edits))
        patches = [Patch(path, sorted(found, key=lambda e: e.start)) for path, found in sorted(by_path.items())]
        return Candidate(description, patches, self.applicability)

    @staticmethod
    def _edit(walk: _Walk, key: Key) -> Optional[tuple[str, Edit, str]]:
        kind, level, _ = key
        node = walk.nodes[key]
        here = walk.levels[level]
        source = here.source
        name = here.names[0]
        update = f"{name}.update()"
        if kind == "before":
            line = source.range(node).start.line
            exiting = next((s for s in getattr(node, "body", ()) if isinstance(s, (cst.Continue, cst.Break, cst.Return))), None)
            what = f"the `{source.code(exiting).split()[0]}`" if exiting is not None else "the statement"
            return source.path, source.insert_lines(line, f"{source.indentation(line)}{update}\n"), f"call {update} before {what} at line {line}"
        if kind == "inline":
            start = source.range(node).start
            keyword = source.code(node).split()[0] if source.code(node).split() else "statement"
            return source.path, Edit(Position(start.line, start.column), Position(start.line, start.column), f"{update}; "), f"call {update} before the `{keyword}` at line {start.line}"
        if kind == "end":
            assert isinstance(node, cst.IndentedBlock)
            last = source.range(node.body[-1]).end.line
            indent = source.indentation(source.range(node.body[0]).start.line)
            return source.path, source.insert_lines(last + 1, f"{indent}{update}\n"), f"call {update} at the end of the branch, after line {last}"
        if kind == "suite_end":
            assert isinstance(node, cst.SimpleStatementSuite)
            end = source.range(node.body[-1]).end
            return source.path, Edit(Position(end.line, end.column), Position(end.line, end.column), f"; {update}"), f"call {update} at the end of line {end.line}"
        if kind == "else":
            assert isinstance(node, cst.If)
            start = source.range(node).start.line
            last = source.range(node).end.line
            indent = source.indentation(start)
            if isinstance(node.body, cst.IndentedBlock) and node.body.body:
                unit = source.indentation(source.range(node.body.body[0]).start.line)[len(indent):] or source.module.default_indent
            else:
                unit = source.module.default_indent
            text = f"{indent}else:\n{indent}{unit}{update}\n"
            keyword = "elif" if isinstance(source.parent(node), cst.If) else "if"
            return source.path, source.insert_lines(last + 1, text), f"add an `else: {update}` to the `{keyword}` at line {start}"
        return None

    @staticmethod
    def _move(walk: _Walk, key: Key) -> Optional[tuple[str, Edit, str]]:
        """For an ``if`` with no ``else`` whose body ends with the update: the update moved after
        the ``if``, so that every path runs it (``if finite: scaler.step(opt)`` then ``scaler.update()``)."""
        kind, level, _ = key
        node = walk.nodes[key]
        if kind != "else" or not isinstance(node, cst.If):
            return None
        here = walk.levels[level]
        source = here.source
        if not isinstance(source.parent(node), (cst.IndentedBlock, cst.Module)):
            return None  # an `elif`
        body = node.body
        if not isinstance(body, cst.IndentedBlock) or len(body.body) < 2:
            return None
        last = body.body[-1]
        if not (isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 and isinstance(last.body[0], cst.Expr)):
            return None
        call = last.body[0].value
        if not (isinstance(call, cst.Call) and walk.is_update(level, call) and not call.args):
            return None
        where = source.range(last)
        if where.start.line != where.end.line:
            return None
        start = source.lines.line_start(where.start.line)
        end = source.lines.line_end(where.start.line)
        text = source.text[start:end]
        indent = source.indentation(source.range(node).start.line)
        edit = Edit(source.position(start), source.position(end), indent + text.lstrip(" \t"))
        return source.path, edit, f"move {source.code(call)} out of the `if` at line {source.range(node).start.line}, so that every path runs it"
