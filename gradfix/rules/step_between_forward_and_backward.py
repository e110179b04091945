"""GF035: an optimizer's step() ran between a forward and the backward() that still needs it.

Two losses share one forward: a GAN's generator loss built on ``pred_fake = netD(fake)`` that the
discriminator loss used too, an actor and a critic on one trunk, two task heads with an optimizer
each. The first loss's ``backward()`` and ``step()`` run, and ``step()`` updates the weights in
place; the second loss's ``backward()`` then needs the weights as the forward saw them, and
autograd raises ``one of the variables needed for gradient computation has been modified by an
inplace operation: [torch.FloatTensor [1, 32, 3, 3]] is at version 2; expected version 1``.

The probe records which parameters each step() changed (versions before and after), matches the
message's shape and version to a parameter the crashed loss reaches, and names the module calls
whose outputs that loss uses. The fix runs that forward again right after the step, with the
statements between it and the step that the loss is built from (moved when nothing before the step
reads them, copied otherwise), as a GAN's G step does after the D step. A later candidate moves the
step() after that backward. The re-run decides.

When one function runs the forward and returns the losses (``unet_loss, dis_loss =
model.process(x)``) and the next one called does the backward calls and the steps
(``model.backward(unet_loss, dis_loss)``), the forward cannot run again after the step. The first
candidate then moves the step, with the backward (and zero_grad) that goes with it, into the
function that builds the losses: right after the stepped loss is complete and before the forward
through the stepped module. The loss is followed by name from the parameter to the caller's
argument, to the unpacked result, to the name returned. The step after the backward comes next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import BindsAndReads, SourceFile, descendants
from gradfix.trace import Site, StepBeforeBackward, Trace

_Block = Union[cst.IndentedBlock, cst.Module]


_Uses = BindsAndReads  # the names (and attribute paths such as ``self.pred``) a statement binds and reads

def _overlap(a: set[str], b: set[str]) -> bool:
    """Do two sets of paths touch (``pred`` and ``pred.mean``, ``self`` and ``self.pred``)?"""
    return any(x == y or x.startswith(y + ".") or y.startswith(x + ".") for x in a for y in b)


def _without(paths: set[str], bound: set[str]) -> set[str]:
    """``paths`` minus those a binding of ``bound`` replaces."""
    return {p for p in paths if not any(p == b or p.startswith(b + ".") for b in bound)}


@dataclass
class _Unit:
    """A statement of the block, with what it binds and reads."""

    node: cst.BaseStatement
    binds: set[str]
    reads: set[str]


def _units(block: _Block) -> list[_Unit]:
    units = []
    for statement in block.body:
        uses = _Uses()
        statement.visit(uses)
        units.append(_Unit(statement, uses.binds, uses.reads))
    return units


def _block_of(source: SourceFile, node: cst.CSTNode) -> list[tuple[_Block, cst.BaseStatement]]:
    """The blocks around a node, innermost first, each with the statement of it that holds the node,
    up to the function (or class) body it is in: a ``def`` statement does not run its body, the
    calls of the function (the site's callers) do."""
    found = []
    child: cst.CSTNode = node
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            break
        if isinstance(ancestor, (cst.IndentedBlock, cst.Module)) and isinstance(child, cst.BaseStatement):
            found.append((ancestor, child))
        child = ancestor
    return found


def _calls_at(source: SourceFile, site: Site) -> list[cst.Call]:
    return source.nodes_at(site, cst.Call)


def _reached(trace: Trace) -> list[str]:
    """The crashed backward's own reach is recorded only when it succeeds: what any loss reached."""
    return [
        p.name for p in trace.params
        if p.reached and p.requires_grad and p.is_leaf and (p.optimizers or not trace.optimizers)
    ]


def _callee(call: cst.Call) -> Optional[str]:
    """The called name: `f` of ``f(x)``, `backward` of ``self.model.backward(x)``."""
    if isinstance(call.func, cst.Name):
        return call.func.value
    if isinstance(call.func, cst.Attribute):
        return call.func.attr.value
    return None


def _function_unless_in_lambda(source: SourceFile, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
    """The nearest ``def`` around ``node``; None at module level, and when a lambda is nearer (what
    a lambda holds runs when the lambda is called, not in the order of the ``def``'s body)."""
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.Lambda):
            return None
        if isinstance(ancestor, cst.FunctionDef):
            return ancestor
    return None


def _top_statement(source: SourceFile, body: cst.BaseSuite, node: cst.CSTNode) -> Optional[cst.BaseStatement]:
    """The statement of the function body ``body`` that holds ``node``."""
    for block, statement in _block_of(source, node):
        if block is body:
            return statement
    return None


def _param_names(function: cst.FunctionDef) -> list[str]:
    return [p.name.value for p in (*function.params.posonly_params, *function.params.params)]


def _class_of(source: SourceFile, function: cst.FunctionDef) -> Optional[cst.ClassDef]:
    block = source.parent(function)
    owner = source.parent(block) if block is not None else None
    return owner if isinstance(owner, cst.ClassDef) else None


def _is_method(source: SourceFile, function: cst.FunctionDef) -> bool:
    """A method whose first parameter is the instance (not a static or class method)."""
    plain = not any(
        isinstance(d.decorator, cst.Name) and d.decorator.value in ("staticmethod", "classmethod") for d in function.decorators
    )
    return _class_of(source, function) is not None and plain and bool(_param_names(function))


def _only_calls(statement: cst.BaseStatement, receiver: str, method: str) -> bool:
    """The statement is ``<receiver>.<method>(...)`` alone (``opt_d.zero_grad()``)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    return (
        isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and isinstance(small.value.func, cst.Attribute)
        and small.value.func.attr.value == method and _Uses.path(small.value.func.value) == receiver
    )


def _returned_as(
    source: SourceFile, function: cst.FunctionDef, statement: cst.BaseStatement, call: cst.Call, name: str
) -> Optional[str]:
    """The name ``function`` returns that ``statement`` (``a, b = function(...)``) binds to ``name``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    assign = statement.body[0]
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or assign.value is not call:
        return None
    returns = [r for r in descendants(function.body, cst.Return) if _function_unless_in_lambda(source, r) is function]
    body = list(function.body.body) if isinstance(function.body, cst.IndentedBlock) else []
    if len(returns) != 1 or not body or source.statement_of(returns[0]) is not body[-1] or returns[0].value is None:
        return None
    target, value = assign.targets[0].target, returns[0].value
    if isinstance(target, cst.Name):
        chosen: Optional[cst.BaseExpression] = value if target.value == name else None
    elif isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
        names = [e.value for e in target.elements]
        if len(names) != len(value.elements) or any(not isinstance(n, cst.Name) for n in names):
            return None
        spots = [i for i, n in enumerate(names) if isinstance(n, cst.Name) and n.value == name]
        chosen = value.elements[spots[0]].value if len(spots) == 1 else None
    else:
        return None
    return chosen.value if isinstance(chosen, cst.Name) else None


class _Renamed(cst.CSTTransformer):
    """Names renamed (a parameter to the name its argument has in the other function); attribute
    names and keywords are not names."""

    def __init__(self, names: dict[str, str]):
        super().__init__()
        self.names = names

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=self.names.get(original.value, original.value))

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(attr=original.attr)

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)


@dataclass
class _Apart:
    """The losses come back from one function (``losses = model.process(x)``, the producer) and
    another one (``model.backward(g_loss, d_loss)``, the update) runs the backward calls and the
    steps; a block calls the one, then the other."""

    source: SourceFile
    update: cst.FunctionDef
    block: cst.IndentedBlock  # the update's body: the step at `step`, the crashed backward at `backward`
    step: int
    backward: int
    call: cst.Call  # the caller's call of the update
    caller: _Block
    at: int  # the statement of `caller` that calls the update
    producer: cst.FunctionDef
    produced_call: cst.Call  # the caller's call of the producer
    produced: int  # its statement in `caller`
    forward: int  # the statement of the producer's body that ran the forward through the stepped module


class StepBetweenForwardAndBackward(Rule):
    code = "GF035"
    title = "optimizer step between a forward and the backward that needs it"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash, fact = trace.crash, trace.stepped_before_backward
        if crash is None or fact is None or "modified by an inplace operation" not in crash.message:
            return []
        placed = self._place(project, fact)
        if placed is None:
            return self._check_apart(trace, project, fact)
        source, block, forwards, step, backward, graphless = placed
        units = _units(block)
        candidates: list[Candidate] = []
        step_site = fact.step_sites[0] if fact.step_sites else None
        rerun = self._run_again(source, units, forwards, step, backward, graphless, step_site)
        if rerun is not None:
            candidates.append(rerun)
        later = self._step_later(source, block, units, fact, step, backward)
        if later is not None:
            candidates.append(later)

        def quoted(index: int, site: Optional[Site] = None) -> str:
            node = units[index].node
            return f"`{self._quote(source, node, site)}` (line {source.range(node).start.line})"

        params = _reached(trace)
        backward_site = fact.backward_sites[0] if fact.backward_sites else None
        message = (
            f"backward() crashed: {quoted(step, step_site)} updated {short_list(fact.params, 3)} in place after "
            f"{short_list([quoted(i) for i in forwards], 2)} ran the forward, and {quoted(backward, backward_site)} "
            "still needs the values that forward saw; run the forward again after the step"
        )
        where = crash.site if crash.site is not None and project.is_editable(crash.site.file) else source.site(units[backward].node)
        return [self.finding(project, where, message, params, candidates, blocking=True)]

    # -- where the forward, the step and the backward meet -----------------------------------------

    def _place(
        self, project: Project, fact: StepBeforeBackward
    ) -> Optional[tuple[SourceFile, _Block, list[int], int, int, set[str]]]:
        """The innermost block of the user's code that holds the backward, the step and a forward
        before them, each as one of its statements (a call inside a helper counts where the helper
        is called): the file, the block, the forwards' indices, the step's and the backward's, and
        the names that the block's frame bound to tensors without a graph."""
        for level, site in enumerate(fact.backward_sites):
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            for call in _calls_at(source, site):
                for block, statement in _block_of(source, call):
                    backward = block.body.index(statement)
                    step = self._index(source, block, fact.step_sites)
                    if step is None or not step < backward:
                        continue
                    # A call of the module after the step already sees the new weights.
                    forwards = sorted({
                        index for chain in fact.forwards
                        if (index := self._index(source, block, chain)) is not None and index < step
                    })
                    if not forwards:
                        continue
                    graphless = set(fact.graphless[level]) if level < len(fact.graphless) else set()
                    return source, block, forwards, step, backward, graphless
        return None

    @staticmethod
    def _index(source: SourceFile, block: _Block, sites: list[Site]) -> Optional[int]:
        """The statement of ``block`` that one of the sites (a call and its callers) lies in."""
        for site in sites:
            if site.file != source.path:
                continue
            for call in _calls_at(source, site):
                for outer, statement in _block_of(source, call):
                    if outer is block:
                        return list(block.body).index(statement)
        return None

    # -- losses made in one function, stepped in another ------------------------------------------

    def _check_apart(self, trace: Trace, project: Project, fact: StepBeforeBackward) -> list[Finding]:
        """The forward ran in one function that returned the losses (``losses = model.process(x)``)
        and another one does the backward calls and the steps (``model.backward(g_loss, d_loss)``):
        the step cannot see the forward, so running it again is not offered. The step (with the
        backward it goes with) moves into the first function, to right after its loss is built and
        before the forward through the stepped module; or the step moves after the backward."""
        apart = self._place_apart(project, fact)
        if apart is None:
            return []
        source = apart.source
        units = _units(apart.block)
        candidates: list[Candidate] = []
        first = self._step_first(apart, units, fact)
        if first is not None:
            candidates.append(first)
        later = self._step_later(source, apart.block, units, fact, apart.step, apart.backward)
        if later is not None:
            candidates.append(later)
        step_site = fact.step_sites[0] if fact.step_sites else None
        backward_site = fact.backward_sites[0] if fact.backward_sites else None
        forward = apart.producer.body.body[apart.forward]

        def quoted(node: cst.BaseStatement, site: Optional[Site] = None) -> str:
            return f"`{self._quote(source, node, site)}` (line {source.range(node).start.line})"

        message = (
            f"backward() crashed: {quoted(units[apart.step].node, step_site)} updated {short_list(fact.params, 3)} "
            f"in place after {quoted(forward)} in `{apart.producer.name.value}()` ran the forward, and "
            f"{quoted(units[apart.backward].node, backward_site)} still needs the values that forward saw; "
            "step before that forward, or after that backward"
        )
        crash_site = trace.crash.site if trace.crash is not None else None
        if crash_site is None or not project.is_editable(crash_site.file):
            crash_site = source.site(units[apart.backward].node)
        return [self.finding(project, crash_site, message, _reached(trace), candidates, blocking=True)]

    def _place_apart(self, project: Project, fact: StepBeforeBackward) -> Optional[_Apart]:
        """A function whose body holds the step and, after it, the backward; called from a block
        where an earlier statement called the function that ran the forward and returned the
        losses."""
        for level in range(len(fact.backward_sites) - 1):
            site, outer = fact.backward_sites[level], fact.backward_sites[level + 1]
            if not project.is_editable(site.file) or outer.file != site.file:
                continue
            source = project.source(site.file)
            for call in _calls_at(source, site):
                update = _function_unless_in_lambda(source, call)
                statement = _top_statement(source, update.body, call) if update is not None else None
                if update is None or statement is None or not isinstance(update.body, cst.IndentedBlock):
                    continue
                backward = list(update.body.body).index(statement)
                step = self._index(source, update.body, fact.step_sites)
                if step is None or not step < backward:
                    continue
                for caller_call in _calls_at(source, outer):
                    blocks = _block_of(source, caller_call)
                    if _callee(caller_call) != update.name.value or not blocks:
                        continue
                    caller, holding = blocks[0]
                    at = list(caller.body).index(holding)
                    found = self._producer(source, fact, caller, at)
                    if found is not None:
                        producer, produced_call, produced, forward = found
                        return _Apart(
                            source, update, update.body, step, backward, caller_call, caller, at,
                            producer, produced_call, produced, forward,
                        )
        return None

    @staticmethod
    def _producer(
        source: SourceFile, fact: StepBeforeBackward, caller: _Block, at: int
    ) -> Optional[tuple[cst.FunctionDef, cst.Call, int, int]]:
        """The function called before statement ``at`` of ``caller`` in which a forward through
        the stepped module ran: the function, its call, that call's statement and the forward's
        statement in the function's body."""
        for chain in fact.forwards:
            for j in range(1, len(chain)):
                if chain[j].file != source.path or chain[j - 1].file != source.path:
                    continue
                for call in _calls_at(source, chain[j]):
                    blocks = _block_of(source, call)
                    if not blocks or blocks[0][0] is not caller:
                        continue
                    produced = list(caller.body).index(blocks[0][1])
                    if not produced < at:
                        continue
                    for inner in _calls_at(source, chain[j - 1]):
                        producer = _function_unless_in_lambda(source, inner)
                        if producer is None or producer.name.value != _callee(call):
                            continue
                        statement = _top_statement(source, producer.body, inner)
                        if statement is not None:
                            return producer, call, produced, list(producer.body.body).index(statement)
        return None

    def _step_first(self, apart: _Apart, units: list[_Unit], fact: StepBeforeBackward) -> Optional[Candidate]:
        """Move the step, the backward it goes with (and that optimizer's zero_grad just before
        it) into the function that builds the losses, right after the last statement that builds
        the stepped loss, when that is before the forward through the stepped module. The loss
        is passed from one function to the other by name: the function's parameter, the caller's
        argument, the target of the returned tuple, the name the producer returns."""
        source, update, producer = apart.source, apart.update, apart.producer
        site = fact.step_sites[0] if fact.step_sites else None
        if site is None or site.file != source.path:
            return None
        stepping = [c for c in _calls_at(source, site) if _top_statement(source, apart.block, c) is units[apart.step].node]
        if not stepping or not isinstance(stepping[0].func, cst.Attribute):
            return None
        optimizer = _Uses.path(stepping[0].func.value)
        params = _param_names(update)
        own = params[1:] if _is_method(source, update) else params
        # The backward that goes with the step: the nearest before it, on a loss passed in.
        begin = loss = None
        for index in range(apart.step, -1, -1):
            for call in descendants(units[index].node, cst.Call):
                if _callee(call) == "backward" and isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name) and call.func.value.value in own:
                    begin, loss = index, call.func.value.value
            if begin is not None:
                break
        if begin is None or loss is None or optimizer is None:
            return None
        if begin > 0 and _only_calls(units[begin - 1].node, optimizer, "zero_grad"):
            begin -= 1
        moved = list(range(begin, apart.step + 1))
        # Nothing before them backs up gradients they would now come before; they bind nothing
        # the function reads later.
        if any(_callee(c) == "backward" for i in range(begin) for c in descendants(units[i].node, cst.Call)):
            return None
        if any(units[i].binds for i in moved):
            return None
        if any(loss in units[i].binds for i in range(begin)):
            return None  # `loss = loss / accumulation` first: the moved backward would take another value
        name = producer.name.value  # type: ignore[union-attr]
        if sum(_callee(c) == name for c in descendants(source.module, cst.Call)) > 1:
            return None  # called elsewhere too (an evaluation pass): each call would now step
        # The caller's argument for that loss, and the name it was bound from the producer's return.
        passed = call_argument(apart.call, own.index(loss), loss)
        argument = passed.value if passed is not None else None
        if not isinstance(argument, cst.Name):
            return None
        returned = _returned_as(source, producer, apart.caller.body[apart.produced], apart.produced_call, argument.value)
        if returned is None:
            return None
        caller_units = _units(apart.caller)
        if any(argument.value in caller_units[i].binds for i in range(apart.produced + 1, apart.at)):
            return None
        renames = {loss: returned}
        producer_units = _units(producer.body)  # type: ignore[arg-type]
        local = set(params) | {b for u in units for b in u.binds} | set(_param_names(producer)) | {b for u in producer_units for b in u.binds}
        roots = {path.split(".")[0] for i in moved for path in units[i].reads}
        if _is_method(source, update) and params and params[0] in roots:
            # `self` means the same object in both: methods of one class, called on the same receiver.
            receiver = apart.call.func.value if isinstance(apart.call.func, cst.Attribute) else None
            other = apart.produced_call.func.value if isinstance(apart.produced_call.func, cst.Attribute) else None
            path = _Uses.path(receiver) if receiver is not None else None
            if (
                path is None or other is None or path != _Uses.path(other) or not _is_method(source, producer)
                or _class_of(source, update) is not _class_of(source, producer)
                or any(_overlap(caller_units[i].binds, {path}) for i in range(apart.produced, apart.at))
            ):
                return None
            renames[params[0]] = _param_names(producer)[0]
            roots.discard(params[0])
        roots.discard(loss)
        if roots & local:
            return None  # a local of either function: not the same thing in the other
        # Where the loss is complete: after the last statement that builds it, before the forward.
        building = [i for i, unit in enumerate(producer_units) if returned in unit.binds]
        if not building or max(building) >= apart.forward:
            return None
        if not all(name.isidentifier() for name in renames.values()):
            return None
        indentation = source.indentation(source.range(producer.body.body[0]).start.line)
        texts = []
        for index in moved:
            node = units[index].node.with_changes(leading_lines=[]).visit(_Renamed(renames))
            code = cst.Module([]).code_for_node(node)
            texts.append("".join(indentation + line if line.strip() else line for line in code.splitlines(keepends=True)))
        edits = [source.remove_statement(units[i].node) for i in moved]
        if begin == 0:
            # The update now starts with what followed them: no blank line at the top of its body.
            last = source.range(units[apart.step].node).end.line
            following = units[apart.step + 1].node
            blank = 0
            for line in following.leading_lines:
                if line.comment is not None:
                    break
                blank += 1
            if blank:
                edits.append(source.remove_lines(last + 1, last + blank))
        after = producer_units[max(building)].node
        edits.append(source.insert_lines(source.range(after).end.line + 1, "".join(t if t.endswith("\n") else t + "\n" for t in texts)))
        quoted = ", ".join(f"`{self._quote(source, units[i].node)}`" for i in moved)
        description = (
            f"move {quoted} into `{producer.name.value}()` after `{self._quote(source, after)}`, "
            f"before `{self._quote(source, producer.body.body[apart.forward])}`"
        )
        return self.candidate(description, source.path, edits)

    # -- candidates -----------------------------------------------------------------------------

    def _run_again(
        self, source: SourceFile, units: list[_Unit], forwards: list[int], step: int, backward: int,
        graphless: set[str], step_site: Optional[Site],
    ) -> Optional[Candidate]:
        """Run the forward again right after the step, with every statement between it and the
        step that the crashed loss is built from. A statement whose results carry no graph (a
        sampled action, a detached advantage) needs no second run, nor what only it reads."""
        first = forwards[0]

        def no_graph(unit: _Unit) -> bool:
            return bool(unit.binds) and unit.binds <= graphless

        # Forward: what the forwards' outputs flow into, up to the step.
        tainted: set[int] = set()
        flowing: set[str] = set()
        for index in range(first, step):
            unit = units[index]
            if index in forwards or (_overlap(unit.reads, flowing) and not no_graph(unit)):
                tainted.add(index)
                flowing |= unit.binds
            else:
                flowing = _without(flowing, unit.binds)
        # Backward: what the crashed loss is built from.
        needed_paths = set(units[backward].reads)
        needed: set[int] = set()
        for index in range(backward - 1, first - 1, -1):
            unit = units[index]
            if index != step and _overlap(unit.binds, needed_paths):
                needed_paths = _without(needed_paths, unit.binds)
                if not no_graph(unit):
                    needed.add(index)
                    needed_paths |= unit.reads
        chosen = sorted(i for i in tainted & needed if i < step)
        if not chosen or not any(i in chosen for i in forwards):
            return None
        others = [i for i in range(first, step + 1) if i not in chosen]
        bound_before: set[str] = set()
        for index in chosen:
            unit = units[index]
            outside = _without(unit.reads, bound_before)
            # The statement must compute the same thing after the step as before it: nothing it
            # reads changes in between (the step's parameters aside, which is the point).
            if any(_overlap(units[j].binds, outside) for j in others if j > index):
                return None
            bound_before |= unit.binds
        # A statement moves unless something that stays before the step reads what it binds; then
        # it is copied, and stays, and so must what it reads.
        staying = set(others)
        moved: list[int] = []
        for index in reversed(chosen):
            unit = units[index]
            if any(_overlap(units[j].reads, unit.binds) for j in staying if j > index):
                if _overlap(unit.reads, unit.binds):
                    return None  # `loss += ...` run twice would add twice
                staying.add(index)
            else:
                moved.append(index)
        edits: list[Edit] = []
        texts = []
        for index in chosen:
            start, end = source.statement_lines(units[index].node, with_comments=index in moved)
            texts.append(source.text[start:end])
            if index in moved:
                edits.append(Edit(source.position(start), source.position(end), ""))
        after = source.range(units[step].node).end.line + 1
        inserted = "".join(text if text.endswith("\n") else text + "\n" for text in texts)
        edits.append(source.insert_lines(after, inserted))
        forward = self._quote(source, units[forwards[0]].node)
        step_code = self._quote(source, units[step].node, step_site)
        if forwards[0] in moved:
            description = f"move `{forward}` after `{step_code}`"
            if any(i not in forwards for i in moved):
                description += ", with the loss built from it"
        else:
            description = f"run `{forward}` again after `{step_code}`"
            if any(i not in forwards for i in moved):
                description += ", and build the loss from it there"
        return self.candidate(description, source.path, edits)

    def _step_later(
        self, source: SourceFile, block: _Block, units: list[_Unit], fact: StepBeforeBackward, step: int, backward: int
    ) -> Optional[Candidate]:
        """Move the step() itself after the backward that needs the old weights (that backward's
        gradients then join the step's own)."""
        site = fact.step_sites[0] if fact.step_sites else None
        if site is None or site.file != source.path:
            return None
        statement = units[step].node
        if not isinstance(statement, cst.SimpleStatementLine):
            return None
        calls = [c for c in _calls_at(source, site) if source.parent(c) in statement.body]
        if not calls:
            return None
        small = source.parent(calls[0])
        assert isinstance(small, cst.Expr)
        receiver = calls[0].func.value if isinstance(calls[0].func, cst.Attribute) else None
        path = _Uses.path(receiver) if receiver is not None else None
        if path is None or any(path in units[j].reads or _overlap(units[j].binds, {path}) for j in range(step + 1, backward)):
            return None  # the optimizer is used in between (its zero_grad would now clear the step's gradients)
        code = source.code(small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)).strip()
        indentation = source.indentation(source.range(statement).start.line)
        edits = []
        if len(statement.body) == 1:
            edits.append(source.remove_statement(statement))
        else:
            rest = [s for s in statement.body if s is not small]
            rest[-1] = rest[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            edits.append(source.replace_statement(statement, statement.with_changes(body=rest)))
        after = source.range(units[backward].node).end.line + 1
        edits.append(source.insert_lines(after, f"{indentation}{code}\n"))
        backward_site = fact.backward_sites[0] if fact.backward_sites else None
        return self.candidate(f"call `{code}` after `{self._quote(source, units[backward].node, backward_site)}`", source.path, edits)

    @staticmethod
    def _quote(source: SourceFile, statement: cst.BaseStatement, site: Optional[Site] = None) -> str:
        """The statement's first line as the user wrote it; of a line of several statements, the
        one that makes the call at ``site``."""
        if site is not None and isinstance(statement, cst.SimpleStatementLine) and len(statement.body) > 1:
            for call in _calls_at(source, site):
                if source.parent(call) in statement.body:
                    return source.code(call)
        line = source.range(statement).start.line
        text = source.text[source.lines.line_start(line) : source.lines.line_end(line)].strip()
        return text if isinstance(statement, cst.SimpleStatementLine) else text.rstrip(":")
