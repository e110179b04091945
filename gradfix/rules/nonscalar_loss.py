"""GF032: ``backward()`` called on a loss that is not a scalar.

A criterion built or called with ``reduction="none"`` gives one loss per sample; a hand-written
loss summed over one dimension (``((pred - y) ** 2).sum(dim=1)``) gives one per row. ``backward()``
without a ``gradient`` needs a single number to start from, and torch raises ``RuntimeError: grad
can be implicitly created only for scalar outputs``. gradfix reads the crash at the backward call
itself and proposes, in order: ``loss.mean().backward()`` (what the criterion's default reduction
does), ``loss.sum().backward()``, and, when the loss is the direct result of a criterion made with
``reduction="none"`` in the same file, that criterion with its default reduction back, provided
neither the criterion nor the loss is used anywhere else as a vector. The re-run decides: a
``loss.item()`` after ``backward()`` still fails on a vector, and then only the criterion's own
reduction runs to the end. ``reduction="none"`` weighted per sample and then averaged is correct
code and never crashes; neither does ``backward(gradient=...)``.
"""

from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import dotted_path, without_arguments
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Site, Trace

_MESSAGE = "grad can be implicitly created only for scalar outputs"
_BACKWARD_FUNCTIONS = {"torch.autograd.backward"}
# Reads of the loss that use it as a whole, not element by element: the loss may become a scalar.
_SCALAR_USES = {"item", "detach", "cpu", "backward", "data", "tolist", "numpy"}
_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)
_Criterion = Union[cst.Name, cst.Attribute]


def _reduction_none(call: cst.Call) -> Optional[cst.Arg]:
    """The ``reduction="none"`` keyword of a call."""
    for arg in call.args:
        if (
            arg.keyword is not None
            and arg.keyword.value == "reduction"
            and isinstance(arg.value, cst.SimpleString)
            and arg.value.evaluated_value == "none"
        ):
            return arg
    return None


def _weighted(call: cst.Call) -> bool:
    """Class weights or an ignored index: the default mean is then a weighted one."""
    return any(a.keyword is not None and a.keyword.value in ("weight", "ignore_index") for a in call.args)


class NonscalarLoss(Rule):
    code = "GF032"
    title = "backward() on a loss that is not a scalar"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or crash.type != "RuntimeError" or _MESSAGE not in crash.message:
            return []
        if not project.is_editable(crash.site.file):
            return []
        source = project.source(crash.site.file)
        loss = self._loss(source, crash.site)
        if loss is None:
            return []
        what = source.code(loss)
        candidates = [self._reduce(source, loss, method) for method in ("mean", "sum")]
        criterion = self._criterion(source, loss) if isinstance(loss, cst.Name) else None
        if criterion is not None:
            restored, weighted = criterion
            # With class weights or an ignored index the default mean divides by the weights of
            # the targets it counts, which loss.mean() does not: then the criterion's own first.
            candidates.insert(0 if weighted else len(candidates), restored)
        message = (
            f"the script crashed: {crash.type}: {crash.message}; `{what}` holds one loss per sample (or per "
            "element), and backward() without a gradient argument needs a single number: reduce it first"
        )
        return [self.finding(project, crash.site, message, trace.optimized_params_that_ran(), candidates, blocking=True)]

    @staticmethod
    def _loss(source: SourceFile, site: Site) -> Optional[cst.BaseExpression]:
        """The loss the backward call at the crash site was given; None when it was also given a
        gradient (then the shape is the caller's business)."""
        for call in reversed(source.nodes_at(site, cst.Call)):
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "backward":
                if any(a.keyword is None or a.keyword.value == "gradient" for a in call.args):
                    return None
                return call.func.value
            if source.qualified_names(call.func) & _BACKWARD_FUNCTIONS:
                positional = [a for a in call.args if a.keyword is None]
                tensors = [a for a in call.args if a.keyword is not None and a.keyword.value == "tensors"]
                given = positional[:1] or tensors
                if len(given) != 1 or given[0].star or len(positional) > 1:
                    return None
                if any(a.keyword is not None and a.keyword.value == "grad_tensors" for a in call.args):
                    return None
                if isinstance(given[0].value, (cst.List, cst.Tuple)):
                    return None
                return given[0].value
        return None

    def _reduce(self, source: SourceFile, loss: cst.BaseExpression, method: str) -> Candidate:
        """``loss`` -> ``loss.mean()``."""
        receiver = loss
        if not isinstance(loss, _ATOMIC) and not loss.lpar:
            receiver = loss.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        reduced = cst.Call(cst.Attribute(receiver, cst.Name(method)))
        why = "the average over the batch, as a criterion's default reduction does" if method == "mean" else "the total over the batch"
        return self.candidate(
            f"backpropagate {source.code(reduced)}: {why}",
            source.path, [source.replace_node(loss, reduced)],
        )

    def _criterion(self, source: SourceFile, loss: cst.Name) -> Optional[tuple[Candidate, bool]]:
        """The criterion with its default reduction back, when ``loss`` is its direct result (in
        the same function, always before the backward call) and nothing else uses it, or the loss,
        as a vector; and whether it weights its targets (class weights, an ignored index)."""
        assign = self._binding(source, loss)
        if assign is None or not isinstance(assign.value, cst.Call) or not self._used_whole(source, loss, assign):
            return None
        made = assign.value
        keyword = _reduction_none(made)
        if keyword is not None:  # F.cross_entropy(logits, y, reduction="none")
            restored = self._restore(source, made, keyword, f"call {source.code(made.func)}() with its default reduction (mean)")
            return restored, _weighted(made)
        if not isinstance(made.func, (cst.Name, cst.Attribute)):
            return None
        built = self._built(source, made.func)
        if built is None:
            return None
        keyword = _reduction_none(built)
        if keyword is None:
            return None
        restored = self._restore(source, built, keyword, f"build {source.code(made.func)} with its default reduction (mean)")
        # A criterion's positional arguments start with its class weights (CrossEntropyLoss, NLLLoss, BCELoss).
        return restored, _weighted(built) or any(a.keyword is None for a in built.args)

    def _restore(self, source: SourceFile, call: cst.Call, keyword: cst.Arg, description: str) -> Candidate:
        line = source.range(call).start.line
        edit: Edit = source.replace_node(call, without_arguments(call, [keyword]))
        return self.candidate(f"{description}: drop reduction=\"none\" (line {line})", source.path, [edit])

    @staticmethod
    def _binding(source: SourceFile, loss: cst.Name) -> Optional[cst.Assign]:
        """The one assignment ``loss = ...`` in the backward's function that runs before it: the
        nearest one, in a block that also holds the backward call."""
        scope = source.scopes.get(loss)
        if scope is None:
            return None
        here = source.range(loss).start
        nearest: Optional[tuple[tuple[int, int], cst.CSTNode]] = None
        for assignment in scope.assignments[loss.value]:
            node = assignment.node
            if assignment.scope is not scope or not isinstance(node, cst.CSTNode):
                continue
            where = source.range(node).start
            if (where.line, where.column) < (here.line, here.column) and (nearest is None or (where.line, where.column) > nearest[0]):
                nearest = ((where.line, where.column), node)
        if nearest is None or not isinstance(nearest[1], cst.Name):
            return None
        target = source.parent(nearest[1])
        assign = source.parent(target) if isinstance(target, cst.AssignTarget) else None
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return None
        statement = source.statement_of(assign)
        block = source.parent(statement) if statement is not None else None
        if block is None or not any(a is block for a in source.ancestors(loss)):
            return None
        return assign

    @staticmethod
    def _used_whole(source: SourceFile, loss: cst.Name, assign: cst.Assign) -> bool:
        """Every other read of the loss this assignment makes takes it whole (``loss.item()``): no
        weighting, indexing or masking that needs one value per sample."""
        scope = source.scopes.get(loss)
        if scope is None:
            return False
        target = assign.targets[0].target
        for other in scope.assignments[loss.value]:
            if other.node is not target:
                continue
            for access in other.references:
                node = access.node
                if node is loss:
                    continue
                parent = source.parent(node)
                if not (isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in _SCALAR_USES):
                    return False
        return True

    def _built(self, source: SourceFile, func: _Criterion) -> Optional[cst.Call]:
        """The one call that built the criterion ``func`` names (``criterion = nn.MSELoss(...)``,
        ``self.criterion = ...`` in the class's methods), when ``func`` is called nowhere else."""
        path = dotted_path(func)
        if path is None:
            return None
        if isinstance(func, cst.Name):
            scope = source.scopes.get(func)
            if scope is None:
                return None
            assignments = list(scope[func.value])
            if len(assignments) != 1:
                return None
            only = assignments[0]
            if len(only.references) != 1:
                return None  # the same criterion also scores something else, per sample perhaps
            node = only.node
            target = source.parent(node) if isinstance(node, cst.CSTNode) else None
            assign = source.parent(target) if isinstance(target, cst.AssignTarget) else None
            if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.value, cst.Call):
                return assign.value
            return None
        cls = next((a for a in source.ancestors(func) if isinstance(a, cst.ClassDef)), None)
        if cls is None or not path.startswith("self."):
            return None
        built: list[cst.Call] = []
        reads = 0
        for attribute in descendants(cls, cst.Attribute):
            if dotted_path(attribute) != path:
                continue
            parent = source.parent(attribute)
            if isinstance(parent, cst.AssignTarget):
                assign = source.parent(parent)
                if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.value, cst.Call)):
                    return None
                built.append(assign.value)
            else:
                reads += 1
        return built[0] if len(built) == 1 and reads == 1 else None
