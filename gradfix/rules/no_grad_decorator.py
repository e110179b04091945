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

A global switch in a loader of a pretrained model (``torch.set_grad_enabled(False)`` in an
``init_jit_model()`` that loads weights into a module no optimizer holds) means "this model is for
inference": the first candidate removes the switch and freezes what the loader loaded
(``model.requires_grad_(False)`` before its ``return``), then the switch alone is removed, then,
when the loader runs the model, its statements after the switch go under ``with torch.no_grad():``.
The fix is judged by the parameters the optimizers hold, not by the loaded model's.
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.expressions import dotted_path
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import GRAD_SWITCH, disables_grad, grad_disabling_decorator, grad_disabling_with, module_alias
from gradfix.trace import Site, Trace


def _no_grad_decorator(source: SourceFile, node: cst.CSTNode) -> Optional[cst.Decorator]:
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef):
            decorator = grad_disabling_decorator(source, ancestor)
            if decorator is not None:
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
        run_off = trace.params_run_without_grad()
        # What ran without gradients and no optimizer holds (a pretrained model used as a feature
        # layer) was not going to train anyway: the fix is judged by what the optimizers train.
        lost = [n for n in run_off if (p := trace.param(n)) is not None and p.optimizers] or run_off or [
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
                return [self._global_switch(trace, project, source, site, call, statement, lost)]
        return []

    def _global_switch(
        self, trace: Trace, project: Project, source: SourceFile, site: Site, call: cst.Call,
        statement: cst.SimpleStatementLine, lost: list[str],
    ) -> Finding:
        """A global switch, and when it sits in a function that loads a pretrained model (a
        loader that means "this model is for inference"), the ways to say that for the model alone."""
        remove = source.remove_statement(statement)
        function = next((a for a in source.ancestors(statement) if isinstance(a, cst.FunctionDef)), None)
        candidates: list[Candidate] = []
        frozen = _loaded_models(trace, source, function, statement)
        if frozen:
            # Freezing what the loader loaded keeps it as the switch kept it (no gradient, no
            # graph through it) while the rest of the script trains: the smallest change.
            targets = [target for target, _, _ in frozen]
            inserts = _freeze_edits(source, function, frozen)
            if inserts:
                kept = {name for _, params, _ in frozen for name in params}
                said = ", ".join(f"`{t}.requires_grad_(False)`" for t in targets)
                where = f"{_qualified(source, function)}()" if function is not None else "the script"
                candidates.append(Candidate(
                    f"remove the global switch and freeze what {where} loads: {said}",
                    [Patch(source.path, sorted([remove, *inserts], key=lambda e: e.start))],
                    self.applicability,
                    [name for name in lost if name not in kept],
                ))
        candidates.append(Candidate("remove the global switch", [Patch(source.path, [remove])], self.applicability))
        wrapped = _no_grad_block(source, function, statement, call, [t for t, _, _ in frozen])
        if wrapped is not None:
            candidates.append(Candidate(
                f"turn gradients off only inside {_qualified(source, function)}(): a `with` block instead of the global switch",  # type: ignore[arg-type]
                [Patch(source.path, [wrapped])],
                self.applicability,
            ))
        inside = f" (in {_qualified(source, function)}(), which loads weights into {', '.join(f'`{t}`' for t, _, _ in frozen)})" if frozen and function is not None else ""
        message = (
            f"`{source.code(call)}`{inside} turns gradients off for everything after it, so the loss has no "
            f"grad_fn and backward() crashed; not reached from the loss: {short_list(lost) or 'every parameter'}"
        )
        return self.finding(project, site, message, lost, candidates)

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


def _qualified(source: SourceFile, function: cst.FunctionDef) -> str:
    """``load_encoder``, or ``FeatureExtractor.__init__`` for a method."""
    owner = source.parent(source.parent(function) or function)
    return f"{owner.name.value}.{function.name.value}" if isinstance(owner, cst.ClassDef) else function.name.value


def _in_region(source: SourceFile, node: cst.CSTNode, function: Optional[cst.FunctionDef], switch: cst.BaseStatement) -> bool:
    """Inside the function that holds the switch (not a function nested in it); at the top level
    of the script, after the switch."""
    owner = next((a for a in source.ancestors(node) if isinstance(a, cst.FunctionDef)), None)
    if owner is not function:
        return False
    return function is not None or source.range(node).start.line > source.range(switch).end.line


def _loaded_models(
    trace: Trace, source: SourceFile, function: Optional[cst.FunctionDef], switch: cst.BaseStatement,
) -> list[tuple[str, list[str], cst.CSTNode]]:
    """What the code around a global switch loads pretrained weights into, and no optimizer holds:
    the receivers of its ``load_state_dict`` calls that ran, and the names it binds to modules it
    built that were then loaded (a loader's ``model = AcousticModel()``); each with the parameters
    the run names for it (when it knows them) and the node that showed it."""
    found: dict[str, tuple[list[str], cst.CSTNode]] = {}
    held = {p.name for p in trace.params if p.optimizers}
    for module in trace.modules:
        site = module.site
        if not module.loaded or module.path is None or site is None or site.file != source.path:
            continue
        params = [p.name for p in trace.params if p.name.startswith(f"{module.path}.")]
        if not params or set(params) & held:
            continue  # an optimizer trains it: the script means it to learn
        for built in source.nodes_at(site, cst.Call):
            statement = source.statement_of(built)
            if not _in_region(source, built, function, switch) or not isinstance(statement, cst.SimpleStatementLine):
                continue
            assign = statement.body[0]
            if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
                continue
            if not any(built is node for node in descendants(assign.value, cst.Call)):
                continue
            target = dotted_path(assign.targets[0].target)
            if target is not None and target not in found:
                found[target] = (params, built)
    # A load into a module built elsewhere: which module it was the run does not say; some loaded
    # module must be one that no optimizer trains.
    unheld_loaded = any(
        m.loaded and m.path and (params := [p.name for p in trace.params if p.name.startswith(f"{m.path}.")]) and not set(params) & held
        for m in trace.modules
    )
    for site in trace.loads:
        if site.file != source.path:
            continue
        for load in source.nodes_at(site, cst.Call):
            if not (isinstance(load.func, cst.Attribute) and load.func.attr.value == "load_state_dict"):
                continue
            target = dotted_path(load.func.value)
            if target is None or not _in_region(source, load, function, switch):
                continue
            if target in found:
                found[target] = (found[target][0], load)  # the weights are in from here on
            elif unheld_loaded:
                found[target] = ([], load)
    ordered = sorted(found.items(), key=lambda item: (source.range(item[1][1]).start.line, item[0]))
    return [(target, params, node) for target, (params, node) in ordered]


def _freeze_edits(
    source: SourceFile, function: Optional[cst.FunctionDef], frozen: list[tuple[str, list[str], cst.CSTNode]],
) -> list[Edit]:
    """``<model>.requires_grad_(False)`` for each model: in a loader, where its work ends (before
    its closing ``return``, or after its last statement); at the top level of the script, after the
    statement that loaded it."""
    if function is not None:
        if not isinstance(function.body, cst.IndentedBlock):
            return []
        body = function.body.body
        last = body[-1]
        closing = isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[0], cst.Return)
        if len(descendants(function, cst.Return)) > (1 if closing else 0):
            return []  # several ways out: no one place where the model is ready
        where = source.range(last)
        line = where.start.line if closing else where.end.line + 1
        indent = source.indentation(where.start.line)
        text = "".join(f"{indent}{target}.requires_grad_(False)\n" for target, _, _ in frozen)
        return [source.insert_lines(line, text)]
    edits: dict[int, str] = {}
    for target, _, node in frozen:
        top = next((s for s in source.module.body if _contains(source, s, node)), None)
        if top is None:
            return []
        line = source.range(top).end.line + 1
        edits[line] = edits.get(line, "") + f"{target}.requires_grad_(False)\n"
    return [source.insert_lines(line, text) for line, text in sorted(edits.items())]


def _contains(source: SourceFile, outer: cst.CSTNode, node: cst.CSTNode) -> bool:
    return outer is node or any(a is outer for a in source.ancestors(node))


def _no_grad_block(
    source: SourceFile, function: Optional[cst.FunctionDef], switch: cst.SimpleStatementLine, call: cst.Call,
    targets: list[str],
) -> Optional[Edit]:
    """The loader's statements after the switch under ``with torch.no_grad():`` (its closing
    ``return`` stays outside), when they run the model they load: the switch's one effect the
    loader itself relies on."""
    if function is None or not isinstance(function.body, cst.IndentedBlock):
        return None
    body = list(function.body.body)
    index = next((i for i, s in enumerate(body) if s is switch), None)
    if index is None:
        return None
    closing = body[-1] if isinstance(body[-1], cst.SimpleStatementLine) and isinstance(body[-1].body[0], cst.Return) else None
    inside = body[index + 1 : len(body) - (1 if closing is not None else 0)]
    runs = any(dotted_path(c.func) in targets for s in inside for c in descendants(s, cst.Call))
    if not inside or not runs:
        return None
    if isinstance(call.func, cst.Attribute):
        prefix: Optional[str] = source.code(call.func.value)
    else:
        prefix = module_alias(source, "torch")
    if prefix is None:
        return None
    block = cst.With(
        items=[cst.WithItem(cst.parse_expression(f"{prefix}.no_grad()", config=source.module.config_for_parsing))],
        body=cst.IndentedBlock(body=inside),
        leading_lines=switch.leading_lines,
    )
    new_body = [*body[:index], block, *([closing] if closing is not None else [])]
    return source.replace_statement(function, function.with_changes(body=function.body.with_changes(body=new_body)))
