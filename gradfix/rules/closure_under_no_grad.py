"""GF065: the forward runs in a function handed to a caller that switched gradients off around
the call: an optimizer's ``@torch.no_grad()`` ``step(closure)`` that calls ``closure()``, a
trainer's decorated ``run_batch(fn)`` that calls ``fn()``, a ``with torch.no_grad():`` block
around ``optimizer.step(closure)`` in the training loop with a hand-written optimizer.

The closure itself is plain code: no decorator, no ``with`` block around its forward. Gradients
were switched off further out, by the function that called it, so the forward builds no graph,
the loss has no ``grad_fn`` and ``backward()`` raises "element 0 of tensors does not require
grad". The probe keeps the user frames around the first forward that ran with gradients off (or
around the backward, when it ran with them off): the frame whose function carries a
grad-disabling decorator, or whose call sits in a grad-disabling ``with`` block, is the one that
switched them off, and the calls between it and the forward that call a function the frame was
handed (a parameter, a loop variable, an attribute the class does not define as a method) are
where gradients must come back on.

The candidates: each such call wrapped in ``with torch.enable_grad():`` (what ``torch.optim``'s
own optimizers do: the step's in-place updates stay under ``no_grad``), innermost first; then, for
a decorator, the decorator removed (it usually makes the optimizer's in-place updates of leaf
parameters crash, and the re-run rejects it). A forward that is itself under ``no_grad`` in its
own function is GF011's or GF002's.
"""

from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import disables_grad, grad_disabling_decorator, module_alias
from gradfix.trace import Site, Trace

Context = Union[cst.Decorator, cst.With]


def _grad_off_context(source: SourceFile, node: cst.CSTNode) -> Optional[Context]:
    """The grad-disabling ``with`` block around ``node`` in its own function, or the decorator of
    that function; none when gradients are switched back on in between."""
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.With):
            if any(_enables_grad(source, item.item) for item in ancestor.items):
                return None
            if any(disables_grad(source, item.item) for item in ancestor.items):
                return ancestor
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
            if isinstance(ancestor, cst.Lambda):
                return None
            return grad_disabling_decorator(source, ancestor)
    return None


def _enables_grad(source: SourceFile, expression: cst.BaseExpression) -> bool:
    """``torch.enable_grad()`` or ``torch.set_grad_enabled(True)``: the closure is already guarded."""
    if not isinstance(expression, cst.Call):
        return False
    names = source.qualified_names(expression.func)
    if names & {"torch.enable_grad", "torch.autograd.enable_grad", "torch.autograd.grad_mode.enable_grad"}:
        return True
    if names & {"torch.set_grad_enabled", "torch.autograd.set_grad_enabled"} and expression.args:
        mode = expression.args[0].value
        return isinstance(mode, cst.Name) and mode.value == "True"
    return False


def _handed_in(source: SourceFile, call: cst.Call) -> bool:
    """Whether ``call`` calls a function its frame was handed rather than one it names: a
    parameter of the enclosing function (``closure``, ``fn``), a loop variable (``for hook in
    hooks``), or ``self.<attr>`` that the class does not define as a method (a stored callback)."""
    function = source.enclosing_function(call)
    if function is None:
        return False
    callee = call.func
    if isinstance(callee, cst.Name):
        params = function.params
        names = {p.name.value for p in [*params.posonly_params, *params.params, *params.kwonly_params]}
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.add(star.name.value)
        if callee.value in names:
            return True
        loops = [a for a in source.ancestors(call) if isinstance(a, cst.For)]
        return any(isinstance(loop.target, cst.Name) and loop.target.value == callee.value for loop in loops)
    if isinstance(callee, cst.Attribute) and isinstance(callee.value, cst.Name) and callee.value.value == "self":
        owner = source.parent(source.parent(function) or function)
        if not isinstance(owner, cst.ClassDef):
            return False
        methods = {
            s.name.value for s in owner.body.body if isinstance(s, cst.FunctionDef)  # type: ignore[union-attr]
        }
        return callee.attr.value not in methods
    return False


def _enable_grad_around(source: SourceFile, statement: cst.SimpleStatementLine, torch_name: str) -> Edit:
    block = cst.With(
        items=[cst.WithItem(cst.parse_expression(f"{torch_name}.enable_grad()"))],
        body=cst.IndentedBlock(body=[statement.with_changes(leading_lines=[])]),
        leading_lines=statement.leading_lines,
    )
    return source.replace_statement(statement, block)


def _same_calls(source: SourceFile, call: cst.Call) -> list[cst.SimpleStatementLine]:
    """The other statements of the same function that call the same handed-in function under the
    same grad-off context, and that a ``with`` block can hold (a plain statement line)."""
    function = source.enclosing_function(call)
    context = _grad_off_context(source, call)
    if function is None or context is None:
        return []
    spelled = source.code(call.func)
    found: list[cst.SimpleStatementLine] = []
    for other in descendants(function, cst.Call):
        if other is call or source.code(other.func) != spelled or source.enclosing_function(other) is not function:
            continue
        if _grad_off_context(source, other) is not context:
            continue
        statement = source.statement_of(other)
        if isinstance(statement, cst.SimpleStatementLine) and not any(statement is s for s in found):
            if statement is not source.statement_of(call):
                found.append(statement)
    return found


def _call_at(source: SourceFile, site: Site) -> Optional[cst.Call]:
    calls = source.nodes_at(site, cst.Call)
    return calls[-1] if calls else None


class ClosureUnderNoGrad(Rule):
    code = "GF065"
    title = "the forward runs in a function handed to a caller with gradients off"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        backward = trace.graphless_backward()
        if backward is None or backward.graphless_by_cut or len(backward.grad_off_chain) < 2:
            return []
        chain = backward.grad_off_chain
        if backward.site is not None and project.is_editable(backward.site.file):
            source = project.source(backward.site.file)
            call = _call_at(source, backward.site)
            if call is not None and _grad_off_context(source, call) is not None:
                return []  # the backward itself sits under no_grad in its own function: GF011's, GF002's
        # The innermost frame that switched gradients off around its call; the frames inside it
        # (the closure, the forward) ran their code plainly.
        switched: Optional[tuple[int, SourceFile, Context]] = None
        for index, site in enumerate(chain):
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            call = _call_at(source, site)
            if call is None:
                continue
            context = _grad_off_context(source, call)
            if context is not None:
                switched = (index, source, context)
                break
        if switched is None or switched[0] == 0:
            return []  # no caller switched them off, or the forward's own function did: GF011, GF002
        index, switch_source, context = switched
        wraps: list[tuple[SourceFile, cst.Call, cst.SimpleStatementLine]] = []
        for site in chain[1 : index + 1]:
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            call = _call_at(source, site)
            if call is None or not _handed_in(source, call):
                continue
            statement = source.statement_of(call)
            if isinstance(statement, cst.SimpleStatementLine):
                wraps.append((source, call, statement))
        if not wraps:
            return []
        lost_all = trace.params_run_without_grad()
        lost = [n for n in lost_all if (p := trace.param(n)) is not None and p.optimizers] or lost_all or [
            p.name for p in trace.params if p.optimizers and p.requires_grad and not p.got_grad
        ]
        candidates: list[Candidate] = []
        for source, call, statement in wraps:
            torch_name = module_alias(source, "torch")
            if torch_name is None:
                continue
            line = source.range(call).start.line
            candidates.append(Candidate(
                f"turn gradients back on around `{source.code(call)}` (line {line})",
                [Patch(source.path, [_enable_grad_around(source, statement, torch_name)])],
                self.applicability,
            ))
            # A line search, L-BFGS's inner iterations: the same handed-in function called again
            # under the same switch would crash at its own backward() once the first call is fixed.
            others = _same_calls(source, call)
            if others:
                statements = [statement, *others]
                statements.sort(key=lambda s: source.range(s).start.line)
                lines = ", ".join(str(source.range(s).start.line) for s in statements)
                candidates.append(Candidate(
                    f"turn gradients back on around every call of `{source.code(call.func)}` (lines {lines})",
                    [Patch(source.path, [_enable_grad_around(source, s, torch_name) for s in statements])],
                    self.applicability,
                ))
        if not candidates:
            return []
        if isinstance(context, cst.Decorator):
            where = switch_source.range(context)
            # Unsafe: every caller of the decorated function runs with gradients on after it, not
            # only the handed-in function (an optimizer's in-place updates would be recorded).
            candidates.append(Candidate(
                f"remove the decorator at line {where.start.line}",
                [Patch(switch_source.path, [switch_source.remove_lines(where.start.line, where.end.line)])],
                Applicability.UNSAFE,
            ))
            said = f"`@{switch_source.code(context.decorator)}`"
        else:
            said = f"`with {', '.join(switch_source.code(i.item) for i in context.items)}:`"
        source, call, _ = wraps[0]
        function = source.enclosing_function(call)
        owner = function.name.value if function is not None else "its caller"
        forward = chain[0]
        message = (
            f"`{source.code(call)}` runs a function `{owner}()` was handed while gradients are off "
            f"({said} at line {switch_source.range(context).start.line}): its forward (line {forward.line}) "
            f"builds no graph, the loss has no grad_fn and backward() crashed; not reached from the loss: "
            f"{short_list(lost) or 'every parameter'}"
        )
        return [self.finding(project, source.site(call), message, lost, candidates)]
