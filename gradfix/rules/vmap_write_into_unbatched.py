"""GF098: a function mapped with ``torch.vmap`` (per-sample gradients, an ensemble) writes a batched
value in place into a tensor it made with a plain factory (``torch.zeros(...)``), which vmap does
not batch: "vmap: inplace arithmetic(self, *extra_args) is not possible because there exists a
Tensor `other` in extra_args that has more elements than `self`". Nothing trains.

Inside vmap each input carries a hidden batch dimension. A buffer made with ``torch.zeros(shape)``
has none, so it cannot hold a batched value: ``states[..., t, :] = h``, ``out += y`` and
``buf.copy_(x)`` are refused. A buffer made from a batched tensor (``x.new_zeros(shape)``,
``torch.zeros_like(x)``) is batched like it, and the same code runs under vmap and without it.
DP-SGD's ``vmap(grad(functional_call))`` over a model with a hand-written recurrence or a
preallocated output meets this at the first step.

The crash is read from the run (torch's message and the line of the in-place write). An
accumulation (``out += term``) into such a buffer raises "output with shape [1] doesn't match the
broadcast shape [64, 1]" instead, which a plain broadcasting mistake raises too: that finding is
reported only when a fix verifies. The fix goes
to the factory call that made the written tensor, in the same function: ``torch.zeros(...)``,
``ones``, ``empty``, ``full`` become ``x.new_zeros(...)`` (``new_ones``, ``new_empty``,
``new_full``), with the same arguments, on a tensor of the function: first those the call reads
the shape or device of (``x.shape``, ``x.device``), then the function's other parameters, then the
names it binds before the buffer (under an ensemble's vmap with a shared input, the batched values
are those computed from the parameters). Each is a candidate; the re-run decides. Safe: the buffer has the same shape, dtype and device outside
vmap.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_MESSAGE = re.compile(r"vmap: .* is not possible because there exists a Tensor `other` in extra_args that has more elements than `self`")
# what an accumulation (`out += term`, `out.add_(term)`) into an unbatched buffer raises under
# vmap; raised outside vmap too (a plain broadcasting mistake), so only a verified fix reports it
_BROADCAST = re.compile(r"output with shape \[[\d, ]*\] doesn't match the broadcast shape")
_FACTORIES = {"torch.zeros": "new_zeros", "torch.ones": "new_ones", "torch.empty": "new_empty", "torch.full": "new_full"}


def _written(node: cst.CSTNode) -> Optional[str]:
    """The name of the tensor an in-place write at the crash's span writes into."""
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name):
        return node.value.value
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name):
        return node.func.value.value if node.func.attr.value.endswith("_") else None
    if isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
        return node.target.value
    return None


class VmapWriteIntoUnbatched(Rule):
    code = "GF098"
    title = "vmapped function writes a batched value into a tensor vmap does not batch"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or not project.is_editable(crash.site.file):
            return []
        certain = bool(_MESSAGE.search(crash.message))
        if not certain and not _BROADCAST.search(crash.message):
            return []
        source = project.source(crash.site.file)
        nodes = [n for kind in (cst.Subscript, cst.Call, cst.AugAssign) for n in source.nodes_at(crash.site, kind)]
        names = [name for n in nodes if (name := _written(n)) is not None]
        candidates: list[Candidate] = []
        if names:
            function = source.enclosing_function(nodes[0])
            if function is not None:
                candidates = self._candidates(source, function, names[0])
        message = (
            f"the script crashed: {crash.type}: {crash.message}; inside vmap, a tensor made with a plain factory "
            "has no batch dimension and cannot take a batched value in place; nothing trains"
        )
        finding = self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)
        finding.conjecture = not certain
        return [finding]

    def _candidates(self, source: SourceFile, function: cst.FunctionDef, name: str) -> list[Candidate]:
        made = [
            a for a in descendants(function, cst.Assign)
            if len(a.targets) == 1 and isinstance(a.targets[0].target, cst.Name) and a.targets[0].target.value == name
            and isinstance(a.value, cst.Call)
        ]
        if len(made) != 1:
            return []
        call = made[0].value
        assert isinstance(call, cst.Call)
        factory = next((q for q in source.qualified_names(call.func) if q in _FACTORIES), None)
        if factory is None:
            return []
        read = []  # tensors whose shape, size or device the call reads: the batched input it mirrors
        for attribute in descendants(call, cst.Attribute):
            if isinstance(attribute.value, cst.Name) and attribute.attr.value in ("shape", "size", "device", "dtype"):
                read.append(attribute.value.value)
        params = [p.name.value for p in function.params.params if p.name.value not in ("self", "cls")]
        # then the names the function binds before the buffer (`z = self.encoder(x)`): under an
        # ensemble's vmap with the input shared, the batched values are those made from the parameters
        start = source.range(made[0]).start.line
        local = [
            a.targets[0].target.value for a in descendants(function, cst.Assign)
            if len(a.targets) == 1 and isinstance(a.targets[0].target, cst.Name) and source.range(a).start.line < start
        ]
        found = []
        for ref in list(dict.fromkeys([*read, *params, *reversed(local)]))[:6]:
            new = call.with_changes(func=cst.Attribute(value=cst.Name(ref), attr=cst.Name(_FACTORIES[factory])))
            found.append(self.candidate(
                f"make `{name}` from `{ref}` (`{ref}.{_FACTORIES[factory]}(...)`), batched as `{ref}` is under vmap",
                source.path, [source.replace_node(call, new)],
            ))
        return found
