"""GF029: an ``nn.Embedding(..., sparse=True)`` (or ``nn.EmbeddingBag``) trained by an optimizer
that cannot take sparse gradients.

With ``sparse=True`` the embedding's weight gets a sparse gradient. Only ``SGD`` (without weight
decay), ``SparseAdam``, ``Adagrad`` (without weight decay) and ``LBFGS`` accept one; ``Adam``,
``AdamW``, ``RMSprop``, ``Adadelta``, ``Adamax``, ``ASGD``, ``NAdam``, ``RAdam`` and ``Rprop`` raise
"... does not support sparse gradients" at their first ``step()``, ``SGD`` and ``Adagrad`` with
``weight_decay`` raise too, and so does ``clip_grad_norm_``. The probe records the crash, the
optimizer whose ``step()`` raised, and where each embedding was built; the fix builds the
embeddings that optimizer holds with ``sparse=False`` (all of them in one edit: the next step
would raise on any one left sparse), at the literal the flag comes from: the constructor's
keyword, a default, a constant, the argument the model's one construction passes for it, or a
config dict's value (``SourceFile.literal_behind``). Dense gradients are what every optimizer takes, and the
values they carry are the same.

The other direction: ``SparseAdam`` takes only sparse gradients and raises "SparseAdam does not
support dense gradients" at a dense one. A ``sparse=True`` table gets one when its weight is used
another way too: tied to a ``Linear`` (``decoder.weight = embed.weight``), read through
``F.embedding(ids, emb.weight)`` (without its own ``sparse=True``) or ``emb.weight`` directly (a
penalty); ``max_norm`` and a second lookup keep it sparse. So do a ``Linear``'s parameters handed
to it. The probe records which parameters held a dense gradient at that step, and the embeddings
holding them. Candidates, most conservative first: build those embeddings with ``sparse=False``
(one at a time, then all: a script that sends its tables to ``SparseAdam`` by their ``sparse``
flag then sends them to its dense optimizer); then ``SparseAdam`` built as ``Adam``, with every
sparse embedding it holds built with ``sparse=False`` (unsafe: it changes the algorithm).
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile
from gradfix.torch_api import module_alias
from gradfix.trace import ModuleFact, OptimizerFact, Trace
from gradfix.verify import describe_crash, judge

# What torch 2.13 raises when a sparse gradient reaches code that has no sparse path.
_MESSAGES = (
    "does not support sparse gradients",  # Adam, AdamW, RMSprop, Adadelta, Adamax, ASGD, NAdam, RAdam, Rprop ...
    "not compatible with sparse gradients",  # Adagrad(weight_decay=...)
    "add(sparse, dense) is not supported",  # SGD(weight_decay=...)
    "'SparseCPU' backend",  # clip_grad_norm_ on a sparse .grad
    "'SparseCUDA' backend",
)
# ... and what SparseAdam raises when a gradient it holds is dense.
_DENSE_MESSAGE = "does not support dense gradients"
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
        if crash is not None and crash.site is not None and _DENSE_MESSAGE in crash.message:
            return self._dense_into_sparse(trace, project)
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

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        """A re-run that stops at SparseAdam's dense-gradient crash again has not got past it,
        though it may count more events (one table moved to a dense optimizer built besides)."""
        crash = run.trace.crash
        if before.crash is not None and crash is not None and _DENSE_MESSAGE in before.crash.message and _DENSE_MESSAGE in crash.message:
            return Verdict(False, f"still fails: {describe_crash(crash)}")
        return judge(finding, candidate, before, run)

    # -- the other direction: a dense gradient reaching SparseAdam ------------------------------

    def _dense_into_sparse(self, trace: Trace, project: Project) -> list[Finding]:
        """SparseAdam raised at a dense gradient: the probe recorded which of its parameters had
        one, and the embeddings holding them. Candidates, most conservative first: build each of
        those embeddings with ``sparse=False`` (one at a time, then all: a script that sends its
        sparse embeddings to SparseAdam by their ``sparse`` flag then sends them to its dense
        optimizer), then SparseAdam swapped for Adam with every sparse embedding it holds made dense."""
        crash = trace.crash
        assert crash is not None and crash.site is not None
        crashed = [o for o in self._crashed_optimizers(trace) if o.dense_grads]
        optimizer = next(iter(crashed or [o for o in trace.optimizers if o.dense_grads]), None)
        if optimizer is None:
            return []
        dense_modules = [m for mid in optimizer.dense_embeddings if (m := trace.module(mid)) is not None]
        held = set(optimizer.params)
        held_modules = [
            m for m in trace.modules
            if m.cls in _EMBEDDINGS and (w := self._weight(trace, m)) is not None and w in held and m not in dense_modules
        ]
        candidates = []
        own = self._dense_edits(project, dense_modules)
        for path, edit, name in own if len(own) > 1 else []:
            candidates.append(self.candidate(f"build {name} with sparse=False: its gradient is dense anyway", path, [edit]))
        by_file: dict[str, list[Edit]] = {}
        for path, edit, _ in own:
            by_file.setdefault(path, []).append(edit)
        if len(by_file) == 1:
            [(path, edits)] = by_file.items()
            names = short_list([name for _, _, name in own])
            candidates.append(self.candidate(f"build {names} with sparse=False: {'its gradient is' if len(own) == 1 else 'their gradients are'} dense anyway", path, edits))
        swap = self._swap(trace, project, optimizer, dense_modules + held_modules)
        if swap is not None:
            candidates.append(swap)
        dense_names = [m.path or m.name or "?" for m in dense_modules]
        one = len(optimizer.dense_grads) == 1
        if dense_names:
            why = (
                f"{short_list(dense_names)} {'is' if len(dense_names) == 1 else 'are'} built with sparse=True, but "
                f"{'its weight is' if len(dense_names) == 1 else 'their weights are'} also used another way (tied to "
                "another layer's weight, read through F.embedding or .weight), which makes the whole gradient dense"
            )
        else:
            why = "only an nn.Embedding or nn.EmbeddingBag built with sparse=True and called as a module gets a sparse gradient"
        message = (
            f"the script crashed: {crash.type}: {crash.message}; {short_list(optimizer.dense_grads)} "
            f"{'gets a dense gradient' if one else 'get dense gradients'}, which SparseAdam cannot take: {why}"
        )
        site = crash.site if project.is_editable(crash.site.file) else optimizer.site
        if site is None or not project.is_editable(site.file):
            return []
        return [self.finding(project, site, message, list(optimizer.params), candidates[:6], blocking=True)]

    def _dense_edits(self, project: Project, modules: list[ModuleFact]) -> list[tuple[str, Edit, str]]:
        """``sparse=False`` for each embedding built with ``sparse=True``: one edit per place."""
        found: dict[tuple[str, int, int], tuple[str, Edit, str]] = {}
        for module in modules:
            if module.site is None or not project.is_editable(module.site.file):
                continue
            source = project.source(module.site.file)
            edit = self._dense(source, module)
            if edit is not None:
                found.setdefault((source.path, edit.start.line, edit.start.column), (source.path, edit, module.path or module.name or "?"))
        return list(found.values())

    def _swap(self, trace: Trace, project: Project, optimizer: OptimizerFact, embeddings: list[ModuleFact]) -> Optional[Candidate]:
        """SparseAdam built as Adam (the same arguments: lr, betas, eps, maximize), every sparse
        embedding it holds built with ``sparse=False`` (Adam refuses sparse gradients). Not when
        another optimizer holds some of its parameters: two optimizers would step them."""
        if optimizer.site is None or not project.is_editable(optimizer.site.file):
            return None
        others = {n for o in trace.optimizers if o.id != optimizer.id for n in o.params}
        if others & set(optimizer.params):
            return None
        source = project.source(optimizer.site.file)
        calls = source.nodes_at(optimizer.site, cst.Call)
        if len(calls) != 1:
            return None
        func = calls[0].func
        if isinstance(func, cst.Attribute) and func.attr.value == "SparseAdam":
            edit = source.replace_node(func.attr, cst.Name("Adam"))
        elif isinstance(func, cst.Name) and func.value == "SparseAdam":
            adam = module_alias(source, "torch.optim.Adam")
            if adam is None:
                optim = module_alias(source, "torch.optim")
                adam = f"{optim}.Adam" if optim is not None else None
            if adam is None:
                return None
            edit = source.replace_node(func, cst.parse_expression(adam))
        else:
            return None
        edits = [edit]
        for path, dense, _ in self._dense_edits(project, embeddings):
            if path != source.path:
                return None
            edits.append(dense)
        made = ", and build its sparse embeddings with sparse=False" if len(edits) > 1 else ""
        candidate = self.candidate(f"use Adam instead of SparseAdam{made}: Adam takes dense gradients", source.path, edits)
        # Adam moves every row's moment estimates at each step, SparseAdam only the rows in the
        # batch: the training algorithm changes, so the user opts in.
        return dataclasses.replace(candidate, applicability=Applicability.UNSAFE)

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
        ``True`` it was bound to (a constructor's ``sparse=True`` default, a ``SPARSE = True``
        constant, the argument the model's one construction passes, a config dict's value)."""
        assert module.site is not None
        calls = source.nodes_at(module.site, cst.Call)
        if not calls:
            return None
        value = _sparse_value(calls[-1])
        behind = source.literal_behind(value) if value is not None else None
        return source.replace_node(behind, cst.Name("False")) if behind is not None and _is_true(behind) else None
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
