"""GF033: an optimizer steps again and again, but backward() never runs: no parameter it holds ever
has a gradient, every step is a no-op, and nothing trains.

The mirror of GF014. ``loss.backward`` written without its parentheses (the method is looked up and
never called), a training step that computes the loss and steps without ever calling backward, or
a backward that sits under a condition that never held. The probe records every step, whether any
parameter the optimizer holds had a non-zero gradient at it, and the order of backward and step
calls. A finding needs all of it: an optimizer that stepped at least twice with no gradient at any
step, no backward between its steps, parameters it holds that ran in a forward with gradients on and
never changed, and, in the code around the step, a loss or a backward written there.

The fixes: a bare ``X.backward`` becomes ``X.backward()``. With no backward written in the loop
(or the function) that steps, ``<loss>.backward()`` is inserted before the step (before a clipping
that needs the gradients, or before the ``if`` that steps every N batches), for each
name bound there before the step from a loss (``criterion(...)``, ``F.cross_entropy(...)``, a
``loss_fn``, a loss module the run saw, a name with "loss" in it, or a sum of those), the latest
first; the re-run keeps the first after which the parameters change. A ``backward()`` that is
written there but never ran (under an ``if`` that never held, after a ``return``, in a closure
nothing called) is explained, not moved: where it should run is the author's call.
"""

from __future__ import annotations

from typing import Iterator, Optional, Union

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import OptimizerFact, Site, Trace

_MAX_CANDIDATES = 6
# Words in a callee's name that say it computes a loss: criterion(...), loss_fn(...), self.objective(...)
_LOSS_CALLEES = ("loss", "criterion", "objective")
# torch.nn.functional functions that are losses
_FUNCTIONAL_LOSSES = ("loss", "entropy", "kl_div", "nll")
# Methods whose result is a number, not a tensor with a graph: a loss that went through one is a log.
_TO_NUMBER_METHODS = {"item", "tolist", "numpy"}
# Calls that need the gradients to be there already.
_GRADIENT_READERS = {"clip_grad_norm_", "clip_grad_value_", "clip_grad_norm", "unscale_"}
_Scope = Union[cst.For, cst.While, cst.FunctionDef, cst.Module]


def _enclosing(source: SourceFile, node: cst.CSTNode) -> tuple[_Scope, Union[cst.FunctionDef, cst.Module]]:
    """The loop around ``node`` that steps (or its function, when the step sits in a training-step
    method called from a loop elsewhere), and the function (or module) around that."""
    region: Optional[_Scope] = None
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, (cst.For, cst.While)) and region is None:
            region = ancestor
        if isinstance(ancestor, (cst.FunctionDef, cst.Module)):
            return region or ancestor, ancestor
    return region or source.module, source.module


def _own_nodes(node: cst.CSTNode, kind: type, into_functions: bool = False) -> Iterator[cst.CSTNode]:
    """Nodes of ``kind`` in ``node``; nested functions, classes and lambdas are code of their own
    (they run when called), skipped unless asked for."""
    found: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, visited: cst.CSTNode) -> bool:
            if visited is not node and not into_functions and isinstance(visited, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                return False
            if isinstance(visited, kind):
                found.append(visited)
            return True

    node.visit(Collect())
    return iter(found)


def _bare_backwards(node: cst.CSTNode) -> list[cst.Attribute]:
    """``X.backward`` alone as a statement: the method looked up, never called."""
    return [
        small.value
        for line in _own_nodes(node, cst.SimpleStatementLine)
        for small in line.body  # type: ignore[attr-defined]
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Attribute) and small.value.attr.value == "backward"
    ]


def _is_backward_call(source: SourceFile, call: cst.Call) -> bool:
    """``loss.backward()``, ``accelerator.backward(loss)``, ``self.manual_backward(loss)``,
    ``torch.autograd.backward(...)``: each would have been recorded, had it run."""
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("backward", "manual_backward"):
        return True
    return bool(source.qualified_names(call.func) & {"torch.autograd.backward"})


def _is_autograd_grad(source: SourceFile, call: cst.Call) -> bool:
    return bool(source.qualified_names(call.func) & {"torch.autograd.grad", "torch.autograd.functional.vjp"})


def _uses_gradients(node: cst.CSTNode) -> bool:
    """Code that reads the gradients a backward leaves: clipping, unscaling, ``p.grad``."""
    for attribute in _own_nodes(node, cst.Attribute):
        if attribute.attr.value in _GRADIENT_READERS or attribute.attr.value == "grad":  # type: ignore[attr-defined]
            return True
    return any(n.value in _GRADIENT_READERS for n in _own_nodes(node, cst.Name))  # type: ignore[attr-defined]


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [e.value.value for e in target.elements if isinstance(e.value, cst.Name)]
    return []


def _bound_names(node: cst.CSTNode) -> list[str]:
    """Names that assignments in ``node`` bind (``loss = ...``, ``loss += ...``, ``loss, logits = ...``)."""
    return [
        name
        for assign in _own_nodes(node, (cst.Assign, cst.AugAssign, cst.AnnAssign))  # type: ignore[arg-type]
        for target in (assign.targets if isinstance(assign, cst.Assign) else [assign])  # type: ignore[attr-defined]
        for name in _target_names(target.target)
    ]


def _callee_words(call: cst.Call) -> str:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value.lower()
    if isinstance(func, cst.Name):
        return func.value.lower()
    return ""


class MissingBackward(Rule):
    code = "GF033"
    title = "optimizer steps but backward() never runs"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if trace.crash is not None or not trace.optimizers:
            return []
        ran = {m.path for m in trace.modules if m.ran_with_grad and m.path}
        by_site: dict[tuple[str, int, Optional[int]], tuple[Site, list[OptimizerFact], list[str]]] = {}
        for optimizer in trace.optimizers:
            site = self._stepped_without_backward(trace, optimizer)
            if site is None:
                continue
            # What a forward with gradients on used, and that never had a gradient nor changed.
            still = [
                p.name for p in trace.params
                if optimizer.id in p.optimizers and p.requires_grad and p.is_leaf
                and not (p.changed or p.got_grad or p.reached) and p.name.rsplit(".", 1)[0] in ran
            ]
            if not still:
                continue
            key = (site.file, site.line, site.column)
            _, optimizers, params = by_site.setdefault(key, (site, [], []))
            optimizers.append(optimizer)
            params += [name for name in still if name not in params]
        findings = []
        for site, optimizers, params in by_site.values():
            if not project.is_editable(site.file):
                continue
            finding = self._diagnose(trace, project, project.source(site.file), site, optimizers, params)
            if finding is not None:
                findings.append(finding)
        return findings

    @staticmethod
    def _stepped_without_backward(trace: Trace, optimizer: OptimizerFact) -> Optional[Site]:
        """Where the optimizer steps, when it stepped at least twice, with no gradient at any step and
        no backward between its steps."""
        if optimizer.steps < 2 or optimizer.steps_without_grad < optimizer.steps:
            return None
        positions = [i for i, e in enumerate(trace.order) if e.kind == "step" and e.optimizer == optimizer.id]
        if len(positions) >= 2:
            if any(e.kind == "backward" for e in trace.order[positions[0] : positions[-1]]):
                return None
        elif trace.backwards:
            return None  # the record of the order is full: only "no backward at all" says enough
        return next((trace.order[i].site for i in positions if trace.order[i].site is not None), None)

    def _diagnose(
        self, trace: Trace, project: Project, source: SourceFile, site: Site, optimizers: list[OptimizerFact], params: list[str]
    ) -> Optional[Finding]:
        calls = source.nodes_at(site, cst.Call)
        if not calls:
            return None
        step = calls[-1]
        statement = source.statement_of(step)
        if statement is None:
            return None
        region, function = _enclosing(source, statement)
        if any(_is_autograd_grad(source, c) for c in _own_nodes(region, cst.Call, into_functions=True)):
            return None  # gradients computed by hand: whether they were meant for .grad, the run cannot say
        steps = sum(o.steps for o in optimizers)
        stepped = f"{source.code(step)} ran {steps} times with no gradient to apply"
        one = len(params) == 1
        never = f"{short_list(params)} never {'changes' if one else 'change'}"

        bare = _bare_backwards(region)
        if bare:
            return self._call_it(project, source, bare, f"{stepped}, and {never}", params, [])

        written = [c for c in _own_nodes(region, cst.Call, into_functions=True) if _is_backward_call(source, c)]  # type: ignore[arg-type]
        if written:
            return self._never_ran(project, source, written[0], region, stepped, never, steps, params, trace)

        insertions = self._insertions(trace, source, step, statement, region, function)
        # A helper that does the backward for the loop (`def backward_pass(loss): loss.backward`):
        # its parentheses first, then the insertions; the re-run decides.
        helpers = list({
            id(b): b for f in _own_nodes(source.module, cst.FunctionDef, into_functions=True)
            if f is not function for b in _bare_backwards(f.body)  # type: ignore[attr-defined]
        }.values())
        if helpers:
            return self._call_it(project, source, helpers, f"{stepped}, and {never}", params, insertions)
        if not insertions:
            return None  # no loss computed where it steps: nothing says this is training (a schedule preview)
        if isinstance(region, cst.FunctionDef):
            where = f"in {region.name.value}()"
        elif isinstance(region, cst.Module):
            where = "in the script"
        else:
            where = f"in the loop at line {source.range(region).start.line}"
        message = f"backward() never ran: {stepped}, and no backward() is written {where}; {never}"
        return self.finding(project, site, message, params, insertions)

    def _call_it(
        self, project: Project, source: SourceFile, bare: list[cst.Attribute], why: str, params: list[str], more: list[Candidate]
    ) -> Finding:
        edits = [source.replace_node(attribute, cst.Call(func=attribute)) for attribute in bare]
        code = source.code(bare[0])
        message = f"`{code}` names the method without calling it (no parentheses), so backward() never ran: {why}"
        candidates = [self.candidate(f"call it: {code}()", source.path, edits), *more]
        return self.finding(project, source.site(bare[0]), message, params, candidates[:_MAX_CANDIDATES])

    def _never_ran(
        self,
        project: Project,
        source: SourceFile,
        call: cst.Call,
        region: cst.CSTNode,
        stepped: str,
        never: str,
        steps: int,
        params: list[str],
        trace: Trace,
    ) -> Finding:
        """A backward written where the optimizer steps, that never ran: say where it sits, and
        leave the change to the author (moving it out of its branch may be wrong for the branch's
        other reason to exist)."""
        code, line = source.code(call), source.range(call).start.line
        stopped = " (gradfix stopped the run there)" if trace.stopped_early else ""
        site = source.site(call)
        where = ""
        for ancestor in source.ancestors(call):
            if ancestor is region:
                break
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                name = f"{ancestor.name.value}()" if isinstance(ancestor, cst.FunctionDef) else "a lambda"
                where = f"in {name}, which was never called while the optimizer stepped"
                break
            if isinstance(ancestor, (cst.If, cst.While)):
                keyword = "if" if isinstance(ancestor, cst.If) else "while"
                test = source.code(ancestor.test)
                in_else = ancestor.orelse is not None and any(a is ancestor.orelse for a in source.ancestors(call))
                where = (
                    f"in the `else` of `{keyword} {test}`, whose condition held at all {steps} steps{stopped}" if in_else
                    else f"under `{keyword} {test}`, which held at none of the {steps} steps{stopped}"
                )
                site = source.site(ancestor)
                break
        if not where:
            exit_ = self._exit_before(source, call)
            where = (
                f"after the `{source.code(exit_).strip()}` at line {source.range(exit_).start.line}, where no run goes"
                if exit_ is not None else "where the run never went"
            )
        message = f"{code} at line {line} never ran: it sits {where}; {stepped}, and {never}"
        return self.finding(project, site, message, params)

    @staticmethod
    def _exit_before(source: SourceFile, call: cst.Call) -> Optional[cst.CSTNode]:
        """A ``return``, ``continue``, ``break`` or ``raise`` earlier in the block that holds the call."""
        statement = source.statement_of(call)
        block = source.parent(statement) if statement is not None else None
        if not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return None
        for earlier in block.body:
            if earlier is statement:
                return None
            if isinstance(earlier, cst.SimpleStatementLine):
                for small in earlier.body:
                    if isinstance(small, (cst.Return, cst.Continue, cst.Break, cst.Raise)):
                        return small
        return None

    # -- inserting the backward -------------------------------------------------------------------

    def _insertions(
        self,
        trace: Trace,
        source: SourceFile,
        step: cst.Call,
        statement: cst.BaseStatement,
        region: cst.CSTNode,
        function: cst.CSTNode,
    ) -> list[Candidate]:
        """``<loss>.backward()`` right before the step, for each loss bound before it in the loop (then
        in the function), the latest first: the total of several terms is usually computed last."""
        before = source.range(statement).start
        losses: list[str] = []
        for scope in (region, function):
            found = self._losses(trace, source, scope, (before.line, before.column))
            losses += [name for name in found if name not in losses]
        candidates = []
        for name in losses:
            at = self._insertion_point(source, self._lifted(source, statement, region, name), name)
            start, _ = source.statement_lines(at, with_comments=True)
            line = source.position(start).line
            indent = source.indentation(source.range(at).start.line)
            shown = source.code(step) if at is statement else f"`{source.code(at).strip().splitlines()[0].rstrip(':')}`"
            text = f"{name}.backward()"
            candidates.append(self.candidate(f"call {text} before {shown}", source.path, [source.insert_lines(line, f"{indent}{text}\n")]))
        return candidates[:_MAX_CANDIDATES]

    @staticmethod
    def _lifted(source: SourceFile, statement: cst.BaseStatement, region: cst.CSTNode, loss: str) -> cst.BaseStatement:
        """The step, or the ``if``/``with`` around it when the loss is computed outside that block: an
        accumulation that steps every N batches needs the backward of every batch, not of the Nth."""
        at = statement
        for ancestor in source.ancestors(statement):
            if ancestor is region or isinstance(ancestor, (cst.For, cst.While, cst.FunctionDef, cst.ClassDef, cst.Try)):
                break
            if isinstance(ancestor, cst.If) and isinstance(source.parent(ancestor), cst.If):
                continue  # an `elif`: the `if` it belongs to is the statement
            if isinstance(ancestor, (cst.If, cst.With)):
                if loss in _bound_names(ancestor):
                    break
                at = ancestor
        return at

    @staticmethod
    def _insertion_point(source: SourceFile, statement: cst.BaseStatement, loss: str) -> cst.BaseStatement:
        """The statement the backward goes before: the step, or an earlier statement of its block,
        after the loss is computed, that already needs the gradients (``clip_grad_norm_``,
        ``scaler.unscale_``, a read of ``p.grad``): a clipping before the backward clips nothing."""
        block = source.parent(statement)
        if not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return statement
        body = list(block.body)
        index = next((i for i, node in enumerate(body) if node is statement), 0)
        at = statement
        for earlier in reversed(body[:index]):
            if loss in _bound_names(earlier):
                break
            if _uses_gradients(earlier):
                at = earlier
        return at

    def _losses(self, trace: Trace, source: SourceFile, scope: cst.CSTNode, before: tuple[int, int]) -> list[str]:
        """Names bound in ``scope`` before ``before`` to a loss, the latest binding first."""
        modules = {m.name for m in trace.modules if m.name}
        loss_modules = {m.name for m in trace.modules if m.name and m.cls.rsplit(".", 1)[-1].endswith("Loss")}
        bindings: list[tuple[tuple[int, int], str, Optional[cst.BaseExpression]]] = []
        for node in _own_nodes(scope, (cst.Assign, cst.AugAssign, cst.AnnAssign)):  # type: ignore[arg-type]
            start = source.range(node).start
            if (start.line, start.column) >= before:
                continue
            if isinstance(node, cst.Assign):
                targets = [n for t in node.targets for n in _target_names(t.target)]
            else:
                targets = _target_names(node.target)  # type: ignore[union-attr]
            for name in targets:
                bindings.append(((start.line, start.column), name, node.value))  # type: ignore[union-attr]
        bindings.sort(key=lambda b: b[0])
        lossy: dict[str, tuple[int, int]] = {}
        for where, name, value in bindings:
            if value is None or name in modules or self._not_a_loss(source, value, modules):
                lossy.pop(name, None)
                continue
            reads = {n.value for n in descendants(value, cst.Name)}
            if "loss" in name.lower() or self._is_loss_call(source, value, loss_modules) or reads & set(lossy):
                lossy[name] = where
            else:
                lossy.pop(name, None)
        return [name for name, _ in sorted(lossy.items(), key=lambda item: item[1], reverse=True)]

    @staticmethod
    def _is_loss_call(source: SourceFile, value: cst.BaseExpression, loss_modules: set[str]) -> bool:
        if not isinstance(value, cst.Call):
            return False
        if any(word in _callee_words(value) for word in _LOSS_CALLEES):
            return True
        for name in source.qualified_names(value.func):
            if name.startswith("torch.nn.functional.") and any(w in name.rsplit(".", 1)[-1] for w in _FUNCTIONAL_LOSSES):
                return True
        return source.code(value.func) in loss_modules  # `ce = nn.CrossEntropyLoss()` ... `ce(out, y)`

    @staticmethod
    def _not_a_loss(source: SourceFile, value: cst.BaseExpression, modules: set[str]) -> bool:
        """A value that cannot be a loss with a graph: a literal, a container, a number taken out of
        a tensor (``running_loss += loss.item()``, ``float(loss)``), a tensor cut from its graph, a
        module (``loss_fn = nn.MSELoss()``)."""
        if isinstance(value, (cst.Integer, cst.Float, cst.SimpleString, cst.List, cst.Dict, cst.Tuple, cst.ListComp, cst.DictComp)):
            return True
        for call in descendants(value, cst.Call):
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in _TO_NUMBER_METHODS:
                return True
        if isinstance(value, cst.Call):
            func = value.func
            if isinstance(func, cst.Name) and func.value in ("float", "int"):
                return True
            if isinstance(func, cst.Attribute) and func.attr.value == "detach":
                return True
            if any(n.startswith("torch.nn.") and n.rsplit(".", 1)[-1][:1].isupper() for n in source.qualified_names(func)):
                return True
        return isinstance(value, cst.Name) and value.value in modules
