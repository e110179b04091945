"""GF095: the result of an out-of-place call that uses a trainable parameter is thrown away
(``adj.set_value(torch.sigmoid(self.edge_logit))`` on a line of its own), so the parameter never
enters the graph and never changes. Nothing raises.

Many objects that look mutable return a new object instead of changing themselves: a
``torch_sparse.SparseTensor``'s ``set_value``, a tensor's ``masked_fill``, ``clamp``, ``add``,
``index_put``, a dataclass's ``replace``, a PyG ``Data``'s ``to``. The in-place forms end in an
underscore (``masked_fill_``); the others leave the receiver as it was and return the result,
which a bare statement discards. The learnable edge weights, mask, or gate written this way are
computed every step and never used: the loss does not depend on them, and they never get a
gradient.

The evidence comes from the run: parameters that an optimizer holds and steps never got a
gradient, and a statement of the user's files is a bare method call (not one ending in ``_``, not
``backward``, ``step``, ``append`` and the like) whose arguments read one of them (by its attribute
name: ``self.edge_logit``, ``self.gate``, or its module's: ``self.gate_proj(...)``). A function of an
imported module called on a value (``torch.clamp(x, min=floor)``, ``dataclasses.replace(c, f=v)``)
counts as a method of its first argument. The fix keeps the result where the receiver (or that
argument) was: ``adj = adj.set_value(...)``, ``x = torch.clamp(x, ...)``. The re-run decides: the stuck
parameters must now get gradients and change, and no other parameter may lose its gradient (a
method that returns ``None`` makes the fixed script fail, and is rejected). Unsafe: the code after
the statement now sees the new object, which is what the author meant, but the change alters what
the program computes.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

# methods called for what they do, not for what they return
_EFFECTS = frozenset({
    "backward", "step", "zero_grad", "append", "extend", "insert", "remove", "pop", "clear", "update",
    "setdefault", "add_module", "register_buffer", "register_parameter", "register_module", "apply",
    "train", "eval", "load_state_dict", "write", "info", "debug", "warning", "error", "log", "print",
    "add_scalar", "add_scalars", "record", "put", "send", "join", "start", "wait", "set", "observe",
    "register_hook", "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "requires_grad_", "unscale_", "save", "close", "flush", "sort", "reverse",
})
_GENERIC = frozenset({"weight", "bias", "self"})


def _names_read(node: cst.CSTNode) -> set[str]:
    """Every identifier an expression reads: ``self.gate_proj(x)`` reads ``self``, ``gate_proj``, ``x``."""
    return {n.value for n in descendants(node, cst.Name)}


def _imported_names(source: SourceFile) -> frozenset[str]:
    """The names the file's imports bind (``torch``, ``th``, ``dataclasses``, ``replace``)."""
    names = set()
    for node in descendants(source.module, cst.Import):
        for alias in node.names:
            names.add(alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else source.code(alias.name).split(".")[0])
    for node in descendants(source.module, cst.ImportFrom):
        if isinstance(node.names, cst.ImportStar):
            continue
        for alias in node.names:
            names.add(alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else source.code(alias.name))
    return frozenset(names)


def _assignable(receiver: cst.BaseExpression) -> bool:
    if isinstance(receiver, cst.Name):
        return True
    if isinstance(receiver, cst.Attribute):
        return _assignable(receiver.value)
    return False


class DiscardedResult(Rule):
    code = "GF095"
    title = "result of an out-of-place call on a parameter thrown away"
    applicability = Applicability.UNSAFE
    claims_what_trains = True

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if trace.crash is not None or not trace.steps:
            return []
        stuck = [p for p in trace.params if p.requires_grad and p.optimizers and not p.got_grad and p.is_leaf]
        if not stuck:
            return []
        # the names a statement would read a stuck parameter by: its own attribute, its module's
        spelled: dict[str, list[str]] = {}
        for p in stuck:
            parts = p.name.split(".")[1:]
            for part in parts:
                if part not in _GENERIC and part.isidentifier():
                    spelled.setdefault(part, []).append(p.name)
        findings = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            imported = _imported_names(source)
            for statement in descendants(source.module, cst.SimpleStatementLine):
                if len(statement.body) != 1 or not isinstance(statement.body[0], cst.Expr):
                    continue
                call = statement.body[0].value
                if not isinstance(call, cst.Call):
                    continue
                target = self._kept_in(source, call, imported)
                if target is None:
                    continue
                read = {name for arg in call.args for name in _names_read(arg.value)} & set(spelled)
                if not read:
                    continue
                params = list(dict.fromkeys(n for name in sorted(read) for n in spelled[name]))
                findings.append(self._finding(project, source, statement, call, target, params))
        return findings

    @staticmethod
    def _kept_in(source: SourceFile, call: cst.Call, imported: frozenset[str]) -> Optional[cst.BaseExpression]:
        """Where the call's result belongs: the receiver of a method (``adj.set_value(w)``), or the
        first argument of a function of an imported module (``torch.clamp(x, min=floor)``,
        ``dataclasses.replace(intr, fx=f)``, ``replace(intr, fx=f)``); None for a call made for
        its effect (a name ending in ``_``, ``append``, ``step``, a logger's ``info``)."""
        func = call.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if not name or name.endswith("_") or name in _EFFECTS:
            return None
        root = func
        while isinstance(root, cst.Attribute):
            root = root.value
        if isinstance(root, cst.Name) and root.value in imported:
            first = call.args[0] if call.args and call.args[0].keyword is None and not call.args[0].star else None
            return first.value if first is not None and _assignable(first.value) else None
        if isinstance(func, cst.Attribute) and _assignable(func.value):
            return func.value
        return None

    def _finding(
        self, project: Project, source: SourceFile, statement: cst.SimpleStatementLine, call: cst.Call,
        target: cst.BaseExpression, params: list[str],
    ) -> Finding:
        kept_in, called = source.code(target), source.code(call.func)
        expression = statement.body[0]
        kept = cst.Assign(targets=[cst.AssignTarget(target)], value=call)
        edit = source.replace_node(expression, kept)
        candidate = self.candidate(f"keep what `{called}(...)` returns: `{kept_in} = {called}(...)`", source.path, [edit])
        message = (
            f"`{called}(...)` returns its result and leaves `{kept_in}` as it was; the result is thrown away, "
            f"so {short_list(params)} never {'reaches' if len(params) == 1 else 'reach'} the loss: no gradient, no change"
        )
        finding = self.finding(project, source.site(call), message, params, [candidate])
        # The statement's text suggests it; only a re-run in which the parameters then train shows it.
        finding.conjecture = True
        return finding
