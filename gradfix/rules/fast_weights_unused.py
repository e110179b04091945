"""GF037: a MAML-style forward runs with the module's own parameters instead of the adapted (fast)
weights: ``model(x)`` where the inner loop meant ``model(x, params=fast_weights)``.

A model whose ``forward`` takes the weights to use as an argument (``params=None``,
``weights=None``, ``vars=None``, falling back to its own parameters) is adapted by computing new
weights, ``fast = [p - lr * g for p, g in zip(fast, torch.autograd.grad(loss, fast, create_graph=True))]``,
and running the next forward with them. Called without them, the forward builds its loss from the
module's own parameters: from the second inner step on, ``torch.autograd.grad`` is asked for
tensors that loss never used and raises "The differentiated Tensor at index 0 appears to not have
been used in the graph" (with ``allow_unused=True``: their gradients come back ``None``). The same
slip in the outer (meta) loss raises nothing: it is computed with the original parameters, so the
inner loop has no effect on what is trained. ``torch.func.functional_call`` given another dict than
the adapted one is the same fault.

The probe tags every call of such a forward (and every ``functional_call``) made from user code:
what it was given, and which lists, tuples and dicts of tensors the calling frame bound to names.
When ``autograd.grad`` is asked for tensors its loss does not reach, or a ``backward()`` right
after an inner loop reaches none of the adapted weights in scope, the tagged calls in that loss's
graph are the forwards that left them out. The fix passes, at each such call, the weights by the
name the forward declares (``params=params``), naming the container the calling frame held them
in; for ``functional_call`` it replaces the dict. Every plausible call and name is a candidate;
the re-run judges: the crash must be gone and the parameters must train, and in the silent form
the loss must now reach the adapted weights.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, Verdict
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile
from gradfix.trace import OwnWeightsForward, Trace
from gradfix.verify import judge

_MAX_CANDIDATES = 6
_MAX_NAMES = 3


def _callee(source: SourceFile, call: cst.Call) -> str:
    text = source.code(call.func)
    return text if len(text) <= 40 else "the call"


def _short(source: SourceFile, call: cst.Call) -> str:
    text = source.code(call)
    return text if len(text) <= 60 and "\n" not in text else f"{_callee(source, call)}(...)"


def _last_comma(call: cst.Call) -> cst.Comma:
    """The comma to put after what is now the last argument, spaced as the call spaces its arguments."""
    args = list(call.args)
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        return args[-2].comma
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=call.whitespace_before_args)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _with_weights(call: cst.Call, fact: OwnWeightsForward, name: str) -> Optional[cst.Call]:
    """The call with ``name`` passed as the weights: the value of the keyword or positional argument
    that gave them replaced, or a keyword added."""
    value = cst.Name(name)
    args = list(call.args)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == fact.arg:
            if isinstance(arg.value, cst.Name) and arg.value.value == name:
                return None
            args[index] = arg.with_changes(value=value)
            return call.with_changes(args=args)
    position = 1 if fact.functional else fact.position
    if position is not None:
        seen = 0
        for index, arg in enumerate(args):
            if arg.star or arg.keyword is not None:
                return None  # `*rest` before it: which argument gave the weights is not in the text
            if seen == position:
                if isinstance(arg.value, cst.Name) and arg.value.value == name:
                    return None
                args[index] = arg.with_changes(value=value)
                return call.with_changes(args=args)
            seen += 1
        return None
    if fact.given or fact.functional or not args:
        return None  # given through **kwargs: not this call's text to change
    last = args[-1]
    added = cst.Arg(
        value=value,
        keyword=cst.Name(fact.arg),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
        comma=last.comma,  # a trailing comma stays trailing
    )
    args[-1] = last.with_changes(comma=_last_comma(call))
    return call.with_changes(args=[*args, added])


class FastWeightsUnused(Rule):
    code = "GF037"
    title = "forward runs with the module's own parameters instead of the adapted weights (`model(x)` without `params=`)"
    applicability = Applicability.SAFE

    def __init__(self) -> None:
        # finding -> the calls it is about (file, line) and whether silent: what verify() checks
        self._calls: dict[int, tuple[set[tuple[str, int]], bool]] = {}

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        groups: dict[tuple[object, ...], list[OwnWeightsForward]] = {}
        for fact in trace.own_weights_forwards:
            if not project.is_editable(fact.site.file):
                continue
            loss = fact.loss_site
            key = (fact.silent, loss.file if loss else None, loss.line if loss else None, loss.column if loss else None)
            groups.setdefault(key, []).append(fact)
        findings = []
        for facts in groups.values():
            finding = self._finding(trace, project, facts)
            if finding is not None:
                findings.append(finding)
        return findings

    def _finding(self, trace: Trace, project: Project, facts: list[OwnWeightsForward]) -> Optional[Finding]:
        facts = sorted(facts, key=lambda f: (f.site.file, f.site.line, f.site.column or 0))
        first = facts[0]
        source = project.source(first.site.file)
        calls = [self._call(project, fact) for fact in facts]
        if calls[0] is None:
            return None
        params = self._params(trace, facts)
        singles: list[tuple[OwnWeightsForward, cst.Call, str, Edit]] = []
        for fact, call in zip(facts, calls):
            if call is None:
                continue
            fact_source = project.source(fact.site.file)
            for name in self._names(fact_source, call, fact)[:_MAX_NAMES]:
                changed = _with_weights(call, fact, name)
                if changed is not None:
                    singles.append((fact, call, name, fact_source.replace_node(call, changed)))
        candidates: list[Candidate] = []
        for fact, call, name, edit in singles:
            fact_source = project.source(fact.site.file)
            what = f"give `{_callee(fact_source, call)}` the adapted weights `{name}`" if fact.functional else f"pass `{fact.arg}={name}` to `{_callee(fact_source, call)}`"
            candidates.append(self.candidate(
                f"{what} at line {fact.site.line}, so that the forward runs with the adapted weights",
                fact.site.file, [edit],
            ))
        by_site: dict[tuple[str, int, Optional[int]], tuple[OwnWeightsForward, Edit]] = {}
        for fact, _, _, edit in singles:
            by_site.setdefault((fact.site.file, fact.site.line, fact.site.column), (fact, edit))
        if len(by_site) > 1 and len({f.site.file for f, _ in by_site.values()}) == 1:
            # Two forwards of one loss (support and query through the same slip): both at once.
            candidates.append(self.candidate(
                f"pass the adapted weights at lines {', '.join(str(f.site.line) for f, _ in by_site.values())}",
                first.site.file, [edit for _, edit in by_site.values()],
            ))
        candidates = candidates[:_MAX_CANDIDATES]
        finding = self.finding(project, first.site, self._message(trace, source, first, calls[0], facts), params, candidates,
                               blocking=trace.crash is not None and not first.silent)
        self._calls[id(finding)] = ({(f.site.file, f.site.line) for f in facts}, first.silent)
        return finding

    @staticmethod
    def _call(project: Project, fact: OwnWeightsForward) -> Optional[cst.Call]:
        nodes = project.source(fact.site.file).nodes_at(fact.site, cst.Call)
        return nodes[-1] if nodes else None

    @staticmethod
    def _names(source: SourceFile, call: cst.Call, fact: OwnWeightsForward) -> list[str]:
        """The names the run saw holding the weights, when the source binds them where the call is."""
        scope = source.scopes.get(call)
        if scope is None:
            return []
        return [n for n in fact.names if n.isidentifier() and n in scope]

    @staticmethod
    def _params(trace: Trace, facts: list[OwnWeightsForward]) -> list[str]:
        """The trainable parameters of the modules called: what the repaired loss must train."""
        names: list[str] = []
        for fact in facts:
            module = trace.module(fact.module)
            if module is None or not module.path:
                continue
            prefix = module.path + "."
            for p in trace.params:
                if p.name.startswith(prefix) and p.requires_grad and p.is_leaf and (p.optimizers or not trace.optimizers):
                    if p.name not in names:
                        names.append(p.name)
        return names

    @staticmethod
    def _message(trace: Trace, source: SourceFile, fact: OwnWeightsForward, call: cst.Call, facts: list[OwnWeightsForward]) -> str:
        cls = fact.cls.rsplit(".", 1)[-1]
        if fact.functional:
            how = f"`{_short(source, call)}` at line {fact.site.line} runs {cls} with another dict than the adapted weights"
        elif fact.other_weights:
            how = f"`{_short(source, call)}` at line {fact.site.line} gives {cls}.forward other weights as `{fact.arg}` than the adapted ones"
        elif fact.given:
            how = f"`{_short(source, call)}` at line {fact.site.line} passes None as `{fact.arg}`, so {cls}.forward runs with the module's own parameters"
        else:
            how = f"`{_short(source, call)}` at line {fact.site.line} runs {cls}.forward with the module's own parameters (its `{fact.arg}` argument is left out)"
        held = f" (held by {', '.join(f'`{n}`' for n in fact.names[:3])})" if fact.names else ""
        more = f"; so do {len(facts) - 1} more call(s)" if len(facts) > 1 else ""
        loss = fact.loss_site
        at = f" at line {loss.line}" if loss is not None else ""
        if fact.silent:
            return (
                f"{how}{more}, while the adapted weights{held} are in scope: the loss that backward(){at} "
                "differentiates never uses them, so the inner loop has no effect on what is trained"
            )
        crashed = ""
        crash = trace.crash
        if crash is not None and loss is not None and crash.site is not None and crash.site.line == loss.line and crash.site.file == loss.file:
            crashed = f"the script crashed: {crash.type}: {crash.message}; "
        if not crashed:
            return (
                f"{how}{more}, so the {fact.unreached} tensor(s) that torch.autograd.grad{at} differentiates for{held} "
                "are not in the loss's graph: their gradients come back None (allow_unused=True) and the weights "
                "stop adapting after the first step"
            )
        return (
            f"{crashed}{how}{more}, so the {fact.unreached} tensor(s) that torch.autograd.grad{at} differentiates for{held} "
            "are not in the loss's graph"
        )

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        calls = self._calls.get(id(finding))
        if not verdict.verified or calls is None:
            return verdict
        sites, silent = calls
        left = [f for f in run.trace.own_weights_forwards if (f.site.file, f.site.line) in sites and f.silent == silent]
        if left:
            return Verdict(False, f"the forward at line {left[0].site.line} still leaves out the adapted weights")
        if before.crash is None and not verdict.partial:
            # The parameters trained before too: what changed is that the loss uses the adapted weights.
            return Verdict(True, f"the loss now uses the adapted weights; {verdict.reason}", verdict.trained)
        return verdict
