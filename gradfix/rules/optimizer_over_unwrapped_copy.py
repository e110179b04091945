"""GF050: the optimizer is built over a model that is not the one ``DistributedDataParallel``
trains: the model a copy was made from (``DDP(copy.deepcopy(model_cpu).to(device))`` while
``SGD(model_cpu.parameters())``; a replica given ``base.state_dict()``), or the model a copy of it
was made for (a student initialised as a copy of its teacher, the optimizer over the teacher).

The wrapped copy receives its all-reduced gradients on every step and never changes; the
optimizer steps parameters that no loss reaches. The probe follows every parameter copied from
another (``copy.deepcopy`` of a module, ``load_state_dict`` given another module's
``state_dict()``); the rule fires when an optimizer steps while none of its parameters ever
received a gradient, and parameters of a DDP wrapper that ran, copies of the optimizer's (or
their sources), receive gradients that no optimizer holds.

The fix builds the optimizer over the wrapper: the model in its parameter argument becomes the
wrapper (``model_cpu.parameters()`` -> ``ddp.parameters()``; in param groups,
``net.head.parameters()`` -> ``model.module.head.parameters()``), and a construction that comes
before the wrapper exists moves to just after the statement that binds it. Every rank is re-run:
the wrapped parameters must receive gradients, change, and be equal in every rank after the step.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import is_dotted_name
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import ModuleFact, OptimizerFact, Trace
from gradfix.verify import judge_across_ranks


class OptimizerOverUnwrappedCopy(Rule):
    code = "GF050"
    title = "optimizer built over a model other than the one DistributedDataParallel trains"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for optimizer in trace.optimizers:
            trained = trace.copies_trained_instead(optimizer)
            if not trained or optimizer.site is None or not project.is_editable(optimizer.site.file):
                continue
            first = trace.param(trained[0])
            wrapper = trace.module(first.module) if first is not None and first.module is not None else None
            if wrapper is None:
                continue
            source = project.source(optimizer.site.file)
            held = trace.param(optimizer.params[0])
            model = [name for name, mid in optimizer.scope_modules.items() if held is not None and mid == held.module and is_dotted_name(name)]
            names = self._wrapper_names(trace, optimizer, wrapper)
            candidates = [c for name in names[:2] if (c := self._rebuilt(source, optimizer, model, name)) is not None]
            built = f"`{optimizer.name}`" if optimizer.name else "the optimizer"
            over = f"`{model[0]}`" if model else "a model"
            said = f"`{names[0]}`" if names else "its DistributedDataParallel wrapper"
            message = (
                f"{built} is built here over {over}, whose parameters no loss reaches ({short_list(optimizer.params)} "
                f"never receive a gradient), while DistributedDataParallel trains {said}, a copy "
                f"{'of it' if first is not None and first.copy_of in optimizer.params else 'it was made from'}: "
                f"{short_list(trained)} receive all-reduced gradients that no optimizer applies; build the "
                f"optimizer over {said}"
            )
            findings.append(self.finding(project, optimizer.site, message, trained, candidates))
        return findings

    @staticmethod
    def _wrapper_names(trace: Trace, optimizer: OptimizerFact, wrapper: ModuleFact) -> list[str]:
        """What the optimizer's code can call the wrapper: the name a backward's frame of the same
        function gave the copy its loss reached (``ddp``; ``self.model`` from another method of
        the object), then the wrapper's own name."""
        assert optimizer.site is not None
        found = []
        for fact in trace.copy_backwards:
            same = fact.site.file == optimizer.site.file and (
                fact.site.function == optimizer.site.function or fact.copy.startswith("self.")
            )
            if same and is_dotted_name(fact.copy):
                found.append(fact.copy)
        if is_dotted_name(wrapper.name):
            found.append(wrapper.name)  # type: ignore[arg-type]
        return list(dict.fromkeys(found))

    def _rebuilt(self, source: SourceFile, optimizer: OptimizerFact, model: list[str], wrapper: str) -> Optional[Candidate]:
        assert optimizer.site is not None
        calls = source.nodes_at(optimizer.site, cst.Call)
        statement = source.statement_of(calls[0]) if calls else None
        if not calls or not isinstance(statement, cst.SimpleStatementLine):
            return None
        call = calls[0]
        arg = next((a for a in call.args if a.keyword is None or a.keyword.value == "params"), None)
        if arg is None or arg.star:
            return None
        new = _over_wrapper(arg.value, model, wrapper)
        if new is None:
            return None
        block = source.parent(statement)
        body = list(getattr(block, "body", []))
        binding = next((s for s in body[body.index(statement) + 1 :] if wrapper in _bound(source, s)), None) if statement in body else None
        said = f"build the optimizer over `{wrapper}`"
        if binding is None:
            return self.candidate(said, source.path, [source.replace_node(arg.value, new)])
        targets = _bound(source, statement)
        between = body[body.index(statement) + 1 : body.index(binding) + 1]
        if any(_mentions(source, s, targets) for s in between):
            return None  # the optimizer is used before the wrapper exists
        moved = statement.deep_replace(arg.value, new)
        first, own = source.statement_lines(statement, with_comments=True)[0], source.statement_lines(statement, with_comments=False)[0]
        text = source.text[first:own] + source.indentation(source.range(binding).start.line) + source.module.code_for_node(
            moved.with_changes(leading_lines=[])  # type: ignore[union-attr]
        )
        _, end = source.statement_lines(binding, with_comments=False)
        position = source.position(end)
        edits = [source.remove_statement(statement, moved=True), Edit(position, position, text)]
        return self.candidate(f"{said}, after it is built", source.path, edits)

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        return judge_across_ranks(finding, candidate, before, run)


class _ToWrapper(cst.CSTTransformer):
    """``S.parameters()`` -> ``W.parameters()``; any other ``S`` -> ``W.module`` (``S.head``)."""

    def __init__(self, model: list[str], wrapper: str):
        super().__init__()
        self.model = set(model)
        self.wrapper = wrapper
        self.changed = False
        self.not_read: set[int] = set()

    def _code(self, node: cst.CSTNode) -> str:
        return cst.Module([]).code_for_node(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.not_read.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.not_read.add(id(node.keyword))

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = original.func
        if isinstance(func, cst.Attribute) and func.attr.value == "parameters" and self._code(func.value) in self.model and not original.args:
            self.changed = True
            return updated.with_changes(func=cst.Attribute(cst.parse_expression(self.wrapper), cst.Name("parameters")))
        return updated

    def _swap(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression:
        if self._code(original) in self.model:
            self.changed = True
            return cst.parse_expression(f"{self.wrapper}.module").with_changes(lpar=updated.lpar, rpar=updated.rpar)  # type: ignore[attr-defined]
        return updated

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        return self._swap(original, updated)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        return updated if id(original) in self.not_read else self._swap(original, updated)


def _over_wrapper(expression: cst.BaseExpression, model: list[str], wrapper: str) -> Optional[cst.BaseExpression]:
    if not model or not is_dotted_name(wrapper):
        return None
    change = _ToWrapper(model, wrapper)
    new = expression.visit(change)
    return new if change.changed else None  # type: ignore[return-value]


def _bound(source: SourceFile, statement: cst.CSTNode) -> set[str]:
    """The targets a simple statement assigns, as written (``ddp``, ``self.model``)."""
    return {source.code(t.target).strip() for t in descendants(statement, cst.AssignTarget)}


def _mentions(source: SourceFile, node: cst.CSTNode, codes: set[str]) -> bool:
    """Whether ``node`` names one of ``codes`` (``optimizer``, ``self.optimizer``)."""
    attrs = {id(a.attr) for a in descendants(node, cst.Attribute)}
    names = [n for n in descendants(node, cst.Name) if id(n) not in attrs]
    return any(source.code(n) in codes for n in [*names, *descendants(node, cst.Attribute)])
