"""GF063: a loss term is computed with a graph to parameters, and never added to the loss that
goes backward: only logged (``.item()``, ``.data``), kept in a dict the model returns, or appended
to a list nobody sums.

The evidence is the run's. At the first ``backward()`` calls of each site, the probe looks at the
scalar tensors with a graph that the calling frame holds beside the loss it passed (a name, an
entry of a dict, a list or tuple of them) and walks each one's graph. A finding needs a term that
reaches parameters an optimizer holds, that ran with gradients on and that no ``backward()``
reached in the whole run. A metric from a trained model, a loss backpropagated by its own
``backward()``, a GAN's losses that each go to their own optimizer, the loss of a frozen part:
what they reach is reached anyway, or is not trained, and they give nothing.

The fix adds the term to the loss before ``backward()``: ``loss = loss + term`` (``+ sum(terms)``
for a list). When the script has a weight for it in scope (a config entry or a name that reads as
the term's weight: ``cfg["lambda_attn"]`` for ``loss_attention``, ``kl_weight`` for ``out["kl"]``),
the weighted sum comes first. A term computed after the ``backward()`` is moved before it. Every
candidate is re-run; the one that trains the most is offered.
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from gradfix.expressions import name_words, root_name
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import LooseTerm, Site, Trace

MAX_CANDIDATES = 8
# Words that, beside the term's own words, make a name read as its weight (`lambda_attn`, `w_kl`).
_WEIGHT_WORDS = {"lambda", "lam", "lmbda", "lamb", "w", "wt", "weight", "weights", "coef", "coeff", "alpha", "beta", "gamma", "scale", "factor"}
# Words of a term's name that say it is a loss, not what the loss is about.
_LOSS_WORDS = {"loss", "losses", "term", "terms", "l"}


class LossTermNeverAdded(Rule):
    code = "GF063"
    title = "loss term computed but never added to the loss"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        stuck = set(trace.params_in_loose_terms())
        if not stuck:
            return []
        findings: list[Finding] = []
        by_site: dict[tuple[str, int, Optional[int]], list[LooseTerm]] = {}
        for term in trace.loose_terms:
            if stuck.intersection(term.leaves) and project.is_editable(term.site.file):
                by_site.setdefault((term.site.file, term.site.line, term.site.column), []).append(term)
        for terms in by_site.values():
            finding = self._finding(project, terms, stuck)
            if finding is not None:
                findings.append(finding)
        return findings

    def _finding(self, project: Project, terms: list[LooseTerm], stuck: set[str]) -> Optional[Finding]:
        site = terms[0].site
        source = project.source(site.file)
        backward = _backward_call(source, site)
        if backward is None:
            return None
        statement = source.statement_of(backward)
        if not isinstance(statement, cst.SimpleStatementLine) or source.ignored(site.line, self.code):
            return None
        loss = _loss_of(backward)
        scope = source.enclosing_scope(backward)
        # A term the function does add to the loss, under a test that did not hold in this run (a
        # weight of 0, a warm-up that starts at step 1000), is the script's choice, not a fault.
        terms = [t for t in terms if not _added_somewhere(source, scope, loss, t.name)]
        if not terms:
            return None
        # A name the author called a loss comes first; the name only orders, the run decides.
        terms = sorted(terms, key=lambda t: not any(w in name_words(t.name) for w in ("loss", "losses")))
        candidates: list[Candidate] = []
        params: list[str] = []
        for term in terms:
            params += [p for p in term.leaves if p in stuck and p not in params]
            candidates += self._candidates(source, statement, backward, loss, term)
        if not candidates:
            return None
        names = ", ".join(f"`{t.name}`" for t in terms)
        message = (
            f"{short_list(params)} are reached only by {names}, computed beside the loss and never added "
            f"to `{source.code(loss)}` before `backward()`: they get no gradient"
        )
        return self.finding(project, site, message, params, candidates[:MAX_CANDIDATES])

    def _candidates(
        self, source: SourceFile, statement: cst.SimpleStatementLine, backward: cst.Call, loss: cst.BaseExpression,
        term: LooseTerm,
    ) -> list[Candidate]:
        try:
            expression = cst.parse_expression(term.name)
        except cst.ParserSyntaxError:
            return []
        base = root_name(expression)
        scope = source.enclosing_scope(backward)
        if base is None or base not in _bound_in(scope) | _module_names(source):
            return []  # a name of the run that the source around the backward() does not bind
        summand = f"sum({term.name})" if term.kind == "list" else term.name
        weights = list(_weights(source, scope, term.name))
        sums = [(f"{w} * {summand}", f"add `{summand}` to the loss, weighted by `{w}`") for w in weights]
        sums.append((summand, f"add `{summand}` to the loss"))
        indent = source.indentation(source.range(statement).start.line)
        line = source.range(statement).start.line
        moved = _bound_after(source, scope, statement, base)
        candidates = []
        for added, description in sums:
            if isinstance(loss, (cst.Name, cst.Attribute, cst.Subscript)):
                target = source.code(loss)
                add = f"{indent}{target} = {target} + {added}\n"
            else:
                add = None
            edits = []
            if moved is not None:
                # computed after backward(): the term's statement goes before it, then into the loss
                first, last = source.statement_lines(moved, with_comments=False)
                edits.append(source.remove_statement(moved, moved=True))
                add = source.text[first:last] + (add or "")
                description += f", computing it (line {source.range(moved).start.line}) before `backward()`"
            if add is not None:
                edits.append(source.insert_lines(line, add))
            else:
                edits.append(source.replace_node(loss, cst.parse_expression(f"({source.code(loss)} + {added})")))
            candidates.append(self.candidate(description, source.path, edits))
        return candidates


def _backward_call(source: SourceFile, site: Site) -> Optional[cst.Call]:
    for call in reversed(source.nodes_at(site, cst.Call)):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "backward":
            return call
    return None


def _loss_of(backward: cst.Call) -> cst.BaseExpression:
    """What ``backward()`` is called on; inside ``scaler.scale(loss)``, the loss."""
    receiver = backward.func.value  # type: ignore[attr-defined]
    if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute) and receiver.func.attr.value == "scale" and receiver.args:
        return receiver.args[0].value
    return receiver


def _added_somewhere(source: SourceFile, scope: cst.CSTNode, loss: cst.BaseExpression, term: str) -> bool:
    """Whether the function writes the loss from the term anywhere (``loss = loss + w * term``,
    ``loss += term``), whatever test guards the statement."""
    def spelled(code: str) -> str:
        return code.replace("'", '"').replace(" ", "")

    wanted = spelled(term)
    target = source.code(loss)
    for node in descendants(scope, cst.CSTNode):
        if isinstance(node, cst.Assign):
            written, value = [source.code(t.target) for t in node.targets], node.value
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)) and node.value is not None:
            written, value = [source.code(node.target)], node.value
        else:
            continue
        # the term as written (`out["kl"]`, not any read of `out`)
        if target in written and any(
            spelled(source.code(n)) == wanted for n in descendants(value, cst.CSTNode)
            if isinstance(n, (cst.Name, cst.Attribute, cst.Subscript))
        ):
            return True
    return False


def _bound_in(scope: cst.CSTNode) -> set[str]:
    names = set()
    for node in descendants(scope, cst.CSTNode):
        if isinstance(node, cst.Param):
            names.add(node.name.value)
        elif isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.WithItem)):
            target = getattr(node, "target", None) or getattr(getattr(node, "asname", None), "name", None)
            for name in descendants(target, cst.Name) if target is not None else ():
                if isinstance(name, cst.Name):
                    names.add(name.value)
    return names


def _module_names(source: SourceFile) -> set[str]:
    return {
        name.value
        for statement in source.module.body if isinstance(statement, cst.SimpleStatementLine)
        for small in statement.body if isinstance(small, cst.Assign)
        for target in small.targets
        for name in descendants(target.target, cst.Name)
    }


def _bound_after(
    source: SourceFile, scope: cst.CSTNode, backward: cst.SimpleStatementLine, base: str,
) -> Optional[cst.SimpleStatementLine]:
    """The statement that binds ``base`` after the backward() statement, in the same block, when
    nothing before the backward() binds it: a term computed once the gradients were taken."""
    line = source.range(backward).start.line
    before, after = [], []
    for node in descendants(scope, cst.AssignTarget):
        if any(n.value == base for n in descendants(node.target, cst.Name)):
            (before if source.range(node).start.line < line else after).append(node)
    if before or not after:
        return None
    statement = source.statement_of(after[0])
    if isinstance(statement, cst.SimpleStatementLine) and source.parent(statement) is source.parent(backward):
        return statement
    return None


def _topic(term: str) -> str:
    """What a term is about, from its name: ``loss_attention`` -> ``attention``, ``out["kl"]`` -> ``kl``."""
    words = [w for w in name_words(term) if w not in _LOSS_WORDS]
    return words[-1] if words else ""


def _reads_as_weight(name: str, topic: str) -> bool:
    """``lambda_attn``, ``w_attention``, ``kl_weight`` for the topic ``attention`` / ``kl``: a weight
    word and an abbreviation of the topic (its first letter, the rest in order)."""
    words = name_words(name)
    rest = [w for w in words if w not in _WEIGHT_WORDS and w not in _LOSS_WORDS]
    if len(rest) != 1 or not any(w in _WEIGHT_WORDS for w in words):
        return False
    short = rest[0]
    it = iter(topic)
    return short[0] == topic[0] and all(ch in it for ch in short)


def _weights(source: SourceFile, scope: cst.CSTNode, term: str) -> Iterator[str]:
    """Expressions that read, in ``scope``, a weight the script has for the term: a config entry
    (``self.cfg["lambda_attn"]`` where ``self.cfg[...]`` is read there and a ``"lambda_attn"`` key
    is written somewhere in the file), an attribute (``args.kl_weight``) or a name bound there or
    at module level."""
    topic = _topic(term)
    if not topic:
        return
    seen: set[str] = set()
    keys = {
        node.evaluated_value for node in descendants(source.module, cst.SimpleString)
        if isinstance(node.evaluated_value, str)
        and node.evaluated_value.isidentifier() and _reads_as_weight(node.evaluated_value, topic)
    }
    attributes = {
        node.attr.value for node in descendants(source.module, cst.Attribute)
        if _reads_as_weight(node.attr.value, topic)
    }
    containers: list[str] = []
    bases: list[str] = []
    # a dict the function writes into is its log or its output (`metrics["loss"] += ...`), not its config
    written = {
        source.code(target.value) for node in descendants(scope, cst.CSTNode)
        if isinstance(node, (cst.AssignTarget, cst.AugAssign)) and isinstance(target := node.target, cst.Subscript)
    }
    for node in descendants(scope, cst.CSTNode):
        if isinstance(node, cst.Subscript) and len(node.slice) == 1:
            index = node.slice[0].slice
            if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
                code = source.code(node.value)
                if code not in containers and code not in written:
                    containers.append(code)
        elif isinstance(node, cst.Attribute):
            code = source.code(node.value)
            if code not in bases and isinstance(node.value, (cst.Name, cst.Attribute)):
                bases.append(code)
    for container in containers:
        for key in sorted(keys):
            found = f'{container}["{key}"]'
            if found not in seen:
                seen.add(found)
                yield found
    for base in bases:
        for attr in sorted(attributes):
            found = f"{base}.{attr}"
            if found not in seen and f"{base}.{attr}" in source.text:
                seen.add(found)
                yield found
    for name in sorted(_bound_in(scope) | _module_names(source)):
        if _reads_as_weight(name, topic) and name not in seen:
            seen.add(name)
            yield name
