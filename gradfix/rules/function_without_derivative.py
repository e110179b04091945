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
        trained = {p.name for p in trace.params if p.requires_grad and p.is_leaf and (p.optimizers or p.reached)}
        by_file: dict[str, list[Cut]] = {}
        for cut in trace.cuts:
            # `leaves` names only parameters that never trained; `reach` counts all it reached (a
            # von Mises concentration that also trains through another term of the loss)
            if cut.site.function == f"{cut.op.removeprefix('special_')}_with_grad":
                continue  # the helper this rule writes: its second term carries the derivative
            if cut.op in UNDIFFERENTIATED and project.is_editable(cut.site.file) and (set(cut.leaves) & trained or cut.reach):
                by_file.setdefault(cut.site.file, []).append(cut)
        findings = []
        for path, cuts in by_file.items():
            cuts.sort(key=lambda c: (c.site.line, c.site.column or 0))
            functions = sorted({c.op.removeprefix("special_") for c in cuts})
            behind = sorted({n for c in cuts for n in c.leaves if n in trained})
            stuck = [n for n in behind if n in cut_off]
            spelled = ", ".join(f"torch.special.{f}" for f in functions)
            one = len(functions) == 1
            if stuck:
                what = f"{short_list(stuck)}, behind {'it' if one else 'them'}, never {'receives' if len(stuck) == 1 else 'receive'} one"
            elif behind:
                what = f"the gradient of {short_list(behind)} lacks every term through {'it' if one else 'them'}"
            else:
                reach = max(c.reach for c in cuts)
                what = (
                    f"the {reach} trainable parameter{'s' if reach != 1 else ''} behind {'it' if one else 'them'}, which train through "
                    f"other terms, miss every term through {'it' if one else 'them'}: their gradient is wrong"
                )
            message = f"{spelled} {'has' if one else 'have'} no derivative in torch: the output has no gradient, so {what}"
            candidate = self._with_derivative(project, path, cuts)
            if candidate is None:
                message += "; gradfix knows no closed form of the derivative to give it"
            findings.append(self.finding(project, cuts[0].site, message, stuck or behind, [candidate] if candidate else []))
        return findings

    def _with_derivative(self, project: Project, path: str, cuts: list[Cut]) -> Optional[Candidate]:
        """Every call of these cuts through a helper with its derivative, one helper per function,
        each above the first top-level statement that calls it; None if any has no closed form."""
        source = project.source(path)
        calls: dict[tuple[int, int], tuple[cst.Call, str]] = {}
        for cut in cuts:
            function = cut.op.removeprefix("special_")
            found = source.nodes_at(cut.site, cst.Call)
            if function not in _DERIVATIVES or not found:
                return None
            where = source.range(found[-1]).start
            calls[(where.line, where.column)] = (found[-1], function)
        edits: list[Edit] = []
        spelled: dict[str, str] = {}
        first: dict[str, int] = {}
        for call, function in calls.values():
            top = self._top_statement(source, call)
            if top is None:
                return None
            line = source.range(top).start.line
            first[function] = min(first.get(function, line), line)
        for function in sorted(first):
            for name in _needed(function):
                if name not in spelled:
                    spelled[name], imports = spelled_or_imported(source, _TORCH.get(name, f"torch.special.{name}"))
                    edits += [e for e in imports if e not in edits]
        helpers: dict[str, str] = {}
        texts: dict[int, str] = {}  # one insertion per line, the helpers it holds in order
        for function in sorted(first, key=lambda f: (first[f], f)):
            helper = f"{function}_with_grad"
            if helper in source.bindings:
                return None
            helpers[function] = helper
            texts[first[function]] = texts.get(first[function], "") + _helper(helper, function, spelled)
        edits += [source.insert_lines(line, text) for line, text in texts.items()]
        for call, function in calls.values():
            edits.append(source.replace_node(call.func, cst.Name(helpers[function])))
        names = ", ".join(f"`{n}`" for n in helpers.values())
        return self.candidate(f"compute {', '.join(sorted(set(spelled[f] for f in first)))} through {names}, with the derivative", path, edits)

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
