"""GF085: a custom ``torch.autograd.Function`` given its trainable tensors in a container (an
``nn.ParameterList``): ``apply()`` tracks only the tensors passed to it directly, so the
output's graph does not reach them, ``backward`` never hands them a gradient, and they never
change while the rest of the model trains. Nothing crashes (or, when the input requires grad too,
backward fails with "returned a gradient different than None at position ...").

The probe shows the parameters of an ``nn.ParameterList`` that an
optimizer holds and no loss reaches, in a module that ran with gradients on. The rule finds, in
that module's class, the one ``SomeFunction.apply(...)`` that passes ``self.<container>``, and
the Function (a subclass of ``torch.autograd.Function`` in the same file, applied nowhere else).
The fix unpacks the container as the last arguments, in three places that must agree:

* the call: ``apply(x, self.bands, k)`` -> ``apply(x, k, *self.bands)``;
* ``forward(ctx, x, bands, k)`` -> ``forward(ctx, x, k, *bands)`` (``bands`` is then a tuple:
  unpacking, indexing and ``len`` read it as before);
* each ``return`` of ``backward``: the container's gradients moved last and unpacked,
  ``return gx, [g_lo, g_hi], None`` -> ``return gx, None, *[g_lo, g_hi]``.

When a ``return`` of ``backward`` is not a tuple of one gradient per input, or gives ``None`` for
the container, there is no fix (its backward computes no gradient for them); nor when backward
reads ``ctx.needs_input_grad``, whose indices are the positions the fix moves. Safe: the Function
computes the same values, and autograd now sees the tensors it differentiates. An
``nn.ParameterDict`` handed whole is left to GF018, which names its parameters without a fix.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import AUTOGRAD_FUNCTIONS
from gradfix.trace import Trace

# A ParameterDict unpacked with `*` would pass its keys: only a list's tensors are moved.
_CONTAINERS = (".ParameterList",)


def _method(cls: cst.ClassDef, name: str) -> Optional[cst.FunctionDef]:
    if not isinstance(cls.body, cst.IndentedBlock):
        return None
    return next((s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value == name), None)


def _applies(source: SourceFile, forward: cst.FunctionDef, attr: str) -> list[tuple[cst.Call, int]]:
    """The ``X.apply(...)`` calls in ``forward`` that pass ``self.<attr>``, with its position."""
    found = []
    for call in descendants(forward, cst.Call):
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "apply"):
            continue
        for index, arg in enumerate(call.args):
            if arg.keyword is None and not arg.star and source.code(arg.value) == f"self.{attr}":
                found.append((call, index))
    return found


def _moved_last(items: list, index: int, starred: object) -> list:
    return [*items[:index], *items[index + 1 :], starred]


class FunctionGivenAContainer(Rule):
    code = "GF085"
    title = "custom autograd Function given its trainable tensors in a container"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        containers = {m.path: m for m in trace.modules if m.path and m.cls.endswith(_CONTAINERS)}
        holders = {m.path: m for m in trace.modules if m.path and m.ran_with_grad}
        stranded: dict[str, list[str]] = {}
        for p in trace.params:
            container = p.name.rsplit(".", 1)[0]
            if container not in containers or "." not in container:
                continue
            if p.requires_grad and p.optimizers and not p.reached and not p.changed and container.rsplit(".", 1)[0] in holders:
                stranded.setdefault(container, []).append(p.name)
        findings = []
        for container, names in stranded.items():
            holder = holders[container.rsplit(".", 1)[0]]
            found = self._fix(project, trace, holder.cls.rsplit(".", 1)[-1], container.rsplit(".", 1)[1])
            if found is None:
                continue
            source, call, candidate, no_fix = found
            message = (
                f"{short_list(names)} {'is' if len(names) == 1 else 'are'} handed to `{source.code(call.func)}` inside "
                f"`self.{container.rsplit('.', 1)[1]}`, a container: apply() tracks only the tensors passed to it directly, "
                "so no gradient reaches them and they never change"
            )
            finding = self.finding(project, source.site(call), message, names, [candidate] if candidate else [])
            finding.no_fix = no_fix
            findings.append(finding)
        return findings

    def _fix(
        self, project: Project, trace: Trace, holder_class: str, attr: str,
    ) -> Optional[tuple[SourceFile, cst.Call, Optional[Candidate], str]]:
        """The apply() call of the holder's class that passes the container, and the candidate (or
        why there is none, when that is known)."""
        for path in self.crash_files(trace, project):
            source = project.source(path)
            classes = {c.name.value: c for c in descendants(source.module, cst.ClassDef)}
            holder = classes.get(holder_class)
            forward = _method(holder, "forward") if holder is not None else None
            if forward is None:
                continue
            calls = _applies(source, forward, attr)
            if len(calls) != 1:
                continue
            call, index = calls[0]
            function = classes.get(source.code(call.func.value)) if isinstance(call.func, cst.Attribute) else None  # type: ignore[union-attr]
            if function is None or not source.subclasses(function, AUTOGRAD_FUNCTIONS):
                return source, call, None, ""
            applied = [c for c in descendants(source.module, cst.Call) if isinstance(c.func, cst.Attribute)
                       and c.func.attr.value == "apply" and source.code(c.func.value) == function.name.value]
            backward = _method(function, "backward")
            if backward is not None and "needs_input_grad" in source.code(backward):
                why = f"`{function.name.value}.backward` reads `ctx.needs_input_grad`, whose positions unpacking the container would move"
                return source, call, None, why
            edits = self._edits(source, call, index, function) if len(applied) == 1 else None
            if edits is None:
                return source, call, None, ""
            description = (
                f"unpack `self.{attr}` as the last arguments of `{function.name.value}.apply`, the last inputs of its "
                "forward and the last gradients of its backward"
            )
            return source, call, self.candidate(description, path, edits), ""
        return None

    @staticmethod
    def _edits(source: SourceFile, call: cst.Call, index: int, function: cst.ClassDef) -> Optional[list[Edit]]:
        forward, backward = _method(function, "forward"), _method(function, "backward")
        if forward is None or backward is None:
            return None
        params = forward.params
        if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.kwonly_params or params.star_kwarg or params.posonly_params:
            return None
        inputs = list(params.params)[1:]  # after ctx
        if len(inputs) != len(call.args) or any(a.keyword is not None or a.star for a in call.args) or any(p.default for p in inputs):
            return None
        returns = [r for r in descendants(backward.body, cst.Return) if source.enclosing_function(r) is backward]
        if not returns or not all(isinstance(r.value, cst.Tuple) and len(r.value.elements) == len(inputs) for r in returns):
            return None
        if any(isinstance(r.value.elements[index].value, cst.Name) and r.value.elements[index].value.value == "None" for r in returns):  # type: ignore[union-attr]
            return None
        container = inputs[index]
        new_call = call.with_changes(args=[
            *[a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in _moved_last(list(call.args), index, None)[:-1]],
            cst.Arg(value=call.args[index].value, star="*"),
        ])
        kept = [p.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for p in [params.params[0], *_moved_last(inputs, index, None)[:-1]]]
        new_params = params.with_changes(
            params=[*kept[:-1], kept[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))],
            star_arg=container.with_changes(star="*", comma=cst.MaybeSentinel.DEFAULT, default=None, equal=cst.MaybeSentinel.DEFAULT),
        )
        edits = [source.replace_node(call, new_call), source.replace_node(params, new_params)]
        for r in returns:
            elements = list(r.value.elements)  # type: ignore[union-attr]
            moved = _moved_last(elements, index, cst.StarredElement(value=elements[index].value))
            spaced = [e.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for e in moved[:-1]]
            edits.append(source.replace_node(r.value, r.value.with_changes(elements=[*spaced, moved[-1]])))  # type: ignore[union-attr]
        return edits
