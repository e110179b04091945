"""GF062: a parameter replaced by a new ``nn.Parameter`` after an optimizer that held it was built.

``q.scale = nn.Parameter(stats)`` (a range initialisation, a calibration, weight surgery),
``setattr(m, name, nn.Parameter(...))`` or ``m.register_parameter(name, nn.Parameter(...))`` over a
name the module already had, run after ``optimizer = SGD(model.parameters())``: the module now uses
a tensor that no optimizer holds. It receives gradients on every backward and never changes, while
the optimizer goes on stepping the old tensor, which nothing uses any more. torch says nothing.

The probe records, at each such assignment made by user code, which optimizers held the parameter
it replaced. The rule fires when one did, that optimizer steps, and the new parameter requires grad,
receives gradients, is held by no optimizer and ends the run unchanged. A replacement made before
the optimizer is built, or followed by an optimizer built again over the new parameters, gives
nothing. So does an optimizer one of whose groups the script set to a one-shot iterable
(``param_groups[0]["params"] = model.parameters()``, meant to take the new parameter in): GF066
reports that.

The candidates, smallest first; the re-run judges (a value of another shape cannot be copied in,
and that candidate fails):

- write the values into the parameter the optimizer holds: ``q.scale.data.copy_(stats)`` (for
  ``setattr``/``register_parameter``: ``getattr(m, name).data.copy_(...)``); a trailing
  ``.clone()``/``.detach()`` of the value goes, the copy makes it;
- the same under ``with torch.no_grad():`` with ``.copy_(...)``;
- build the optimizer after the statement of its own function that led to the replacement (the
  call of the range initialisation), when that statement follows it in the same block and nothing
  in between, that statement included, uses the optimizer.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import spelled_or_imported
from gradfix.trace import AttributeFact, OptimizerFact, Trace


class ReplacedParameter(Rule):
    code = "GF062"
    title = "parameter replaced by a new nn.Parameter after the optimizer was built"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        # An optimizer whose param group the script re-pointed at the model's parameters with a
        # one-shot iterable tried to take the new parameter: that iterable, used up, is the fault
        # (GF066), and copying into the old tensor would train the wrong one.
        stepping = {o.id for o in trace.optimizers if o.steps and not o.one_shot_groups}
        by_site: dict[tuple[str, int, Optional[int]], list[tuple[str, AttributeFact]]] = {}
        for attribute in trace.attributes:
            if attribute.kind != "parameter" or attribute.site is None or not set(attribute.replaced_held) & stepping:
                continue
            p = trace.param(f"{attribute.owner_name}.{attribute.attr}")
            if p is None or not (p.requires_grad and p.is_leaf and p.got_grad) or p.optimizers or p.changed:
                continue
            site = attribute.site
            by_site.setdefault((site.file, site.line, site.column), []).append((p.name, attribute))
        findings = []
        for items in by_site.values():
            names = [n for n, _ in items]
            first = items[0][1]
            assert first.site is not None
            if not project.is_editable(first.site.file):
                continue
            optimizer = trace.optimizers[next(i for i in first.replaced_held if i in stepping)]
            candidates = self._write_in_place(project.source(first.site.file), first.site.line, names)
            candidates += self._move_optimizer(project, optimizer, first, names)
            one = len(names) == 1
            built = f" (line {optimizer.site.line})" if optimizer.site is not None else ""
            message = (
                f"{short_list(names)} {'receives' if one else 'receive'} gradients but no optimizer holds "
                f"{'it' if one else 'them'}: this line replaces {'it' if one else 'each'} with a new nn.Parameter after the "
                f"optimizer{built} was built, and the optimizer goes on stepping the old "
                f"{'tensor' if one else 'tensors'}, which the model no longer uses"
            )
            findings.append(self.finding(project, first.site, message, names, candidates))
        return findings

    def _write_in_place(self, source: SourceFile, line: int, names: list[str]) -> list[Candidate]:
        """``x.data.copy_(v)`` and ``with torch.no_grad(): x.copy_(v)`` in place of the statement
        that made the new parameter."""
        statements = [s for s in source.statements_on_line(line) if isinstance(s, cst.SimpleStatementLine) and len(s.body) == 1]
        if len(statements) != 1:
            return []
        statement = statements[0]
        found = _replacement(source, statement.body[0])
        if found is None:
            return []
        target, value = found
        copy = cst.parse_statement(f"{target}.data.copy_({value})\n", config=source.module.config_for_parsing)
        candidates = [self.candidate(
            f"copy the new values into {target}, which the optimizer holds", source.path,
            [source.replace_statement(statement, copy)], names,
        )]
        no_grad, imported = spelled_or_imported(source, "torch.no_grad")
        unit = source.module.default_indent
        block = cst.parse_statement(f"with {no_grad}():\n{unit}{target}.copy_({value})\n", config=source.module.config_for_parsing)
        candidates.append(self.candidate(
            f"copy the new values into {target} under {no_grad}()", source.path,
            [*imported, source.replace_statement(statement, block)], names,
        ))
        return candidates

    def _move_optimizer(self, project: Project, optimizer: OptimizerFact, fact: AttributeFact, names: list[str]) -> list[Candidate]:
        """Build the optimizer after the statement of its own block that led to the replacement."""
        if optimizer.site is None or not project.is_editable(optimizer.site.file):
            return []
        source = project.source(optimizer.site.file)
        calls = source.nodes_at(optimizer.site, cst.Call)
        opt_statement = source.statement_of(calls[0]) if len(calls) == 1 else None
        if not isinstance(opt_statement, cst.SimpleStatementLine) or len(opt_statement.body) != 1:
            return []
        assign = opt_statement.body[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return []
        name = source.code(assign.targets[0].target)
        block = source.parent(opt_statement)
        if not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return []
        body = list(block.body)
        start = next(i for i, s in enumerate(body) if s is opt_statement)
        for site in [s for s in fact.chain if s.file == source.path]:
            # The frame of the optimizer's block that led to the assignment (the call of the
            # range initialisation, or the assignment itself when written there).
            for statement in source.statements_on_line(site.line):
                node: Optional[cst.CSTNode] = statement
                while node is not None and source.parent(node) is not block:
                    node = source.parent(node)
                end = next((i for i, s in enumerate(body) if s is node), -1)
                if end <= start:
                    continue
                if any(_mentions(source, s, name) for s in body[start + 1 : end + 1]):
                    return []  # the optimizer is used before it: it already trained with the old tensors
                first_offset, _ = source.statement_lines(opt_statement, with_comments=True)
                first_line = source.position(first_offset).line
                moved = source.text[first_offset : source.statement_lines(opt_statement, with_comments=False)[1]]
                after = source.range(body[end]).end.line + 1
                return [self.candidate(
                    f"build the optimizer after line {source.range(body[end]).start.line}, once the parameters were replaced",
                    source.path,
                    [source.remove_lines(first_line, source.range(opt_statement).end.line), source.insert_lines(after, moved)],
                    names,
                )]
        return []


def _parameter_value(source: SourceFile, node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """The data of ``nn.Parameter(data)`` (``requires_grad=True`` allowed), with a trailing
    ``.clone()``/``.detach()`` taken off: copying into the old parameter makes a copy already."""
    if not isinstance(node, cst.Call) or source.code(node.func).rsplit(".", 1)[-1] != "Parameter":
        return None
    positional = [a for a in node.args if a.keyword is None and a.star == ""]
    others = [a for a in node.args if a.keyword is not None]
    if len(positional) != 1 or any(a.keyword.value != "requires_grad" or source.code(a.value) != "True" for a in others if a.keyword):
        return None
    value = positional[0].value
    while isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Attribute) and value.func.attr.value in ("clone", "detach"):
        value = value.func.value
    return value


def _replacement(source: SourceFile, small: cst.BaseSmallStatement) -> Optional[tuple[str, str]]:
    """The parameter a statement replaces, as an expression, and the new values' code:
    ``m.w = nn.Parameter(v)``, ``setattr(m, name, nn.Parameter(v))``, ``m.register_parameter(name, nn.Parameter(v))``."""
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Attribute):
        value = _parameter_value(source, small.value)
        return (source.code(small.targets[0].target), source.code(value)) if value is not None else None
    if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
        return None
    call = small.value
    args = [a for a in call.args if a.keyword is None and a.star == ""]
    if len(args) != len(call.args):
        return None
    if isinstance(call.func, cst.Name) and call.func.value == "setattr" and len(args) == 3:
        owner, attr, given = (source.code(args[0].value), source.code(args[1].value), args[2].value)
    elif isinstance(call.func, cst.Attribute) and call.func.attr.value == "register_parameter" and len(args) == 2:
        owner, attr, given = (source.code(call.func.value), source.code(args[0].value), args[1].value)
    else:
        return None
    value = _parameter_value(source, given)
    return (f"getattr({owner}, {attr})", source.code(value)) if value is not None else None


def _mentions(source: SourceFile, statement: cst.CSTNode, name: str) -> bool:
    return any(source.code(n) == name for n in descendants(statement, cst.CSTNode) if isinstance(n, (cst.Name, cst.Attribute)))
