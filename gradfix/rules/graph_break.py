"""GF008: the loss path is cut, so a part of the model that ran is never reached from any loss.

``.detach()``, ``.data``, ``torch.tensor(x, requires_grad=True)`` or ``torch.tensor(loss.item(), ...)``
on the way from a module's output to the loss leaves everything before the cut without a
gradient. So does a new leaf made from a tensor on the path (``Variable(h, requires_grad=True)``,
``Variable(h.data, ...)``, ``nn.Parameter(z)``), and a loss rebuilt from numbers:
``torch.tensor([l1.item(), l2.item()])``, ``torch.tensor(per_sample)`` of a list filled with
``.item()`` floats (or with the loss tensors themselves), ``torch.tensor(total)`` of a float sum.
The probe records where user code cut the graph; a cut is a fault only when some module ran with
grad on and its parameters were never reached by any backward over the whole run (a GAN's
``fake.detach()`` in the discriminator step is fine: the generator is reached in its own step).
Each recorded cut is a candidate fix — remove it, with the re-wrap around it (a statement left as
``x = x`` goes) — and all of them together is one more; the re-run decides. A loss rebuilt from
values keeps the tensors instead: the ``.item()`` calls whose floats go into the re-wrap are
dropped, and the re-wrap becomes ``torch.stack(...)`` of a list, or the value itself. A sparse
tensor's ``_values()`` is its values detached: it is read as ``.coalesce().values()`` instead, with
an ``_indices()`` of the same receiver in the same statement read through ``coalesce()`` too. A
round trip through a real quantized tensor (``torch.quantize_per_tensor(w, scale, 0,
torch.qint8).dequantize()``, weights rounded to int8 in a training forward) has no gradient: it
becomes the fake-quantize op, which rounds to the same values with a straight-through gradient
(``torch.fake_quantize_per_tensor_affine(w, scale, 0, -128, 127)``, per channel likewise).
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import OUT_OF_GRAPH, module_alias, strip_cuts
from gradfix.trace import Cut, Trace

MAX_CANDIDATES = 8
MOVED_READS = 3  # a detached name read more often than this is not a GAN's two losses
_BREAKS = {
    "detach", "data", "_values", "tensor", "as_tensor", "item", "tolist", "numpy", "Variable", "Parameter",
    "quantize_per_tensor", "quantize_per_channel",
}
# A round trip through a quantized tensor (`torch.quantize_per_tensor(w, s, z, dtype).dequantize()`)
# has no gradient; the fake-quantize op rounds the same values and passes a straight-through one.
# The quantized dtype -> its integer range.
_QUANTIZED_RANGES = {"qint8": (-128, 127), "quint8": (0, 255), "qint32": (-(2**31), 2**31 - 1)}
_FAKE_QUANTIZE = {
    "quantize_per_tensor": ("torch.fake_quantize_per_tensor_affine", 3),  # the twin, the dtype's position
    "quantize_per_channel": ("torch.fake_quantize_per_channel_affine", 4),
}
_REWRAPS = {"torch.tensor", "torch.as_tensor"}
# New leaves made from a tensor's values: `Variable(x, requires_grad=True)`, `nn.Parameter(x)`.
_LEAF_REWRAPS = {
    "torch.autograd.Variable", "torch.autograd.variable.Variable", "torch.nn.Parameter", "torch.nn.parameter.Parameter",
}
# What takes a value out of the graph inside a re-wrap's argument (`Variable(x.data.cpu())`): it goes with it.
def _sparse_values(source: SourceFile, node: cst.Call) -> Optional[Edit]:
    """``adj._values()`` -> ``adj.coalesce().values()``, which keeps the graph; an ``adj._indices()``
    of the same statement becomes ``adj.coalesce().indices()``, so that the two stay in one order."""
    assert isinstance(node.func, cst.Attribute)
    receiver = source.code(node.func.value)
    statement = source.statement_of(node)
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    pairs = [
        c for c in descendants(statement, cst.Call)
        if isinstance(c.func, cst.Attribute) and c.func.attr.value in ("_values", "_indices") and not c.args
        and source.code(c.func.value) == receiver
    ]
    if any(source.code(c).count("._") > 1 for c in pairs):
        return None  # nested: one inside the other's receiver

    def coalesced(call: cst.Call) -> cst.Call:
        assert isinstance(call.func, cst.Attribute)
        inner = cst.Call(func=cst.Attribute(value=call.func.value, attr=cst.Name("coalesce")))
        return call.with_changes(func=cst.Attribute(value=inner, attr=cst.Name(call.func.attr.value[1:])))

    new = statement.visit(_Swap({id(c): coalesced(c) for c in pairs}))
    return source.replace_statement(statement, new) if isinstance(new, cst.SimpleStatementLine) else None


class _Swap(cst.CSTTransformer):
    def __init__(self, replacements: dict[int, cst.Call]):
        super().__init__()
        self.replacements = replacements

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        return self.replacements.get(id(original), updated)


class GraphBreak(Rule):
    code = "GF008"
    title = "graph cut on the loss path"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.backwards:
            return []
        # Parameters of modules that ran with grad on, never reached by any backward.
        # Held by an optimizer: the script means to train them (a deliberate detach in front of a
        # feature extractor usually leaves it out of the optimizer).
        # Scores used only to pick (argmax, the indices of max/topk) lost their path there: GF060's.
        picked = set(trace.params_only_selected())
        # Reached only by a loss term held beside the loss and logged through a cut: the term was
        # never added (GF063's), and removing the logging's `.data` would not add it.
        picked |= set(trace.params_in_loose_terms())
        # Cut off by a function without a derivative (a Bessel function): GF109's, not a `.detach()`
        # kept for logging.
        picked |= set(trace.params_without_derivative())
        cut_off = [name for name in trace.params_cut_off() if name not in picked]
        if not cut_off:
            return []
        candidates: list[Candidate] = []
        first_site = None
        straight: Optional[Cut] = None
        seen: set[tuple[str, tuple[tuple[int, int, int, int, str], ...]]] = set()
        items: dict[str, list[cst.Call]] = {}
        # A cut whose input was walked and reached none of the parameters cut off kept something
        # else from its loss (another model's pre-training): removing it cannot help these.
        cut_set = set(cut_off)
        causes = [c for c in trace.cuts if c.reach == 0 or set(c.leaves) & cut_set]
        for cut in sorted(causes, key=lambda c: -c.count):
            if cut.op not in _BREAKS or not project.is_editable(cut.site.file):
                continue
            source = project.source(cut.site.file)
            if cut.op == "detach" and _straight_through(source, self._node(source, cut)):
                # the stop-gradient is the method: removing it sends the gradient elsewhere
                straight = straight or (cut if set(cut.leaves) & cut_set else None)
                continue
            if cut.op == "detach" and _into_numpy(source, self._node(source, cut)):
                continue  # without the `.detach()`, `.numpy()` refuses the tensor: GF036 keeps the values in torch
            if source.path not in items:
                items[source.path] = self._items(trace, source)
            rebuilt = self._rebuilt(source, cut, items[source.path])
            if rebuilt is not None:
                description, edits = rebuilt
            else:
                edit = self._remove(source, cut)
                if edit is None:
                    continue
                node = self._node(source, cut)
                rewrap = _rewrap_around(source, node) if node is not None else None
                if cut.op in _FAKE_QUANTIZE:
                    description = (
                        f"round with `{_FAKE_QUANTIZE[cut.op][0]}` instead of a quantized tensor's round trip: the same values, "
                        "with a straight-through gradient"
                    )
                elif rewrap is not None:
                    description = f"unwrap `{source.code(rewrap)}`: the new leaf cuts the graph as much as its `.{cut.op}`"
                elif cut.op in ("Variable", "Parameter"):
                    description = f"unwrap `{source.code(node or source.module)}`: a new leaf, cut from the graph"
                else:
                    description = f"remove the `{source.code(node or source.module)}` cut"
                edits = [edit]
            # Several `.item()`s going into one re-wrap make one candidate, not one each.
            key = (source.path, tuple(sorted((e.start.line, e.start.column, e.end.line, e.end.column, e.replacement) for e in edits)))
            if key in seen:
                continue
            seen.add(key)
            first_site = first_site or cut.site
            at = (source.path, cut.site.line, cut.site.column or 0)
            candidates.append(self.candidate(description, source.path, edits, at=at))
        unchanged = {p.name for p in trace.params if not p.changed}
        if first_site is None and straight is not None and unchanged & cut_set:
            # Only a straight-through estimator's `.detach()` stands between them and the loss:
            # the loss that should reach them is missing, which no edit of the cut supplies.
            message = (
                f"{short_list([n for n in cut_off if n in unchanged])} ran with gradients on but no loss reaches them: the only path is "
                "through a straight-through `.detach()`, which passes no gradient to them; they need a loss "
                "term of their own (a VQ codebook loss on the detached encoder output)"
            )
            # a codebook that changed anyway (an EMA update under no_grad) is trained another way
            return [self.finding(project, straight.site, message, [n for n in cut_off if n in unchanged], [])]
        if first_site is None:
            return []
        # Two cuts written alike (`feats.detach()` kept for plotting, and the one on the path)
        # are told apart by their lines.
        alike = [c for c in candidates if c.at is not None and sum(d.description == c.description for d in candidates) > 1]
        for candidate in alike:
            candidate.description += f" at line {candidate.at[1]}"  # type: ignore[index]
        message = (
            f"{short_list(cut_off)} ran with gradients on but no loss ever reaches them: the graph is cut "
            "on the way to the loss"
        )
        candidates = candidates[:5]
        if len(candidates) > 1:
            # Cuts often come in pairs (`self.weight.data` and `self.bias.data` in one forward):
            # each alone leaves the other in place, so all of them together is a candidate too.
            combined = self._combined(candidates)
            if combined is not None:
                candidates.append(combined)
        for cut in sorted(causes, key=lambda c: -c.count):
            if cut.op == "detach" and project.is_editable(cut.site.file):
                source = project.source(cut.site.file)
                if not _straight_through(source, self._node(source, cut)):
                    candidates += self._moved_to_one_read(source, cut)
        return [self.finding(project, first_site, message, cut_off, candidates[:MAX_CANDIDATES])]

    def _moved_to_one_read(self, source: SourceFile, cut: Cut) -> list[Candidate]:
        """``fake = G(z).detach()`` read by two losses (a GAN's discriminator step and the
        generator's own): the cut belongs to one read, not to the name. Removed at the binding, it
        lets the first backward free the graph the second needs; kept at one read in turn, the
        re-run shows which read it belongs to."""
        node = self._node(source, cut)
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
            return []
        assign = source.parent(node)
        if not isinstance(assign, cst.Assign) or assign.value is not node or len(assign.targets) != 1:
            return []
        target = assign.targets[0].target
        scope = source.scopes.get(target)
        if not isinstance(target, cst.Name) or scope is None:
            return []
        bound = [a for a in scope.assignments[target.value] if a.node is target]
        def at(n: cst.CSTNode) -> tuple[int, int]:
            return source.range(n).start.line, source.range(n).start.column

        end = source.range(assign).end
        reads = sorted(
            (r.node for r in bound[0].references if isinstance(r.node, cst.Name) and at(r.node) > (end.line, end.column)),
            key=at,
        ) if len(bound) == 1 else []
        if not 2 <= len(reads) <= MOVED_READS:
            return []
        removal = _replace(source, node, node.func.value)
        detached = cst.parse_expression(f"{target.value}.detach()")
        return [
            self.candidate(
                f"detach `{target.value}` only where line {source.range(read).start.line} reads it, not where it is bound",
                source.path, [removal, source.replace_node(read, detached)],
                at=(source.path, cut.site.line, cut.site.column or 0),
            )
            for read in reads
        ]

    def _combined(self, candidates: list[Candidate]) -> Optional[Candidate]:
        edits: dict[str, list[Edit]] = {}
        for candidate in candidates:
            for patch in candidate.patches:
                edits.setdefault(patch.path, []).extend(patch.edits)
        for path, found in edits.items():
            ordered = sorted(found, key=lambda e: (e.start, e.end))
            if any(a.end > b.start for a, b in zip(ordered, ordered[1:])):
                return None  # nested cuts (`x.detach().data`): one edit holds the other
            edits[path] = ordered
        return Candidate(
            f"remove all {len(candidates)} cuts", [Patch(path, found) for path, found in sorted(edits.items())], self.applicability,
        )

    @staticmethod
    def _node(source: SourceFile, cut: Cut) -> Optional[cst.CSTNode]:
        kind = cst.Attribute if cut.op == "data" else cst.Call
        nodes = source.nodes_at(cut.site, kind)
        return nodes[-1] if nodes else None

    def _remove(self, source: SourceFile, cut: Cut) -> Optional[Edit]:
        node = self._node(source, cut)
        if node is None:
            return None
        rewrap = _rewrap_around(source, node)
        if rewrap is not None:
            # `Variable(x.data, requires_grad=True)`, `torch.tensor(loss.item())`: the cut and the new
            # leaf around it go together, or the value stays cut.
            return _replace(source, rewrap, _parenthesized(source, rewrap, strip_cuts(rewrap.args[0].value)))
        if cut.op == "data" and isinstance(node, cst.Attribute):
            return _replace(source, node, node.value)
        if not isinstance(node, cst.Call):
            return None
        if cut.op == "detach" and isinstance(node.func, cst.Attribute):
            return _replace(source, node, node.func.value)
        if cut.op == "_values" and isinstance(node.func, cst.Attribute):
            return _sparse_values(source, node)
        if cut.op in _FAKE_QUANTIZE:
            return _fake_quantized(source, node, cut.op)
        if cut.op in ("item", "tolist", "numpy"):
            return None  # only a value re-wrapped into a tensor is a cut worth undoing; logging is not
        if _is_rewrap(source, node) and node.args and node.args[0].keyword is None:
            if cut.numbers and strip_cuts(node.args[0].value) is node.args[0].value:
                # `torch.tensor(v, requires_grad=True)` of a float made in an earlier statement:
                # unwrapped, it is still a number (GF027 keeps the loss a tensor where it was made).
                return None
            return _replace(source, node, _parenthesized(source, node, strip_cuts(node.args[0].value)))
        return None

    # -- a loss rebuilt from values -----------------------------------------------------------------

    @staticmethod
    def _items(trace: Trace, source: SourceFile) -> list[cst.Call]:
        """The ``.item()`` calls of this file that the run saw take a value out of the graph."""
        found = []
        for cut in trace.cuts:
            if cut.op == "item" and cut.site.file == source.path:
                found += [c for c in source.nodes_at(cut.site, cst.Call) if _is_item(c)][-1:]
        return found

    def _rebuilt(self, source: SourceFile, cut: Cut, items: list[cst.Call]) -> Optional[tuple[str, list[Edit]]]:
        """A re-wrap of values that came out of the graph, rebuilt from the tensors themselves:
        ``torch.tensor([a.item(), b.item()])`` -> ``torch.stack([a, b])``; ``per_sample.append(l.item())``
        ... ``torch.tensor(per_sample)`` -> ``per_sample.append(l)`` ... ``torch.stack(per_sample)``;
        ``total += l.item()`` ... ``torch.tensor(total)`` -> ``total += l`` ... ``total``."""
        node = self._node(source, cut)
        if not isinstance(node, cst.Call):
            return None
        if cut.op in ("tensor", "as_tensor") and source.qualified_names(node.func) & _REWRAPS and node.args:
            rewrap = node
        elif cut.op == "item" and _is_item(node):
            found = self._rewrap_of(source, node)
            if found is None:
                return None
            rewrap = found
        else:
            return None
        value = rewrap.args[0].value
        listed = isinstance(value, (cst.List, cst.Tuple, cst.ListComp)) or (
            isinstance(value, cst.Name) and _bound_to_list(source, rewrap, value.value)
        )
        inside = [i for i in items if _within(source, i, value)]
        # The `.item()`s whose floats reach this re-wrap through a name bound in the same function.
        feeding = [i for i in items if not _within(source, i, value) and self._rewrap_of(source, i) is rewrap]
        if not (listed or inside or feeding):
            return None  # `torch.tensor(x, requires_grad=True)` of one tensor: the plain cut removal
        new_value = value.visit(_Unwrap(inside))
        if listed:
            callee = _stack(source, rewrap)
            if callee is None:
                return None
            new = cst.parse_expression(f"{callee}()", config=source.module.config_for_parsing)
            assert isinstance(new, cst.Call)
            replacement: cst.BaseExpression = new.with_changes(args=[cst.Arg(new_value)])  # type: ignore[arg-type]
        else:
            replacement = _parenthesized(source, rewrap, new_value)  # type: ignore[arg-type]
        edits = [source.replace_node(rewrap, replacement)] + [source.replace_node(i, i.func.value) for i in feeding]  # type: ignore[attr-defined]
        shown = f"`{source.module.code_for_node(replacement)}` instead of `{source.code(rewrap)}`"
        if feeding:
            kept = ", ".join(f"`{source.code(i.func.value)}`" for i in feeding)  # type: ignore[attr-defined]
            return f"keep the tensors: {kept} instead of {'its' if len(feeding) == 1 else 'their'} `.item()`, and {shown}", edits
        return f"rebuild the loss from the tensors: {shown}", edits

    @staticmethod
    def _rewrap_of(source: SourceFile, item: cst.Call) -> Optional[cst.Call]:
        """The ``torch.tensor(...)`` that an ``.item()``'s float goes into: around it in the same
        expression, or through the name its statement binds (``xs.append(...)``, ``x += ...``, ``x = ...``)."""
        for ancestor in source.ancestors(item):
            if isinstance(ancestor, cst.BaseStatement):
                break
            if isinstance(ancestor, cst.Call) and source.qualified_names(ancestor.func) & _REWRAPS and ancestor.args:
                return ancestor if _within(source, item, ancestor.args[0].value) else None
        statement = source.statement_of(item)
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return None
        small = statement.body[0]
        name = None
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "append" and isinstance(call.func.value, cst.Name):
                name = call.func.value.value
        elif isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name):
            name = small.target.value
        elif isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            name = small.targets[0].target.value
        if name is None:
            return None
        scope = source.enclosing_scope(statement)
        for call in descendants(scope, cst.Call):
            if call is not item and source.qualified_names(call.func) & _REWRAPS and call.args:
                if any(n.value == name for n in descendants(call.args[0].value, cst.Name)):
                    return call
        return None


def _is_rewrap(source: SourceFile, call: cst.Call) -> bool:
    return bool(source.qualified_names(call.func) & (_REWRAPS | _LEAF_REWRAPS))


def _rewrap_around(source: SourceFile, node: cst.CSTNode) -> Optional[cst.Call]:
    """The re-wrap (``torch.tensor``, ``Variable``, ``nn.Parameter``) whose first argument is this
    cut, perhaps through more cuts (``Variable(x.detach().data)``)."""
    current = node
    while True:
        parent = source.parent(current)
        if isinstance(parent, cst.Attribute) and parent.value is current:
            call = source.parent(parent)
            if parent.attr.value == "data":
                current = parent
            elif parent.attr.value in OUT_OF_GRAPH and isinstance(call, cst.Call) and call.func is parent and not call.args:
                current = call
            else:
                return None
            continue
        if isinstance(parent, cst.Arg) and parent.keyword is None:
            call = source.parent(parent)
            if isinstance(call, cst.Call) and call.args[0] is parent and _is_rewrap(source, call):
                return call
        return None


def _into_numpy(source: SourceFile, node: Optional[cst.CSTNode]) -> bool:
    """``h.detach().cpu().numpy()``, ``h.detach().tolist()``: the value leaves torch right after the
    cut, so removing the cut alone keeps no graph (``.numpy()`` even refuses the tensor)."""
    current = node
    while current is not None:
        parent = source.parent(current)
        if not isinstance(parent, cst.Attribute) or parent.value is not current:
            return False
        if parent.attr.value == "data":
            current = parent
            continue
        call = source.parent(parent)
        if not isinstance(call, cst.Call) or call.func is not parent or call.args:
            return False
        if parent.attr.value in ("numpy", "tolist"):
            return True
        if parent.attr.value not in ("cpu", "clone", "contiguous"):
            return False
        current = call
    return False


def _straight_through(source: SourceFile, node: Optional[cst.CSTNode]) -> bool:
    """``x + (q - x).detach()``: a straight-through estimator (VQ-VAE's quantizer, a rounding
    STE). Its forward value is ``q`` and its gradient goes to ``x``; without the ``.detach()`` the
    value is the same and the gradient goes to ``q`` instead, away from the encoder. A fault near
    it (a loss computed on its output instead of on ``q``) is not fixed by undoing it."""
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return False
    inner = node.func.value
    total = source.parent(node)
    if not (isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, cst.Subtract)):
        return False
    if not (isinstance(total, cst.BinaryOperation) and isinstance(total.operator, cst.Add)):
        return False
    other = total.right if total.left is node else total.left
    return source.code(other).strip() == source.code(inner.right).strip()


def _replace(source: SourceFile, node: cst.CSTNode, new: cst.BaseExpression) -> Edit:
    """Replace ``node``; a statement left as ``x = x`` goes instead (with an ``if`` around it
    that guards nothing else)."""
    statement = source.statement_of(node)
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if (
            isinstance(small, cst.Assign) and small.value is node and len(small.targets) == 1
            and source.code(small.targets[0].target).strip() == source.module.code_for_node(new).strip()
        ):
            return source.remove_statement(statement)
    return source.replace_node(node, new)


def _fake_quantized(source: SourceFile, node: cst.Call, op: str) -> Optional[Edit]:
    """``torch.quantize_per_tensor(w, scale, zero_point, torch.qint8).dequantize()`` ->
    ``torch.fake_quantize_per_tensor_affine(w, scale, zero_point, -128, 127)`` (per channel: with
    its axis). Only the round trip: a quantized tensor used as one (a quantized kernel) is left."""
    parent = source.parent(node)
    outer = source.parent(parent) if parent is not None else None
    if not (isinstance(parent, cst.Attribute) and parent.attr.value == "dequantize" and isinstance(outer, cst.Call) and not outer.args):
        return None
    twin, dtype_at = _FAKE_QUANTIZE[op]
    args = list(node.args)
    if len(args) != dtype_at + 1 or any(a.keyword is not None or a.star for a in args):
        return None
    dtype = args[dtype_at].value
    kind = dtype.attr.value if isinstance(dtype, cst.Attribute) else None
    if kind not in _QUANTIZED_RANGES:
        return None
    low, high = _QUANTIZED_RANGES[kind]
    kept = ", ".join(source.code(a.value) for a in args[:dtype_at])
    new = cst.parse_expression(f"{twin}({kept}, {low}, {high})", config=source.module.config_for_parsing)
    return _replace(source, outer, new)


def _is_item(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "item" and not node.args


def _within(source: SourceFile, node: cst.CSTNode, container: cst.CSTNode) -> bool:
    return node is container or any(a is container for a in source.ancestors(node))


def _bound_to_list(source: SourceFile, at: cst.CSTNode, name: str) -> bool:
    """``name`` is a list in the function around ``at``: built as one, or appended to."""
    scope = source.enclosing_scope(at)
    for assign in descendants(scope, cst.Assign):
        if any(isinstance(t.target, cst.Name) and t.target.value == name for t in assign.targets):
            if isinstance(assign.value, (cst.List, cst.ListComp)):
                return True
    return any(
        isinstance(call.func, cst.Attribute) and call.func.attr.value == "append"
        and isinstance(call.func.value, cst.Name) and call.func.value.value == name
        for call in descendants(scope, cst.Call)
    )


def _stack(source: SourceFile, rewrap: cst.Call) -> Optional[str]:
    """``torch.stack`` as this file spells torch where it wrote the re-wrap (``T.tensor`` -> ``T.stack``)."""
    if isinstance(rewrap.func, cst.Attribute):
        return f"{source.code(rewrap.func.value)}.stack"
    torch = module_alias(source, "torch")
    return f"{torch}.stack" if torch is not None and all(part.isidentifier() for part in torch.split(".")) else None


_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.List, cst.Tuple)


def _parenthesized(source: SourceFile, rewrap: cst.Call, value: cst.BaseExpression) -> cst.BaseExpression:
    """``torch.tensor(a + b).mean()`` -> ``(a + b).mean()``, not ``a + b.mean()``."""
    parent = source.parent(rewrap)
    if isinstance(value, _ATOMIC) or value.lpar or isinstance(parent, (cst.Arg, cst.Assign, cst.Return, cst.AugAssign, cst.Element)):
        return value
    return value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class _Unwrap(cst.CSTTransformer):
    """``x.item()`` -> ``x`` for the given calls."""

    def __init__(self, items: list[cst.Call]):
        super().__init__()
        self.items = items

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if any(original_node is i for i in self.items):
            return updated_node.func.value  # type: ignore[attr-defined]
        return updated_node
