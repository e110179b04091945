"""GF047: the loss meant for a model is backpropagated into a copy of it, so the model's optimizer
steps with no gradient at all.

MAML and first-order MAML adapt a copy of the model to a task (``learner = copy.deepcopy(model)``,
a ``clone_module(model)`` helper, ``type(model)(...)`` given ``model.state_dict()``), then call
``query_loss.backward()``. The gradients land on the copy's parameters, the copy is dropped with
them, and the meta-optimizer over ``model.parameters()`` steps while none of its parameters ever
received a gradient: the meta-model never changes. Per-task fine-tuned copies whose query loss
should train the shared model, and the "fast model" of other meta-learning loops, fail the same way.

The probe follows every parameter copied from another (``copy.deepcopy`` of a module,
``load_state_dict`` given another module's ``state_dict()``) and every ``backward()`` whose loss
reached such copies: what its frame calls the copy and the module it was copied from, and whether
the gradients it left on the copy were ever applied to the copy (an optimizer's step over it, a
write into it by user code: the inner loop's backward) or dropped with it. The rule fires when an
optimizer steps, none of its parameters ever received a gradient, and a ``backward()`` sent the
loss into copies of those parameters whose gradients nothing applied.

When the copy's parameters pair one by one with the model's (``zip(model.parameters(),
learner.parameters())``), the candidates are, in order: the backward replaced by the first-order
transfer ``grads = torch.autograd.grad(loss, list(learner.parameters()))`` added into each
``p.grad`` of the model (accumulating, so the tasks of a meta-batch add up until the
meta-optimizer's ``zero_grad()``); and the backward kept with the copy's gradients added into the
model's after it (the copy's gradients left by the inner loop cleared first). The re-run judges.

Not covered: Reptile (its meta-gradient is the difference between the model and the adapted copy,
not a loss's gradient; every backward of its inner loop is applied, so this rule stays silent and
GF018 names the idle optimizer), and a loss summed over the copies of several tasks and
backpropagated once (no single copy to take the gradients from: reported without a fix).
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.expressions import is_dotted_name
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias
from gradfix.trace import CopyBackward, OptimizerFact, Trace

# Names for the lines a fix adds, each the first one the file does not use anywhere.
_GRADS = ("grads", "meta_grads", "copy_grads", "query_grads")
_PARAM = ("p", "param", "meta_param", "model_param")
_GRAD = ("g", "grad", "copy_grad", "param_grad")
_COPY_PARAM = ("q", "copy_param", "fast_param", "adapted_param")
_KEPT_KEYWORDS = {"retain_graph", "create_graph"}  # backward()'s keywords autograd.grad() takes as they are


def _names_used(source: SourceFile) -> set[str]:
    """Every name the file binds or reads (attribute names after a dot are not names)."""
    attrs = {id(a.attr) for a in descendants(source.module, cst.Attribute)}
    return {n.value for n in descendants(source.module, cst.Name) if id(n) not in attrs}


def _free(used: set[str], choices: tuple[str, ...]) -> Optional[str]:
    return next((name for name in choices if name not in used), None)


def _idle(trace: Trace, sources: set[str]) -> Optional[OptimizerFact]:
    """The optimizer holding the sources that steps while none of its parameters ever receives a
    gradient."""
    for optimizer in trace.optimizers:
        if not optimizer.steps or not sources & set(optimizer.params):
            continue
        held = [p for n in optimizer.params if (p := trace.param(n)) is not None]
        if held and not any(p.got_grad for p in held):
            return optimizer
    return None


class LossIntoModelCopy(Rule):
    code = "GF047"
    title = "loss backpropagated into a copy of the model"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings: list[Finding] = []
        for fact in trace.copy_backwards:
            # An inner loop's backward is applied to the copy by its step; a dropped one never is.
            if fact.applied or not fact.lost or not project.is_editable(fact.site.file):
                continue
            optimizer = _idle(trace, set(fact.sources))
            if optimizer is None or trace.copies_trained_instead(optimizer):
                continue  # none, or the copy is a DDP replica that trains in the model's place: GF050's
            claimed = [n for n in optimizer.params if n in set(fact.sources) and (p := trace.param(n)) is not None and p.requires_grad]
            if not claimed:
                continue
            source = project.source(fact.site.file)
            call, statement = self._backward_at(source, fact)
            held_by = f"`{optimizer.name}`" if optimizer.name else "the optimizer"
            built = f" (built at line {optimizer.site.line})" if optimizer.site is not None else ""
            model = f"`{fact.source}`" if fact.source else "the model"
            into = (
                f"`{fact.copy}`, a copy of {model}: the gradients land on the copy, which is dropped with them"
                if fact.complete else
                f"copies of {model} (`{fact.copy}` and copies made before it, which no name holds any more): the "
                "gradients land on the copies, which are dropped with them"
            )
            message = (
                f"this backward() sends the loss into {into}, while {held_by}{built} steps over {short_list(claimed)} "
                "with no gradient at all, so the model never changes"
            )
            candidates = self._candidates(source, fact, call, statement) if call is not None and statement is not None else []
            findings.append(self.finding(project, fact.site, message, claimed, candidates))
        return findings

    @staticmethod
    def _backward_at(source: SourceFile, fact: CopyBackward) -> tuple[Optional[cst.Call], Optional[cst.SimpleStatementLine]]:
        """The ``<loss>.backward(...)`` call at the site, alone in its statement."""
        calls = [
            c for c in source.nodes_at(fact.site, cst.Call)
            if isinstance(c.func, cst.Attribute) and c.func.attr.value == "backward"
        ]
        if not calls:
            return None, None
        call = calls[-1]
        statement = source.statement_of(call)
        if (
            not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1
            or not isinstance(statement.body[0], cst.Expr) or statement.body[0].value is not call
        ):
            return call, None
        return call, statement

    def _candidates(self, source: SourceFile, fact: CopyBackward, call: cst.Call, statement: cst.SimpleStatementLine) -> list[Candidate]:
        # Both fixes pair the parameters by position: only when the copy's pair with the model's.
        if not (fact.aligned and fact.complete and is_dotted_name(fact.copy) and is_dotted_name(fact.source)):
            return []
        used = _names_used(source)
        # The names come from the backward's frame: the file must spell them too.
        if fact.copy.split(".")[0] not in used or fact.source.split(".")[0] not in used:  # type: ignore[union-attr]
            return []
        candidates = []
        transfer = self._transfer(source, fact, call, statement, used)
        if transfer is not None:
            candidates.append(transfer)
        added = self._add_after(source, fact, statement, used)
        if added is not None:
            candidates.append(added)
        return candidates

    def _transfer(
        self, source: SourceFile, fact: CopyBackward, call: cst.Call, statement: cst.SimpleStatementLine, used: set[str]
    ) -> Optional[Candidate]:
        """``grads = torch.autograd.grad(loss, list(copy.parameters()))`` added into the model's
        gradients, in place of the backward: only when the loss reached the copy alone, and all
        of it (autograd.grad refuses a tensor the loss does not reach)."""
        if fact.reached_sources or not fact.covers:
            return None
        autograd = module_alias(source, "torch.autograd")
        grads, param, grad = _free(used, _GRADS), _free(used, _PARAM), _free(used, _GRAD)
        if not is_dotted_name(autograd) or grads is None or param is None or grad is None:
            return None
        keywords = []
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value not in _KEPT_KEYWORDS or arg.star:
                return None  # a gradient argument, or inputs=: not a plain loss
            keywords.append(f", {arg.keyword.value}={source.code(arg.value).strip()}")
        loss = call.func.value  # type: ignore[attr-defined]
        loss_code = cst.Module([]).code_for_node(loss.with_changes(lpar=[], rpar=[]) if hasattr(loss, "lpar") else loss)
        config = source.module.config_for_parsing
        lines = [
            cst.parse_statement(f"{grads} = {autograd}.grad({loss_code}, list({fact.copy}.parameters()){''.join(keywords)})\n", config=config),
            cst.parse_statement(
                f"for {param}, {grad} in zip({fact.source}.parameters(), {grads}):\n"
                f"{source.module.default_indent}{param}.grad = {grad} if {param}.grad is None else {param}.grad + {grad}\n",
                config=config,
            ),
        ]
        lines[0] = lines[0].with_changes(leading_lines=statement.leading_lines, trailing_whitespace=statement.trailing_whitespace)  # type: ignore[union-attr]
        edit = source.replace_statement(statement, cst.FlattenSentinel(lines))
        return self.candidate(
            f"take the gradients of the loss on `{fact.copy}` with autograd.grad() and add them into `{fact.source}`'s",
            source.path, [edit],
        )

    def _add_after(self, source: SourceFile, fact: CopyBackward, statement: cst.SimpleStatementLine, used: set[str]) -> Optional[Candidate]:
        """The backward kept, and the copy's gradients added into the model's after it; the
        gradients the inner loop left on the copy are cleared before it."""
        param, copy_param = _free(used, _PARAM), _free(used, _COPY_PARAM)
        if param is None or copy_param is None:
            return None
        config = source.module.config_for_parsing
        indent = source.module.default_indent
        after = cst.parse_statement(
            f"for {param}, {copy_param} in zip({fact.source}.parameters(), {fact.copy}.parameters()):\n"
            f"{indent}if {copy_param}.grad is not None:\n"
            f"{indent}{indent}{param}.grad = {copy_param}.grad.clone() if {param}.grad is None else {param}.grad + {copy_param}.grad\n",
            config=config,
        )
        lines: list[cst.BaseStatement] = [statement, after]
        if fact.held_grads:
            clear = cst.parse_statement(f"{fact.copy}.zero_grad()\n", config=config)
            lines = [clear.with_changes(leading_lines=statement.leading_lines), statement.with_changes(leading_lines=[]), after]  # type: ignore[union-attr]
        edit = source.replace_statement(statement, cst.FlattenSentinel(lines))
        cleared = f"clear `{fact.copy}`'s gradients before the backward, and " if fact.held_grads else ""
        return self.candidate(
            f"{cleared}add `{fact.copy}`'s gradients into `{fact.source}`'s after the backward",
            source.path, [edit],
        )
