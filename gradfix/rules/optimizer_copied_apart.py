"""GF064: the optimizer was copied or loaded apart from its model, and steps orphan copies of the
weights.

An optimizer holds its parameters by identity. Copied or unpickled together (one ``copy.deepcopy``
of an object holding both, one ``torch.save`` of a dict of both), the model and the optimizer keep
sharing them. Copied apart (``torch.save`` or ``pickle.dumps`` of each in its own call, a
``__getstate__`` that serialises each attribute on its own, ``copy.deepcopy`` of each), each gets
its own copies of the same tensors: the optimizer steps copies no loss reaches, and the model that
runs gets gradients no optimizer holds. Nothing raises; the model never changes.

The probe sees it at the first ``step()`` of an optimizer that was never built (unpickled or
copied): none of its tensors holds a gradient, and a module that ran with gradients on has
parameters of the same shapes, in the same order and with the same values, that hold gradients
and that no optimizer holds. The outermost user frame around the step that names both (``n2.
optimizer_`` and ``n2.module_``, ``optimizer`` and ``model``) is where the copy was made.

Candidates, most conservative first, right after the statement of that frame that last bound the
optimizer, the model or their owner before the call that trained (the copy or the load): rebuild
the optimizer over the model's parameters with its own class and defaults (with several groups,
each group over as many of them, in order, as it held, with its own settings) and load the old
one's state into it (its momentum and step counts carry over); with one parameter group, put the
model's parameters in that group.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.expressions import is_dotted_name
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import OrphanedOptimizer, Trace


class OptimizerCopiedApart(Rule):
    code = "GF064"
    title = "optimizer copied or loaded apart from its model"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for fact in trace.orphaned_optimizers:
            site = fact.sites[fact.frame] if 0 <= fact.frame < len(fact.sites) else None
            if site is None or not project.is_editable(site.file):
                continue
            stuck = [name for name in fact.params if (p := trace.param(name)) is not None and p.got_grad and not p.optimizers]
            if not stuck:
                continue
            source = project.source(site.file)
            if not all(_spelled(source, path) for path in (fact.optimizer_path, fact.module_path)):
                continue
            call = _statement_at(source, site.line)
            if call is None:
                continue
            anchor = _last_binding(source, call, {fact.optimizer_path, fact.module_path, _root(fact.optimizer_path), _root(fact.module_path)})
            candidates = self._candidates(source, fact, anchor or call, after=anchor is not None)
            where = source.site(anchor) if anchor is not None else site
            made = f"at line {where.line}" if anchor is not None else "before this call"
            message = (
                f"`{fact.optimizer_path}` and `{fact.module_path}` were copied or loaded apart {made}: the optimizer "
                f"holds its own copies of the weights, not `{fact.module_path}`'s parameters, so it steps tensors "
                f"nothing uses while {short_list(stuck)} receive gradients that no optimizer applies"
            )
            findings.append(self.finding(project, where, message, stuck, candidates))
        return findings

    def _candidates(self, source: SourceFile, fact: OrphanedOptimizer, statement: cst.BaseStatement, after: bool) -> list[Candidate]:
        optimizer, model = fact.optimizer_path, fact.module_path
        start, end = source.range(statement).start.line, source.range(statement).end.line
        indent = source.indentation(start)
        line = end + 1 if after else start
        rebuilt = _free_name(source, "rebuilt_optimizer")
        if fact.groups == 1:
            over = f"{model}.parameters()"
            first = ""
        else:
            # The run showed the optimizer's tensors are the model's parameters over again, in
            # order: each group takes as many of them as it held, with its own settings.
            remaining = _free_name(source, "model_parameters")
            first = f"{indent}{remaining} = list({model}.parameters())\n"
            over = f'[dict(group, params=[{remaining}.pop(0) for _ in group["params"]]) for group in {optimizer}.param_groups]'
        kept = (
            f"{first}"
            f"{indent}{rebuilt} = type({optimizer})({over}, **{optimizer}.defaults)\n"
            f"{indent}{rebuilt}.load_state_dict({optimizer}.state_dict())\n"
            f"{indent}{optimizer} = {rebuilt}\n"
        )
        candidates = [
            self.candidate(
                f"rebuild `{optimizer}` over `{model}.parameters()`, keeping its state", source.path,
                [source.insert_lines(line, kept)],
            )
        ]
        if fact.groups == 1:
            group = f'{indent}{optimizer}.param_groups[0]["params"] = list({model}.parameters())\n'
            candidates.append(
                self.candidate(f"put `{model}`'s parameters in `{optimizer}`'s parameter group", source.path, [source.insert_lines(line, group)])
            )
        return candidates


def _root(path: str) -> str:
    return path.split(".", 1)[0]


def _spelled(source: SourceFile, path: str) -> bool:
    """The run can name anything; a fix only writes what the file itself spells."""
    if not is_dotted_name(path):
        return False
    root, *attrs = path.split(".")
    return root in source.bindings and all(f".{attr}" in source.text for attr in attrs)


def _statement_at(source: SourceFile, line: int) -> Optional[cst.SimpleStatementLine]:
    """The simple statement that made the call on a line (``n2.partial_fit(X, y)``)."""
    for statement in source.statements_on_line(line):
        if isinstance(statement, cst.SimpleStatementLine):
            return statement
    for node, where in source.positions.items():
        if isinstance(node, cst.SimpleStatementLine) and where.start.line <= line <= where.end.line:
            return node
    return None


def _binds(source: SourceFile, statement: cst.CSTNode, targets: set[str]) -> bool:
    assigned: list[cst.BaseExpression] = [t.target for t in descendants(statement, cst.AssignTarget)]
    assigned += [node.target for node in descendants(statement, cst.AnnAssign)]
    # `model, optimizer = torch.load(a), torch.load(b)`: each element is bound
    assigned += [e.value for target in assigned if isinstance(target, (cst.Tuple, cst.List)) for e in target.elements]
    return any(source.code(target).strip() in targets for target in assigned)


def _last_binding(source: SourceFile, statement: cst.BaseStatement, targets: set[str]) -> Optional[cst.SimpleStatementLine]:
    """The last simple statement before ``statement`` (in its block, then in the blocks around it,
    inside the same function) that binds one of ``targets``: the copy or the load."""
    node: cst.CSTNode = statement
    while True:
        block = source.parent(node)
        if block is None:
            return None
        body = getattr(block, "body", ())
        body = list(body) if isinstance(body, (list, tuple)) else []  # a def's body is an IndentedBlock
        if node in body:
            for before in reversed(body[: body.index(node)]):
                if isinstance(before, (cst.FunctionDef, cst.ClassDef)):
                    continue
                found = [s for s in descendants(before, cst.SimpleStatementLine) if _binds(source, s, targets)]
                if isinstance(before, cst.SimpleStatementLine) and _binds(source, before, targets):
                    return before
                if found:
                    return found[-1]
        if isinstance(block, (cst.FunctionDef, cst.Module)):
            return None
        node = block


def _free_name(source: SourceFile, name: str) -> str:
    taken = source.bindings
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}_{number}", number + 1
    return candidate
