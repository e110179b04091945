"""GF011: ``@torch.no_grad()`` on the training step, or a global ``torch.set_grad_enabled(False)``.

The forward inside the decorated function (or everything after the global switch) records no
graph, and ``loss.backward()`` raises "element 0 of tensors does not require grad". The fix removes
the decorator, or the global switch. A decorated function that only evaluates never reaches
``backward()`` with a graph-less loss, and is left alone.
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from gradfix.edits import Patch
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.torch_api import GRAD_DISABLING, GRAD_SWITCH, disables_grad
from gradfix.trace import Site, Trace


def _no_grad_decorator(source: SourceFile, node: cst.CSTNode) -> Optional[cst.Decorator]:
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef):
            for decorator in ancestor.decorators:
                expression = decorator.decorator
                if isinstance(expression, cst.Call) and disables_grad(source, expression):
                    return decorator
                if not isinstance(expression, cst.Call) and source.qualified_names(expression) & GRAD_DISABLING:
                    return decorator
    return None


class NoGradDecorator(Rule):
    code = "GF011"
    title = "gradients switched off for the training step"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        backward = trace.graphless_backward()
        if backward is None:
            return []
        lost = trace.params_run_without_grad()
        for site in self._sites(backward.site, backward.no_grad_forwards):
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            for call in source.nodes_at(site, cst.Call):
                decorator = _no_grad_decorator(source, call)
                if decorator is None:
                    continue
                where = source.range(decorator)
                edit = source.remove_lines(where.start.line, where.end.line)
                candidate = Candidate("remove the decorator", [Patch(source.path, [edit])], self.applicability)
                message = (
                    f"`@{source.code(decorator.decorator)}` turns gradients off for the whole function, so the "
                    f"loss has no grad_fn and backward() crashed; not reached from the loss: {short_list(lost) or 'every parameter'}"
                )
                return [self.finding(project, Site(source.path, where.start.line, where.start.column), message, lost, [candidate])]
        for site in trace.grad_switches:
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            for call in source.nodes_at(site, cst.Call):
                statement = source.statement_of(call)
                if not isinstance(statement, cst.SimpleStatementLine) or not isinstance(statement.body[0], cst.Expr):
                    continue  # `with torch.set_grad_enabled(False):` is GF002's
                if not (source.qualified_names(call.func) & GRAD_SWITCH and disables_grad(source, call)):
                    continue
                candidate = Candidate(
                    "remove the global switch", [Patch(source.path, [source.remove_statement(statement)])], self.applicability
                )
                message = (
                    f"`{source.code(call)}` turns gradients off for everything after it, so the loss has no "
                    f"grad_fn and backward() crashed; not reached from the loss: {short_list(lost) or 'every parameter'}"
                )
                return [self.finding(project, site, message, lost, [candidate])]
        return []

    @staticmethod
    def _sites(first: Optional[Site], more: list[Site]) -> Iterator[Site]:
        if first is not None:
            yield first
        yield from reversed(more)
