"""GF102: learned tokens (a soft prompt, prefix or memory tokens, a CLS or register token) given a
mask that marks their positions as padding (``torch.zeros(b, self.prompt.shape[0])`` prepended
to an attention mask of ones), so attention and pooling skip them and their gradient is exactly
zero at every step. The tokens never change; nothing raises.

Prompt tuning and its relatives prepend a learned tensor to the input embeddings and extend the
attention mask to match. In the Hugging Face convention 1 means "attend", and in
``key_padding_mask`` True means "ignore": an extension filled with the wrong value makes the
learned positions padding, and the loss has no path to them.

The evidence comes from the run: a parameter that an optimizer holds and steps received gradients
that were zero at every step; in the user's code, a ``torch.zeros``/``torch.ones``/``torch.full``
call (or ``mask.new_zeros``/``new_ones``) sized by that parameter (``self.prompt.shape[0]``,
``self.prompt.size(0)``, ``len(self.prompt)``) builds the mask for its positions. The fix fills
that mask with the other value (``zeros`` <-> ``ones``, ``new_zeros`` <-> ``new_ones``, ``full(...,
0)`` <-> ``full(..., 1)``). It is a conjecture from the source, reported only when the re-run
proves it: the tokens must then get non-zero gradients and change. Unsafe: it changes what the
model attends to, which is what the tokens were added for.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_FLIPPED = {"torch.zeros": "ones", "torch.ones": "zeros"}


def _sized_by(call: cst.Call, attrs: set[str]) -> Optional[str]:
    """The parameter attribute a factory call's size reads (``self.prompt.shape[0]``,
    ``self.prompt.size(0)``, ``len(self.prompt)``), if one of ``attrs``."""
    for node in descendants(call, cst.Attribute):
        if node.attr.value in ("shape", "size") and isinstance(node.value, cst.Attribute) and node.value.attr.value in attrs:
            return node.value.attr.value
    for inner in descendants(call, cst.Call):
        if isinstance(inner.func, cst.Name) and inner.func.value == "len" and inner.args:
            value = inner.args[0].value
            if isinstance(value, cst.Attribute) and value.attr.value in attrs:
                return value.attr.value
    return None


_FLIPPED_METHODS = {"new_zeros": "new_ones", "new_ones": "new_zeros"}


def _flipped(source: SourceFile, call: cst.Call) -> Optional[Edit]:
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in _FLIPPED_METHODS:  # `mask.new_zeros(b, n)`
        return source.replace_node(call.func.attr, cst.Name(_FLIPPED_METHODS[call.func.attr.value]))
    names = source.qualified_names(call.func)
    factory = next((q for q in names if q in _FLIPPED), None)
    if factory is not None and isinstance(call.func, cst.Attribute):
        return source.replace_node(call.func, call.func.with_changes(attr=cst.Name(_FLIPPED[factory])))
    if "torch.full" in names and len(call.args) >= 2 and call.args[1].keyword is None:
        fill = call.args[1].value
        if isinstance(fill, cst.Integer) and fill.value in ("0", "1"):
            return source.replace_node(fill, cst.Integer("1" if fill.value == "0" else "0"))
        if isinstance(fill, cst.Name) and fill.value in ("True", "False"):
            return source.replace_node(fill, cst.Name("False" if fill.value == "True" else "True"))
    return None


class LearnedTokensMaskedOut(Rule):
    code = "GF102"
    title = "learned tokens given a mask that marks them as padding"
    applicability = Applicability.UNSAFE
    claims_what_trains = True

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if trace.crash is not None or not trace.steps:
            return []
        zero = [p for p in trace.params if p.requires_grad and p.optimizers and p.got_grad and not p.nonzero_grad and not p.changed]
        by_attr: dict[str, list[str]] = {}
        for p in zero:
            attr = p.name.rsplit(".", 1)[-1]
            if attr not in ("weight", "bias"):  # a layer's weight is not a set of tokens
                by_attr.setdefault(attr, []).append(p.name)
        if not by_attr:
            return []
        findings = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for call in descendants(source.module, cst.Call):
                attr = _sized_by(call, set(by_attr))
                if attr is None:
                    continue
                edit = _flipped(source, call)
                if edit is None:
                    continue
                params = by_attr[attr]
                candidate = self.candidate(
                    f"fill the mask for `{attr}`'s positions at line {source.range(call).start.line} with the other value, so they are attended to",
                    path, [edit],
                )
                message = (
                    f"the mask built here for the positions of `{attr}` marks them as padding: {short_list(params)} "
                    f"{'receives' if len(params) == 1 else 'receive'} a gradient of exactly zero at every step and never "
                    f"{'changes' if len(params) == 1 else 'change'}"
                )
                finding = self.finding(project, source.site(call), message, params, [candidate])
                finding.conjecture = True  # the size suggests the mask is theirs; only the re-run shows it
                findings.append(finding)
        return findings
