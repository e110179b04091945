"""GF056: a module ran with gradients on, but what it computed went into a value no loss uses.

``h = self.block(x)`` followed by ``return self.head(x)``; a spatial transformer whose resampled
image ``h_trans`` is computed while the classifier is fed the original ``x``; a refined feature
computed and the raw one used; attention weights computed and then ignored; a shortcut branch
whose result is never added. Nothing raises: the module's parameters, held by an optimizer, simply
never receive a gradient.

The evidence is the run's: the module ran with gradients on, an optimizer holds its parameters,
and no ``backward()`` ever reached any of them. The probe records the calls that ran it, with
their user frames; in the function that made the call (or, when a helper only returns the
module's output, in its caller), gradfix follows, with libcst, the names assigned from that
output and from what was computed from it, to the last of them: the values that nothing leading to
a loss reads (never read again, or only returned beside the output that is used). The candidates
feed such a value where another one is read after it: first where the value it was computed from
is read (the raw input the refined one was meant to replace), then the reads that follow; each by
replacing that read, or by adding the value to it (a residual), or, for weights (a softmax or a
sigmoid), by weighting it. At most six; the re-run judges: a shape that does not fit crashes and
is dropped, a replacement that cuts off what trained before is dropped, and of those that make the
module train, the one that trains the most, then the first, is offered.

An auxiliary loss dropped by a caller is the same mistake one frame out: a module or a function
returns its output with a loss (or a dict of losses) beside it, and the call is unpacked with
``_`` (or a name never read) in that place: ``x, _ = self.neck(x, labels)``. gradfix finds the
unpacking where the module was called, or, when the function returns the value (or the module's
call) in a tuple, in the caller the run saw. The candidates, first, bind the element and add it
to the loss that caller builds: ``losses.update(aux)`` (or ``losses["aux"] = aux``) for a dict
of losses it fills, ``loss = loss + aux`` (or ``+ sum(aux.values())``) for a loss it passes to
``backward()`` or returns where its own caller's ``backward()`` is computed from it. Which fits
is the re-run's to say.

A value the function's result is computed from, or one passed to ``backward()``, is used: when it
never trains the module, it lost its gradient some other way. So did a chain that went through a
place where the run saw the graph cut (the module's call inside a ``.detach()``, a ``.item()``, an
``argmax`` or a sample on a line of the chain, a project function that cut inside): GF008's and
GF017's, not this rule's.

Under ``DistributedDataParallel`` a branch left out of the loss stops the run: DDP waits for its
gradients, and the next iteration raises "Expected to have finished reduction". When the value is
returned to a caller that keeps it (a branch that joins the loss after a warm-up, in a later epoch,
once a teacher is attached), it sits out this phase on purpose: the first candidate passes
``find_unused_parameters=True`` to the ``DistributedDataParallel(...)`` call, and the value is not
fed into the outputs the loss uses. The re-run must show the crash gone and every other parameter
trained. Told so already, the wrapper's branch gives no finding here (GF018 names it if it never
trains in the run).

A value computed only for logging or a metric from a module that a loss reaches elsewhere, an
auxiliary head used only in evaluation, a module run under ``no_grad`` for a target: no parameter
of theirs that is meant to train stays without a gradient, so none of them gives a finding.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Optional, Union

import libcst as cst

from gradfix.ddp_unused import (
    ddp_waits_for_gradients, ddp_wrappers_holding, find_unused_candidate, judge_find_unused, told_unused,
)
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile
from gradfix.trace import Cut, ModuleFact, Site, Trace

_MAX_CANDIDATES = 6
# Methods that change the object they are called on: `feats.append(h)` puts `h` into `feats`.
_MUTATORS = {"append", "extend", "insert", "add", "update", "copy_", "add_", "mul_", "setdefault"}
# Functions whose output weighs another value (attention, gates): it multiplies what it weighs.
_WEIGHTS = {"softmax", "sigmoid", "gumbel_softmax", "hardsigmoid"}
# Methods whose receiver is no value a model computes with: `loss.backward()`, `optimizer.step()`.
_NOT_VALUES = {
    "backward", "item", "tolist", "numpy", "step", "zero_grad", "train", "eval", "parameters", "state_dict",
    "new_zeros", "new_ones", "new_full", "new_empty", "new_tensor", "size", "dim", "numel",
}
# Attributes that describe a tensor rather than hold its values: `x.shape`, `x.device`.
_DESCRIPTIONS = {"shape", "device", "dtype", "ndim", "is_cuda", "layout"}
# Calls that show a value: `logger.info(...)`, `writer.add_scalar(...)`.
_LOGGING = {"info", "debug", "warning", "log", "add_scalar", "add_scalars", "add_histogram", "set_postfix", "write"}
# Where an expression put in a read's place needs parentheses: `(x + h).flatten(1)`.
_TIGHT = (cst.Attribute, cst.Subscript, cst.BinaryOperation, cst.UnaryOperation, cst.Await, cst.Comparison, cst.BooleanOperation)

Scope = Union[cst.FunctionDef, cst.Module]


@dataclass
class _Read:
    name: cst.Name
    replaceable: bool  # a value in an expression, not a function called, an index or a condition
    binding: Optional[int] = None  # the binding it reads (its index in _Flow.bindings), None: not bound here


@dataclass
class _Step:
    """One statement, or the header of a compound one, in the order the code runs it."""

    parts: list[cst.CSTNode]  # the nodes it covers (a small statement; a `for` loop's target and iterable)
    binds: list[str]
    reads: list[_Read]
    # names it binds to numbers or keys, not tensors to feed anywhere: a literal (`n = 3`), a loop
    # counter (`for step in range(n)`, the `i` of `enumerate`, the `k` of `d.items()`)
    constant: frozenset[str] = frozenset()
    value: Optional[cst.BaseExpression] = None  # the value it assigns, when it is an assignment
    display: bool = False  # a print or a logging call


@dataclass
class _Binding:
    name: str
    step: int  # -1: a parameter of the function
    parents: set[int] = field(default_factory=set)  # the bindings its value was computed from
    constant: bool = False


class _Loads(cst.CSTVisitor):
    """The names an expression reads, with whether each may be replaced by another value."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[_Read] = []
        self.fixed = 0  # inside an index or a condition: not a value to replace

    def visit_Name(self, node: cst.Name) -> bool:
        self.found.append(_Read(node, replaceable=not self.fixed))
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        described = node.attr.value in _DESCRIPTIONS
        self.fixed += described
        node.value.visit(self)  # `x.flatten`: x is read; `flatten` is no name of the scope
        self.fixed -= described
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # a keyword is no read
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _NOT_VALUES:
            self.fixed += 1
            func.visit(self)
            self.fixed -= 1
        elif not isinstance(func, cst.Name):
            func.visit(self)  # a function called by name is no value to feed anything
        # What is printed or logged is shown, not computed with.
        shown = _shows(node)
        self.fixed += shown
        for arg in node.args:
            arg.visit(self)
        self.fixed -= shown
        return False

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        self.fixed += 1
        for part in node.parts:
            part.visit(self)
        self.fixed -= 1
        return False

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        node.value.visit(self)
        self.fixed += 1
        for element in node.slice:
            element.visit(self)
        self.fixed -= 1
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False  # its own scope

    def visit_CompFor(self, node: cst.CompFor) -> bool:
        node.iter.visit(self)  # the loop variable is the comprehension's own
        for condition in node.ifs:
            condition.visit(self)
        if node.inner_for_in is not None:
            node.inner_for_in.visit(self)
        return False


def _loads(node: Optional[cst.CSTNode], replaceable: bool = True) -> list[_Read]:
    if node is None:
        return []
    visitor = _Loads()
    node.visit(visitor)
    if not replaceable:
        for read in visitor.found:
            read.replaceable = False
    return visitor.found


def _targets(node: cst.BaseExpression) -> tuple[list[str], list[_Read]]:
    """Names an assignment target binds (a subscript's base too: `out[k] = v` fills `out`), and
    the names the target itself reads."""
    if isinstance(node, cst.Name):
        return [node.value], []
    if isinstance(node, (cst.Tuple, cst.List)):
        names: list[str] = []
        reads: list[_Read] = []
        for element in node.elements:
            more, read = _targets(element.value)
            names += more
            reads += read
        return names, reads
    if isinstance(node, cst.StarredElement):
        return _targets(node.value)
    if isinstance(node, cst.Subscript):
        base = node.value
        reads = _loads(node, replaceable=False)
        return ([base.value] if isinstance(base, cst.Name) else []), reads
    return [], _loads(node, replaceable=False)  # `self.last = h`: kept on an object, no name of the scope


def _shows(call: cst.Call) -> bool:
    """``print(...)``, ``logger.info(...)``, ``writer.add_scalar(...)``."""
    func = call.func
    return (isinstance(func, cst.Name) and func.value == "print") or (
        isinstance(func, cst.Attribute) and func.attr.value in _LOGGING
    )


def _counters(loop: cst.For) -> frozenset[str]:
    """The names a ``for`` loop binds to counters and keys: all of ``range(...)``'s, the first of
    ``enumerate(...)``'s and of ``d.items()``'s."""
    iterable, target = loop.iter, loop.target
    if not isinstance(iterable, cst.Call):
        return frozenset()
    func = iterable.func
    called = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
    if called in ("range", "keys") and isinstance(target, cst.Name):
        return frozenset({target.value})
    if called in ("enumerate", "items") and isinstance(target, (cst.Tuple, cst.List)) and target.elements:
        first = target.elements[0].value
        return frozenset({first.value}) if isinstance(first, cst.Name) else frozenset()
    return frozenset()


def _is_constant(value: Optional[cst.BaseExpression]) -> bool:
    if isinstance(value, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return True
    if isinstance(value, cst.UnaryOperation):
        return _is_constant(value.expression)
    return isinstance(value, cst.Name) and value.value in ("True", "False", "None")


class _Flow:
    """The statements of one function (or of the module's own code) in order, the names each binds
    and reads, and which binding each read sees. Straight-line: a branch's binding holds for
    what follows it, and a loop's body is read once; the re-run judges what this gets wrong."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self.steps: list[_Step] = []
        self.bindings: list[_Binding] = []
        self.step_of_part: dict[int, int] = {}
        self.called: set[str] = set()  # names called as functions somewhere in the scope
        if isinstance(scope, cst.FunctionDef):
            params = scope.params
            every = [*params.posonly_params, *params.params, *params.kwonly_params]
            every += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
            for param in every:
                self.bindings.append(_Binding(param.name.value, -1))
            self._block(scope.body)
        else:
            self._statements(scope.body)
        current = {b.name: i for i, b in enumerate(self.bindings)}
        for index, step in enumerate(self.steps):
            parents = set()
            for read in step.reads:
                read.binding = current.get(read.name.value)
                if read.binding is not None:
                    parents.add(read.binding)
            for name in step.binds:
                current[name] = len(self.bindings)
                self.bindings.append(_Binding(name, index, parents, name in step.constant))
            for part in step.parts:
                self.step_of_part[id(part)] = index

    # -- reading the statements -----------------------------------------------------------------

    def _add(
        self, parts: list[cst.CSTNode], binds: list[str], reads: list[_Read], value: Optional[cst.BaseExpression] = None,
        counters: frozenset[str] = frozenset(), display: bool = False,
    ) -> None:
        constant = frozenset(binds) if _is_constant(value) else counters
        self.steps.append(_Step(parts, binds, reads, constant, value, display))

    def _block(self, block: cst.BaseSuite) -> None:
        if isinstance(block, cst.SimpleStatementSuite):
            for small in block.body:
                self._small(small)
        else:
            self._statements(block.body)  # type: ignore[attr-defined]

    def _statements(self, statements: object) -> None:
        for statement in statements:  # type: ignore[attr-defined]
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._small(small)
            elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                continue  # a scope of its own
            elif isinstance(statement, cst.For):
                names, reads = _targets(statement.target)
                self._add(
                    [statement.target, statement.iter], names, reads + _loads(statement.iter, replaceable=False),
                    counters=_counters(statement),
                )
                self._block(statement.body)
                if statement.orelse is not None:
                    self._block(statement.orelse.body)
            elif isinstance(statement, cst.While):
                self._add([statement.test], [], _loads(statement.test, replaceable=False))
                self._block(statement.body)
                if statement.orelse is not None:
                    self._block(statement.orelse.body)
            elif isinstance(statement, cst.If):
                self._if(statement)
            elif isinstance(statement, cst.With):
                for item in statement.items:
                    names, reads = _targets(item.asname.name) if item.asname is not None else ([], [])  # type: ignore[arg-type]
                    self._add([item], names, reads + _loads(item.item, replaceable=False))
                self._block(statement.body)
            elif isinstance(statement, cst.Try):
                self._block(statement.body)
                for handler in statement.handlers:
                    self._block(handler.body)
                for extra in (statement.orelse, statement.finalbody):
                    if extra is not None:
                        self._block(extra.body)

    def _if(self, statement: cst.If) -> None:
        self._add([statement.test], [], _loads(statement.test, replaceable=False))
        self._block(statement.body)
        orelse = statement.orelse
        if isinstance(orelse, cst.If):
            self._if(orelse)
        elif orelse is not None:
            self._block(orelse.body)

    def _small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign):
            names: list[str] = []
            reads = _loads(small.value)
            for target in small.targets:
                more, read = _targets(target.target)
                names += more
                reads += read
            self._add([small], names, reads, small.value)
        elif isinstance(small, cst.AnnAssign):
            names, reads = _targets(small.target)
            self._add([small], names if small.value is not None else [], reads + _loads(small.value), small.value)
        elif isinstance(small, cst.AugAssign):
            names, reads = _targets(small.target)
            own = _loads(small.target, replaceable=False) if isinstance(small.target, cst.Name) else []
            self._add([small], names, own + reads + _loads(small.value), small.value)
        elif isinstance(small, cst.Expr):
            value = small.value
            binds: list[str] = []
            receiver: Optional[cst.BaseExpression] = None
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _MUTATORS:
                # `feats.append(h)`, `meters[k].append(v)`: `feats`, `meters` now hold the value
                receiver = value.func.value
                base = receiver.value if isinstance(receiver, cst.Subscript) else receiver
                binds = [base.value] if isinstance(base, cst.Name) else []
            reads = _loads(value)
            if receiver is not None:
                inside = {id(r.name) for r in _loads(receiver)}
                for read in reads:
                    if id(read.name) in inside:
                        read.replaceable = False
            display = isinstance(value, cst.Call) and _shows(value)
            self._add([small], binds, reads, display=display)
        elif isinstance(small, cst.Return):
            self._add([small], [], _loads(small.value))
        else:
            self._add([small], [], _loads(small, replaceable=False))

    # -- queries ----------------------------------------------------------------------------------

    def step_of(self, source: SourceFile, node: cst.CSTNode) -> Optional[int]:
        for ancestor in [node, *source.ancestors(node)]:
            if id(ancestor) in self.step_of_part:
                return self.step_of_part[id(ancestor)]
            if ancestor is self.scope:
                return None
        return None

    def tainted(self, seeds: set[int]) -> set[int]:
        """The bindings made at the seed steps, and every binding computed from one of them (a
        key or a counter is no value computed from it)."""
        found = {i for i, b in enumerate(self.bindings) if b.step in seeds}
        for index, binding in enumerate(self.bindings):
            if binding.parents & found and not binding.constant:
                found.add(index)
        return found


@dataclass
class _Seed:
    module: ModuleFact
    source: SourceFile
    scope: Scope
    call: cst.Call
    outer: list[Site] = field(default_factory=list)  # the frames further out: who called this function


class OutputNeverUsed(Rule):
    code = "GF056"
    title = "module output computed but never used"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.backwards or not trace.steps:
            return []
        # Scores used only to pick (argmax, the indices of max/topk) are used: GF060's.
        # A loss term the run saw held beside the loss, that alone reaches them, is GF063's: the
        # module's output was used, in a term that was never added.
        cut_off = set(trace.params_cut_off()) - set(trace.params_only_selected()) - set(trace.params_in_loose_terms())
        cut_off -= set(trace.params_without_derivative())  # GF109's
        if not cut_off:
            return []
        owned = self._unreached_modules(trace, cut_off)
        if not owned:
            return []
        # Names the run saw bound to modules and optimizers: no value to feed anything.
        module_names = {m.name for m in trace.modules if m.name and m.name.isidentifier()}
        module_names |= {o.name for o in trace.optimizers if o.name and o.name.isidentifier()}
        groups: dict[tuple[str, int], list[_Seed]] = {}
        for module, _ in owned.values():
            for chain in module.grad_calls:
                seed = self._seed(project, module, chain)
                if seed is not None:
                    groups.setdefault((seed.source.path, id(seed.scope)), []).append(seed)
        findings = []
        for seeds in groups.values():
            finding = self._finding(trace, project, seeds, owned, module_names)
            if finding is not None:
                findings.append(finding)
        return findings

    @staticmethod
    def _unreached_modules(trace: Trace, cut_off: set[str]) -> dict[int, tuple[ModuleFact, list[str]]]:
        """The outermost modules that ran with gradients on and none of whose parameters meant to
        train was reached by a loss, with those parameters."""
        found: dict[int, tuple[ModuleFact, list[str]]] = {}
        for module in trace.modules:
            if not module.path or not module.ran_with_grad or not module.grad_calls:
                continue
            own = [
                p.name for p in trace.params
                if p.name.startswith(f"{module.path}.") and p.requires_grad and p.is_leaf and p.optimizers
            ]
            if own and all(name in cut_off for name in own):
                found[module.id] = (module, own)
        paths = {m.path for m, _ in found.values()}
        return {
            mid: (module, own) for mid, (module, own) in found.items()
            if not any((module.path or "").startswith(f"{other}.") for other in paths)
        }

    @staticmethod
    def _seed(project: Project, module: ModuleFact, chain: list[Site]) -> Optional[_Seed]:
        """The call that ran the module, in the function whose names hold its output: a helper
        that only returns it (``return self.net(x)``) hands it to its caller's call."""
        for index, site in enumerate(chain):
            if site.column is None or not project.is_editable(site.file):
                return None
            source = project.source(site.file)
            calls = source.nodes_at(site, cst.Call)
            if not calls:
                return None
            call = calls[-1]
            scope: Scope = next((a for a in source.ancestors(call) if isinstance(a, cst.FunctionDef)), source.module)
            returned = source.parent(call)
            if isinstance(returned, cst.Return) and returned.value is call and site is not chain[-1]:
                continue
            return _Seed(module, source, scope, call, chain[index + 1 :])
        return None

    def _finding(
        self, trace: Trace, project: Project, seeds: list[_Seed], owned: dict[int, tuple[ModuleFact, list[str]]], module_names: set[str],
    ) -> Optional[Finding]:
        source, scope = seeds[0].source, seeds[0].scope
        flow = _Flow(scope)
        seed_steps: dict[int, list[ModuleFact]] = {}
        seed_calls: dict[int, list[cst.Call]] = {}
        for seed in seeds:
            step = flow.step_of(source, seed.call)
            if step is not None and flow.steps[step].binds:
                seed_steps.setdefault(step, []).append(seed.module)
                seed_calls.setdefault(step, []).append(seed.call)
        if not seed_steps:
            return self._returned_call_finding(trace, project, seeds, flow, owned)
        tainted = flow.tainted(set(seed_steps))
        children = {p for i in tainted for p in flow.bindings[i].parents}
        ends = [i for i in sorted(tainted) if i not in children]
        called = _called_names(scope)
        plans = []
        for end in ends:
            if any(r.binding == end and _into_backward(source, r.name) for step in flow.steps for r in step.reads):
                # A loss computed from the output: it is used, and lost its gradient some other
                # way (a sample, an argmax, a cut): not a dead value.
                continue
            if self._used_in_return(source, flow, end):
                continue
            ancestors = _ancestors(flow, end, tainted)
            # Where the run saw a value leave the graph (`.detach()`, `.item()`, a re-wrap, an
            # argmax, a sample): a value that went through one is cut off, not dead (GF008, GF017).
            if trace.cuts and self._through_cut(source, flow, ancestors, seed_calls, trace.cuts):
                continue
            modules = [m for s, ms in seed_steps.items() for m in ms if any(flow.bindings[a].step == s for a in ancestors)]
            if not modules:
                continue
            params = list(dict.fromkeys(n for m in modules for n in owned[m.id][1]))
            reads = self._reads_after(flow, end, ancestors, tainted, called, module_names)
            outer = next((s.outer for s in seeds if s.module in modules and s.outer), [])
            # The caller reads it, through a cut of these very parameters' values (an all_gather, a
            # .detach()), not a `loss.item()` for the log: GF097's, GF008's.
            cutting = [c for c in trace.cuts if set(c.leaves) & set(params)]
            if cutting and _returned_beside(source, flow, end) and _Dropped.cut_by_caller(project, flow, end, outer, cutting):
                continue
            dropped = _Dropped.find(project, source, flow, end, outer)
            # Handed on to a caller that unpacks it and reads it (in a phase of its own), not
            # merely returned: a value nobody reads is a forgotten loss, whatever DDP was told.
            handed_on = dropped is None and _returned_beside(source, flow, end) and _Dropped.read_by_caller(project, flow, end, outer)
            wraps = ddp_wrappers_holding(trace, project, [m.path or "" for m in modules]) if handed_on else []
            if wraps and all(told_unused(call) for _, call in wraps):
                # Returned to a caller that keeps it, from a model whose DDP wrapper was told that
                # some parameters may go without a gradient in an iteration: a branch left out of
                # the loss on purpose in this phase (an auxiliary head after a warm-up).
                continue
            plans.append((end, modules, params, reads, dropped, wraps))
        # The value that carries the most of what never trained comes first.
        plans.sort(key=lambda plan: (-len(plan[2]), plan[0]))
        candidates: list[Candidate] = []
        ddp_refused = ddp_waits_for_gradients(trace)
        if ddp_refused:
            # DDP stopped the run because these gradients never came: the one-keyword edit that
            # tells it a branch may sit out an iteration comes first; the re-run judges it.
            for wrap_source, call in dict.fromkeys(w for plan in plans for w in plan[5]):
                candidate = find_unused_candidate(wrap_source, call)
                if candidate is not None:
                    candidates.append(candidate)
        # A value the caller keeps and reads (in a branch of its own) is a branch used in another
        # phase: feeding it into the output the loss uses now would change the model, not fix it.
        told = bool(candidates)
        for end, modules, params, _, dropped, _ in plans:
            # A value the caller drops from what this function returns (`x, _ = self.neck(x, y)`,
            # an auxiliary loss): it goes into the caller's loss, not into a value here.
            if dropped is not None:
                for candidate in self._aux_candidates(project, dropped, params):
                    if len(candidates) < _MAX_CANDIDATES and all(c.description != candidate.description for c in candidates):
                        candidates.append(candidate)
        for end, modules, params, reads, _, wraps in plans:
            if told and wraps:
                continue
            for read in reads:
                for op in _ops(flow, end):
                    if len(candidates) >= _MAX_CANDIDATES:
                        break
                    candidate = self._candidate(source, flow, end, read, op, params)
                    if candidate is not None and all(c.description != candidate.description for c in candidates):
                        candidates.append(candidate)
        if not candidates:
            return None
        end, modules, params, _, dropped, wraps = plans[0]
        binding = flow.bindings[end]
        node = flow.steps[binding.step].parts[0]
        line = source.range(node).start.line
        names = list(dict.fromkeys(m.path or m.cls for m in modules))
        read_later = any(
            r.binding == end for step in flow.steps[binding.step + 1 :] for r in step.reads
        )
        fate = "only returned or kept beside what the loss uses" if read_later else "never read again"
        ends_in = f"ends in `{binding.name}` (line {line}), which is {fate}"
        if dropped is not None:
            where = f"line {dropped.source.range(dropped.target).start.line}"
            if dropped.source is not source:
                where += f" of {os.path.basename(dropped.source.path)}"
            spelled = dropped.source.code(dropped.statement).strip()
            if dropped.flow is flow:
                ends_in = f"is returned in a tuple, and the element that carries it is dropped at {where} (`{spelled}`)"
            else:
                ends_in = (
                    f"ends in `{binding.name}` (line {line}), which is returned in a tuple whose element the "
                    f"caller drops at {where} (`{spelled}`)"
                )
            ends_in += ": no loss adds it"
        all_params = list(dict.fromkeys(n for _, _, p, _, _, _ in plans for n in p))
        message = (
            f"{short_list([f'`{n}`' for n in names], 3)} ran with gradients on, but no loss reaches "
            f"{'it' if len(names) == 1 else 'them'}: what {'it computes' if len(names) == 1 else 'they compute'} "
            f"{ends_in}, so {short_list(params)} never {'receives' if len(params) == 1 else 'receive'} a gradient"
        )
        if ddp_refused and wraps:
            message += (
                "; DistributedDataParallel waits for that gradient and stops the next iteration (\"Expected to have "
                "finished reduction\"): if the branch sits out this phase on purpose, pass find_unused_parameters=True"
            )
        return self.finding(project, source.site(node), message, all_params, candidates, blocking=ddp_refused and bool(wraps))

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        return judge_find_unused(finding, candidate, before, run)

    def _returned_call_finding(
        self, trace: Trace, project: Project, seeds: list[_Seed], flow: _Flow, owned: dict[int, tuple[ModuleFact, list[str]]],
    ) -> Optional[Finding]:
        """``return self.classifier(h), self.center_loss(h, y)``: the module's call is itself an
        element of the returned tuple, and the caller drops that element."""
        source = seeds[0].source
        for seed in seeds:
            element = source.parent(seed.call)
            tuple_ = source.parent(element) if isinstance(element, cst.Element) else None
            returned = source.parent(tuple_) if isinstance(tuple_, (cst.Tuple, cst.List)) else None
            if not isinstance(returned, cst.Return) or any(isinstance(e, cst.StarredElement) for e in tuple_.elements):  # type: ignore[union-attr]
                continue
            step = flow.step_of(source, seed.call)
            if step is None or (trace.cuts and self._through_cut(source, flow, set(), {step: [seed.call]}, trace.cuts)):
                continue
            elements = tuple_.elements  # type: ignore[union-attr]
            position = (next(i for i, e in enumerate(elements) if e is element), len(elements))
            func = seed.call.func
            called = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            dropped = _Dropped.at_caller(project, position, seed.outer, "", called if called.isidentifier() else "aux")
            if dropped is None:
                continue
            params = owned[seed.module.id][1]
            candidates = self._aux_candidates(project, dropped, params)[:_MAX_CANDIDATES]
            if not candidates:
                continue
            where = f"line {dropped.source.range(dropped.target).start.line}"
            if dropped.source is not source:
                where += f" of {os.path.basename(dropped.source.path)}"
            name = seed.module.path or seed.module.cls
            message = (
                f"`{name}` ran with gradients on, but no loss reaches it: `{source.code(seed.call)}` is returned in a "
                f"tuple whose element the caller drops at {where} (`{dropped.source.code(dropped.statement).strip()}`): "
                f"no loss adds it, so {short_list(params)} never {'receives' if len(params) == 1 else 'receive'} a gradient"
            )
            return self.finding(project, source.site(seed.call), message, params, candidates)
        return None

    @staticmethod
    def _through_cut(source: SourceFile, flow: _Flow, chain: set[int], seeds: dict[int, list[cst.Call]], cuts: list[Cut]) -> bool:
        """Whether the chain went through a place where the run saw the graph cut: the module's
        call inside the cut (``self.enc(x).detach()``, not ``self.enc(x.detach())``); a statement
        that reads the chain (a print aside) on a line with a cut; one that calls a function of
        the project in which a cut ran (``get_logprobs(out)`` detaching inside)."""
        here = [c for c in cuts if os.path.realpath(c.site.file) == os.path.realpath(source.path)]
        lines = {c.site.line for c in here}
        functions = {c.site.function for c in cuts if c.site.function.isidentifier()}
        for index, calls in seeds.items():
            for cut in here:
                nodes = {id(n) for n in source.nodes_at(cut.site, cst.BaseExpression)}
                if nodes and any(id(a) in nodes for call in calls for a in source.ancestors(call)):
                    return True
        for index, step in enumerate(flow.steps):
            if index in seeds or step.display or not any(r.binding in chain for r in step.reads):
                continue
            for part in step.parts:
                where = source.range(part)
                if any(where.start.line <= line <= where.end.line for line in lines):
                    return True
                if _called_names(part, methods=True) & functions:
                    return True
        return False

    @staticmethod
    def _used_in_return(source: SourceFile, flow: _Flow, end: int) -> bool:
        """A value the function's result is computed from (``return self.head(h, z)``) is used;
        one returned as it is, alone or beside others (``return logits, h_trans``), is handed
        to a caller that the run showed does not use it."""
        for step in flow.steps:
            for read in step.reads:
                if read.binding != end or not isinstance(step.parts[0], cst.Return):
                    continue
                parent = source.parent(read.name)
                if isinstance(parent, cst.Return):
                    continue
                if isinstance(parent, cst.Element) and isinstance(source.parent(parent), (cst.Tuple, cst.List)):
                    if isinstance(source.parent(source.parent(parent)), cst.Return):
                        continue
                return True
        return False

    @staticmethod
    def _reads_after(
        flow: _Flow, end: int, ancestors: set[int], tainted: set[int], called: set[str], module_names: set[str],
    ) -> list[_Read]:
        """The reads after the dead value was made where it could go instead: values bound in this
        scope (not modules, functions or literals), not computed from the dead one. Those of the
        values the dead one was computed from come first (the raw input a refined value replaces)."""
        binding = flow.bindings[end]

        def usable(read: _Read) -> bool:
            name = read.name.value
            if not read.replaceable or read.binding is None or read.binding in tainted:
                return False
            if name in ("self", "cls") or name in called or name in module_names or name == binding.name:
                return False
            return not flow.bindings[read.binding].constant

        sources = {
            r.name.value for a in ancestors if flow.bindings[a].step >= 0
            for r in flow.steps[flow.bindings[a].step].reads if usable(r)
        }
        later = [
            read for step in flow.steps[binding.step + 1 :] if binding.name not in step.binds
            for read in step.reads if usable(read)
        ]
        return [r for r in later if r.name.value in sources] + [r for r in later if r.name.value not in sources]

    def _aux_candidates(self, project: Project, dropped: _Dropped, params: list[str]) -> list[Candidate]:
        """The dropped value (a loss, or a dict of losses) added to the loss the caller builds:
        ``losses.update(aux)`` or ``losses["aux"] = aux`` for a dict of losses, ``loss = loss +
        aux`` or ``+ sum(aux.values())`` for one loss; the re-run judges which fits."""
        source = dropped.source
        drop_line = source.range(dropped.statement).start.line
        block = source.parent(dropped.statement)
        found = []
        for sink, after, is_dict in dropped.sinks(project):
            name = dropped.named(is_dict)
            if not sink.isidentifier() or name is None:
                continue
            statement = source.statement_of(dropped.flow.steps[after].parts[0])
            if not isinstance(statement, cst.SimpleStatementLine) or source.parent(statement) is not block:
                continue  # added inside another block, the value might not be bound there
            where = source.range(statement)
            indent = source.indentation(where.start.line)
            if is_dict:
                codes = [f"{sink}.update({name})", f'{sink}["{name}"] = {name}']
            else:
                codes = [f"{sink} = {sink} + {name}", f"{sink} = {sink} + sum({name}.values())"]
            for code in codes:
                edits = [source.insert_lines(where.end.line + 1, f"{indent}{code}\n")]
                bind = ""
                if dropped.element.value != name:
                    try:
                        edits.append(source.replace_node(dropped.element, cst.Name(name)))
                    except ValueError:
                        continue
                    bind = f"bind `{name}` at line {drop_line} and "
                description = (
                    f"{bind}add what `{dropped.call}(...)` returns there to the caller's loss `{sink}`: "
                    f"`{code}` after line {where.end.line}"
                )
                found.append(self.candidate(description, source.path, edits, params, at=(source.path, drop_line, 0)))
        return found

    def _candidate(self, source: SourceFile, flow: _Flow, end: int, read: _Read, op: str, params: list[str]) -> Optional[Candidate]:
        name = flow.bindings[end].name
        if not name.isidentifier() or name not in source.bindings:
            return None
        old = read.name
        new: cst.BaseExpression
        if op == "replace":
            new = cst.Name(name)
        else:
            operator = cst.Add() if op == "add" else cst.Multiply()
            new = cst.BinaryOperation(left=cst.Name(old.value), operator=operator, right=cst.Name(name))
            if isinstance(source.parent(old), _TIGHT):
                new = new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        try:
            edit = source.replace_node(old, new)
        except ValueError:  # libcst would re-render text around the name: no edit to offer there
            return None
        line = source.range(old).start.line
        context = next((a for a in source.ancestors(old) if isinstance(a, cst.Call)), None)
        if context is None or source.statement_of(context) is not source.statement_of(old):
            context = None
        if context is not None:
            before = source.code(context)
            after = source.module.code_for_node(context.deep_replace(old, new))  # type: ignore[arg-type]
        else:
            before, after = old.value, source.module.code_for_node(new)
        if "\n" in before or len(before) > 80:
            before, after = old.value, source.module.code_for_node(new)
        verb = {"replace": f"feed `{name}` instead of `{old.value}`", "add": f"add `{name}` to `{old.value}`", "mul": f"weight `{old.value}` by `{name}`"}[op]
        description = f"{verb} at line {line}: `{after}` instead of `{before}`"
        start = source.range(old).start
        return self.candidate(description, source.path, [edit], params, at=(source.path, start.line, start.column))


def _ops(flow: _Flow, end: int) -> list[str]:
    """How a dead value goes where another one is read: weights multiply it; others replace it or are added."""
    step = flow.bindings[end].step
    value = flow.steps[step].value if step >= 0 else None
    if isinstance(value, cst.Call):
        func = value.func
        called = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
        if called in _WEIGHTS:
            return ["mul", "replace"]
    return ["replace", "add"]


def _into_backward(source: SourceFile, name: cst.Name) -> bool:
    """``loss.backward()``, ``torch.autograd.backward(loss)``, ``autograd.grad(loss, ...)``."""
    parent = source.parent(name)
    if isinstance(parent, cst.Attribute) and parent.attr.value == "backward":
        return isinstance(source.parent(parent), cst.Call)
    if isinstance(parent, cst.Arg):
        call = source.parent(parent)
        if isinstance(call, cst.Call):
            func = call.func
            called = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
            return called in ("backward", "grad")
    return False


def _ancestors(flow: _Flow, end: int, tainted: set[int]) -> set[int]:
    found = {end}
    pending = [end]
    while pending:
        for parent in flow.bindings[pending.pop()].parents:
            if parent in tainted and parent not in found:
                found.add(parent)
                pending.append(parent)
    return found


def _called_names(scope: cst.CSTNode, methods: bool = False) -> set[str]:
    """Names called as functions in ``scope`` (and, with ``methods``, the attributes called: ``self.env.step``)."""
    names: set[str] = set()

    class Calls(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Name):
                names.add(node.func.value)
            elif methods and isinstance(node.func, cst.Attribute):
                names.add(node.func.attr.value)

    scope.visit(Calls())
    return names


@dataclass
class _Dropped:
    """A value a function returns in a tuple that its caller unpacks and drops: ``x, _ =
    self.neck(x, labels)`` (the neck's auxiliary loss), or binds to a name it never reads."""

    source: SourceFile  # the caller's file
    flow: _Flow  # the caller's statements
    step: int  # the caller's step that unpacks the call
    statement: cst.SimpleStatementLine
    target: cst.BaseExpression  # the tuple it unpacks into
    element: cst.Name  # the dropped element: `_` or a name never read
    name: str  # the name the dropped value is bound to once fixed
    call: str  # the call, as the caller spells it (for the message)
    outer: list[Site]  # the frames further out: who called the caller
    base: str = ""  # for a dropped `_`, what was called: the name the fix binds is made from it

    @staticmethod
    def find(project: Project, source: SourceFile, flow: _Flow, end: int, outer: list[Site]) -> Optional["_Dropped"]:
        """When the function returns ``end`` as an element of a tuple, the caller's unpacking
        that drops that element, as the run saw it called (the next user frame out)."""
        here = _Dropped._unpacked_here(source, flow, end, outer)
        if here is not None or not outer:
            return here
        position = _returned_position(flow, end)
        if position is None:
            return None
        return _Dropped.at_caller(project, position, outer, flow.bindings[end].name)

    @staticmethod
    def read_by_caller(project: Project, flow: _Flow, end: int, outer: list[Site]) -> bool:
        """The caller unpacks the returned tuple and reads the element ``end`` is returned as
        (``logits, aux = model(x)`` ... ``if warm: loss += aux_loss(aux)``): a branch it uses
        in some phase, not a value nobody reads (``out = model(x); loss(out[0])``)."""
        found = _caller_element(project, flow, end, outer)
        if found is None:
            return False
        _, caller_flow, index = found
        return any(r.binding == index for s in caller_flow.steps for r in s.reads)

    @staticmethod
    def cut_by_caller(project: Project, flow: _Flow, end: int, outer: list[Site], cuts: list[Cut]) -> bool:
        """The caller unpacks the returned tuple and what it computes from the element ``end`` is
        returned as goes through a place where the run saw the graph cut (``img, txt = model(x)``
        then ``dist.all_gather(out, txt)``): a value cut off there, not one nobody uses."""
        found = _caller_element(project, flow, end, outer)
        if found is None:
            return False
        caller, caller_flow, index = found
        chain = {index}
        for later, binding in enumerate(caller_flow.bindings):
            if binding.parents & chain and not binding.constant:
                chain.add(later)
        return OutputNeverUsed._through_cut(caller, caller_flow, chain, {}, cuts)

    @staticmethod
    def at_caller(project: Project, position: tuple[int, int], outer: list[Site], own: str, base: str = "") -> Optional["_Dropped"]:
        """The caller's unpacking of a returned tuple (``position``: the element, of how many)
        that drops that element: ``x, _ = self.neck(x, labels)``. ``own``: the name the value
        has where it is returned; ``base``: what was called to make it, when it had none."""
        found = _caller_unpacking(project, position, outer)
        if found is None:
            return None
        caller, caller_flow, step, statement, target, element, call = found
        scope: Scope = next((a for a in caller.ancestors(call) if isinstance(a, cst.FunctionDef)), caller.module)
        bound = {b.name for b in caller_flow.bindings} | _called_names(scope)
        if element.value == "_" and base:
            name = "_"
        elif element.value == "_":
            name = next((n for n in (own, f"{own}_aux", "aux_loss") if n.isidentifier() and n not in bound), None)
            if name is None:
                return None
        else:
            index = max((i for i, b in enumerate(caller_flow.bindings) if b.step == step and b.name == element.value), default=None)
            if index is None or any(r.binding == index for s in caller_flow.steps for r in s.reads):
                return None  # the caller reads it: not dropped here
            name = element.value
        spelled = caller.code(call.func)
        return _Dropped(caller, caller_flow, step, statement, target, element, name, spelled, outer[1:], base if name == "_" else "")

    @staticmethod
    def _unpacked_here(source: SourceFile, flow: _Flow, end: int, outer: list[Site]) -> Optional["_Dropped"]:
        """``proposals, _ = self.rpn(feature, targets)``: the module's call itself unpacked, and
        the element that carries what never trained dropped (or bound to a name never read)."""
        binding = flow.bindings[end]
        if binding.step < 0 or any(r.binding == end for s in flow.steps for r in s.reads):
            return None
        assign = flow.steps[binding.step].parts[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or not isinstance(assign.value, cst.Call):
            return None
        target = assign.targets[0].target
        if not isinstance(target, (cst.Tuple, cst.List)) or any(isinstance(e, cst.StarredElement) for e in target.elements):
            return None
        names = [e.value for e in target.elements if isinstance(e.value, cst.Name) and e.value.value == binding.name]
        statement = source.statement_of(assign)
        if len(names) != 1 or not isinstance(statement, cst.SimpleStatementLine):
            return None
        func = assign.value.func
        called = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        # `_` is named once fixed after what was called: `rpn_losses` (a dict), `rpn_loss` (one loss)
        base = called if binding.name == "_" and called.isidentifier() else ""
        return _Dropped(source, flow, binding.step, statement, target, names[0], binding.name, source.code(func), outer, base)

    def named(self, is_dict: bool) -> Optional[str]:
        """The name the dropped value is bound to once fixed: a name the code has never bound."""
        if not self.base:
            return self.name
        bound = {b.name for b in self.flow.bindings} | _called_names(self.flow.scope)
        if self.base.endswith("loss"):  # `self.center_loss(...)`: `center_loss`, not `center_loss_loss`
            options: tuple[str, ...] = (f"{self.base}es", "aux_losses") if is_dict else (self.base, "aux_loss")
        else:
            options = (f"{self.base}_losses", "aux_losses") if is_dict else (f"{self.base}_loss", "aux_loss")
        return next((n for n in options if n.isidentifier() and n not in bound), None)

    def sinks(self, project: Project) -> list[tuple[str, int, bool]]:
        """The caller's losses the dropped value can join: a name passed to ``backward()`` there,
        then names the caller returns when what its caller computes from them reaches a
        ``backward()``; each with the step the value is added after and whether it is a dict of
        losses (filled by ``update`` or by key) rather than one loss."""
        source, flow = self.source, self.flow
        dicts = self._dicts()
        into_backward: list[tuple[str, int]] = []
        returned: list[tuple[str, int, Optional[int]]] = []
        for index, step in enumerate(flow.steps):
            for read in step.reads:
                if read.binding is None or flow.bindings[read.binding].step == self.step:
                    continue
                if _into_backward(source, read.name):
                    into_backward.append((read.name.value, read.binding))
                elif isinstance(step.parts[0], cst.Return) and _returned_as_is(source, read.name):
                    returned.append((read.name.value, read.binding, _position(source, read.name)))
        if returned:
            # Only what reaches a `backward()` out there is a loss: `recon, loss = model(x)`,
            # `loss.backward()` makes `loss` one and `recon` none.
            reaching = _reaches_backward(project, self.outer)
            returned = [r for r in returned if reaching is not None and (None in reaching or r[2] is None or r[2] in reaching)]
        found: list[tuple[str, int, bool]] = []
        for name, binding in into_backward + [(name, binding) for name, binding, _ in returned]:
            if any(f[0] == name for f in found):
                continue
            before = [b.step for b in flow.bindings if b.name == name and 0 <= b.step]
            if name in dicts:
                earlier = [s for s in before if s < self.step]
                later = [s for s in before if s > self.step]
                after = self.step if earlier or not later else min(later)
            else:
                after = max(self.step, flow.bindings[binding].step)
            found.append((name, after, name in dicts))
        return sorted(found, key=lambda f: not f[2])

    def _dicts(self) -> set[str]:
        """Names the caller fills as dicts: bound to ``dict()`` or ``{...}``, ``update``d, or assigned by key."""
        found = set()
        for step in self.flow.steps:
            part = step.parts[0]
            value = step.value
            if isinstance(value, cst.Dict) or (isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict"):
                found.update(step.binds)
            if isinstance(part, cst.Expr) and isinstance(part.value, cst.Call):
                func = part.value.func
                if isinstance(func, cst.Attribute) and func.attr.value == "update" and isinstance(func.value, cst.Name):
                    found.add(func.value.value)
            if isinstance(part, cst.Assign):
                for target in part.targets:
                    if isinstance(target.target, cst.Subscript) and isinstance(target.target.value, cst.Name):
                        found.add(target.target.value.value)
        return found


def _returned_position(flow: "_Flow", end: int) -> Optional[tuple[int, int]]:
    """Where ``end`` sits in the tuple its function returns (the element, of how many); None when
    it is not returned as an element of a tuple, or the tuple has a starred element."""
    position = None
    for step in flow.steps:
        returned = step.parts[0]
        if not isinstance(returned, cst.Return) or not isinstance(returned.value, (cst.Tuple, cst.List)):
            continue
        elements = returned.value.elements
        if any(isinstance(e, cst.StarredElement) for e in elements):
            return None
        for index, element in enumerate(elements):
            if isinstance(element.value, cst.Name) and any(r.name is element.value and r.binding == end for r in step.reads):
                position = (index, len(elements))
    return position


def _caller_element(project: Project, flow: _Flow, end: int, outer: list[Site]) -> Optional[tuple[Any, "_Flow", int]]:
    """Where the caller that unpacks the returned tuple binds the element ``end`` is returned as:
    its source, its flow and that binding's index."""
    position = _returned_position(flow, end)
    found = _caller_unpacking(project, position, outer) if position is not None else None
    if found is None:
        return None
    caller, caller_flow, step, _, _, element, _ = found
    index = max((i for i, b in enumerate(caller_flow.bindings) if b.step == step and b.name == element.value), default=None)
    return None if index is None else (caller, caller_flow, index)


def _caller_unpacking(project: Project, position: tuple[int, int], outer: list[Site]) -> Optional[tuple[Any, ...]]:
    """The caller's statement that unpacks the returned tuple into as many names, as the run saw
    it called (the next user frame out): its source, flow, step, statement, target, the name at
    ``position`` and the call."""
    site = outer[0] if outer else None
    if site is None or site.column is None or not project.is_editable(site.file):
        return None
    caller = project.source(site.file)
    calls = caller.nodes_at(site, cst.Call)
    if not calls:
        return None
    call = calls[-1]
    assign = caller.parent(call)
    if not isinstance(assign, cst.Assign) or assign.value is not call or len(assign.targets) != 1:
        return None
    target = assign.targets[0].target
    if not isinstance(target, (cst.Tuple, cst.List)) or len(target.elements) != position[1]:
        return None
    element = target.elements[position[0]].value
    statement = caller.statement_of(assign)
    if not isinstance(element, cst.Name) or not isinstance(statement, cst.SimpleStatementLine):
        return None
    scope: Scope = next((a for a in caller.ancestors(call) if isinstance(a, cst.FunctionDef)), caller.module)
    caller_flow = _Flow(scope)
    step = caller_flow.step_of(caller, call)
    if step is None:
        return None
    return caller, caller_flow, step, statement, target, element, call


def _returned_beside(source: SourceFile, flow: _Flow, end: int) -> bool:
    """``return cls, aux, seg``: the value is handed to the caller as it is."""
    return any(
        read.binding == end and isinstance(step.parts[0], cst.Return) and _returned_as_is(source, read.name)
        for step in flow.steps for read in step.reads
    )


def _returned_as_is(source: SourceFile, name: cst.Name) -> bool:
    """``return losses``, ``return out, loss``: the name itself is (an element of) what is returned."""
    parent = source.parent(name)
    if isinstance(parent, cst.Return):
        return True
    return (
        isinstance(parent, cst.Element) and isinstance(source.parent(parent), (cst.Tuple, cst.List))
        and isinstance(source.parent(source.parent(parent)), cst.Return)
    )


def _position(source: SourceFile, name: cst.Name) -> Optional[int]:
    """Where a returned name sits in the returned tuple (``return recon, loss``: 1); None: it is all that is returned."""
    parent = source.parent(name)
    if isinstance(parent, cst.Element):
        elements = source.parent(parent).elements  # type: ignore[union-attr]
        return next(i for i, e in enumerate(elements) if e is parent)
    return None


def _reaches_backward(project: Project, outer: list[Site]) -> Optional[set[Optional[int]]]:
    """Whether, where the run saw the caller called, what is computed from its result reaches a
    ``backward()`` (``losses = model.forward_train(x, y)``, ``loss = sum(losses.values())``,
    ``loss.backward()``): None when it does not; else, when that result is unpacked, the
    positions of the elements that do (``recon, loss = model(x)``: {1}), {None} when it is not."""
    if not outer or not project.is_editable(outer[0].file):
        return None
    source = project.source(outer[0].file)
    calls = source.nodes_at(outer[0], cst.Call)
    if not calls:
        return None
    call = calls[-1]
    scope: Scope = next((a for a in source.ancestors(call) if isinstance(a, cst.FunctionDef)), source.module)
    flow = _Flow(scope)
    step = flow.step_of(source, call)
    if step is None:
        return None
    assign = source.parent(call)
    target = assign.targets[0].target if isinstance(assign, cst.Assign) and len(assign.targets) == 1 else None
    positions: list[Optional[int]] = list(range(len(target.elements))) if isinstance(target, (cst.Tuple, cst.List)) else [None]
    found: set[Optional[int]] = set()
    for position in positions:
        if position is None:
            tainted = flow.tainted({step})
        else:
            element = target.elements[position].value  # type: ignore[union-attr]
            if not isinstance(element, cst.Name):
                continue
            tainted = {i for i, b in enumerate(flow.bindings) if b.step == step and b.name == element.value}
            for index, binding in enumerate(flow.bindings):
                if binding.parents & tainted and not binding.constant:
                    tainted.add(index)
        if any(r.binding in tainted and _into_backward(source, r.name) for s in flow.steps for r in s.reads):
            found.add(position)
    return found or None
