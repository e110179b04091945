"""GF039: gradients wiped between ``backward()`` and ``step()`` by something other than ``zero_grad()``.

``clip_grad_norm_(params, 0.0)`` does not mean "no clipping": it scales every gradient by
``max_norm / norm``, which is 0, so the optimizer steps with zero gradients and nothing trains. The
0 usually comes from a config (``max_grad_norm=0.0``, ``--clip 0``). ``clip_grad_value_(params, 0)``
clamps every gradient to 0 the same way. A loop that clears the gradients by hand (``p.grad =
None``, ``p.grad.zero_()``) between ``backward()`` and ``step()``, or a multiplication by a factor
that is 0, wipes them too. The probe watches the gradients a ``backward()`` leaves not zero until
the next ``step()``: which call in user code left them at 0 (or None), and whether the step then
found them so. The rule fires when that happened before every step of the optimizer.

Fixes: for a clip whose bound is an expression, guard the call (``if max_norm > 0:``), or, when the
clip's result is used, clip at ``max_norm or float("inf")``; for a literal 0, delete the call (or
clip at ``float("inf")`` when its result is used). A clearing statement moves to the top of its
block, before the forward and ``backward()``, or is deleted when the block already clears the
gradients there. A multiplication by a factor that is 0 is named without a fix. ``zero_grad()``
between ``backward()`` and ``step()`` is GF009's.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants, is_zero_literal
from gradfix.trace import GradWipe, Trace

# torch's clipping functions and the argument that bounds the gradients: keyword, position
_CLIPS = {
    "clip_grad_norm_": ("max_norm", 1),
    "clip_grad_norm": ("max_norm", 1),
    "clip_grad_value_": ("clip_value", 1),
    "clip_grads_with_norm_": ("max_norm", 1),
}
# in-place writes that clear a gradient whatever their argument
_CLEARING = {"zero_", "grad = None", "grad = tensor"}
# expressions that need parentheses before `> 0` or `or ...`
_LOOSE = (cst.BooleanOperation, cst.IfExp, cst.Lambda, cst.NamedExpr, cst.Comparison, cst.UnaryOperation)


def _grouped(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, _LOOSE) and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def _infinity() -> cst.Call:
    return cst.Call(cst.Name("float"), [cst.Arg(cst.SimpleString('"inf"'))])


def _bound_arg(call: cst.Call, keyword: str, position: int) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if len(positional) > position and all(not a.star for a in call.args[: position + 1]):
        return positional[position]
    return None


def _callee(call: cst.Call) -> str:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return ""


def _alone(source: SourceFile, call: cst.Call) -> Optional[cst.SimpleStatementLine]:
    """The statement line, when the call is all of it (its result unused)."""
    statement = source.statement_of(call)
    if (
        isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr) and statement.body[0].value is call
        and isinstance(source.parent(statement), cst.IndentedBlock)
    ):
        return statement
    return None


def _in_block(source: SourceFile, node: cst.CSTNode, block: cst.IndentedBlock) -> Optional[cst.BaseStatement]:
    """The statement of ``block`` that holds ``node``."""
    for inner in [node, *source.ancestors(node)]:
        if isinstance(inner, cst.BaseStatement) and source.parent(inner) is block:
            return inner
    return None


def _calls_zero_grad(statement: cst.BaseStatement) -> bool:
    return any(_callee(c) == "zero_grad" for c in descendants(statement, cst.Call))


class WipedGradients(Rule):
    code = "GF039"
    title = "gradients wiped between backward() and step() (clipped to 0, cleared or scaled by 0)"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for wipe in trace.grad_wipes:
            optimizer = next((o for o in trace.optimizers if o.id == wipe.optimizer), None)
            # Every step found them wiped: a warm-up step at 0 followed by real ones is a choice.
            if optimizer is None or not optimizer.steps or wipe.steps < optimizer.steps:
                continue
            params = [n for n in wipe.params if (p := trace.param(n)) is not None and p.requires_grad and p.is_leaf]
            if not params or not project.is_editable(wipe.site.file):
                continue
            source = project.source(wipe.site.file)
            candidates: list[Candidate] = []
            if wipe.op in _CLIPS:
                if wipe.limit != 0:
                    continue  # a clip that wiped with a bound that is not 0: not this fault
                what, candidates = self._clip(source, wipe)
            elif optimizer.steps_without_grad < optimizer.steps:
                # Other parameters of the optimizer kept their gradients: zeroing the gradients of
                # a few by hand is a way of freezing them (a pretrained embedding, a backbone).
                continue
            else:
                what, candidates = self._clearing(project, trace, wipe)
            one = len(params) == 1
            steps = f"each of the {wipe.steps} steps" if wipe.steps != 1 else "its one step"
            message = (
                f"{what}; at {steps} of {f'`{optimizer.name}`' if optimizer.name else 'the optimizer'}, the gradient"
                f"{'' if one else 's'} of {short_list(params)} {'was' if one else 'were'} 0, so "
                f"{'it is' if one else 'they are'} never trained"
            )
            findings.append(self.finding(project, wipe.site, message, params, candidates[:6]))
        return findings

    # -- clipping ------------------------------------------------------------------------------

    def _clip(self, source: SourceFile, wipe: GradWipe) -> tuple[str, list[Candidate]]:
        keyword, position = _CLIPS[wipe.op]
        norm = f"; the gradients' norm was {wipe.total_norm:.3g} before it" if wipe.total_norm else ""
        effect = "multiplies every gradient by 0" if "norm" in wipe.op else "clamps every gradient to 0"
        what = f"{wipe.op}() is called with {keyword} 0: it {effect} before step() (0 does not mean 'no clipping'){norm}"
        calls = [c for c in source.nodes_at(wipe.site, cst.Call) if _callee(c) in _CLIPS]
        if len(calls) != 1:
            return what, []
        call = calls[0]
        arg = _bound_arg(call, keyword, position)
        if arg is None:
            return what, []
        bound = arg.value
        shown = source.code(bound)
        if not is_zero_literal(bound):
            what = what.replace(f"with {keyword} 0", f"with {keyword} `{shown}`, which is 0", 1)
        alone = _alone(source, call)
        candidates = []
        if is_zero_literal(bound):
            if alone is not None:
                candidates.append(self.candidate(
                    f"delete the {wipe.op}() call: clipping to {shown} wipes the gradients", source.path,
                    [source.remove_statement(alone)],
                ))
            candidates.append(self.candidate(
                f"clip at float(\"inf\") instead of {shown}: no clipping, and the call still returns the norm", source.path,
                [source.replace_node(bound, _infinity())],
            ))
            return what, candidates
        if alone is not None:
            guard = cst.If(
                test=cst.Comparison(_grouped(bound), [cst.ComparisonTarget(cst.GreaterThan(), cst.Integer("0"))]),
                body=cst.IndentedBlock([alone.with_changes(leading_lines=())]),
                leading_lines=alone.leading_lines,
            )
            candidates.append(self.candidate(
                f"clip only when `{shown} > 0`: a bound of 0 then means no clipping", source.path,
                [source.replace_statement(alone, guard)],
            ))
        candidates.append(self.candidate(
            f"clip at `{shown} or float(\"inf\")`: a bound of 0 then means no clipping", source.path,
            [source.replace_node(bound, cst.BooleanOperation(_grouped(bound), cst.Or(), _infinity()))],
        ))
        if alone is not None:
            candidates.append(self.candidate(
                f"delete the {wipe.op}() call", source.path, [source.remove_statement(alone)],
            ))
        return what, candidates

    # -- clearing and scaling by hand ------------------------------------------------------------

    def _clearing(self, project: Project, trace: Trace, wipe: GradWipe) -> tuple[str, list[Candidate]]:
        source = project.source(wipe.site.file)
        shown = f".{wipe.op}" if wipe.op.startswith("grad =") else f"{wipe.op}()"
        calls = [c for c in source.nodes_at(wipe.site, cst.Call) if _callee(c) == wipe.op]
        lines = source.statements_on_line(wipe.site.line)
        if len(calls) == 1:
            shown = source.code(calls[0])
        elif wipe.op.startswith("grad =") and len(lines) == 1 and isinstance(lines[0], cst.SimpleStatementLine):
            shown = source.code(lines[0].body[0])
        clears = wipe.op in _CLEARING or (len(calls) == 1 and bool(calls[0].args) and is_zero_literal(calls[0].args[0].value))
        if not clears:
            what = f"`{shown}` between backward() and step() multiplies every gradient by 0"
            return what, []
        what = f"`{shown}` between backward() and step() clears the gradients that backward() just computed"
        step = next((e.site for e in trace.order if e.kind == "step" and e.optimizer == wipe.optimizer and e.site), None)
        if step is None or step.file != wipe.site.file:
            return what, []
        steps = source.nodes_at(step, cst.Call)
        step_statement = source.statement_of(steps[0]) if steps else None
        block = source.parent(step_statement) if step_statement is not None else None
        if not isinstance(block, cst.IndentedBlock):
            return what, []
        # The statement of that block that does the clearing: the wipe's own, or the call of the
        # helper that does it.
        statement = None
        for site in [wipe.site, *wipe.callers]:
            if site.file != source.path:
                break
            on_line = source.statements_on_line(site.line)
            statement = _in_block(source, on_line[0], block) if on_line else None
            if statement is not None:
                break
        if statement is None:
            return what, []
        body = list(block.body)
        index = body.index(statement)
        if index > body.index(step_statement):  # type: ignore[arg-type]
            return what, []
        before = body[:index]
        if any(_calls_zero_grad(s) or source.code(s).strip() == source.code(statement).strip() for s in before):
            candidate = self.candidate(
                "delete the clearing between backward() and step(): the block already clears the gradients before the forward",
                source.path, [source.remove_statement(statement)],
            )
            return what, [candidate]
        if index == 0:
            return what, []
        start, end = source.statement_lines(statement, with_comments=True)
        top, _ = source.statement_lines(body[0], with_comments=True)
        moved = self.candidate(
            "clear the gradients first, before the forward and backward()", source.path,
            [source.insert_lines(source.position(top).line, source.text[start:end]), source.remove_statement(statement, moved=True)],
        )
        return what, [moved]
