"""GF107: a tensor computed from trainable parameters, passed to a call beside an alternative
argument that the callee prefers: ``lm(input_ids=ids, inputs_embeds=[prompt; embeds])`` to a
forward that embeds ``input_ids`` whenever they are given and reads ``inputs_embeds`` only when
they are not. The learned tensor never reaches the loss; its parameters get no gradient and never
change. Nothing raises.

Hugging Face-style forwards take ``input_ids`` *or* ``inputs_embeds`` (``pixel_values`` or
``image_embeds``, ``encoder_outputs`` or the inputs); some raise when given both, many pick one
silently. Prompt tuning, prefix tuning, multimodal adapters and input-space perturbations build the
embeddings themselves and must pass them alone.

The evidence comes from the run: parameters that an optimizer holds and steps never got a gradient.
In the user's files, a function that reads such a parameter (``self.soft_prompt``) computes names
from it and passes one of them by keyword to a call that is also given other keyword arguments.
Each candidate drops one of those other arguments. It is a conjecture from the source, reported
only when the re-run proves it: the parameters must then get non-zero gradients and change, and no
parameter may lose its gradient (dropping the attention mask does neither, dropping the ids does
both). Unsafe: the callee then computes from the learned tensor, which is what it was built for.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.expressions import without_arguments
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace


def _reads(node: cst.CSTNode, attrs: set[str], names: set[str]) -> bool:
    """Whether ``node`` reads ``self.<attr>`` for one of ``attrs``, or one of ``names``."""
    if any(isinstance(a.value, cst.Name) and a.value.value == "self" and a.attr.value in attrs for a in descendants(node, cst.Attribute)):
        return True
    return any(n.value in names for n in descendants(node, cst.Name))


def _computed_from(function: cst.FunctionDef, attrs: set[str]) -> set[str]:
    """The names ``function`` binds from the parameters ``self.<attr>``, directly or through other
    such names, in the order its assignments come."""
    names: set[str] = set()
    for assign in descendants(function, cst.Assign):
        if _reads(assign.value, attrs, names):
            for target in assign.targets:
                names |= {n.value for n in descendants(target.target, cst.Name)}
    return names


class IgnoredAlternativeArgument(Rule):
    code = "GF107"
    title = "learned tensor passed beside an alternative argument the callee prefers"
    applicability = Applicability.UNSAFE
    claims_what_trains = True

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if trace.crash is not None or not trace.steps:
            return []
        stuck = [p for p in trace.params if p.requires_grad and p.optimizers and not p.got_grad and not p.changed and p.is_leaf]
        by_attr: dict[str, list[str]] = {}
        for p in stuck:
            by_attr.setdefault(p.name.rsplit(".", 1)[-1], []).append(p.name)
        if not by_attr:
            return []
        findings = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for function in descendants(source.module, cst.FunctionDef):
                attrs = {a for a in by_attr if _reads(function, {a}, set())}
                if not attrs:
                    continue
                names = _computed_from(function, attrs)
                for call in descendants(function, cst.Call):
                    finding = self._finding(trace, project, source, call, attrs, names, by_attr)
                    if finding is not None:
                        findings.append(finding)
        return findings

    def _finding(
        self, trace: Trace, project: Project, source: SourceFile, call: cst.Call, attrs: set[str], names: set[str],
        by_attr: dict[str, list[str]],
    ) -> Optional[Finding]:
        keywords = [a for a in call.args if a.keyword is not None and not a.star]
        learned = [a for a in keywords if _reads(a.value, attrs, names)]
        if len(learned) != 1 or len(keywords) < 2 or any(a.star for a in call.args):
            return None
        given = learned[0]
        line = source.range(call).start.line
        candidates: list[Candidate] = []
        for other in keywords:
            if other is given:
                continue
            edit = source.replace_node(call, without_arguments(call, [other]))
            candidates.append(self.candidate(
                f"pass `{given.keyword.value}` without `{other.keyword.value}` to `{source.code(call.func)}` at line {line}: "  # type: ignore[union-attr]
                f"the callee then computes from `{given.keyword.value}`",  # type: ignore[union-attr]
                source.path, [edit],
            ))
        params = [n for a in sorted(attrs) for n in by_attr[a]]
        message = (
            f"`{source.code(call.func)}` is given `{given.keyword.value}`, computed from {short_list(params)}, beside "  # type: ignore[union-attr]
            f"other arguments it may prefer: {short_list(params)} never {'gets' if len(params) == 1 else 'get'} a gradient "
            f"and never {'changes' if len(params) == 1 else 'change'}"
        )
        finding = self.finding(project, source.site(call), message, params, candidates)
        finding.conjecture = True  # which argument the callee ignores only the re-run shows
        return finding
