"""GF057: a softmax, log_softmax or cross-entropy over a dimension of size 1: its output is a
constant, and everything before it gets a gradient of exactly 0.

A softmax over one value is 1.0 whatever the value (a log_softmax 0.0, a cross-entropy over one
class a loss of 0), so the gradient it passes back is exactly 0. The parameters that reach the loss
only through it receive zero gradients at every step and never change, while the rest of the model
trains and the run looks normal. Users write it as top-1 gating that selects first and normalises
after (``top, idx = logits.topk(1, dim=1)`` then ``F.softmax(top, dim=1)``: every gate is 1.0 and
the router never learns); a binary classifier with one output unit followed by ``softmax(dim=1)`` or
``nn.Softmax(dim=1)``; ``nn.CrossEntropyLoss`` over a single logit (given probabilities it is 0;
given the labels 0 and 1 it crashes with "Target 1 is out of bounds"); a softmax over the wrong
dimension, whose size is 1 (``dim=0`` on a ``(1, C)`` batch, ``dim=-1`` on ``(N, L, 1)`` scores).

The probe records each call of these ops (functional, method and module forms) made with gradients
on, on a tensor that requires grad, over a dimension of size 1: the user's call, the input's shape,
whether the input was the values a ``topk``/``max`` kept, and the trainable parameters it was
computed from. A finding needs some of those parameters held by a stepping optimizer with gradients
that were 0 at every step (parameters that also learn through another path train, and are not
named); or the crash of a cross-entropy over one class given class indices. One given class
indices that ran (all of them 0: a contrastive loss that lost its negatives as often as a binary
classifier) is explained, without a fix. GF038 leaves the parameters behind such a site to this rule.

The candidates, smallest first, the re-run judges: for a selection normalised after it, normalise
the scores first and select after (``probs = F.softmax(logits, dim=1)`` then
``gates, idx = probs.topk(k, dim=1)``); for a wrong dimension, each other dimension whose size is
more than 1 (not the batch's); for a single output, ``torch.sigmoid`` (``F.logsigmoid`` for a
log_softmax, ``nn.Sigmoid()`` / ``nn.LogSigmoid()`` for the module); for a cross-entropy over one
logit, ``BCEWithLogitsLoss`` (``binary_cross_entropy_with_logits``), given the logit squeezed and
the labels as floats when they were class indices. A softmax over a real class dimension, top-k
with k > 1 then a softmax over the k kept (Mixtral's), and a softmax over one value that no
trainable parameter is behind are left alone.
"""

from __future__ import annotations

import os
from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import binds_tightest, is_dotted_name
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import BindsAndReads, SourceFile, descendants
from gradfix.torch_api import module_alias
from gradfix.trace import OneElementNorm, Site, Trace

_FUNCTIONS = {
    "softmax": {"torch.softmax", "torch.nn.functional.softmax", "torch.special.softmax"},
    "log_softmax": {"torch.log_softmax", "torch.nn.functional.log_softmax", "torch.special.log_softmax"},
    "softmin": {"torch.nn.functional.softmin"},
    "cross_entropy": {"torch.nn.functional.cross_entropy"},
}
# The selections whose values a normalisation should not come after: method names, and functions.
_SELECT_METHODS = {"topk", "max"}
_SELECT_FUNCTIONS = {"torch.topk", "torch.max"}
_FRESH = ("probs", "gate_probs", "all_probs", "full_probs")
_CONSTANT = {"softmax": "1.0", "softmin": "1.0", "log_softmax": "0.0"}


class NormalizedOverOneElement(Rule):
    code = "GF057"
    title = "softmax or cross-entropy over a dimension of size 1: a constant output and a zero gradient"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if trace.crash is not None:
            return self._crashed(trace, project)
        if not trace.steps:
            return []
        stepped = {o.id for o in trace.optimizers if o.steps}
        findings: list[Finding] = []
        named: set[str] = set()
        for norm in sorted(trace.one_element_norms, key=lambda n: (n.site.file, n.site.line, n.site.column or 0)):
            if not project.is_editable(norm.site.file):
                continue
            # Parameters behind it whose gradient was 0 at every step of an optimizer that holds
            # them: what learns only through this op. Those that also learn another way trained.
            stuck = [
                name for name in norm.leaves
                if name not in named and (p := trace.param(name)) is not None and p.requires_grad and p.is_leaf
                and p.got_grad and not p.nonzero_grad and stepped & set(p.optimizers)
            ]
            if not stuck:
                continue
            named.update(stuck)
            source = project.source(norm.site.file)
            if norm.op == "cross_entropy" and norm.int_target:
                # Class indices over one class are all 0 (any other crashes): the loss is 0 by
                # construction, and no change of the loss alone says what was meant (a contrastive
                # loss left without its negatives is not a binary classifier).
                candidates: list[Candidate] = []
            else:
                candidates = self._candidates(project, source, norm)
            findings.append(self.finding(project, self._where(project, norm), self._message(source, norm, stuck), stuck, candidates[:6]))
        return findings

    def _crashed(self, trace: Trace, project: Project) -> list[Finding]:
        """A cross-entropy over one class given the class 1: "Target 1 is out of bounds"."""
        crash = trace.crash
        if crash is None or crash.site is None or crash.type != "IndexError" or "out of bounds" not in crash.message:
            return []
        for norm in trace.one_element_norms:
            if norm.op != "cross_entropy" or not norm.int_target or not norm.site.same_place(crash.site):
                continue
            if not project.is_editable(norm.site.file):
                return []
            params = [
                name for name in norm.leaves
                if (p := trace.param(name)) is not None and p.requires_grad and p.is_leaf and p.optimizers
            ]
            if not params:
                return []
            source = project.source(norm.site.file)
            message = (
                f"cross-entropy over a single class (the logits have shape {_shape(norm)}): the only valid label is 0, "
                "and the label 1 crashed it; a binary classifier with one output is trained with BCEWithLogitsLoss "
                "on that logit and the labels as floats"
            )
            candidates = self._binary_loss(project, source, norm)
            return [self.finding(project, self._where(project, norm), message, params, candidates, blocking=True)]
        return []

    @staticmethod
    def _where(project: Project, norm: OneElementNorm) -> Site:
        """A torch module's fault is where it was built (``nn.Softmax(dim=1)``), in the user's files."""
        if norm.module_site is not None and project.is_editable(norm.module_site.file):
            return norm.module_site
        return norm.site

    @staticmethod
    def _message(source: SourceFile, norm: OneElementNorm, stuck: list[str]) -> str:
        one = len(stuck) == 1
        receive = f"{short_list(stuck)} {'receives' if one else 'receive'} only zero gradients and never {'changes' if one else 'change'}"
        calls = source.nodes_at(norm.site, cst.Call)
        if norm.module:
            called = norm.site.line if norm.module_site is None or norm.module_site.file == norm.site.file else f"{norm.site.line} of {os.path.basename(norm.site.file)}"
            shown = f"the `{norm.module.rsplit('.', 1)[-1]}` built here (called at line {called})"
        else:
            shown = f"`{source.code(calls[-1])}`" if calls else "this call"
        if norm.op == "cross_entropy":
            why = (
                f"{shown} is a cross-entropy over a single class (the logits have shape {_shape(norm)}): the loss is 0 "
                f"whatever the logits, so its gradient is exactly 0 and {receive}"
            )
            if norm.int_target:
                why += (
                    "; every label is the class 0, the only one: a contrastive loss needs its negatives beside the positive, "
                    "a binary classifier BCEWithLogitsLoss on its one logit"
                )
            return why
        why = (
            f"{shown} normalises over dimension {norm.dim}, whose size is 1 (the input has shape {_shape(norm)}): every "
            f"output is {_CONSTANT.get(norm.op, 'a constant')} whatever the input, so the gradient it passes back is exactly 0 "
            f"and {receive}"
        )
        if norm.selected:
            why += "; it normalises the one value a top-k kept: normalise the scores first, then select"
        return why

    # -- candidates ---------------------------------------------------------------------------------

    def _candidates(self, project: Project, source: SourceFile, norm: OneElementNorm) -> list[Candidate]:
        if norm.op == "cross_entropy":
            return self._binary_loss(project, source, norm)
        if len(norm.shape) > 3 and not norm.selected:
            # Attention scores over heads and queries with one key (a conditioning vector used as
            # the only token): the softmax is constant and the query and key projections never
            # learn, but over the queries or a sigmoid a re-run would "verify" a different model.
            return []
        made: list[tuple[str, SourceFile, list[Edit]]] = []
        if norm.module:
            built = _constructor(project, norm)
            if built is None:
                return []
            source, call = built
            dim = _argument_stars_left_out(call, 0, "dim")
            for other in _other_dims(norm):
                edit = _set_dim(source, call, dim, _dim_text(norm, other))
                made.append((f"`{source.code(call)}` over dimension {_dim_text(norm, other)} (size {norm.shape[other]}) instead of dimension {norm.dim} (size 1)", source, [edit]))
            replacement = _module_instead(source, call, norm.op)
            if replacement is not None:
                made.append((f"`{replacement}` instead of `{source.code(call)}`: a probability of its own for the one output", source, [source.replace_node(call, _parse(source, replacement))]))
        else:
            calls = [c for c in source.nodes_at(norm.site, cst.Call) if _form(source, c, norm.op) is not None]
            if not calls:
                return []
            call = calls[-1]
            form = _form(source, call, norm.op)
            assert form is not None
            if norm.selected:
                reordered = _select_after(source, call, form)
                if reordered is not None:
                    made.append((reordered[0], source, reordered[1]))
            dim = _argument_stars_left_out(call, 0, "dim") if form == "method" else _argument_stars_left_out(call, 1, "dim")
            for other in _other_dims(norm):
                edit = _set_dim(source, call, dim, _dim_text(norm, other))
                made.append((f"`{norm.op}` over dimension {_dim_text(norm, other)} (size {norm.shape[other]}) instead of dimension {norm.dim} (size 1)", source, [edit]))
            sigmoid = _sigmoid_instead(source, call, form, norm.op)
            if sigmoid is not None:
                made.append((f"`{sigmoid}` instead of `{source.code(call)}`: a probability of its own for each output", source, [source.replace_node(call, _parse(source, sigmoid))]))
        return [self.candidate(description, where.path, edits) for description, where, edits in made]

    def _binary_loss(self, project: Project, source: SourceFile, norm: OneElementNorm) -> list[Candidate]:
        """Cross-entropy over one logit -> BCE with logits: the same args for probabilities of the
        input's shape, the logit squeezed and the labels as floats for class indices."""
        if norm.dim != 1 or len(norm.shape) < 2:
            return []
        if norm.module:
            built = _constructor(project, norm)
            if built is None or built[0].path != source.path:
                return []
            _, constructor = built
            if any(a.star or (a.keyword is not None and a.keyword.value != "reduction") or a.keyword is None for a in constructor.args):
                return []
            replacement = _renamed(source, constructor, "BCEWithLogitsLoss", "torch.nn")
            if replacement is None:
                return []
            edits = [source.replace_node(constructor.func, replacement)]
            if norm.int_target:
                calls = source.nodes_at(norm.site, cst.Call)
                if not calls:
                    return []
                given = _squeezed(source, calls[-1], 0)
                if given is None:
                    return []
                edits += given
            what = "the logit squeezed and the labels as floats" if norm.int_target else "the same arguments"
            shown = cst.Module([]).code_for_node(replacement)
            return [self.candidate(f"`{shown}()` instead of `{source.code(constructor.func)}()`, given {what}", source.path, edits)]
        calls = [c for c in source.nodes_at(norm.site, cst.Call) if _form(source, c, "cross_entropy") == "function"]
        if not calls:
            return []
        call = calls[-1]
        if any(a.star or (a.keyword is not None and a.keyword.value not in ("input", "target", "reduction")) for a in call.args):
            return []
        renamed = _renamed(source, call, "binary_cross_entropy_with_logits", "torch.nn.functional")
        if renamed is None:
            return []
        edits = [source.replace_node(call.func, renamed)]
        if norm.int_target:
            given = _squeezed(source, call, 0)
            if given is None:
                return []
            edits += given
        shown = cst.Module([]).code_for_node(renamed)
        what = "the logit squeezed and the labels as floats" if norm.int_target else "the same arguments"
        return [self.candidate(f"`{shown}` instead of `{source.code(call.func)}`, given {what}", source.path, edits)]


def _shape(norm: OneElementNorm) -> str:
    return "(" + ", ".join(str(size) for size in norm.shape) + ")"


def _parse(source: SourceFile, text: str) -> cst.BaseExpression:
    return cst.parse_expression(text, config=source.module.config_for_parsing)


def _form(source: SourceFile, call: cst.Call, op: str) -> Optional[str]:
    """``function`` (``F.softmax(x, dim)``, ``torch.softmax(x, dim)``), ``method`` (``x.softmax(dim)``), or None."""
    if source.qualified_names(call.func) & _FUNCTIONS[op]:
        return "function"
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == op:
        return "method"
    return None


def _argument_stars_left_out(call: cst.Call, position: int, keyword: str) -> Optional[cst.Arg]:
    """The argument named ``keyword``, else the ``position``-th positional one counted with the
    ``*args`` / ``**kwargs`` left out (unlike :func:`gradfix.expressions.call_argument`, which
    gives None once a ``*args`` comes at or before the position)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[position] if len(positional) > position else None


def _input(call: cst.Call, form: str) -> Optional[cst.BaseExpression]:
    if form == "method":
        assert isinstance(call.func, cst.Attribute)
        return call.func.value
    arg = _argument_stars_left_out(call, 0, "input")
    return arg.value if arg is not None else None


def _other_dims(norm: OneElementNorm) -> list[int]:
    """The dimensions a normalisation over dimension ``norm.dim`` (size 1) was meant for: each
    other one whose size is more than 1, the nearest first; never the first, the batch's."""
    others = [d for d in range(1, len(norm.shape)) if d != norm.dim and norm.shape[d] > 1]
    return sorted(others, key=lambda d: (abs(d - norm.dim), d))


def _dim_text(norm: OneElementNorm, dim: int) -> str:
    return "-1" if dim == len(norm.shape) - 1 else str(dim)


def _set_dim(source: SourceFile, call: cst.Call, arg: Optional[cst.Arg], text: str) -> Edit:
    """The call with its ``dim`` argument set to ``text``; a call that names none gets ``dim=`` last."""
    value = _parse(source, text)
    if arg is not None:
        return source.replace_node(arg.value, value)
    args = list(call.args)
    if args:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args.append(cst.Arg(value, keyword=cst.Name("dim"), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
    return source.replace_node(call, call.with_changes(args=args))


def _select_after(source: SourceFile, call: cst.Call, form: str) -> Optional[tuple[str, list[Edit]]]:
    """``top, idx = logits.topk(k, dim=1)`` then ``gates = F.softmax(top, dim=1)`` ->
    ``probs = F.softmax(logits, dim=1)`` then ``gates, idx = probs.topk(k, dim=1)``."""
    value = _input(call, form)
    if not isinstance(value, cst.Name):
        return None
    after = source.statement_of(call)
    if not isinstance(after, cst.SimpleStatementLine) or len(after.body) != 1:
        return None
    normalised = after.body[0]
    if not isinstance(normalised, cst.Assign) or len(normalised.targets) != 1:
        return None
    block = source.parent(after)
    if not isinstance(block, (cst.IndentedBlock, cst.Module)):
        return None
    body = list(block.body)
    index = next((i for i, s in enumerate(body) if s is after), None)
    if index is None:
        return None
    selection = None
    between: list[cst.BaseStatement] = []
    for statement in reversed(body[:index]):
        seen = BindsAndReads()
        statement.visit(seen)
        if value.value in seen.binds:
            selection = statement
            break
        between.append(statement)
    if not isinstance(selection, cst.SimpleStatementLine) or len(selection.body) != 1:
        return None
    select = selection.body[0]
    if not isinstance(select, cst.Assign) or len(select.targets) != 1 or not isinstance(select.value, cst.Call):
        return None
    target = select.targets[0].target
    if not isinstance(target, (cst.Tuple, cst.List)) or len(target.elements) != 2:
        return None
    kept, chosen = (e.value for e in target.elements)
    if not (isinstance(kept, cst.Name) and kept.value == value.value and isinstance(chosen, cst.Name)):
        return None
    picked = select.value
    if isinstance(picked.func, cst.Attribute) and picked.func.attr.value in _SELECT_METHODS and not source.qualified_names(picked.func) & _SELECT_FUNCTIONS:
        scores: cst.BaseExpression = picked.func.value
    elif source.qualified_names(picked.func) & _SELECT_FUNCTIONS and (arg := _argument_stars_left_out(picked, 0, "input")) is not None:
        scores = arg.value
    else:
        return None
    # The kept values feed this normalisation alone, and nothing between the two statements reads
    # or rebinds what they use: the selection can move after it.
    if not _feeds_only(source, value, kept, normalised) or chosen.value in _names(normalised.value):
        return None
    used = _names(select) | _names(normalised)
    for statement in between:
        seen = BindsAndReads()
        statement.visit(seen)
        if (seen.binds | seen.reads) & {value.value, chosen.value} or seen.binds & used:
            return None
    scope_names = _names(_scope(source, after))
    fresh = next((n for n in _FRESH if n not in scope_names and n not in source.bindings), None)
    if fresh is None:
        return None
    moved = scores
    if form == "method" and not binds_tightest(scores):
        moved = scores.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    first = selection.with_changes(body=[select.with_changes(
        targets=[select.targets[0].with_changes(target=cst.Name(fresh))],
        value=normalised.value.deep_replace(value, moved),
    )])
    second = after.with_changes(body=[normalised.with_changes(
        targets=[normalised.targets[0].with_changes(target=target.with_changes(elements=[
            target.elements[0].with_changes(value=normalised.targets[0].target), target.elements[1],
        ]))],
        value=picked.deep_replace(scores, cst.Name(fresh)),
    )])
    edits = [source.replace_statement(selection, first), source.replace_statement(after, second)]
    description = (
        f"normalise first, select after: `{fresh} = {cst.Module([]).code_for_node(first.body[0].value)}`, then "  # type: ignore[attr-defined]
        f"`{cst.Module([]).code_for_node(second.body[0])}`"
    )
    return description, edits


def _scope(source: SourceFile, node: cst.CSTNode) -> cst.CSTNode:
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
            return ancestor
    return source.module


def _names(node: cst.CSTNode) -> set[str]:
    return {n.value for n in descendants(node, cst.Name)}


def _feeds_only(source: SourceFile, read: cst.Name, bound: cst.Name, normalised: cst.Assign) -> bool:
    """Whether the value the selection bound to ``bound`` is read by ``read`` (in the
    normalisation) and nowhere else: the scope assigns the name there, and perhaps in the
    normalisation itself (``gate = gate.softmax(-1)``), whose value is what later reads see."""
    scope = source.scopes.get(read)
    if scope is None:
        return False
    rebound = normalised.targets[0].target
    again = isinstance(rebound, cst.Name) and rebound.value == read.value
    assignments = list(scope.assignments[read.value])
    if not any(a.node is bound for a in assignments):
        return False
    if any(a.node is not bound and not (again and a.node is rebound) for a in assignments):
        return False
    inside = {id(n) for n in descendants(normalised.value, cst.Name) if n.value == read.value}
    reads = [access.node for access in scope.accesses[read.value]]
    if again:
        return [n for n in reads if id(n) in inside] == [read]
    return reads == [read]


def _sigmoid_instead(source: SourceFile, call: cst.Call, form: str, op: str) -> Optional[str]:
    """``torch.sigmoid(x)`` / ``x.sigmoid()`` for a softmax, ``F.logsigmoid(x)`` for a log_softmax."""
    value = _input(call, form)
    if value is None or any(a.star for a in call.args):
        return None
    if any(a.keyword is not None and a.keyword.value not in ("input", "dim") for a in call.args):
        return None  # dtype=...: not carried over by hand
    code = source.code(value)
    if op == "softmax":
        if form == "method":
            return f"{source.operand_code(value)}.sigmoid()"
        torch = module_alias(source, "torch")
        return f"{torch}.sigmoid({code})" if torch is not None and is_dotted_name(torch) else None
    if op == "log_softmax":
        functional = module_alias(source, "torch.nn.functional")
        return f"{functional}.logsigmoid({code})" if functional is not None and is_dotted_name(functional) else None
    return None


def _module_instead(source: SourceFile, call: cst.Call, op: str) -> Optional[str]:
    """``nn.Sigmoid()`` for ``nn.Softmax(dim=1)``, ``nn.LogSigmoid()`` for ``nn.LogSoftmax(dim=1)``."""
    name = {"softmax": "Sigmoid", "log_softmax": "LogSigmoid"}.get(op)
    if name is None:
        return None
    renamed = _renamed(source, call, name, "torch.nn")
    return f"{cst.Module([]).code_for_node(renamed)}()" if renamed is not None else None


def _renamed(source: SourceFile, call: cst.Call, name: str, home: str) -> Optional[cst.BaseExpression]:
    """``call.func`` with its last name replaced (``nn.Softmax`` -> ``nn.Sigmoid``), or ``home``'s
    alias in the file and the name (``Softmax`` imported by itself -> ``nn.Sigmoid``)."""
    if isinstance(call.func, cst.Attribute):
        return call.func.with_changes(attr=cst.Name(name))
    alias = module_alias(source, home)
    if alias is None or not is_dotted_name(alias):
        return None
    return _parse(source, f"{alias}.{name}")


def _squeezed(source: SourceFile, call: cst.Call, first: int) -> Optional[list[Edit]]:
    """A loss call's logits ``out`` -> ``out.squeeze(1)`` and labels ``y`` -> ``y.float()``."""
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if len(positional) < first + 2:
        return None
    logits, labels = positional[first].value, positional[first + 1].value
    return [
        source.replace_node(logits, _parse(source, f"{source.operand_code(logits)}.squeeze(1)")),
        source.replace_node(labels, _parse(source, f"{source.operand_code(labels)}.float()")),
    ]


def _constructor(project: Project, norm: OneElementNorm) -> Optional[tuple[SourceFile, cst.Call]]:
    """Where the torch module that ran the op was built (``nn.Softmax(dim=1)``), in the user's files."""
    site = norm.module_site
    if site is None or not project.is_editable(site.file):
        return None
    source = project.source(site.file)
    cls = norm.module.rsplit(".", 1)[-1]
    for call in reversed(source.nodes_at(site, cst.Call)):
        func = call.func
        last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
        if last == cls:
            return source, call
    return None
