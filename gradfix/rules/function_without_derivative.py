"""GF109: a function torch computes without a derivative, on the way from parameters to the loss:
``torch.special.bessel_j0(k * radius)`` in a differentiable synthesizer, ``modified_bessel_i0`` in
a von Mises likelihood, a Chebyshev or Hermite polynomial of a learned input. torch returns the
value with no ``grad_fn`` and says nothing, so everything before the call never gets a gradient
and never changes, silently (the radius head of a drum model keeps its initial weights while the
rest trains).

The evidence is the run's: the probe records a call of such a function, from user code, on a
tensor that requires grad, whose output has no gradient, and the parameters behind it, which no
loss reaches. Where the derivative has a closed form in functions torch has (``J0' = -J1``,
``I0' = I1``, ``K0' = -K1``, ``J1' = J0 - J1/x``, ...), the fix adds a small function above the
code that calls it. That function gives the same value with that derivative:
``bessel_j0(x) + (-bessel_j1(x.detach())) * (x - x.detach())``. The second term is exactly zero
and carries the derivative. The call then goes through it. The re-run decides. Safe: the
values are the same; the part before the call now trains, as the script meant. The orthogonal
polynomials and ``airy_ai`` are named without a fix.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox.function_mode import UNDIFFERENTIATED
from gradfix.source import SourceFile
from gradfix.torch_api import spelled_or_imported
from gradfix.trace import Cut, Trace

# The derivative of each function, in torch.special's functions of the detached input `d`.
_DERIVATIVES = {
    "bessel_j0": "-{bessel_j1}(d)",
    "bessel_j1": "{where}(d == 0, 0.5, {bessel_j0}(d) - {bessel_j1}(d) / d)",
    "bessel_y0": "-{bessel_y1}(d)",
    "bessel_y1": "{bessel_y0}(d) - {bessel_y1}(d) / d",
    "modified_bessel_i0": "{modified_bessel_i1}(d)",
    "modified_bessel_i1": "{where}(d == 0, 0.5, {modified_bessel_i0}(d) - {modified_bessel_i1}(d) / d)",
    "modified_bessel_k0": "-{modified_bessel_k1}(d)",
    "modified_bessel_k1": "-{modified_bessel_k0}(d) - {modified_bessel_k1}(d) / d",
    "scaled_modified_bessel_k0": "{scaled_modified_bessel_k0}(d) - {scaled_modified_bessel_k1}(d)",
    "scaled_modified_bessel_k1": "{scaled_modified_bessel_k1}(d) - {scaled_modified_bessel_k0}(d) - {scaled_modified_bessel_k1}(d) / d",
    "spherical_bessel_j0": "{where}(d == 0, 0.0, ({cos}(d) - {spherical_bessel_j0}(d)) / d)",
}
_TORCH = {"where": "torch.where", "cos": "torch.cos"}


def _needed(function: str) -> list[str]:
    """The functions the helper for ``function`` spells: itself and those of its derivative."""
    formula = _DERIVATIVES[function]
    return [function, *(name for name in [*_DERIVATIVES, *_TORCH] if name != function and "{" + name + "}" in formula)]


def _helper(name: str, function: str, spelled: dict[str, str]) -> str:
    derivative = _DERIVATIVES[function].format(**spelled)
    return (
        f"def {name}(x):\n"
        f'    """{spelled[function]}(x) with its derivative, which torch does not compute."""\n'
        f"    d = x.detach()\n"
        f"    return {spelled[function]}(x) + ({derivative}) * (x - d)\n"
        "\n\n"
    )


class FunctionWithoutDerivative(Rule):
    code = "GF109"
    title = "a function torch computes without a derivative cuts the loss path"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        cut_off = set(trace.params_cut_off())
        cuts = [
            c for c in trace.cuts
            if c.op in UNDIFFERENTIATED and project.is_editable(c.site.file) and set(c.leaves) & cut_off
        ]
        findings = []
        for cut in cuts:
            function = cut.op.removeprefix("special_")
            stuck = [n for n in cut.leaves if n in cut_off]
            candidates = [c for c in [self._with_derivative(project, cut, function)] if c is not None]
            message = (
                f"torch.special.{function} has no derivative in torch: its output has no gradient, so "
                f"{short_list(stuck)}, behind it, never {'receives' if len(stuck) == 1 else 'receive'} one"
            )
            if not candidates:
                message += "; gradfix knows no closed form of its derivative to give it"
            findings.append(self.finding(project, cut.site, message, stuck, candidates))
        return findings

    def _with_derivative(self, project: Project, cut: Cut, function: str) -> Optional[Candidate]:
        if function not in _DERIVATIVES:
            return None
        source = project.source(cut.site.file)
        calls = source.nodes_at(cut.site, cst.Call)
        if not calls:
            return None
        call = calls[-1]
        top = self._top_statement(source, call)
        if top is None:
            return None
        edits: list[Edit] = []
        spelled: dict[str, str] = {}
        for name in _needed(function):
            spelled[name], imports = spelled_or_imported(source, _TORCH.get(name, f"torch.special.{name}"))
            edits += [e for e in imports if e not in edits]
        helper = f"{function}_with_grad"
        if helper in source.bindings:
            return None
        edits.append(source.insert_lines(source.range(top).start.line, _helper(helper, function, spelled)))
        edits.append(source.replace_node(call.func, cst.Name(helper)))
        return self.candidate(
            f"compute `{source.code(call.func)}` through `{helper}`, which gives it its derivative", source.path, edits,
        )

    @staticmethod
    def _top_statement(source: SourceFile, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The module-level statement that holds ``node`` (a class, a function, a line)."""
        current: Optional[cst.CSTNode] = node
        while current is not None:
            parent = source.parent(current)
            if isinstance(parent, cst.Module):
                return current
            current = parent
        return None
