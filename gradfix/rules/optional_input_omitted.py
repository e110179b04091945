"""GF044: a module is called without an optional input that the other instances of its class are
given, and its forward skips the layer built to use it.

A block whose ``forward(self, x, time_emb=None)`` runs ``self.time_mlp`` only when ``time_emb`` is
given works both ways, so leaving the argument out at one call (``self.final_res_block(x)`` among
``self.down(x, t)``, ``self.mid(h, t)``) raises nothing: that instance quietly skips its time MLP,
whose parameters, held by the optimizer, never receive a gradient. The same happens to a class
label for a conditional norm, a style vector for a FiLM or AdaIN layer, a mask or skip input that
feeds a projection, a ``context=None`` cross-attention.

The evidence is the run's: the instance ran with gradients on, its submodule never ran, the same
submodule of other instances of the class did, and the calls of those instances passed an optional
parameter (default None) that the calls of this one left out. The candidates pass it at this
instance's call, as the other calls do (the same keyword, or the same position) and with the same
expression, when that is a name (or an attribute of one) bound where this call is made; one
candidate per expression the other calls use, and all the left-out inputs together when there are
several. The re-run judges: the skipped layer must now train, and nothing that trained may stop.

A constructor that leaves the option out (``ResnetBlock(dim, dim_out)`` without ``time_cond_dim``,
so no time MLP is built) is not a gradient fault: nothing there stays unchanged. A layer that no
instance runs (a head used in another method, one for another task) has no sibling evidence and is
left alone. When the other calls' expression is not bound at this call, the finding only explains.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Patch
from gradfix.expressions import call_argument, dotted_path
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import OptionalArgsCall, SkippedSubmodule, Trace

_MAX_CANDIDATES = 6


class OptionalInputOmitted(Rule):
    code = "GF044"
    title = "module called without the optional input its other instances get"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.backwards:
            return []
        stepping = {o.id for o in trace.optimizers if o.steps}
        # One finding per instance: the layers one left-out input skips (a style's scale and its
        # bias) are one fault.
        by_instance: dict[int, list[SkippedSubmodule]] = {}
        for skip in trace.skipped_submodules():
            by_instance.setdefault(skip.instance.id, []).append(skip)
        findings = []
        for skips in by_instance.values():
            skip = skips[0]
            params = [
                p.name for p in trace.params
                if any(p.name.startswith(f"{s.submodule.path}.") for s in skips) and p.requires_grad and p.is_leaf
                and not p.changed and not p.reached and set(p.optimizers) & stepping
            ]
            own = [c for c in trace.optional_arg_calls if c.module == skip.instance.id and project.is_editable(c.site.file)]
            if not params or not own:
                continue
            siblings = {m.id for s in skips for m in s.siblings}
            others = [c for c in trace.optional_arg_calls if c.module in siblings]
            # Left out at every call of this instance, given at some call of another instance.
            omitted = [n for n in own[0].omitted if all(n in c.omitted for c in own) and any(n in c.given for c in others)]
            if not omitted:
                continue
            findings.append(self._finding(project, skips, params, own, others, omitted))
        return findings

    def _finding(
        self, project: Project, skips: list[SkippedSubmodule], params: list[str],
        own: list[OptionalArgsCall], others: list[OptionalArgsCall], omitted: list[str],
    ) -> Finding:
        skip = skips[0]
        cls = skip.instance.cls.rsplit(".", 1)[-1]
        inputs = " and ".join(f"`{n}`" for n in omitted)
        names = short_list([f"`{m.path}`" for m in skip.siblings], 3)
        layers = " and ".join(f"`{s.attr}`" for s in skips)
        passed = self._passed(project, others, omitted)
        candidates = self._candidates(project, skip, own, passed, omitted)
        it = "them" if len(omitted) > 1 else "it"
        advice = f"pass {it} as the other calls do"
        if not candidates:
            written = sorted({cst.Module([]).code_for_node(v) for n in omitted for _, v in passed[n]})
            which = f"what they pass ({' or '.join(f'`{w}`' for w in written)}) is not bound here" if written else "what they pass is not a plain name"
            advice = f"{which}: make {it} reach this call and pass {it}"
        message = (
            f"`{skip.instance.path}` ({cls}) is called here without {inputs}, which the calls of the other {cls} "
            f"instances ({names}) pass: its forward then skips {layers}, so {short_list(params)} never "
            f"{'receives' if len(params) == 1 else 'receive'} a gradient; {advice}"
        )
        return self.finding(project, own[0].site, message, params, candidates)

    @staticmethod
    def _passed(project: Project, others: list[OptionalArgsCall], omitted: list[str]) -> dict[str, list[tuple[bool, cst.BaseExpression]]]:
        """What the other calls pass for each left-out input, most used first: (by keyword?, expression)."""
        passed: dict[str, list[tuple[bool, cst.BaseExpression]]] = {}
        for name in omitted:
            counts: dict[tuple[bool, str], tuple[int, cst.BaseExpression]] = {}
            for call in others:
                if name not in call.given or not project.is_editable(call.site.file):
                    continue
                source = project.source(call.site.file)
                found = _plain_argument(source, call, name)
                if found is None:
                    continue
                keyword, value = found
                key = (keyword, source.code(value))
                counts[key] = (counts.get(key, (0, value))[0] + call.count, value)
            ordered = sorted(counts.items(), key=lambda item: -item[1][0])
            passed[name] = [(keyword, value) for (keyword, _), (_, value) in ordered]
        return passed

    def _candidates(
        self, project: Project, skip: SkippedSubmodule, own: list[OptionalArgsCall],
        passed: dict[str, list[tuple[bool, cst.BaseExpression]]], omitted: list[str],
    ) -> list[Candidate]:
        singles: list[list[tuple[str, bool, cst.BaseExpression]]] = [
            [(name, keyword, value)] for name in omitted for keyword, value in passed[name]
        ]
        together = [(n, *passed[n][0]) for n in omitted] if len(omitted) > 1 and all(passed[n] for n in omitted) else None
        candidates: list[Candidate] = []
        for choice in singles:
            if len(candidates) >= _MAX_CANDIDATES - (together is not None):
                break
            candidate = self._candidate(project, skip, own, choice)
            if candidate is not None and all(c.description != candidate.description for c in candidates):
                candidates.append(candidate)
        if together is not None:
            candidate = self._candidate(project, skip, own, together)
            if candidate is not None:
                candidates.append(candidate)
        return candidates

    def _candidate(
        self, project: Project, skip: SkippedSubmodule, own: list[OptionalArgsCall],
        choice: list[tuple[str, bool, cst.BaseExpression]],
    ) -> Optional[Candidate]:
        """The calls of this instance with the chosen inputs added, or None where a call cannot take them."""
        patches: dict[str, list] = {}  # type: ignore[type-arg]
        shown = []
        for call in own:
            source = project.source(call.site.file)
            node = _call_at(source, call)
            if node is None:
                return None
            new = node
            for name, keyword, value in choice:
                if not _bound_at(source, node, value):
                    return None
                new = _with_argument(new, name, keyword, call.positions.get(name, -1), value)
                if new is None:
                    return None
            patches.setdefault(source.path, []).append(source.replace_node(node, new))
        for name, keyword, value in choice:
            code = cst.Module([]).code_for_node(value)
            shown.append(f"`{name}={code}`" if keyword else f"`{code}`" if code == name else f"`{code}` (as `{name}`)")
        cls = skip.instance.cls.rsplit(".", 1)[-1]
        description = f"pass {' and '.join(shown)} to `{skip.instance.path}`, as the calls of the other {cls} instances do"
        return Candidate(
            description,
            [Patch(path, sorted(edits, key=lambda e: e.start)) for path, edits in patches.items()],
            self.applicability,
        )


def _call_at(source: SourceFile, call: OptionalArgsCall) -> Optional[cst.Call]:
    """The call the probe saw, when the site names exactly one."""
    if call.site.column is None:
        return None
    nodes = source.nodes_at(call.site, cst.Call)
    return nodes[0] if len(nodes) == 1 else None


def _plain_argument(source: SourceFile, call: OptionalArgsCall, name: str) -> Optional[tuple[bool, cst.BaseExpression]]:
    """How a call passed the optional parameter ``name``: by keyword or not, and its expression,
    when that is a name or an attribute of one (``t``, ``self.cond``): what can be written at
    another call without computing anything anew."""
    node = _call_at(source, call)
    if node is None:
        return None
    position = call.positions.get(name, -1)
    arg = call_argument(node, position if position >= 0 else None, name)
    if arg is None or dotted_path(arg.value) is None:
        return None
    return arg.keyword is not None, arg.value


def _root(node: cst.BaseExpression) -> str:
    while isinstance(node, cst.Attribute):
        node = node.value
    assert isinstance(node, cst.Name)
    return node.value


def _bound_at(source: SourceFile, node: cst.Call, value: cst.BaseExpression) -> bool:
    """The expression's name is bound by the code where the call is made (its function, or the
    module around it), not only a builtin."""
    name = _root(value)
    if not name.isidentifier():
        return False
    scope = source.scopes.get(node)
    if scope is None or name not in scope:
        return False
    return any(type(a).__name__ != "BuiltinAssignment" for a in scope[name])


def _with_argument(
    node: cst.Call, name: str, keyword: bool, position: int, value: cst.BaseExpression,
) -> Optional[cst.Call]:
    """``node`` with the argument added: at its position when the other call passed it so and this
    call has exactly the arguments before it, else by keyword."""
    args = list(node.args)
    if any(a.keyword is not None and a.keyword.value == name for a in args):
        return None
    plain = [a for a in args if a.keyword is None and not a.star]
    by_position = not keyword and position >= 0 and len(plain) == len(args) == position
    new = cst.Arg(
        value=value.deep_clone(),
        keyword=None if by_position else cst.Name(name),
        equal=cst.MaybeSentinel.DEFAULT if by_position else cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    if args:
        # Laid out as the arguments before it: on a line of its own when they are, the trailing
        # comma and the line break before `)` moved after it.
        last = args[-1]
        before = args[-2].comma if len(args) > 1 else None
        sep = before.whitespace_after if isinstance(before, cst.Comma) else cst.SimpleWhitespace(" ")
        if isinstance(last.comma, cst.Comma):
            new = new.with_changes(comma=last.comma)
        new = new.with_changes(whitespace_after_arg=last.whitespace_after_arg)
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=sep), whitespace_after_arg=cst.SimpleWhitespace(""))
    return node.with_changes(args=[*args, new])
