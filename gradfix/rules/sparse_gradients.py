"""GF029: an ``nn.Embedding(..., sparse=True)`` (or ``nn.EmbeddingBag``) trained by an optimizer
that cannot take sparse gradients.

With ``sparse=True`` the embedding's weight gets a sparse gradient. Only ``SGD`` (without weight
decay), ``SparseAdam``, ``Adagrad`` (without weight decay) and ``LBFGS`` accept one; ``Adam``,
``AdamW``, ``RMSprop``, ``Adadelta``, ``Adamax``, ``ASGD``, ``NAdam``, ``RAdam`` and ``Rprop`` raise
"... does not support sparse gradients" at their first ``step()``, ``SGD`` and ``Adagrad`` with
``weight_decay`` raise too, and so does ``clip_grad_norm_``. The probe records the crash, the
optimizer whose ``step()`` raised, and where each embedding was built; the fix builds the
embeddings that optimizer holds with ``sparse=False`` (all of them in one edit: the next step
would raise on any one left sparse). Dense gradients are what every optimizer takes, and the
values they carry are the same.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import ModuleFact, OptimizerFact, Trace

# What torch 2.13 raises when a sparse gradient reaches code that has no sparse path.
_MESSAGES = (
    "does not support sparse gradients",  # Adam, AdamW, RMSprop, Adadelta, Adamax, ASGD, NAdam, RAdam, Rprop ...
    "not compatible with sparse gradients",  # Adagrad(weight_decay=...)
    "add(sparse, dense) is not supported",  # SGD(weight_decay=...)
    "'SparseCPU' backend",  # clip_grad_norm_ on a sparse .grad
    "'SparseCUDA' backend",
)
_EMBEDDINGS = {"torch.nn.modules.sparse.Embedding", "torch.nn.modules.sparse.EmbeddingBag"}
# nn.Embedding, nn.EmbeddingBag and both from_pretrained() take `sparse` as their 7th positional argument.
_SPARSE_POSITION = 6


def _sparse_value(call: cst.Call) -> Optional[cst.BaseExpression]:
    """The expression given as ``sparse``, by keyword or by position."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "sparse":
            return arg.value
    positional = []
    for arg in call.args:
        if arg.star or arg.keyword is not None:
            break
        positional.append(arg.value)
    return positional[_SPARSE_POSITION] if len(positional) > _SPARSE_POSITION else None


def _is_true(node: Optional[cst.BaseExpression]) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


class SparseGradients(Rule):
    code = "GF029"
    title = "sparse embedding gradients given to an optimizer that does not support them"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or not any(m in crash.message for m in _MESSAGES):
            return []
        optimizers = self._crashed_optimizers(trace)
        held = {name for o in optimizers for name in o.params}
        edits: dict[tuple[str, int, int], tuple[SourceFile, Edit]] = {}
        params: list[str] = []
        built: list[str] = []
        first_built = None
        for module in trace.modules:
            if module.cls not in _EMBEDDINGS or module.site is None or not project.is_editable(module.site.file):
                continue
            weight = self._weight(trace, module)
            if weight is None or weight not in held:
                continue
            source = project.source(module.site.file)
            edit = self._dense(source, module)
            if edit is None:
                continue
            edits.setdefault((source.path, edit.start.line, edit.start.column), (source, edit))
            params.append(weight)
            first_built = first_built or module.site
            built.append(weight.rsplit(".", 1)[0])
        if not edits:
            return []
        by_file: dict[str, list[Edit]] = {}
        for source, edit in edits.values():
            by_file.setdefault(source.path, []).append(edit)
        if len(by_file) > 1:
            return []  # one candidate is one file; embeddings built in several files are rare enough to leave
        [(path, file_edits)] = by_file.items()
        kinds = sorted({o.cls.rsplit(".", 1)[-1] for o in optimizers})
        candidate = self.candidate(
            f"build {short_list(built)} with sparse=False: dense gradients, which {', '.join(kinds)} can step with",
            path, file_edits, params,
        )
        message = (
            f"the script crashed: {crash.type}: {crash.message}; {short_list(built)} "
            f"{'is' if len(built) == 1 else 'are'} built with sparse=True, so {'its' if len(built) == 1 else 'their'} "
            f"weight gets a sparse gradient, which {', '.join(kinds)} cannot take here (SparseAdam can, and so can SGD "
            "and Adagrad without weight decay)"
        )
        site = crash.site if project.is_editable(crash.site.file) else first_built
        assert site is not None
        return [self.finding(project, site, message, params, [candidate], blocking=True)]

    @staticmethod
    def _crashed_optimizers(trace: Trace) -> list[OptimizerFact]:
        """The optimizer whose step() raised: its step is the call at the crash site. When the probe
        did not see that call (a clip before the step, a crash late in a long run), every optimizer."""
        crash = trace.crash
        assert crash is not None and crash.site is not None
        ids = {
            e.optimizer for e in trace.order
            if e.kind == "step" and e.site is not None and e.site.same_place(crash.site) and e.optimizer is not None
        }
        found = [o for o in trace.optimizers if o.id in ids]
        return found or list(trace.optimizers)

    @staticmethod
    def _weight(trace: Trace, module: ModuleFact) -> Optional[str]:
        for name in (module.path, module.name):
            if name and trace.param(f"{name}.weight") is not None:
                return f"{name}.weight"
        return None

    @staticmethod
    def _dense(source: SourceFile, module: ModuleFact) -> Optional[Edit]:
        """``sparse=True`` -> ``sparse=False`` where the embedding was built; through a name, at the
        ``True`` it was bound to (a constructor's ``sparse=True`` default, a ``SPARSE = True`` constant)."""
        assert module.site is not None
        calls = source.nodes_at(module.site, cst.Call)
        if not calls:
            return None
        value = _sparse_value(calls[-1])
        false = cst.Name("False")
        if _is_true(value):
            return source.replace_node(value, false)  # type: ignore[arg-type]
        if not isinstance(value, cst.Name):
            return None
        scope = source.scopes.get(value)
        if scope is None:
            return None
        assignments = list(scope[value.value])
        if len(assignments) != 1:
            return None
        node = assignments[0].node
        if isinstance(node, cst.Param):
            return source.replace_node(node.default, false) if _is_true(node.default) else None
        assign = source.parent(node) if isinstance(node, cst.Name) else None
        if isinstance(assign, cst.AssignTarget):
            assign = source.parent(assign)
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and _is_true(assign.value):
            return source.replace_node(assign.value, false)
        return None
