"""GF017: the loss goes through an operation with no gradient (argmax, a comparison, an int cast),
or through one whose gradient is 0 everywhere (``round``, ``floor``, ``ceil``, ``sign``).

The modules ran with gradients on, yet the loss has no ``grad_fn``: somewhere on the way an
operation returned a result that carries no gradient — ``argmax``, ``>``, ``==``, ``.long()`` — and
``loss.backward()`` raises "element 0 of tensors does not require grad". There is no mechanical
fix (the loss itself has to be a differentiable function, e.g. cross-entropy instead of an
accuracy): gradfix points at the operation and explains.

A piecewise-constant op does not crash anything: its result keeps a ``grad_fn``, but the gradient
through it is exactly 0, so every parameter before it receives all-zero gradients and never
changes (a latent code quantized with ``torch.round``, binary codes made with ``torch.sign``).
When parameters that a stepping optimizer holds received only zero gradients, and the probe saw
such an op run in user code on a tensor that requires grad, the candidate is the standard
straight-through estimator at that op: ``x + (torch.round(x) - x).detach()`` has the rounded
values forward and passes the gradient through unchanged. It changes the model's training
(unsafe), and it is offered only when ``x`` can be evaluated twice (names, arithmetic, torch's own
pure functions; not a module call). The re-run decides whether it was the op that starved them.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import Cut, Trace

_NON_DIFFERENTIABLE = {
    "argmax", "argmin", "gt", "lt", "ge", "le", "eq", "ne", "greater", "less", "greater_equal",
    "less_equal", "equal", "long", "int", "short", "bool", "byte", "to", "type",
}
# Piecewise constant: a grad_fn, and a gradient of 0 wherever it is defined.
_ZERO_GRADIENT = {"round", "floor", "ceil", "sign", "sgn", "trunc", "fix"}
# Tensor methods with no side effect and no randomness: an input built with them can be evaluated twice.
_PURE_METHODS = {
    "clamp", "clip", "sigmoid", "tanh", "relu", "abs", "exp", "log", "float", "double", "half", "view",
    "reshape", "flatten", "squeeze", "unsqueeze", "t", "transpose", "permute", "contiguous", "mul", "div",
    "add", "sub", "softmax", "mean", "sum", "neg",
}
_RANDOM = ("rand", "dropout", "bernoulli", "multinomial", "normal", "poisson", "gumbel")
_TIGHT_OPERATORS = (cst.Multiply, cst.Divide, cst.FloorDivide, cst.Modulo, cst.MatrixMultiply, cst.Power)
_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)


def _module_of(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else name


class NondifferentiableLoss(Rule):
    code = "GF017"
    title = "loss computed through a non-differentiable operation"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        return self._graphless(trace, project) or self._zero_gradients(trace, project)

    def _graphless(self, trace: Trace, project: Project) -> list[Finding]:
        """backward() crashed: the loss has no grad_fn, and a cut like argmax made it so (explained)."""
        backward = trace.graphless_backward()
        if backward is None or backward.no_grad_forwards or not backward.grad_enabled:
            return []  # a graph switched off is GF002/GF011's
        if not any(m.ran_with_grad for m in trace.modules):
            return []
        cuts = [c for c in trace.cuts if c.op in _NON_DIFFERENTIABLE and project.is_editable(c.site.file)]
        if not cuts:
            return []
        # The cut nearest before the backward call in the same file is the likeliest culprit.
        site = backward.site
        same_file = [c for c in cuts if site is not None and c.site.file == site.file and c.site.line <= site.line]
        cut = max(same_file, key=lambda c: c.site.line) if same_file else cuts[-1]
        message = (
            f"the loss has no grad_fn although the model ran with gradients on: `{cut.op}` here returns a "
            "result with no gradient, and backward() crashed; use a differentiable loss "
            "(e.g. cross-entropy on the logits instead of an accuracy or a threshold)"
        )
        params = [p.name for p in trace.params if p.requires_grad and not p.got_grad]
        return [self.finding(project, cut.site, message, params, blocking=True)]

    def _zero_gradients(self, trace: Trace, project: Project) -> list[Finding]:
        """Parameters whose every gradient was 0, behind a round/floor/ceil/sign: straight-through."""
        stepped = {o.id for o in trace.optimizers if o.steps}
        # A parameter that stayed as it was while another one of its module changed gets a zero
        # gradient for another reason (the bias of a layer followed by batch norm): not this.
        changed = {_module_of(p.name) for p in trace.params if p.changed}
        starved = [
            p.name for p in trace.params
            if p.requires_grad and p.is_leaf and p.got_grad and not p.nonzero_grad
            and stepped & set(p.optimizers) and _module_of(p.name) not in changed
        ]
        if not starved:
            return []
        cuts = [c for c in trace.cuts if c.op in _ZERO_GRADIENT and project.is_editable(c.site.file)]
        if not cuts:
            return []
        cuts.sort(key=lambda c: -c.count)
        candidates: list[Candidate] = []
        for cut in cuts[:5]:
            source = project.source(cut.site.file)
            made = self._straight_through(source, cut)
            if made is not None:
                candidates.append(self.candidate(made[0], source.path, [made[1]]))
        if len(candidates) > 1 and len({c.patches[0].path for c in candidates}) == 1:
            edits = sorted((c.patches[0].edits[0] for c in candidates), key=lambda e: (e.start, e.end))
            if all(a.end <= b.start for a, b in zip(edits, edits[1:])):
                candidates.append(self.candidate(
                    f"a straight-through estimator at all {len(candidates)} of them", candidates[0].patches[0].path, edits,
                ))
        cut = cuts[0]
        message = (
            f"{short_list(starved)} {'receives' if len(starved) == 1 else 'receive'} gradients, but every one is exactly 0, "
            f"and `{cut.op}` ran here on a tensor that requires grad: its gradient is 0 everywhere, so nothing before it "
            "learns; a straight-through estimator keeps its values forward and passes the gradient through"
        )
        return [self.finding(project, cut.site, message, starved, candidates)]

    @staticmethod
    def _straight_through(source: SourceFile, cut: Cut) -> Optional[tuple[str, Edit]]:
        """``torch.round(x)`` / ``x.round()`` -> ``x + (torch.round(x) - x).detach()``."""
        calls = source.nodes_at(cut.site, cst.Call)
        if not calls:
            return None
        call = calls[-1]
        if source.qualified_names(call.func) & {f"torch.{cut.op}"} and call.args and call.args[0].keyword is None and not call.args[0].star:
            value = call.args[0].value
        elif isinstance(call.func, cst.Attribute) and call.func.attr.value == cut.op:
            value = call.func.value
        else:
            return None
        if not _pure(source, value):
            return None  # `torch.round(self.encoder(x))`: written twice, the encoder would run twice
        code = source.code(value)
        if not (isinstance(value, _ATOMIC) or value.lpar or _tight(value)):
            code = f"({code})"
        text = f"{code} + ({source.code(call)} - {code}).detach()"
        try:
            new = cst.parse_expression(text, config=source.module.config_for_parsing)
        except cst.ParserSyntaxError:
            return None
        parent = source.parent(call)
        if not isinstance(parent, (cst.Arg, cst.Assign, cst.Return, cst.AugAssign, cst.AnnAssign, cst.Element, cst.Expr)):
            new = new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        description = f"straight-through estimator at `{source.code(call)}`: its values forward, the gradient of `{code}` backward"
        return description, source.replace_node(call, new)


def _tight(node: cst.BaseExpression) -> bool:
    """Binds tighter than ``+`` and ``-``: safe on either side of them without parentheses."""
    if isinstance(node, cst.UnaryOperation):
        return True
    return isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _TIGHT_OPERATORS)


def _pure(source: SourceFile, node: cst.BaseExpression) -> bool:
    """Evaluating ``node`` twice gives the same tensor and does nothing else."""
    if isinstance(node, (cst.Name, cst.Integer, cst.Float)):
        return True
    if isinstance(node, cst.Attribute):
        return _pure(source, node.value)
    if isinstance(node, cst.Subscript):
        parts = []
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                parts.append(element.slice.value)
            else:
                parts += [p for p in (element.slice.lower, element.slice.upper, element.slice.step) if p is not None]
        return _pure(source, node.value) and all(_pure(source, p) for p in parts)
    if isinstance(node, cst.BinaryOperation):
        return _pure(source, node.left) and _pure(source, node.right)
    if isinstance(node, cst.UnaryOperation):
        return _pure(source, node.expression)
    if isinstance(node, cst.Call):
        if not all(_pure(source, a.value) for a in node.args) or any(a.star for a in node.args):
            return False
        names = source.qualified_names(node.func)
        if any(n.startswith("torch.") and n.rsplit(".", 1)[-1].islower() and not any(r in n for r in _RANDOM) for n in names):
            return True
        return isinstance(node.func, cst.Attribute) and node.func.attr.value in _PURE_METHODS and not names and _pure(source, node.func.value)
    return False
