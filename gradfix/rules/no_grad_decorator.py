"""GF011: ``@torch.no_grad()`` on the training step or on a helper that computes the loss, or a
global ``torch.set_grad_enabled(False)``.

The forward inside the decorated function (or everything after the global switch) records no
graph, and ``loss.backward()`` raises "element 0 of tensors does not require grad". So does a loss
computed in a decorated helper from outputs that do carry a graph (a Trainer's shared
``compute_losses``, a loss module's ``forward``): the probe remembers the line where the loss's
value was computed with gradients off from a tensor that required grad, and the decorator around
that line is the one to remove. The fix removes the decorator, or the global switch. A decorated
function that only evaluates, logs a metric or updates an EMA copy never computes the loss that
reaches ``backward()``, and is left alone.
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from gradfix.edits import Patch
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.torch_api import GRAD_DISABLING, GRAD_SWITCH, disables_grad, grad_disabling_with
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
    title = "gradients switched off for the training step or its loss"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        backward = trace.graphless_backward()
        if backward is None or backward.graphless_by_cut:
            return []  # with a cut (`.detach()`, `.data`) where the loss's value left the graph: GF008's
        lost = trace.params_run_without_grad() or [
            p.name for p in trace.params if p.optimizers and p.requires_grad and not p.got_grad
        ]
        origin = backward.graphless_origin
        if origin is not None and project.is_editable(origin.file):
            source = project.source(origin.file)
            if any(grad_disabling_with(source, node) is not None for node in _nodes_at(source, origin)):
                return []  # the loss lost its graph in a `with torch.no_grad():` block: GF002's
        # Every decorator the evidence points at is a candidate (around the backward call, then
        # around the line that computed the loss without a graph, then around the forwards run
        # with gradients off, then around the trainable modules a forward called with them off:
        # a decorated helper of the model): the re-run picks.
        found: list[tuple[SourceFile, cst.Decorator, bool]] = []
        inner = [call.site for call in trace.inner_no_grad_calls]
        for site, computed in self._sites(backward.site, origin, inner[::-1] + backward.no_grad_forwards):
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            nodes = _nodes_at(source, site) if computed else source.nodes_at(site, cst.Call)
            for node in nodes:
                decorator = _no_grad_decorator(source, node)
                if decorator is not None and not any(d is decorator for _, d, _ in found):
                    found.append((source, decorator, computed))
                    break
        if found:
            source, decorator, computed = found[0]
            where = source.range(decorator)
            candidates = [
                Candidate(
                    "remove the decorator" if i == 0 else f"remove the decorator at line {s.range(d).start.line}",
                    [Patch(s.path, [s.remove_lines(s.range(d).start.line, s.range(d).end.line)])],
                    self.applicability,
                )
                for i, (s, d, _) in enumerate(found[:6])
            ]
            if computed:
                function = next(a for a in source.ancestors(decorator) if isinstance(a, cst.FunctionDef))
                message = (
                    f"`@{source.code(decorator.decorator)}` turns gradients off inside `{function.name.value}`, "
                    f"which computes the loss (line {origin.line if origin else where.start.line}) from outputs that "
                    f"carry a graph: the loss has no grad_fn and backward() crashed; not reached from the loss: "
                    f"{short_list(lost) or 'every parameter'}"
                )
            else:
                message = (
                    f"`@{source.code(decorator.decorator)}` turns gradients off for the whole function, so the "
                    f"loss has no grad_fn and backward() crashed; not reached from the loss: {short_list(lost) or 'every parameter'}"
                )
            return [self.finding(project, Site(source.path, where.start.line, where.start.column), message, lost, candidates)]
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
    def _sites(first: Optional[Site], origin: Optional[Site], more: list[Site]) -> Iterator[tuple[Site, bool]]:
        """The backward call, the line that computed the loss without a graph (True), and the
        module calls made with gradients off, latest first."""
        if first is not None:
            yield first, False
        if origin is not None:
            yield origin, True
        for site in reversed(more):
            yield site, False


def _nodes_at(source: SourceFile, site: Site) -> list[cst.CSTNode]:
    """The expression the probe saw compute a value (an operator or a call: its exact span), else
    the small statements on its line."""
    exact = source.nodes_at(site, cst.BaseExpression)
    if exact:
        return exact[-1:]
    return list(source.nodes_at(Site(site.file, site.line), cst.BaseSmallStatement))
