"""GF060: a router (a gate, an attention that selects) whose scores are used only to pick, through
indices with no gradient, so its parameters never receive one.

A top-1 mixture of experts computes gate scores, takes ``argmax`` (or the indices of ``max`` /
``topk``), runs the chosen expert, and puts its output in place. Nothing computed from the scores
but the indices reaches the loss, and indices carry no gradient: the experts train, the router
never does. The Switch Transformer multiplies the chosen expert's output by the gate probability
of the chosen entry; that product is the router's only path to the loss.

The probe records the ops that pick the highest (``argmax``, the indices of ``max``, ``topk``,
``sort``, ``kthvalue``) run with gradients on in user code, and the parameters their inputs came
from; a nearest-entry lookup (``argmin`` of distances), a threshold (a comparison) and a draw
(``multinomial``) are GF017's. A finding needs parameters that an optimizer holds, of
modules that ran with gradients on, that no loss reached, that went into such an op, and that are
behind no ``.detach()`` or re-wrap whose result went into a loss (GF008's), and the op inside a
function (an ``argmax`` at a script's top level is a metric). The candidates, for the
re-run to judge, keep the probabilities of the chosen entries (``values, idx = torch.max(probs, dim)``
already has them; ``idx = torch.argmax(logits, dim)`` becomes
``prob, idx = logits.softmax(dim=dim).max(dim=dim)``), hand them to the function that combines the
experts' outputs when the router is a module of its own that returns only the indices (its
``return`` and its one call site), and multiply the combined output by them: where each chosen
output is written (``out[i] = y * prob[i]``), or once the outputs are all in place
(``out = out * prob.unsqueeze(-1)``).

When the indices look up rows of an embedding table (the probe records each lookup, ``table(idx)``
or ``F.embedding(idx, weight)``, whose indices came from the pick), the candidates read the table
by a matrix product instead: first with a straight-through one-hot of the pick (the row picked
forward, the softmax's gradient backward), then with the softmax itself (a soft lookup).

Hard routing under ``no_grad`` (inference), a hash router with no parameters, a straight-through or
Gumbel-softmax router and a top-k whose gate values already weight the outputs give nothing to say:
their parameters either have none or receive gradients.
"""

from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import call_argument, dotted_path
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias, spelled_or_imported
from gradfix.trace import Cut, ModuleFact, Site, Trace

MAX_CANDIDATES = 6
_INDEX_OPS = {"argmax"}
_VALUE_OPS = {"max", "topk", "kthvalue"}
_PICK_OPS = _INDEX_OPS | _VALUE_OPS | {"sort"}
_Function = cst.FunctionDef


class GateNeverWeightsOutput(Rule):
    code = "GF060"
    title = "router output used only through indices"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.backwards or not trace.steps or trace.graphless_backward() is not None:
            return []  # a loss with no graph at all crashed backward(): GF017's and GF008's
        stuck = trace.params_only_selected()
        if not stuck:
            return []
        # Inside a function (a router's forward, a helper): a pick at the top level of a script
        # is a metric or a log line, beside the fault at best.
        picks = [
            c for c in [*trace.selections, *trace.cuts]
            if c.op in _PICK_OPS and set(c.leaves) & set(stuck) and project.is_editable(c.site.file)
            and c.site.function not in ("", "<module>")
        ]
        if not picks:
            return []
        # The pick inside a forward first (the router's), then the most frequent: a metric's argmax
        # at the top level runs once per step.
        picks.sort(key=lambda c: (c.site.function != "forward", -c.count, c.site.file, c.site.line))
        candidates: list[Candidate] = []
        for cut in picks[:4]:
            candidates += self._table_lookups(project, cut)
        for cut in picks[:4]:
            candidates += self._candidates(trace, project, cut)
        pick = picks[0]
        source = project.source(pick.site.file)
        params = [name for name in stuck if name in {leaf for c in picks for leaf in c.leaves}]
        one = len(params) == 1
        if any(lookup.op == "embedding" for lookup in pick.lookups):
            advice = (
                "they look up rows of an embedding table instead; read the table with the softmax of the scores "
                "(`probs @ table.weight`), or with a straight-through one-hot of the pick so its values stay the same"
            )
        else:
            advice = (
                "weight the chosen output by the gate probability of the chosen entry (as the Switch Transformer does) so "
                "the router learns"
            )
        message = (
            f"{short_list(params)} {'gets' if one else 'get'} no gradient: {'its' if one else 'their'} scores are used only "
            f"through `{_shown(source, pick)}` here, whose indices carry no gradient; {advice}"
        )
        unique: list[Candidate] = []
        seen: set[tuple] = set()
        for candidate in candidates:
            key = tuple((p.path, tuple((e.start, e.end, e.replacement) for e in p.edits)) for p in candidate.patches)
            if key not in seen:
                seen.add(key)
                unique.append(candidate)
        return [self.finding(project, pick.site, message, params, unique[:MAX_CANDIDATES])]

    # -- candidates -----------------------------------------------------------------------------

    def _candidates(self, trace: Trace, project: Project, cut: Cut) -> list[Candidate]:
        source = project.source(cut.site.file)
        calls = source.nodes_at(cut.site, cst.Call)
        if not calls:
            return []
        call = calls[-1]
        assign = source.parent(call)
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or assign.value is not call:
            return []
        function = _enclosing_function(source, call)
        if function is None:
            return []
        target = assign.targets[0].target
        if cut.op in _VALUE_OPS and isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2:
            values, indices = (e.value for e in target.elements)
            if not (isinstance(values, cst.Name) and isinstance(indices, cst.Name)):
                return []
            if not _probabilities(source, function, call, assign):
                return []  # the max of raw scores is no gate value: weighting by it trains another model
            if values.value == "_":  # `_, idx = probs.max(dim=1)`: the values are thrown away; keep them
                prob = _fresh(source, "gate_prob", f"{indices.value}_prob")
                kept = source.replace_node(values, cst.Name(prob))
                return self._weighted(source, function, assign, prob, [kept], f"keep the gate values `{source.code(call)}` chose,")
            return self._weighted(source, function, assign, values.value, [], f"keep `{values.value}`, the gate values `{source.code(call)}` chose,")
        if cut.op not in _INDEX_OPS or not isinstance(target, cst.Name):
            return []
        scores = _argmax_parts(source, call)
        if scores is None:
            return []
        logits, dim = scores
        prob = _fresh(source, "gate_prob", f"{target.value}_prob")
        text = f"{prob}, {target.value} = {source.operand_code(logits)}.softmax(dim={dim}).max(dim={dim})"
        kept = source.replace_node(assign, _parse_small(source, text))
        why = f"keep the softmax probability of the entry `{source.code(call)}` picks,"
        found = self._weighted(source, function, assign, prob, [kept], why)
        returned = _returns_only(function, target.value)
        if returned is not None:
            found += self._handed_out(trace, project, source, function, cut, returned, prob, kept, why)
        return found

    def _table_lookups(self, project: Project, cut: Cut) -> list[Candidate]:
        """The indices of the pick looked up rows of an embedding table (the probe saw the lookup,
        ``table(idx)`` or ``F.embedding(idx, weight)``, take them): the table is read by a matrix
        product with a distribution over its rows instead, which passes the gradient to the scores.
        First a straight-through one-hot (the picked row forward, the softmax's gradient backward:
        the values stay as they were), then the softmax itself (a soft lookup)."""
        lookups = [lookup for lookup in cut.lookups if lookup.op == "embedding" and project.is_editable(lookup.site.file)]
        if not lookups:
            return []
        source = project.source(cut.site.file)
        picked = _picked_indices(source, cut)
        if picked is None:
            return []
        statement, name, scores, dim = picked
        reads: list[Edit] = []
        for lookup in lookups:
            if lookup.site.file != source.path:
                return []  # one file per candidate
            read = _read_by_product(source, lookup.site)
            if read is None:
                return []
            reads.append(read)
        if _overlaps(reads, source, statement):
            return []
        functional, imported = _one_hot_spelled(source)
        probs = _fresh(source, _probabilities_name(scores, name), f"{name}_probs")
        indent = source.indentation(source.range(statement).start.line)
        after = source.range(statement).end.line + 1
        straight = source.insert_lines(after, (
            f"{indent}{probs} = {scores}.softmax({dim})\n"
            f"{indent}{name} = {functional}({name}, {probs}.size({dim})).to({probs}.dtype) + {probs} - {probs}.detach()\n"
        ))
        found = [self.candidate(
            f"a straight-through one-hot of `{name}` (the row it picks forward, the gradient of `{scores}.softmax({dim})` "
            "backward), read from the table by a matrix product",
            source.path, [*imported, straight, *reads],
        )]
        soft = source.insert_lines(after, f"{indent}{name} = {scores}.softmax({dim})\n")
        found.append(self.candidate(
            f"a soft lookup: the table read with `{scores}.softmax({dim})`, every row weighted by its probability",
            source.path, [soft, *reads],
        ))
        return found

    def _handed_out(
        self, trace: Trace, project: Project, source: SourceFile, function: _Function, cut: Cut,
        returned: cst.Return, prob: str, kept: Edit, why: str,
    ) -> list[Candidate]:
        """The router is a module that returns only the indices: it returns the probabilities too,
        and its one caller weights the outputs it combines with them."""
        module = _module_running(trace, source, function)
        if module is None:
            return []
        sites = {(chain[0].file, chain[0].line, chain[0].column) for chain in module.grad_calls if chain}
        if len(sites) != 1:
            return []  # called from several places: each would have to take the new return
        chain = next(chain for chain in module.grad_calls if chain)
        caller_site = chain[0]
        if caller_site.file != source.path:
            return []
        calls = source.nodes_at(caller_site, cst.Call)
        if not calls:
            return []
        call = calls[-1]
        assign = source.parent(call)
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
            return []
        caller = _enclosing_function(source, call)
        if caller is None or caller is function:
            return []
        name = assign.targets[0].target.value
        theirs = _fresh(source, "gate_probs", f"{name}_probs")
        given = [
            kept,
            source.replace_node(returned.value, _parse_expression(source, f"{source.code(returned.value)}, {prob}")),  # type: ignore[arg-type]
            source.replace_node(assign.targets[0].target, _parse_expression(source, f"{name}, {theirs}")),
        ]
        return self._weighted(source, caller, assign, theirs, given, f"{why} return it with the indices,")

    def _weighted(
        self, source: SourceFile, function: _Function, after: cst.Assign, prob: str, given: list[Edit], why: str,
    ) -> list[Candidate]:
        """Multiply the combined output by ``prob``: where each chosen output is written into it, or
        once they all are."""
        found: list[Candidate] = []
        start = source.range(after).end.line
        statements = [s for s in function.body.body if source.range(s).start.line > start]  # type: ignore[union-attr]
        for name, writes in _combined_outputs(source, function, start, {prob}):
            last = writes[-1]
            for write in writes:
                index = _single_index(write)
                if index is None or _overlaps(given, source, write):
                    continue
                value = write.value
                text = f"{source.operand_code(value)} * {prob}[{source.code(index)}]"
                edit = source.replace_node(value, _parse_expression(source, text))
                found.append(self.candidate(
                    f"{why} and multiply the chosen output written into `{source.code(write.targets[0].target)}` by it",
                    source.path, [*given, edit],
                ))
            outer = next((s for s in statements if source.range(s).start.line <= source.range(last).start.line <= source.range(s).end.line), None)
            if outer is None:
                continue
            line = source.range(outer).end.line + 1
            indent = source.indentation(source.range(outer).start.line)
            for shape, how in ((f"{prob}.unsqueeze(-1)", "over a new last dimension"), (prob, "as it is")):
                edit = source.insert_lines(line, f"{indent}{name} = {name} * {shape}\n")
                found.append(self.candidate(
                    f"{why} and multiply `{name}` by it ({how}) once the chosen outputs are in place", source.path, [*given, edit],
                ))
        return found


# -- reading the source ---------------------------------------------------------------------------


def _picked_indices(source: SourceFile, cut: Cut) -> Optional[tuple[cst.SimpleStatementLine, str, str, str]]:
    """The statement that binds the indices of a pick to a name, inside a function: ``idx =
    torch.max(s, d)[1]``, ``_, idx = s.max(dim=d)``, ``idx = s.argmax(d)``; with the name, the
    scores (a name or attribute, so reading them again runs nothing) and the dim, as written."""
    calls = source.nodes_at(cut.site, cst.Call)
    if not calls:
        return None
    call = calls[-1]
    if cut.op in _INDEX_OPS:
        parts = _argmax_parts(source, call)
        if parts is None:
            return None
        scores_node, dim = parts
        bound: Optional[cst.CSTNode] = call
    elif cut.op == "max":
        parts = _max_parts(source, call)
        if parts is None:
            return None
        scores_node, dim = parts
        bound = call
    else:
        return None
    parent = source.parent(call)
    assign = parent
    indices: Optional[cst.BaseExpression] = None
    if cut.op == "max" and isinstance(parent, cst.Subscript):
        # `torch.max(s, d)[1]`: the indices, the second of the pair
        if len(parent.slice) != 1 or not isinstance(parent.slice[0].slice, cst.Index):
            return None
        position = parent.slice[0].slice.value
        if not (isinstance(position, cst.Integer) and position.value == "1"):
            return None
        assign = source.parent(parent)
        bound = parent
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or assign.value is not bound:
        return None
    target = assign.targets[0].target
    if bound is parent:
        indices = target
    elif cut.op == "max" and isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2:
        indices = target.elements[1].value
    elif cut.op in _INDEX_OPS:
        indices = target
    if not isinstance(indices, cst.Name) or dotted_path(scores_node) is None:
        return None
    statement = source.parent(assign)
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1 or _enclosing_function(source, statement) is None:
        return None
    return statement, indices.value, source.code(scores_node), dim


def _one_hot_spelled(source: SourceFile) -> tuple[str, list[Edit]]:
    """``one_hot`` as the file reaches it: through its ``torch.nn.functional`` alias (``F``), its
    ``nn`` (``nn.functional``), else spelled out from ``torch`` (imported when it is not)."""
    functional = module_alias(source, "torch.nn.functional")
    if functional is not None and "." not in functional:
        return f"{functional}.one_hot", []
    nn_module = module_alias(source, "torch.nn")
    if nn_module is not None and "." not in nn_module:
        return f"{nn_module}.functional.one_hot", []
    return spelled_or_imported(source, "torch.nn.functional.one_hot")


def _max_parts(source: SourceFile, call: cst.Call) -> Optional[tuple[cst.BaseExpression, str]]:
    """``torch.max(scores, d)`` / ``scores.max(d)`` / ``scores.max(dim=d)``: the scores and the
    dim, as written; None with ``keepdim`` or anything else."""
    args = list(call.args)
    if any(a.star for a in args) or any(a.keyword is not None and a.keyword.value not in ("dim", "input") for a in args):
        return None
    if not isinstance(call.func, cst.Attribute) or call.func.attr.value != "max":
        return None
    if "torch.max" in source.qualified_names(call.func):
        scores = call_argument(call, 0, "input")
        dim = call_argument(call, 1, "dim")
        if scores is None or dim is None or len(args) != 2:
            return None
        scores_node = scores.value
    elif not any(name.startswith("torch.") for name in source.qualified_names(call.func)):
        dim = call_argument(call, 0, "dim")
        if dim is None or len(args) != 1:
            return None
        scores_node = call.func.value
    else:
        return None
    if not isinstance(dim.value, (cst.Integer, cst.UnaryOperation, cst.Name)):
        return None
    return scores_node, source.code(dim.value)


def _read_by_product(source: SourceFile, site: Site) -> Optional[Edit]:
    """The embedding lookup at ``site`` rewritten as a matrix product: ``table(idx)`` ->
    ``idx @ table.weight``, ``F.embedding(idx, weight)`` -> ``idx @ weight``."""
    calls = source.nodes_at(site, cst.Call)
    if not calls:
        return None
    call = calls[-1]
    if "torch.nn.functional.embedding" in source.qualified_names(call.func):
        indices, weight = call_argument(call, 0, "input"), call_argument(call, 1, "weight")
        if indices is None or weight is None or len(call.args) != 2:
            return None
        table = source.code(weight.value) if dotted_path(weight.value) is not None else None
    elif dotted_path(call.func) is not None and len(call.args) == 1 and call.args[0].keyword is None and not call.args[0].star:
        indices = call.args[0]
        table = f"{source.code(call.func)}.weight"
    else:
        return None
    if table is None:
        return None
    new = _parse_expression(source, f"{source.operand_code(indices.value)} @ {table}")
    parent = source.parent(call)
    # `@` binds tighter than `+` and `-`: a term of a sum needs no parentheses of its own
    summed = isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, (cst.Add, cst.Subtract))
    if not isinstance(parent, _BARE_OK) and not summed:
        new = new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return source.replace_node(call, new)


# Where a binary operation can stand without parentheses of its own.
_BARE_OK = (cst.Arg, cst.Assign, cst.Return, cst.AugAssign, cst.AnnAssign, cst.Element, cst.Expr)


def _probabilities_name(scores: str, indices: str) -> str:
    """``intent_logits`` -> ``intent_probs``; otherwise the indices' name with ``_probs``."""
    last = scores.rsplit(".", 1)[-1]
    for ending in ("_logits", "_scores"):
        if last.endswith(ending) and len(last) > len(ending):
            return last[: -len(ending)] + "_probs"
    return f"{indices}_probs"


def _enclosing_function(source: SourceFile, node: cst.CSTNode) -> Optional[_Function]:
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef):
            return ancestor
    return None


def _argmax_parts(source: SourceFile, call: cst.Call) -> Optional[tuple[cst.BaseExpression, str]]:
    """``torch.argmax(scores, dim=d)`` / ``scores.argmax(d)``: the scores and the dim, as written;
    None when the dim is not given, or ``keepdim`` is."""
    args = list(call.args)
    if any(a.star for a in args) or any(a.keyword is not None and a.keyword.value == "keepdim" for a in args):
        return None
    if isinstance(call.func, cst.Attribute) and "torch.argmax" in source.qualified_names(call.func):
        if not args or args[0].keyword is not None:
            return None
        scores, rest = args[0].value, args[1:]
    elif isinstance(call.func, cst.Attribute) and call.func.attr.value in _INDEX_OPS and not any(
        name.startswith("torch.") for name in source.qualified_names(call.func)
    ):
        scores, rest = call.func.value, args
    else:
        return None
    if len(rest) != 1 or (rest[0].keyword is not None and rest[0].keyword.value != "dim"):
        return None
    dim = rest[0].value
    if not isinstance(dim, (cst.Integer, cst.UnaryOperation, cst.Name)):
        return None
    return scores, source.code(dim)


def _probabilities(source: SourceFile, function: _Function, call: cst.Call, assign: cst.Assign) -> bool:
    """The scores ``max``/``topk`` picks from are probabilities: a softmax or sigmoid, called there
    or bound to the name it reads by the last assignment of the function before it."""
    if isinstance(call.func, cst.Attribute) and not any(n.startswith("torch.") for n in source.qualified_names(call.func)):
        scores: cst.BaseExpression = call.func.value
    elif call.args and call.args[0].keyword is None:
        scores = call.args[0].value
    else:
        return False

    def normalised(node: cst.CSTNode) -> bool:
        return any(
            word in (c.func.attr.value if isinstance(c.func, cst.Attribute) else getattr(c.func, "value", "")).lower()
            for c in [node, *descendants(node, cst.Call)] if isinstance(c, cst.Call)
            for word in ("softmax", "sigmoid")
        )

    if not isinstance(scores, cst.Name):
        return normalised(scores)
    before = source.range(assign).start.line
    bound = [
        a.value for a in descendants(function, cst.Assign)
        if source.range(a).start.line < before
        and any(isinstance(t.target, cst.Name) and t.target.value == scores.value for t in a.targets)
    ]
    return bool(bound) and normalised(bound[-1])


def _returns_only(function: _Function, name: str) -> Optional[cst.Return]:
    """The function's one ``return``, when it returns ``name`` alone."""
    returns = descendants(function, cst.Return)
    if len(returns) != 1 or not isinstance(returns[0].value, cst.Name) or returns[0].value.value != name:
        return None
    return returns[0]


def _module_running(trace: Trace, source: SourceFile, function: _Function) -> Optional[ModuleFact]:
    """The module whose ``forward`` is this function: its class, defined in this file, by name."""
    if function.name.value != "forward":
        return None
    owner = next((a for a in source.ancestors(function) if isinstance(a, cst.ClassDef)), None)
    if owner is None:
        return None
    found = [m for m in trace.modules if m.cls.rsplit(".", 1)[-1] == owner.name.value and m.ran_with_grad and m.grad_calls]
    return found[0] if found else None


def _combined_outputs(
    source: SourceFile, function: _Function, start: int, exclude: set[str],
) -> list[tuple[str, list[cst.Assign]]]:
    """Names the function fills by subscript (``out[i] = y``) after line ``start``, with those writes."""
    found: dict[str, list[cst.Assign]] = {}
    for assign in descendants(function, cst.Assign):
        if source.range(assign).start.line <= start or len(assign.targets) != 1:
            continue
        target = assign.targets[0].target
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and target.value.value not in exclude:
            found.setdefault(target.value.value, []).append(assign)
    return [(name, writes) for name, writes in found.items() if name.isidentifier()]


def _single_index(write: cst.Assign) -> Optional[cst.BaseExpression]:
    """``out[i] = y``: the one index ``i`` (a name), else None."""
    target = write.targets[0].target
    if not isinstance(target, cst.Subscript) or len(target.slice) != 1:
        return None
    element = target.slice[0].slice
    if not isinstance(element, cst.Index) or not isinstance(element.value, cst.Name):
        return None
    return element.value


def _overlaps(edits: list[Edit], source: SourceFile, node: cst.CSTNode) -> bool:
    where = source.range(node)
    return any(e.start.line <= where.end.line and where.start.line <= e.end.line for e in edits)


def _fresh(source: SourceFile, first: str, second: str) -> str:
    for name in (first, second, f"{second}_"):
        if name not in source.bindings:
            return name
    return f"{second}_gate"


def _parse_expression(source: SourceFile, text: str) -> cst.BaseExpression:
    return cst.parse_expression(text, config=source.module.config_for_parsing)


def _parse_small(source: SourceFile, text: str) -> Union[cst.BaseSmallStatement, cst.BaseStatement]:
    statement = cst.parse_statement(text, config=source.module.config_for_parsing)
    return statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else statement  # type: ignore[return-value]


def _shown(source: SourceFile, cut: Cut) -> str:
    calls = source.nodes_at(cut.site, cst.Call)
    if calls:
        code = source.code(calls[-1])
        if "\n" not in code and len(code) <= 60:
            return code
    return cut.op
