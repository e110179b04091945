"""GF002: the loss was built, or backward() called, inside ``torch.no_grad()``.

Under ``no_grad`` / ``inference_mode`` / ``set_grad_enabled(False)`` the forward records no graph,
so ``loss.backward()`` raises "element 0 of tensors does not require grad". So does a block
inside a loss helper around the loss arithmetic (the forward ran with gradients on): the probe
remembers the line where the loss's value was computed with gradients off from a tensor that
required grad, and the block around it is the one. The fix hoists the training statements (the
forward that built the loss, the loss, backward, step; in a helper, the loss's path) out of the
block and leaves genuine evaluation statements inside. A ``backward()`` that merely sits in a no_grad
block but whose loss was built with grad on works in torch, and is left alone.

The same kind inside the model's own forward path: a ``with torch.no_grad():`` (or
``set_grad_enabled(False)``, ``inference_mode()``) in a ``forward``, or a helper method with
``@torch.no_grad()`` that a ``forward`` calls, around a module that is meant to train. The probe
records each trainable module called with gradients off from a forward that ran with them on.
Silent, the module's parameters are held by a stepping optimizer, require grad, were never reached,
never changed, and are not all loaded or copied-in values; when the model's output had no graph at
all, backward() crashed. The fix moves the trainable calls and what uses their outputs out of the
block (a frozen backbone's call stays), or takes the whole block away; for a decorated helper, it
removes the decorator, keeping a frozen module's call under ``with``. A frozen or loaded backbone,
a teacher kept by an EMA, a freeze the same forward switches off on another path, and statistics
of a module that trains elsewhere are left alone.

And in the data pipeline: a module the optimizer holds, run only under ``no_grad`` in a Dataset's
``__getitem__``/``__iter__`` or a ``collate_fn``, or in a helper only they call
(``SourceFile.in_data_pipeline``). There the
whole block may go (items are made per batch, and a single-process DataLoader stacks tensors that
carry a graph); in the training step it may not (a target's or a teacher's block).

So is a fixed feature extractor (``gradfix/deliberate_freeze.py``): the block only binds the
module's output (``x = self.resnet(frame)``), every optimizer that holds the module was built over
what requires grad (``filter(lambda p: p.requires_grad, ...)``, ``[p for p in ... if
p.requires_grad]``, directly, through a name or in each param group), and nothing in the model is
frozen with ``requires_grad``. An author who filters the optimizer expects a part to stay fixed;
with no ``requires_grad`` freeze to explain the filter, the block is that freeze. The run looks the
same either way (random weights are no evidence: a stand-in trunk or a random projection is as
random as a forgotten front-end), so the construction is what tells: an unfiltered optimizer
(``SGD(model.parameters())``), a model that freezes with ``requires_grad`` elsewhere, or a block
that does more than bind values is not excused.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Optional

import libcst as cst

from gradfix.deliberate_freeze import frozen_by_forward_block
from gradfix.edits import Patch
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import GRAD_DISABLING, GRAD_SWITCH, disables_grad, grad_disabling_decorator, grad_disabling_with
from gradfix.trace import BackwardFact, Crash, Site, Trace

_TRAINING_CALLS = {"backward", "step", "zero_grad"}


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.read: set[str] = set()
        self.written: set[str] = set()
        self.training_call = False

    def visit_Name(self, node: cst.Name) -> None:
        self.read.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `loss.item` reads `loss`, not a name `item`
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.written.update(_target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.written.update(_target_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.written.update(_target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self.written.update(_target_names(node.target))

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _TRAINING_CALLS:
            self.training_call = True


def _target_names(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return set().union(*(_target_names(e.value) for e in target.elements)) if target.elements else set()
    return set()


_FILLING_METHODS = {"append", "extend", "insert", "add_", "update"}


def _fills_slot(statement: cst.BaseStatement) -> bool:
    """The statement stores into something that outlives it: an item or attribute (``losses[k] =``,
    ``losses[k] +=``, ``self.total =``), an accumulator (``total += loss``), or a list it grows
    (``losses.append(loss)``)."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.AugAssign):
            return True
        if isinstance(small, cst.Assign) and any(isinstance(t.target, (cst.Subscript, cst.Attribute)) for t in small.targets):
            return True
        if (
            isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and isinstance(small.value.func, cst.Attribute)
            and small.value.func.attr.value in _FILLING_METHODS
        ):
            return True
    return False


def _names(statement: cst.BaseStatement) -> _Names:
    visitor = _Names()
    statement.visit(visitor)
    return visitor


def _computed_at(source: SourceFile, site: Site) -> list[cst.CSTNode]:
    """The expression the probe saw compute a value (its exact span), else the small statements on its line."""
    exact = source.nodes_at(site, cst.BaseExpression)
    return exact[-1:] if exact else list(source.nodes_at(Site(site.file, site.line), cst.BaseSmallStatement))


def _under_decorator(source: SourceFile, node: cst.CSTNode) -> bool:
    """Gradients are off at ``node`` by a decorator (``@torch.no_grad()``), not by a ``with`` block
    closer to it."""
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.With) and any(disables_grad(source, item.item) for item in ancestor.items):
            return False
        if isinstance(ancestor, cst.FunctionDef) and grad_disabling_decorator(source, ancestor) is not None:
            return True
    return False


def _contains(source: SourceFile, statement: cst.CSTNode, lines: Iterable[int]) -> bool:
    where = source.range(statement)
    return any(where.start.line <= line <= where.end.line for line in lines)


def _pieces(block: cst.With, statements: list[cst.BaseStatement], training: set[int]) -> list[cst.BaseStatement]:
    """Keep the order: runs of training statements come out, runs of the others stay wrapped,
    each in its own copy of the block."""
    pieces: list[cst.BaseStatement] = []
    run: list[cst.BaseStatement] = []
    for i, statement in enumerate(statements):
        run.append(statement)
        last = i == len(statements) - 1
        if last or ((i in training) != (i + 1 in training)):
            if i in training:
                pieces += run
            else:
                body = block.body if isinstance(block.body, cst.IndentedBlock) else cst.IndentedBlock(body=[])
                pieces.append(block.with_changes(body=body.with_changes(body=run), leading_lines=[]))
            run = []
    return pieces


def _flows_from(anchors: set[int], info: list[_Names], backward: bool) -> set[int]:
    """The anchors, the statements after them that read what they compute (gradients flow back
    through those), and with ``backward`` also the statements before them that compute what they read."""
    training = set(anchors)
    changed = True
    while changed:
        changed = False
        for i in sorted(training):
            for j in range(len(info)):
                if j in training:
                    continue
                if (j > i and info[i].written & info[j].read) or (backward and j < i and info[j].written & info[i].read):
                    training.add(j)
                    changed = True
    return training


def _feeding(statement: int, info: list[_Names]) -> set[int]:
    """The statement and the statements before it that compute what it reads, transitively."""
    needed = {statement}
    for j in range(statement - 1, -1, -1):
        if any(info[j].written & info[k].read for k in needed if k > j):
            needed.add(j)
    return needed


def _grad_decorator(source: SourceFile, function: cst.FunctionDef) -> Optional[cst.Decorator]:
    return grad_disabling_decorator(source, function)


def _grad_off_context(source: SourceFile, node: cst.CSTNode) -> Optional[cst.With | cst.FunctionDef]:
    """What turns gradients off at ``node``: the innermost ``with`` block that does, or the function
    around it when its decorator does; None when the switch is elsewhere (a caller, a library)."""
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.With) and any(disables_grad(source, item.item) for item in ancestor.items):
            return ancestor
        if isinstance(ancestor, cst.FunctionDef):
            return ancestor if _grad_decorator(source, ancestor) is not None else None
    return None


def _called_with_grad_elsewhere(source: SourceFile, block: cst.With, call: cst.Call) -> bool:
    """The function around ``block`` also calls the same module outside any no-grad context
    (``if self.freeze: with torch.no_grad(): ... else: ...``): gradients are switched off on purpose."""
    function = next((a for a in source.ancestors(block) if isinstance(a, cst.FunctionDef)), None)
    if function is None:
        return False
    callee = source.code(call.func)
    return any(
        other is not call and source.code(other.func) == callee and _grad_off_context(source, other) is None
        for other in descendants(function, cst.Call)
    )


def _calls_on(statement: cst.BaseStatement, owner: str) -> bool:
    """The statement calls something of ``owner`` (``self.text_encoder(ids)``)."""
    for call in descendants(statement, cst.Call):
        func = call.func
        while isinstance(func, cst.Attribute):
            func = func.value
        if isinstance(func, cst.Name) and func.value == owner and func is not call.func:
            return True
    return False


@dataclasses.dataclass
class _Context:
    """A no-grad context inside the forward path, with the trainable module calls the probe saw in it."""

    source: SourceFile
    context: cst.With | cst.FunctionDef
    sites: list[Site] = dataclasses.field(default_factory=list)
    modules: list[str] = dataclasses.field(default_factory=list)
    params: list[str] = dataclasses.field(default_factory=list)


_INFERENCE_SAVED = "Inference tensors cannot be saved for backward"
_INFERENCE_MODE = {"torch.inference_mode", "torch.autograd.grad_mode.inference_mode"}


def _inference_mode_uses(source: SourceFile) -> list[cst.BaseExpression]:
    """Each ``inference_mode`` that turns gradients off (a decorator, bare or called, or a ``with``
    item), as the expression to replace."""
    uses: list[cst.BaseExpression] = []
    for node in source.positions:
        if isinstance(node, cst.Decorator):
            expression = node.decorator
        elif isinstance(node, cst.WithItem):
            expression = node.item
        else:
            continue
        func = expression.func if isinstance(expression, cst.Call) else expression
        # `torch.inference_mode` only: a bare imported name would need an import of `no_grad`.
        if not isinstance(func, cst.Attribute) or not source.qualified_names(func) & _INFERENCE_MODE:
            continue
        if isinstance(expression, cst.Call) and not disables_grad(source, expression):
            continue  # inference_mode(False)
        uses.append(expression)
    return uses


def _as_no_grad(expression: cst.BaseExpression) -> cst.BaseExpression:
    """``torch.inference_mode()`` -> ``torch.no_grad()``, alias and bare decorator kept as written."""
    func = expression.func if isinstance(expression, cst.Call) else expression
    assert isinstance(func, cst.Attribute)
    name = func.with_changes(attr=cst.Name("no_grad"))
    return cst.Call(name) if isinstance(expression, cst.Call) else name


class BackwardUnderNoGrad(Rule):
    code = "GF002"
    title = "loss built under torch.no_grad()"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if trace.crash is not None and _INFERENCE_SAVED in trace.crash.message:
            return self._inference_tensors(trace, project)
        backward = trace.graphless_backward()
        if backward is None or trace.crash is None:
            findings = self._part_under_no_grad(trace, project)
            named = {n for f in findings for n in f.params}
            return findings + [f for f in self._inside_forward(trace, project) if not named & set(f.params)]
        crash = trace.crash
        if backward.graphless_by_cut:
            return []  # the loss's value left the graph at a cut (`.detach()`, `.data`): GF008's
        located = self._locate(backward, project)
        if located is None:
            if backward.graphless_origin is None and not backward.no_grad_forwards:
                return self._inside_forward(trace, project, crash)
            return []
        source, block, switch = located
        where = source.range(block)
        site = Site(file=source.path, line=where.start.line, column=where.start.column)
        # What an optimizer holds is what is meant to train: a teacher run in the same block is not.
        lost = trace.params_run_without_grad()
        lost = [n for n in lost if (p := trace.param(n)) is not None and p.optimizers] or lost
        if not lost and backward.graphless_origin is not None:
            # The forward ran with gradients on; the loss lost its graph in the helper's block.
            lost = [p.name for p in trace.params if p.optimizers and p.requires_grad and not p.got_grad]
        if switch is not None:
            # `set_grad_enabled(phase == "train")` was False at run time: the condition is wrong,
            # and which condition is right is the user's to say (display-only).
            message = (
                f"`{source.code(switch)}` turned gradients off here at run time, so the loss has no grad_fn and "
                f"backward() crashed ({crash.type}: {crash.message}); check its condition"
            )
            return [self.finding(project, site, message, lost, [], blocking=True)]
        candidates = self._one_forward_at_a_time(source, block, backward, trace) + self._candidates(source, block, backward, trace)
        disabling = [item.item for item in block.items if disables_grad(source, item.item)]
        context = source.code(disabling[0]) if disabling else "no_grad"
        if disabling and isinstance(disabling[0], cst.Call) and not source.qualified_names(disabling[0].func) & (GRAD_SWITCH | GRAD_DISABLING):
            context += "`, a context manager of this file that enters `torch.no_grad()"
        message = (
            f"the loss was built under `{context}`, so it has no grad_fn and backward() crashed "
            f"({crash.type}: {crash.message}); not reached from the loss: {short_list(lost) or 'every parameter'}"
        )
        return [self.finding(project, site, message, lost, candidates, blocking=True)]

    def _inference_tensors(self, trace: Trace, project: Project) -> list[Finding]:
        """Features made under ``inference_mode`` reached a layer that trains: ``no_grad`` in its
        place keeps the frozen part frozen and makes ordinary tensors."""
        crash = trace.crash
        assert crash is not None
        files = [crash.site] + [call.site for call in crash.module_calls]
        paths = list(dict.fromkeys(site.file for site in files if site is not None and project.is_editable(site.file)))
        candidates: list[Candidate] = []
        edits_by_path: dict[str, list] = {}
        for path in paths:
            source = project.source(path)
            for node in _inference_mode_uses(source):
                edit = source.replace_node(node, _as_no_grad(node))
                edits_by_path.setdefault(path, []).append(edit)
                line = source.range(node).start.line
                candidates.append(
                    Candidate(f"use torch.no_grad() in place of inference_mode at line {line}", [Patch(path, [edit])], self.applicability)
                )
        if len(candidates) > 1:
            candidates = candidates[:5] + [
                Candidate("use torch.no_grad() in place of every inference_mode", [Patch(p, e) for p, e in edits_by_path.items()], self.applicability)
            ]
        if crash.site is None or not project.is_editable(crash.site.file):
            return []
        trained = [p.name for p in trace.params if p.optimizers and p.requires_grad]
        message = (
            "a tensor made under `torch.inference_mode()` reached a layer that records a graph, and "
            f"autograd cannot save it ({crash.type}: {_INFERENCE_SAVED}); "
            "`torch.no_grad()` stops gradients just as well and makes ordinary tensors"
        )
        return [self.finding(project, crash.site, message, trained, candidates, blocking=True)]

    def _part_under_no_grad(self, trace: Trace, project: Project) -> list[Finding]:
        """The silent form: the loss has a graph, but a module it was meant to train ran only inside
        a no_grad block (an encoder applied in the same block as the target's forward). Its
        parameters are in a stepping optimizer, were never reached, and were not loaded: nothing
        says they are meant to stay as they are."""
        if trace.crash is not None or not trace.steps:
            return []
        stranded = [
            p.name for p in trace.params
            if p.optimizers and p.requires_grad and not p.reached and not p.changed and p.module is not None
            and (m := trace.module(p.module)) is not None and m.ran_without_grad and not m.ran_with_grad and not m.loaded
        ]
        backward = next((b for b in reversed(trace.backwards) if b.no_grad_forwards and b.has_grad_fn), None)
        # A fixed feature extractor (its block only binds its output, the optimizer is filtered by
        # requires_grad): frozen on purpose, wherever the block is.
        on_purpose = frozen_by_forward_block(trace, project)
        stranded = [n for n in stranded if n not in on_purpose]
        if not stranded or backward is None:
            return []
        findings = []
        blocks: dict[tuple[str, int], tuple[SourceFile, cst.With, list[Site]]] = {}
        for site in backward.no_grad_forwards:
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            for call in source.nodes_at(site, cst.Call):
                block = grad_disabling_with(source, call)
                if block is not None:
                    key = (source.path, source.range(block).start.line)
                    blocks.setdefault(key, (source, block, []))[2].append(site)
                    break
        for source, block, sites in blocks.values():
            one_by_one = self._one_forward_at_a_time(source, block, dataclasses.replace(backward, no_grad_forwards=sites), trace)
            everything = self._candidates(source, block, dataclasses.replace(backward, site=None, no_grad_forwards=sites), trace)
            candidates = one_by_one + [c for c in everything[:1] if c.description.startswith("move")]
            if source.in_data_pipeline(block):
                # Items are made fresh for every batch, so the lookup can record its graph there:
                # a single-process DataLoader's collate stacks tensors that carry one. (Worker
                # processes cannot send them: the re-run rejects the candidate then.) In the
                # training step, a whole block is a target's or a teacher's: not taken away.
                candidates.append(self._unwrap(source, block))
            where = source.range(block)
            message = (
                f"{short_list(stranded)} {'is' if len(stranded) == 1 else 'are'} held by an optimizer, but "
                f"{'its' if len(stranded) == 1 else 'their'} module only runs inside this no_grad block: "
                "no loss reaches them, so they never change"
            )
            findings.append(self.finding(project, Site(source.path, where.start.line, where.start.column), message, stranded, candidates))
        return findings

    def _inside_forward(self, trace: Trace, project: Project, crash: Optional[Crash] = None) -> list[Finding]:
        """A trainable module called inside a no-grad context within the model's own forward path
        (a ``with torch.no_grad():`` in ``forward``, a helper method with ``@torch.no_grad()``):
        the probe saw gradients switch off between the forward that ran with them and this call.
        Silent, its parameters are held by a stepping optimizer, require grad, were never reached
        by a loss, never changed, are not all loaded values, and the module never ran with gradients on;
        with ``crash``, the model's output had no graph at all and backward() crashed."""
        if crash is None and (trace.crash is not None or not trace.steps):
            return []
        stepped = {o.id for o in trace.optimizers if o.steps}
        loaded = {m.path for m in trace.modules if m.loaded and m.path}
        # A fixed feature extractor: the optimizer was built over what requires grad, nothing was
        # frozen with requires_grad, and the block only binds the module's output.
        on_purpose = frozen_by_forward_block(trace, project) if crash is None else set()
        contexts: dict[tuple[str, int], _Context] = {}
        for call in trace.inner_no_grad_calls:
            module = trace.module(call.module)
            if module is None or not module.path or module.ran_with_grad or not project.is_editable(call.site.file):
                continue
            params = [
                p.name for p in trace.params
                if p.name.startswith(module.path + ".") and p.requires_grad and not p.got_grad and p.optimizers
                and (crash is not None or (not p.reached and not p.changed and stepped & set(p.optimizers)))
                and p.name not in on_purpose
            ]
            if not params or (crash is None and all(n.rsplit(".", 1)[0] in loaded for n in params)):
                # Pretrained or copied-in values run without gradients (a frozen feature extractor,
                # a teacher copied from the student) are kept as they are on purpose; one layer
                # initialised by a copy inside a module that trains as a whole is not.
                continue
            source = project.source(call.site.file)
            for node in source.nodes_at(call.site, cst.Call):
                context = _grad_off_context(source, node)
                if context is None or (crash is not None and isinstance(context, cst.FunctionDef)):
                    continue  # a decorator that crashes the backward is GF011's
                if isinstance(context, cst.With) and _called_with_grad_elsewhere(source, context, node):
                    continue  # the same forward calls it with gradients on too: freezing it is a switch
                key = (source.path, source.range(context).start.line)
                entry = contexts.setdefault(key, _Context(source, context))
                entry.sites.append(call.site)
                entry.modules.append(module.path)
                entry.params += [n for n in params if n not in entry.params]
                break
        findings = []
        for entry in contexts.values():
            source, context = entry.source, entry.context
            modules = short_list(list(dict.fromkeys(entry.modules)))
            if isinstance(context, cst.With):
                disabling = [item.item for item in context.items if disables_grad(source, item.item)]
                how = f"inside `with {source.code(disabling[0])}:`" if disabling else "inside a no_grad block"
                candidates = self._closure_candidates(source, context, entry.sites)
                start = source.range(context).start
            else:
                decorator = _grad_decorator(source, context)
                assert decorator is not None
                how = f"in `{context.name.value}`, decorated with `@{source.code(decorator.decorator)}`"
                candidates = self._decorator_candidates(source, context, decorator, entry.sites)
                start = source.range(decorator).start
            params = entry.params
            function = next((a for a in [context, *source.ancestors(context)] if isinstance(a, cst.FunctionDef)), None)
            where = f" of `{function.name.value}`" if isinstance(context, cst.With) and function is not None else ""
            if crash is not None:
                message = (
                    f"{modules} {'runs' if len(entry.modules) == 1 else 'run'} {how}{where}, so the model's output has no "
                    f"grad_fn and backward() crashed ({crash.type}: {crash.message}); not reached from the loss: {short_list(params)}"
                )
            else:
                message = (
                    f"{short_list(params)} {'is' if len(params) == 1 else 'are'} held by an optimizer, but {modules} only "
                    f"{'runs' if len(entry.modules) == 1 else 'run'} {how}{where}: no loss reaches "
                    f"{'it' if len(params) == 1 else 'them'}, so {'it never changes' if len(params) == 1 else 'they never change'}"
                )
            site = Site(source.path, start.line, start.column)
            findings.append(self.finding(project, site, message, params, candidates, blocking=crash is not None))
        return findings

    def _closure_candidates(self, source: SourceFile, block: cst.With, sites: list[Site]) -> list[Candidate]:
        """Inside a forward, what must leave the block is the call of the trainable module and what
        is computed from its output (gradients must flow back through those); what it reads may stay
        under no_grad (a frozen backbone's features). Then the same with what it reads, then the
        whole block: the re-run picks."""
        body = block.body
        if not isinstance(body, cst.IndentedBlock):
            return []
        statements = list(body.body)
        lines = [s.line for s in sites if s.file == source.path]
        info = [_names(s) for s in statements]
        anchors = {i for i, s in enumerate(statements) if _contains(source, s, lines)}
        forward = _flows_from(anchors, info, backward=False)
        both = _flows_from(anchors, info, backward=True)
        candidates = []
        seen: set[str] = set()
        for training, description in (
            (forward, "move the calls of the trainable modules, and what uses their outputs, out of the no_grad block"),
            (both, "move the calls of the trainable modules, what they read and what uses their outputs, out of the no_grad block"),
        ):
            if len(training) == len(statements):
                continue
            edit = source.replace_statement(block, cst.FlattenSentinel(self._lead(block, _pieces(block, statements, training))))
            if edit.replacement not in seen:
                seen.add(edit.replacement)
                candidates.append(self.candidate(description, source.path, [edit]))
        candidates.append(self._unwrap(source, block))
        return candidates

    def _decorator_candidates(self, source: SourceFile, function: cst.FunctionDef, decorator: cst.Decorator, sites: list[Site]) -> list[Candidate]:
        """A helper with ``@torch.no_grad()`` that calls a trainable module: the decorator goes, and
        what does not need gradients (a frozen teacher's features) may stay under ``with`` the same
        context; then the decorator alone."""
        candidates = []
        name = function.name.value
        body = function.body
        if isinstance(body, cst.IndentedBlock):
            statements = list(body.body)
            lines = [s.line for s in sites if s.file == source.path]
            info = [_names(s) for s in statements]
            anchors = {i for i, s in enumerate(statements) if _contains(source, s, lines)}
            training = _flows_from(anchors, info, backward=False)
            context = decorator.decorator if isinstance(decorator.decorator, cst.Call) else cst.Call(decorator.decorator)
            rest = [statements[i] for i in range(len(statements)) if i not in training]
            owner = function.params.params[0].name.value if function.params.params else None
            # Worth a block of its own only when what stays calls the model's own modules (a frozen
            # encoder): `positions = torch.arange(n)` needs no `no_grad`.
            if anchors and rest and owner and any(_calls_on(s, owner) for s in rest) and not any(descendants(s, cst.Return) for s in rest):
                block = cst.With(items=[cst.WithItem(context)], body=cst.IndentedBlock(body=[]))
                pieces = _pieces(block, statements, training)
                decorators = [d for d in function.decorators if d is not decorator]
                changed = function.with_changes(decorators=decorators, body=body.with_changes(body=pieces))
                candidates.append(
                    self.candidate(
                        f"remove `@{source.code(decorator.decorator)}` from `{name}` and keep only what does not need gradients under `with {source.code(context)}:`",
                        source.path, [source.replace_statement(function, changed)],
                    )
                )
        where = source.range(decorator)
        candidates.append(
            self.candidate(f"remove `@{source.code(decorator.decorator)}` from `{name}`", source.path, [source.remove_lines(where.start.line, where.end.line)])
        )
        return candidates

    def _one_forward_at_a_time(self, source: SourceFile, block: cst.With, backward: BackwardFact, trace: Trace) -> list[Candidate]:
        """With several grad-off forwards in the block (a student's and its teacher's, an encoder's
        and a target network's), each one leaving the block alone is a candidate of its own, tried
        before all of them together: the re-run finds the one that has to train."""
        where = source.range(block)
        sites = [s for s in backward.no_grad_forwards if s.file == source.path and where.start.line <= s.line <= where.end.line]
        if len({s.line for s in sites}) < 2 or (backward.site is not None and where.start.line <= backward.site.line <= where.end.line):
            return []
        candidates = []
        for site in sites:
            moved = self._candidates(source, block, dataclasses.replace(backward, site=None, no_grad_forwards=[site]), trace)
            candidates += [
                dataclasses.replace(c, description=f"move the forward at line {site.line} (and what it needs) out of the no_grad block")
                for c in moved[:1] if c.description.startswith("move")
            ]
        return candidates

    def _locate(
        self, backward: BackwardFact, project: Project
    ) -> Optional[tuple[SourceFile, cst.With, Optional[cst.BaseExpression]]]:
        """The ``with`` block that turned gradients off, and, when it did so through a run-time
        condition (``set_grad_enabled(phase == "train")``), that call."""
        sites = [backward.site] if backward.site else []
        origin = backward.graphless_origin
        if origin is not None and project.is_editable(origin.file):
            # The line that computed the loss with gradients off, from outputs that carried a graph
            # (a loss helper's arithmetic): its block is the one, unless a decorator turned them off.
            source = project.source(origin.file)
            for node in _computed_at(source, origin):
                if _under_decorator(source, node):
                    return None  # GF011's
                block = grad_disabling_with(source, node)
                if block is not None:
                    return source, block, None
        for caller in backward.graphless_callers:
            # The op ran in a forward or helper with gradients on in its own code; the call that
            # led to it sits in a caller's no_grad block (`with torch.no_grad(): logits = net(x)`,
            # then `losses[k] += F.cross_entropy(logits, y)` is the loss that reaches backward()).
            if not project.is_editable(caller.file):
                continue
            source = project.source(caller.file)
            for call in source.nodes_at(caller, cst.Call):
                if _under_decorator(source, call):
                    return None  # GF011's
                block = grad_disabling_with(source, call)
                if block is not None:
                    return source, block, None
        sites += reversed(backward.no_grad_forwards)
        switched = None
        for site in sites:
            if site is None or not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            for call in source.nodes_at(site, cst.Call):
                block = grad_disabling_with(source, call)
                if block is not None:
                    return source, block, None
                if switched is None and site in backward.no_grad_forwards:
                    for ancestor in source.ancestors(call):
                        if isinstance(ancestor, cst.With):
                            items = [i.item for i in ancestor.items if isinstance(i.item, cst.Call) and source.qualified_names(i.item.func) & GRAD_SWITCH]
                            if items:
                                switched = (source, ancestor, items[0])
                                break
        return switched

    def _candidates(self, source: SourceFile, block: cst.With, backward: BackwardFact, trace: Trace) -> list[Candidate]:
        body = block.body
        if not isinstance(body, cst.IndentedBlock):
            return []
        statements = list(body.body)
        where = source.range(block)
        site = backward.site
        inside = site is not None and site.file == source.path and where.start.line <= site.line <= where.end.line
        # With backward() in the block, training is what backward() depends on; the grad-off
        # forwards are anchors only when backward() runs after the block (an evaluation forward
        # in the same block is grad-off too, and must stay so).
        if inside:
            anchors = [site.line] if site else []
        else:
            anchors = [s.line for s in backward.no_grad_forwards if s.file == source.path]
            origin = backward.graphless_origin
            if origin is not None and origin.file == source.path:
                anchors.append(origin.line)  # the loss's own arithmetic, in a loss helper's block
            anchors += [c.line for c in backward.graphless_callers if c.file == source.path]
        info = [_names(s) for s in statements]
        training = {i for i, s in enumerate(statements) if _contains(source, s, anchors) or info[i].training_call}
        # In a loss helper's block, what is computed from the loss's first graph-less value is the
        # rest of the loss (`loss = (err * weight).sum()` after `err = (pred - target).abs()`).
        loss_path = not inside and backward.graphless_origin is not None
        changed = True
        while changed:  # pull in the statements that compute what the training statements read
            changed = False
            for i in sorted(training):
                for j in range(len(statements) if loss_path else i):
                    if j in training:
                        continue
                    if (j < i and info[j].written & info[i].read) or (j > i and info[i].written & info[j].read):
                        training.add(j)
                        changed = True
        # Logging of the training values (`print(loss.item())`) travels with the training statements;
        # what reads other values (`val_out = model(val_x)`) is evaluation and stays under no_grad.
        trained_names = set().union(*(info[i].written for i in training)) if training else set()
        for i, statement in enumerate(statements):
            if i in training or not isinstance(statement, cst.SimpleStatementLine):
                continue
            from_rest = set().union(*(info[j].written for j in range(len(statements)) if j != i and j not in training))
            if info[i].read & trained_names and not info[i].read & from_rest:
                training.add(i)
        # A loss with no graph that backward() crashed on (not a module stranded in a block while the
        # loss trains the rest): it may have come out of the block through a container.
        crashed = not inside and not backward.has_grad_fn
        candidates = self._slot_candidates(source, block, statements, info, anchors) if crashed else []
        if len(training) < len(statements):
            pieces = _pieces(block, statements, training)
            candidates.append(
                self.candidate("move the training statements out of the no_grad block, keep the evaluation inside", source.path, [source.replace_statement(block, cst.FlattenSentinel(self._lead(block, pieces)))])
            )
        candidates.append(self._unwrap(source, block))
        return candidates

    def _slot_candidates(
        self, source: SourceFile, block: cst.With, statements: list[cst.BaseStatement], info: list[_Names], anchors: list[int]
    ) -> list[Candidate]:
        """The loss reached backward() through a container or an accumulator filled in the block
        (``losses[k] += F.cross_entropy(out, y)``, ``self.total = self.total + loss``,
        ``losses.append(loss)``): the statements that fill a slot, with what they read in the
        block, leave it; the rest (an accuracy) stays under no_grad. Tried before the larger moves."""
        # anchors: the grad-off forwards, the op where the loss's value lost its graph and the
        # user calls that led to it (a forward called from the block)
        anchored = {i for i, s in enumerate(statements) if _contains(source, s, anchors)}
        if not anchored:
            return []
        # Only the slots filled from the graph-less value; one candidate per slot, in the block's
        # order, each with what it reads in the block. The re-run tells which slot the loss came
        # through: moving every slot would also take out an accuracy kept in its own slot
        # (`corrects[k] += (pred == y).sum().item()`), which has no reason to leave no_grad.
        downstream = _flows_from(anchored, info, backward=False)
        candidates: list[Candidate] = []
        seen: list[set[int]] = []
        for fill in sorted(i for i in downstream if _fills_slot(statements[i])):
            training = _feeding(fill, info)
            if len(training) == len(statements) or training in seen:
                continue
            seen.append(training)
            pieces = _pieces(block, statements, training)
            candidates.append(self.candidate(
                "move the statement that fills the container the loss is read from (and what it reads) out of the no_grad block",
                source.path, [source.replace_statement(block, cst.FlattenSentinel(self._lead(block, pieces)))],
            ))
        return candidates

    def _unwrap(self, source: SourceFile, block: cst.With) -> Candidate:
        """The whole block without its no-grad context (other context managers on it stay)."""
        assert isinstance(block.body, cst.IndentedBlock)
        kept_items = [item for item in block.items if not disables_grad(source, item.item)]
        if kept_items:
            kept_items[-1] = kept_items[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            unwrapped: cst.BaseStatement | cst.FlattenSentinel = block.with_changes(items=kept_items)
        else:
            unwrapped = cst.FlattenSentinel(self._lead(block, list(block.body.body)))
        return self.candidate("take the statements out of the no_grad block", source.path, [source.replace_statement(block, unwrapped)])

    @staticmethod
    def _lead(block: cst.With, statements: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
        """Keep the comments above the ``with`` above the first statement that replaces it."""
        if not statements:
            return statements
        first = statements[0].with_changes(leading_lines=[*block.leading_lines, *statements[0].leading_lines])
        return [first, *statements[1:]]
