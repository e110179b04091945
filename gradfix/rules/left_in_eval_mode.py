"""GF081: a model switched to evaluation mode (``model.eval()`` for a validation pass, a greedy
rollout, a metric) and never switched back, so that training runs in evaluation mode, and the
parameters that only take part in training mode never receive a gradient: NoisyNet's ``sigma``
(noise only while training), a stochastic-depth or dropout-style gate with learned rates, a
branch taken ``if self.training``.

The probe records, for each module user code calls with gradients on, whether it was in
evaluation mode at a call, and where user code called ``eval()`` on it. A finding needs
parameters an optimizer steps that never received a gradient, in a model that ran with
gradients on in evaluation mode, and a recorded ``eval()`` on it. The candidates put
``model.train()`` back, spelled as the ``eval()`` call spells its module: wherever the function
that called ``eval()`` ends (before each of its returns, also one inside a ``with`` block, and at
its end), after the statement that follows the ``eval()`` (the evaluation block), or first in the
loop body around it (each epoch starts in training mode). The re-run decides. Safe: training mode is what a
training step means; the validation in between still runs in evaluation mode.

Fine-tuning in evaluation mode on purpose (batch-norm statistics kept fixed) gives every
parameter its gradient, and is left alone.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import Site, Trace


def _eval_call(source: SourceFile, site: Site) -> Optional[cst.Call]:
    calls = [
        c for c in source.nodes_at(site, cst.Call)
        if isinstance(c.func, cst.Attribute) and (c.func.attr.value == "eval" and not c.args or c.func.attr.value == "train")
    ]
    return calls[-1] if calls else None


def _line_before(source: SourceFile, statement: cst.CSTNode, text: str) -> Edit:
    line = source.range(statement).start.line
    return source.insert_lines(line, f"{source.indentation(line)}{text}\n")


def _line_after(source: SourceFile, statement: cst.CSTNode, text: str) -> Edit:
    start, end = source.range(statement).start.line, source.range(statement).end.line
    return source.insert_lines(end + 1, f"{source.indentation(start)}{text}\n")


def _own_returns(source: SourceFile, function: cst.FunctionDef) -> list[cst.SimpleStatementLine]:
    """The statements of this function (not of functions inside it) that return."""
    found = []
    for line in source.positions:
        if isinstance(line, cst.SimpleStatementLine) and any(isinstance(s, cst.Return) for s in line.body):
            if source.enclosing_function(line) is function:
                found.append(line)
    return sorted(found, key=lambda n: source.range(n).start.line)


def _ends_in_return(statement: cst.BaseStatement) -> bool:
    """Every way through it ends in a return: nothing after it runs."""
    if isinstance(statement, cst.SimpleStatementLine):
        return any(isinstance(s, cst.Return) for s in statement.body)
    if isinstance(statement, (cst.With, cst.Try)) and isinstance(statement.body, cst.IndentedBlock) and statement.body.body:
        return _ends_in_return(statement.body.body[-1])
    if isinstance(statement, cst.If) and isinstance(statement.body, cst.IndentedBlock) and statement.body.body:
        other = statement.orelse
        if other is None:
            return False
        rest = other if isinstance(other, cst.If) else other.body.body[-1] if isinstance(other.body, cst.IndentedBlock) and other.body.body else None
        return rest is not None and _ends_in_return(statement.body.body[-1]) and _ends_in_return(rest)
    return False


def _next_statement(source: SourceFile, statement: cst.CSTNode) -> Optional[cst.BaseStatement]:
    """The statement after this one in its block, when it is not the end of a function."""
    block = source.parent(statement)
    if not isinstance(block, (cst.IndentedBlock, cst.Module)):
        return None
    body = list(block.body)
    index = next((i for i, s in enumerate(body) if s is statement), None)
    if index is None or index + 1 >= len(body):
        return None
    following = body[index + 1]
    if isinstance(following, cst.SimpleStatementLine) and any(isinstance(s, cst.Return) for s in following.body):
        return None
    return following


class LeftInEvalMode(Rule):
    code = "GF081"
    title = "model left in evaluation mode while it trains"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        stepped = {o.id for o in trace.optimizers if o.steps}
        for module in trace.modules:
            if not module.eval_with_grad or not module.eval_sites or not module.path:
                continue
            stuck = [
                p for p in trace.params
                if p.requires_grad and p.is_leaf and not p.got_grad and set(p.optimizers) & stepped
                and (p.name.startswith(f"{module.path}.") or p.name == module.path)
            ]
            if not stuck:
                continue
            candidates: list[Candidate] = []
            site = next((s for s in module.eval_sites if project.is_editable(s.file)), None)
            if site is None:
                continue
            source = project.source(site.file)
            call = _eval_call(source, site)
            if call is None or not isinstance(call.func, cst.Attribute):
                continue
            text = f"{source.code(call.func.value)}.train()"
            statement = source.statement_of(call)
            function = source.enclosing_function(call)
            if function is not None and isinstance(function.body, cst.IndentedBlock) and function.body.body:
                # before every return of the function (one inside a `with torch.no_grad():` too), and
                # at its end when it can run off it
                edits = [_line_before(source, r, text) for r in _own_returns(source, function)]
                last = function.body.body[-1]
                if not _ends_in_return(last):
                    edits.append(_line_after(source, last, text))
                candidates.append(self.candidate(f"`{text}` wherever `{function.name.value}()` ends, which switched it to evaluation mode", source.path, edits))
            following = _next_statement(source, statement) if statement is not None else None
            if following is not None:
                # `model.eval()`, then the evaluation block: training mode back once it is done
                candidates.append(self.candidate(f"`{text}` after the evaluation that follows `{source.code(call)}`", source.path, [_line_after(source, following, text)]))
            loop = next((a for a in source.ancestors(call) if isinstance(a, (cst.For, cst.While))), None)
            if loop is not None and isinstance(loop.body, cst.IndentedBlock) and loop.body.body:
                first = loop.body.body[0]
                candidates.append(self.candidate(f"`{text}` first in the loop around it: each pass starts in training mode", source.path, [_line_before(source, first, text)]))
            names = [p.name for p in stuck]
            one = len(names) == 1
            message = (
                f"`{module.path}` ran forward with gradients on in evaluation mode: `{source.code(call)}` here switched it, and "
                f"nothing switched it back; {short_list(names)} {'takes' if one else 'take'} part only in training mode "
                f"and never {'gets' if one else 'get'} a gradient"
            )
            finding_site = source.site(statement) if statement is not None else site
            return [self.finding(project, finding_site, message, names, candidates)]
        return []
