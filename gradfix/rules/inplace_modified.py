"""GF023: a tensor autograd needs was modified in place: saved for backward, or a trainable leaf.

autograd raises ``RuntimeError: one of the variables needed for gradient computation has been
modified by an inplace operation: [torch.FloatTensor [4, 16, 8, 8]], which is output 0 of Relu,
is at version 1; expected version 0 instead`` at ``backward()``, but the cause is in the forward:
``maps[k - 1] += up``, ``gate.mul_(mask)``, ``probs[~valid] = 0``, ``F.relu(h, inplace=True)`` or an
``nn.ReLU(inplace=True)`` applied to a tensor some op saved for its gradient. The probe records every
in-place op on a graph tensor with its line (for a torch module's own op, where the module was
built), the grad_fn and shape of what it modified; those that match the message are tried first,
the latest first. Each becomes its out-of-place form (``a = a + b``, ``x = x.mul(m)``,
``inplace=False``, or a ``x = x.clone()`` right before an item assignment); the re-run decides.

The same ops on a leaf that requires grad (a parameter) inside a module's forward make torch raise
at once: "a leaf Variable that requires grad is being used in an in-place operation" (fusion
weights through ``nn.ReLU(inplace=True)``, ``self.w.clamp_(0)``, ``w -= w.mean()`` on ``w =
self.weight``). The probe records the op before torch refuses it. The fix is the out-of-place form
without rebinding the parameter (``inplace=False``, ``self.w.clamp(0)`` where the result is used,
``w = w - ...`` for a local name, a copy before an item assignment), or, for a statement that
changes the parameter on purpose, that statement under ``torch.no_grad()``. A manual update
outside forward is GF015's.

Some views torch refuses to modify in place at the op: an output of ``chunk``/``split``/``unbind``
("Output 1 of Split is a view and is being modified inplace ... returns multiple views"), a
custom Function's output that is a view of its input, a view made under ``no_grad`` and modified
with grad on, and a view of a parameter in forward ("a view of a leaf Variable ..."). The crash
site is the op (``log_std.clamp_(-20, 2)``, ``q *= self.scale``, ``F.relu(g, inplace=True)``, a
module built with ``inplace=True``): it becomes its out-of-place form bound back to the same name
(``log_std = log_std.clamp(-20, 2)``), or works on a copy (``x = x.clone()`` the line before).

A library call can write a parameter in place too, with gradients off inside it: an
``nn.Embedding(max_norm=...)`` (or ``F.embedding``/``embedding_bag`` with ``max_norm``)
renormalises the rows it looks up. After an earlier statement of the same forward used the table
(``self.proj(self.entity.weight)``), backward() finds a leaf modified (no "output of", or a view of
it as ``AsStrided``). The probe records the call and what it writes; the candidates are the
lookup statement moved above the first use, when neither reads what the other binds, then each
earlier use on a copy (``self.entity.weight.clone()``, the gradient still flows).
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple, Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias
from gradfix.trace import Crash, InPlaceOp, Site, Trace
from gradfix.verify import judge

_LEAF_MESSAGE = "leaf Variable that requires grad is being used in an in-place operation"
_LEAF_VIEW_MESSAGE = "a view of a leaf Variable that requires grad is being used in an in-place operation"
# Views autograd refuses to let an in-place op modify, each with torch's own words. torch raises at
# the op itself, so the crash site is the op: an output of a function that returns several views
# (chunk, split, unbind, iterating over a tensor), an output of a custom Function that is a view of
# its input (or the input itself), a view made with gradients off and modified with them on.
_REFUSED_VIEW = re.compile(
    r"Output (?P<index>\d+) of (?P<fn>\w+) is a view and is being modified inplace\. This view "
    r"(?:(?P<multi>is the output of a function that returns multiple views)|was created inside a custom Function)"
    r"|A view was created in (?P<mode>no_grad|inference) mode and is being modified inplace"
)
# What the user called, for the names autograd gives the functions that return several views.
_MULTI_VIEW = {
    "Split": "chunk() or split()",
    "SplitWithSizes": "split() with a list of sizes",
    "Unbind": "unbind() (or a loop over the tensor)",
}
# In-place tensor methods with no out-of-place twin (``zero_`` but no ``zero``): these get a copy first.
_NO_OUT_OF_PLACE = frozenset((
    "zero_", "fill_", "copy_", "normal_", "uniform_", "random_", "exponential_", "geometric_", "cauchy_",
    "log_normal_", "fill_diagonal_", "set_", "apply_", "map_", "map2_",
))
# Names ending in "_" that write no values (as the probe counts them).
_NOT_WRITES = frozenset(("requires_grad_", "share_memory_", "detach_", "rename_", "retain_grad_"))
_MESSAGE = re.compile(
    r"modified by an inplace operation: \[[\w.]+ \[([0-9, ]*)\]\](?:, which is output \d+ of (\w+))?"
)
MAX_CANDIDATES = 6

# Where ``inplace`` sits among the positional arguments, for a call that passes it without its keyword.
_FUNCTION_INPLACE = {
    **dict.fromkeys(("relu", "relu6", "selu", "silu", "hardswish", "mish", "hardsigmoid"), 1),
    **dict.fromkeys(("elu", "celu", "leaky_relu"), 2),
    **dict.fromkeys(("threshold", "hardtanh", "dropout", "dropout1d", "dropout2d", "dropout3d",
                     "alpha_dropout", "feature_alpha_dropout"), 3),
    "rrelu": 4,
}
_MODULE_INPLACE = {
    **dict.fromkeys(("ReLU", "ReLU6", "SELU", "SiLU", "Hardswish", "Mish", "Hardsigmoid"), 0),
    **dict.fromkeys(("ELU", "CELU", "LeakyReLU", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                     "AlphaDropout", "FeatureAlphaDropout"), 1),
    **dict.fromkeys(("Threshold", "Hardtanh", "RReLU"), 2),
}

# ``a op= b`` -> ``a = a op b``; the number is the operator's precedence (higher binds tighter).
_AUGMENTED: dict[type, tuple[type, int]] = {
    cst.AddAssign: (cst.Add, 5),
    cst.SubtractAssign: (cst.Subtract, 5),
    cst.MultiplyAssign: (cst.Multiply, 6),
    cst.DivideAssign: (cst.Divide, 6),
    cst.FloorDivideAssign: (cst.FloorDivide, 6),
    cst.ModuloAssign: (cst.Modulo, 6),
    cst.MatrixMultiplyAssign: (cst.MatrixMultiply, 6),
    cst.PowerAssign: (cst.Power, 7),
}
_PRECEDENCE = {
    cst.Power: 7,
    cst.Multiply: 6, cst.Divide: 6, cst.FloorDivide: 6, cst.Modulo: 6, cst.MatrixMultiply: 6,
    cst.Add: 5, cst.Subtract: 5,
    cst.LeftShift: 4, cst.RightShift: 4,
    cst.BitAnd: 3, cst.BitXor: 2, cst.BitOr: 1,
}
_ItemWrites = set[tuple[str, int, Optional[int]]]  # where a tensor item was assigned: (file, line, column)
_LOOSE = (cst.BooleanOperation, cst.Comparison, cst.IfExp, cst.Lambda, cst.NamedExpr, cst.Yield, cst.Await)


class _Rewrite(NamedTuple):
    """One candidate: what it does, where the in-place op is written, and the edits."""

    description: str
    site: Site
    source: SourceFile
    edits: list[Edit]
    shown: str  # the in-place code, as the message quotes it


def _op_name(grad_fn: str) -> str:
    """``ReluBackward0`` and ``Relu`` (as torch 2.13 prints it) name the same op."""
    return re.sub(r"Backward\d*$", "", grad_fn)


def _right_operand(value: cst.BaseExpression, precedence: int) -> cst.BaseExpression:
    """``value`` as the right operand of an operator: parenthesised when it binds looser."""
    if getattr(value, "lpar", ()):
        return value
    loose = isinstance(value, _LOOSE) or (isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Not))
    if isinstance(value, cst.BinaryOperation):
        loose = _PRECEDENCE.get(type(value.operator), 0) <= precedence
    if loose:
        return value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return value


def _assignable(node: cst.BaseExpression) -> bool:
    """An expression that can be rebound to the out-of-place result: a name, an attribute, an item."""
    if isinstance(node, cst.Name):
        return True
    if isinstance(node, cst.Attribute):
        return _assignable(node.value) or isinstance(node.value, cst.Call)
    if isinstance(node, cst.Subscript):
        return _assignable(node.value)
    return False


def _same(a: cst.CSTNode, b: cst.CSTNode) -> bool:
    return a.deep_equals(b)


def _statement_code(source: SourceFile, small: cst.CSTNode) -> str:
    """A small statement as the user wrote it, without the ``;`` that may follow it."""
    return source.code(small).strip().rstrip(";").rstrip()


def _quoted(project: Project, site: Site) -> str:
    """The user's line, as the message quotes it."""
    if not project.is_editable(site.file):
        return f"{site.file}:{site.line}"
    source = project.source(site.file)
    text = source.text[source.lines.line_start(site.line) : source.lines.line_end(site.line)].strip()
    return f"`{text}` (line {site.line})"


def _blamed(message: str) -> Optional[tuple[tuple[int, ...], str]]:
    """The tensor autograd found modified: its shape and the op whose output it is."""
    match = _MESSAGE.search(message)
    if match is None or match.group(2) is None:
        return None
    return tuple(int(n) for n in match.group(1).split(",") if n.strip()), _op_name(match.group(2))


def _writes(method: str) -> bool:
    return method.endswith("_") and not method.startswith("_") and method not in _NOT_WRITES


class _Chain(NamedTuple):
    """``x.mul_(a).add_(b)``: in-place calls, each on the result of the one before, all writing ``target``."""

    outer: cst.Call  # the last call: the chain's value is its value
    target: cst.BaseExpression
    methods: list[str]  # innermost first
    # a later call reads the target (`x.mul_(2).add_(x)` adds the doubled x): out of place, the
    # chain would read the old value
    rereads: bool = False


def _chain(source: SourceFile, call: cst.Call) -> Optional[_Chain]:
    """The in-place chain that starts at ``call`` (``x.clamp_(0)``, ``torch.relu_(x)``, ``x.mul_(g).add_(r)``)."""
    func = call.func
    if not isinstance(func, cst.Attribute) or not _writes(func.attr.value):
        return None
    if any(name.startswith("torch.") for name in source.qualified_names(func)):
        if not call.args or call.args[0].keyword is not None or call.args[0].star:
            return None
        target = call.args[0].value  # torch.relu_(x): the function form modifies its first argument
    else:
        target = func.value
    outer, methods, rereads = call, [func.attr.value], False
    while True:
        attribute = source.parent(outer)
        caller = source.parent(attribute) if attribute is not None else None
        if not (
            isinstance(attribute, cst.Attribute) and attribute.value is outer
            and isinstance(caller, cst.Call) and caller.func is attribute and _writes(attribute.attr.value)
        ):
            return _Chain(outer, target, methods, rereads)
        rereads = rereads or any(_same(node, target) for arg in caller.args for node in descendants(arg.value, type(target)))
        outer = caller
        methods.append(attribute.attr.value)


def _out_of_place(call: cst.Call, depth: int) -> cst.Call:
    """The chain ending at ``call``, ``depth`` calls long, with every method's out-of-place twin."""
    func = call.func
    assert isinstance(func, cst.Attribute)
    renamed = func.with_changes(attr=cst.Name(func.attr.value[:-1]))
    if depth > 1:
        assert isinstance(func.value, cst.Call)
        renamed = renamed.with_changes(value=_out_of_place(func.value, depth - 1))
    return call.with_changes(func=renamed)


def _small_statement(source: SourceFile, node: cst.CSTNode) -> Optional[cst.BaseSmallStatement]:
    """The simple statement a node is part of (None inside a compound statement's header)."""
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.BaseSmallStatement):
            return ancestor
        if isinstance(ancestor, cst.BaseStatement):
            return None
    return None


def _read_after(source: SourceFile, name: cst.Name, node: cst.CSTNode) -> bool:
    """Whether the scope reads ``name`` after ``node``: there the in-place change would be seen."""
    scope = source.scopes.get(name)
    if scope is None:
        return True
    end = source.range(node).end
    for access in scope.accesses[name.value]:
        start = source.range(access.node).start
        if (start.line, start.column) >= (end.line, end.column):
            return True
    return False


def _refused_at_op(message: str) -> bool:
    """torch refused an in-place op where it ran (not at a later backward())."""
    return _REFUSED_VIEW.search(message) is not None or _LEAF_MESSAGE in message


def _meant_to_train(trace: Trace) -> list[str]:
    """Trainable leaf parameters an optimizer holds whose module ran with gradients on, that module
    being the root (``model(x)``) or the one that owns them (``self.net(states)`` called from an
    agent's method): what the crashed computation was there to train."""
    ran = {m.path for m in trace.modules if m.ran_with_grad and m.path}
    named = set(trace.optimized_params_that_ran())
    return [
        p.name for p in trace.params
        if p.requires_grad and p.is_leaf and p.optimizers and (p.name in named or p.name.rsplit(".", 1)[0] in ran)
    ]


class InplaceModified(Rule):
    code = "GF023"
    title = "tensor autograd needs modified in place"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        refused = _REFUSED_VIEW.search(crash.message) if crash is not None else None
        if refused is not None:
            return self._view_refused(trace, project, refused)
        if crash is not None and _LEAF_MESSAGE in crash.message:
            found = self._leaf_in_forward(trace, project)
            if not found and _LEAF_VIEW_MESSAGE in crash.message:
                found = self._leaf_view_in_forward(trace, project)
            return found
        if crash is None or "modified by an inplace operation" not in crash.message:
            return []
        found = _blamed(crash.message)
        if found is None:
            # No "output 0 of ...": the modified tensor was a leaf or needed no gradient. A library
            # call that writes a parameter in place (an embedding with max_norm) is recorded; an
            # optimizer step between forward and backward is GF's step-before-backward rule.
            return self._library_write(trace, project, crash.message)
        shape, blamed = list(found[0]), found[1]
        ranked = []
        for event in trace.inplace_ops:
            if event.leaf or event.library:
                continue  # refused by torch at the op, or a leaf written by a library call (no "output of")
            names = {_op_name(name) for name in (event.grad_fn, *event.related)}
            # The op autograd names is necessary: a shape alone is often shared (a batch of 64 x 64).
            ranked.append((2 * int(blamed in names) + int(shape in event.shapes), event.last, event))
        if not any(score >= 2 for score, _, _ in ranked):
            if blamed == "AsStrided":
                # A view of a tensor written in place is rebuilt by autograd as an AsStrided: the
                # view (`self.protos.t()`) of a parameter a library call renormalised.
                return self._library_write(trace, project, crash.message, view=True)
            return []  # no in-place op the probe saw touched that tensor: something else did (an optimizer step)
        ranked.sort(key=lambda item: (-item[0], -item[1]))
        # `t[i] += v` on a tensor also writes t in place (__setitem__): `t[i] = t[i] + v` would too.
        item_writes = {(e.site.file, e.site.line, e.site.column) for e in trace.inplace_ops if e.op == "__setitem__" and not e.leaf}

        candidates: list[Candidate] = []
        culprits: list[str] = []  # the in-place ops that match the message best, as the message quotes them
        where: Optional[Site] = None
        made: set[tuple[str, tuple[Edit, ...]]] = set()
        for score, _, event in ranked:
            if len(candidates) >= MAX_CANDIDATES:
                break
            rewrite = self._fix(project, event, item_writes)
            if rewrite is None or rewrite.source.ignored(rewrite.site.line, self.code):
                continue
            key = (rewrite.source.path, tuple(sorted(rewrite.edits, key=lambda e: (e.start, e.end))))
            if key in made:
                continue
            made.add(key)
            candidates.append(self.candidate(rewrite.description, rewrite.source.path, rewrite.edits))
            if score == ranked[0][0]:
                culprits.append(f"`{rewrite.shown}` (line {rewrite.site.line})")
            where = where or rewrite.site
        if where is None:
            # Seen, but not rewritable: still say where, when that is the user's code.
            top = ranked[0][2]
            if not project.is_editable(top.site.file):
                return []
            where = top.site
        if not culprits:
            culprits = [_quoted(project, event.site) for score, _, event in ranked if score == ranked[0][0]][:3]
        which = "the in-place op that did it" if len(culprits) == 1 else "the in-place ops that touched it"
        message = (
            f"backward() crashed: a tensor it saved (shape {shape}, output of {blamed}) was modified in place "
            f"before backward() ran; {which}: {short_list(culprits, 3)}"
        )
        params = [
            p.name for p in trace.params
            if p.reached and p.requires_grad and p.is_leaf and (p.optimizers or not trace.optimizers)
        ]
        return [self.finding(project, where, message, params, candidates, blocking=True)]

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        """A second in-place fault behind the first (two tensors modified before one backward):
        when the re-run's backward no longer blames the same tensor, this one is fixed, and the
        repair loop goes on with the next."""
        verdict = judge(finding, candidate, before, run)
        crash, old = run.trace.crash, before.crash
        if verdict.verified or run.probe_error or crash is None or old is None:
            return verdict
        if (
            _refused_at_op(old.message) and _refused_at_op(crash.message)
            and old.site is not None and crash.site is not None and not old.site.same_place(crash.site)
            and run.trace.events >= before.events
        ):
            # torch refuses such ops where they run: the next one (`conf.sigmoid_()` after
            # `wh.exp_()` on the outputs of one split) crashes the same forward further on.
            return Verdict(
                True,
                f"the crash at line {old.site.line} is gone; the script now stops at another in-place op "
                f"that torch refuses (line {crash.site.line})",
            )
        was, now = _blamed(old.message), _blamed(crash.message)
        if was is None or now is None or was == now or run.trace.events < before.events:
            return verdict
        return Verdict(
            True,
            f"the crash is gone: backward() no longer finds the {list(was[0])} output of {was[1]} modified; "
            f"it now stops at another in-place change (the {list(now[0])} output of {now[1]})",
        )

    # -- a library call that writes a parameter in place, after an earlier use saved it -----------

    def _library_write(self, trace: Trace, project: Project, message: str, view: bool = False) -> list[Finding]:
        """backward() found a leaf (no "output of ...") of the recorded shape modified: a library
        call (``self.entity(head)`` on an ``nn.Embedding(max_norm=...)``) renormalised it in place
        after an earlier statement of the same forward had used it (``self.proj(self.entity.weight)``).
        Candidates: the writing statement moved above the first statement that uses the tensor,
        when neither reads what the other binds; the earlier uses on a copy (``.clone()``, the
        gradient still flows to the parameter). With ``view``, autograd names a view of the written
        tensor (``self.protos.t()``): same number of elements, any shape."""
        match = _MESSAGE.search(message)
        if match is None:
            return []
        shape = [int(n) for n in match.group(1).split(",") if n.strip()]
        writes = [
            e for e in trace.inplace_ops
            if e.library and project.is_editable(e.site.file)
            and (shape in e.shapes or view and any(math.prod(s) == math.prod(shape) for s in e.shapes))
        ]
        if not writes:
            return []  # nothing the probe saw wrote a tensor of that shape: an optimizer step, say
        event = max(writes, key=lambda e: e.last)
        source = project.source(event.site.file)
        if source.ignored(event.site.line, self.code):
            return []
        calls = source.nodes_at(event.site, cst.Call)
        written = self._written_by(source, calls[0], event) if calls else None
        small = _small_statement(source, calls[0]) if calls else None
        line = source.parent(small) if small is not None else None
        block = source.parent(line) if line is not None else None
        if written is None or not isinstance(line, cst.SimpleStatementLine) or not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return []
        body = list(block.body)
        here = next(i for i, statement in enumerate(body) if statement is line)
        users = [s for s in body[:here] if any(_same(n, written) for n in descendants(s, type(written)))]
        if not users:
            return []  # the earlier use is not in this block: nothing here shows what saved it
        rewrites = [self._move_above(source, line, body[body.index(users[0]) : here]), self._clone_uses(source, users, written)]
        candidates = [self.candidate(r.description, r.source.path, r.edits) for r in rewrites if r is not None]
        what = _quoted(project, event.site)
        uses = short_list([f"line {source.range(s).start.line}" for s in users], 3)
        how = f"the {event.module.rsplit('.', 1)[-1]} it calls" if event.module else f"{event.op[: -len('_renorm_')]}()"
        message = (
            f"backward() crashed: {what} modifies `{source.code(written)}` (shape {event.shapes[0]}) in place: {how} "
            f"renormalises the rows it looks up (max_norm), after {uses} of the same forward used the "
            "tensor and autograd saved it; look the rows up first, or use a copy there"
        )
        params = [event.tensor] if event.tensor and trace.param(event.tensor) is not None else _meant_to_train(trace)
        return [self.finding(project, event.site, message, params, candidates, blocking=True)]

    @staticmethod
    def _written_by(source: SourceFile, call: cst.Call, event: InPlaceOp) -> Optional[cst.BaseExpression]:
        """The tensor a library call writes, as the user's code spells it: a module's parameter
        (``self.entity.weight`` for ``self.entity(head)``) or the function's weight argument."""
        if event.in_module:
            if event.tensor is None or not isinstance(call.func, (cst.Name, cst.Attribute)):
                return None
            return cst.Attribute(value=call.func, attr=cst.Name(event.tensor.rsplit(".", 1)[-1]))
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "weight":
                return arg.value
        positional = [a for a in call.args if a.keyword is None and not a.star]
        return positional[1].value if len(positional) > 1 else None

    def _move_above(self, source: SourceFile, line: cst.SimpleStatementLine, passed: list[cst.BaseStatement]) -> Optional[_Rewrite]:
        """The writing statement (with its comments) moved above the statements it passed, when it
        reads nothing they bind and they read or bind nothing it binds."""
        if len(line.body) != 1 or not passed:
            return None
        bound, used = _bound_and_used(line)
        for statement in passed:
            their_bound, their_used = _bound_and_used(statement)
            if bound & (their_bound | their_used) or their_bound & used:
                return None
        start, end = source.statement_lines(line, with_comments=True)
        first, _ = source.statement_lines(passed[0], with_comments=True)
        text = source.text[start:end] + source.text[first:start]
        edit = Edit(source.position(first), source.position(end), text)
        old = _statement_code(source, line.body[0])
        return _Rewrite(f"move `{old}` above line {source.range(passed[0]).start.line}", source.site(line), source, [edit], old)

    def _clone_uses(self, source: SourceFile, users: list[cst.BaseStatement], written: cst.BaseExpression) -> Optional[_Rewrite]:
        """Each earlier use of the tensor on a copy: what autograd saves is the copy, and the
        gradient still flows through ``clone()`` to the parameter."""
        edits = []
        for statement in users:
            for node in descendants(statement, type(written)):
                if _same(node, written):
                    copy = cst.Call(func=cst.Attribute(value=node, attr=cst.Name("clone")))
                    edits.append(source.replace_node(node, copy))
        if not edits:
            return None
        name = source.code(written)
        return _Rewrite(f"use a copy, `{name}.clone()`, where it is used first", source.site(users[0]), source, edits, name)

    # -- an in-place op on a trainable leaf in forward ---------------------------------------------

    def _leaf_in_forward(self, trace: Trace, project: Project) -> list[Finding]:
        """torch refused an in-place op on a leaf that requires grad (a parameter) inside a
        module's forward: ``nn.ReLU(inplace=True)`` or ``w.clamp_(0)`` on the weights the forward
        uses. The probe records the op just before torch refuses it; the last one recorded is the
        one that raised. A manual update outside forward is GF015's."""
        crash = trace.crash
        assert crash is not None
        refused = [e for e in trace.inplace_ops if e.leaf]
        if not refused:
            return []
        event = max(refused, key=lambda e: e.last)
        if crash.site is None or (crash.site.file, crash.site.line) != (event.site.file, event.site.line):
            return []
        if not project.is_editable(event.site.file):
            return []
        if not event.in_forward:
            # Outside forward, a parameter changed in place is a manual update (GF015's); a tensor
            # made to require grad that is no parameter is an accumulator for the loss
            # (`state["loss"] = torch.zeros(1, requires_grad=True)`, then `state["loss"] += term`).
            held = trace.param(event.tensor) if event.tensor else None
            if not event.tensor or (held is not None and (held.is_parameter or held.optimizers)):
                return []
            return self._accumulator(project, event, crash)
        rewrites = self._leaf_fixes(project, event)
        candidates = [self.candidate(r.description, r.source.path, r.edits) for r in rewrites]
        what = _quoted(project, event.site)
        if event.in_module and event.module and event.module_site is not None:
            what += f", through the {event.module.rsplit('.', 1)[-1]} built with inplace=True at line {event.module_site.line},"
        elif event.inplace_arg:
            what += ", called with inplace=True,"
        tensor = event.tensor or "a tensor that requires grad"
        message = (
            f"the forward pass crashed: {what} modifies {tensor} in place; torch refuses an in-place "
            "op on a leaf that requires grad (a parameter being trained): compute the result out of place"
        )
        params = [event.tensor] if event.tensor and trace.param(event.tensor) is not None else []
        return [self.finding(project, event.site, message, params, candidates, blocking=True)]

    def _accumulator(self, project: Project, event: InPlaceOp, crash: Crash) -> list[Finding]:
        """``total += term`` on a zero that requires grad: ``total = total + term``, the sum a new
        tensor each time (the starting zero needs no gradient of its own)."""
        source = project.source(event.site.file)
        augmented = next(iter(source.nodes_at(event.site, cst.AugAssign)), None)
        if augmented is None:
            return []
        rewrite = self._augmented(source, augmented, set())
        if rewrite is None:
            return []
        message = (
            f"the script crashed: {_quoted(project, event.site)} adds to {event.tensor} in place, a tensor made to require "
            "grad (a leaf: a zero to sum the loss into); torch refuses an in-place op on a leaf that requires grad, so "
            "nothing trains: sum out of place"
        )
        candidates = [self.candidate(rewrite.description, rewrite.source.path, rewrite.edits)]
        return [self.finding(project, event.site, message, [], candidates, blocking=True)]

    def _leaf_fixes(self, project: Project, event: InPlaceOp) -> list[_Rewrite]:
        """The out-of-place form of the op, without rebinding the parameter itself (a module
        attribute that holds a Parameter takes no plain tensor); for a statement that changes the
        parameter on purpose (``self.w.clamp_(0)``), the change under ``torch.no_grad()``."""
        if event.in_module:
            if not event.inplace_arg or event.module is None or event.module_site is None:
                return []
            if not project.is_editable(event.module_site.file):
                return []
            found = self._module_built_inplace(project.source(event.module_site.file), event.module, event.module_site)
            return [found] if found else []
        source = project.source(event.site.file)
        if event.inplace_arg:
            found = self._inplace_keyword(source, event)
            return [found] if found else []
        rewrites: list[Optional[_Rewrite]] = []
        small: Optional[cst.CSTNode] = None
        if event.op == "__setitem__":
            for subscript in source.nodes_at(event.site, cst.Subscript):
                owner = source.parent(subscript)
                owner = source.parent(owner) if isinstance(owner, cst.AssignTarget) else owner
                if isinstance(owner, (cst.Assign, cst.AugAssign)):
                    small = owner
                    if isinstance(subscript.value, cst.Name):
                        rewrites.append(self._clone_before_item_assignment(source, event.site))
                    break
        else:
            for augmented in source.nodes_at(event.site, cst.AugAssign):
                small = augmented
                if isinstance(augmented.target, cst.Name):
                    rewrites.append(self._augmented(source, augmented, set()))
                break
            else:
                for call in source.nodes_at(event.site, cst.Call):
                    rewrites.append(self._leaf_method(source, call, event))
                    chain = _chain(source, call)
                    parent = source.parent(chain.outer if chain is not None else call)
                    small = parent if isinstance(parent, cst.Expr) else None
                    break
        if small is not None:
            rewrites.append(self._under_no_grad(source, small))
        return [r for r in rewrites if r is not None]

    def _leaf_method(self, source: SourceFile, call: cst.Call, event: InPlaceOp) -> Optional[_Rewrite]:
        """``weight = self.w.clamp_(min=0)`` -> ``self.w.clamp(min=0)``: the result is used, so
        the out-of-place call is the same expression; as a statement, a local name is rebound
        (``w.clamp_(0)`` -> ``w = w.clamp(0)``). A chain (``w.sub_(m).div_(s)``) changes as a whole."""
        chain = _chain(source, call)
        if chain is None or chain.rereads or not event.out_of_place or any(m in _NO_OUT_OF_PLACE for m in chain.methods[1:]):
            return None
        out_of_place = _out_of_place(chain.outer, len(chain.methods))
        parent = source.parent(chain.outer)
        if isinstance(parent, cst.Expr):
            if any(name.startswith("torch.") for name in source.qualified_names(call.func)):
                return None  # torch.clamp_(w, 0) as a statement: the parameter itself is the target
            target = chain.target
            if not isinstance(target, cst.Name) or self._aliased(source, target):
                return None
            rebound = cst.AssignTarget(target=target.deep_clone())
            edit = source.replace_node(parent, cst.Assign(targets=[rebound], value=out_of_place, semicolon=parent.semicolon))
            old = _statement_code(source, parent)
            return _Rewrite(f"write `{edit.replacement}` (out of place) instead of `{old}`", source.site(call), source, [edit], old)
        edit = source.replace_node(chain.outer, out_of_place)
        old = source.code(chain.outer)
        return _Rewrite(f"write `{edit.replacement}` (out of place) instead of `{old}`", source.site(call), source, [edit], old)

    def _under_no_grad(self, source: SourceFile, small: cst.CSTNode) -> Optional[_Rewrite]:
        """A statement that changes the parameter on purpose (a projection such as
        ``self.w.clamp_(0)``), under ``torch.no_grad()``: the parameter keeps training."""
        line = source.parent(small)
        torch = module_alias(source, "torch")
        if torch is None or not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None
        guarded = cst.With(
            items=[cst.WithItem(item=cst.parse_expression(f"{torch}.no_grad()", config=source.module.config_for_parsing))],
            body=cst.IndentedBlock(body=[line.with_changes(leading_lines=())]),
            leading_lines=line.leading_lines,
        )
        edit = source.replace_statement(line, guarded)
        old = _statement_code(source, small)
        return _Rewrite(f"run `{old}` under {torch}.no_grad()", source.site(small), source, [edit], old)

    # -- an in-place op on a view autograd refuses to modify --------------------------------------

    def _view_refused(self, trace: Trace, project: Project, refused: re.Match[str]) -> list[Finding]:
        """torch refused an in-place op at the op itself, because of what the modified tensor is
        a view of. The crash site is the op: it becomes its out-of-place form, or works on a copy."""
        crash = trace.crash
        assert crash is not None
        site = crash.site
        if site is None or not project.is_editable(site.file):
            return []
        source = project.source(site.file)
        if source.ignored(site.line, self.code):
            return []
        found = self._op_at(source, site)
        if found is None:
            return []  # no in-place op written at the crash site: nothing here to rewrite or to name
        node, shown = found
        rewrites = self._view_rewrites(project, source, site, node, trace)
        candidates = [self.candidate(r.description, r.source.path, r.edits) for r in rewrites[:MAX_CANDIDATES]]
        what = f"`{shown}` (line {site.line})"
        calls = crash.module_calls
        if isinstance(node, cst.Call) and calls and calls[0].site is not None and calls[0].site.same_place(site):
            module = trace.module(calls[0].module)
            if module is not None and module.site is not None and calls[0].cls.rsplit(".", 1)[-1] in _MODULE_INPLACE:
                what += f", through the {calls[0].cls.rsplit('.', 1)[-1]} built with inplace=True at line {module.site.line},"
        fn = _op_name(refused.group("fn") or "")
        if refused.group("mode"):
            made = "with gradients off (no_grad mode)" if refused.group("mode") == "no_grad" else "in inference mode"
            why = f"modifies in place, with gradients on, a view that was made {made}; autograd forbids it"
        elif refused.group("multi") and fn in _MULTI_VIEW:
            why = (
                f"modifies in place output {refused.group('index')} of {fn}, one of the views of a single tensor "
                f"that {_MULTI_VIEW[fn]} returns; autograd forbids in-place changes to such views"
            )
        elif refused.group("multi"):
            # `s = s.squeeze(-1)` after the split: autograd names the last view op
            why = (
                f"modifies in place a view ({fn}) of an output of chunk(), split() or unbind(), which return "
                "several views of a single tensor; autograd forbids in-place changes to such views"
            )
        else:
            why = (
                f"modifies in place output {refused.group('index')} of the custom autograd Function {fn}, a view "
                "of its input; autograd forbids it (it would override the Function's backward)"
            )
        message = f"the script crashed: {what} {why}: compute the result out of place, or on a copy"
        return [self.finding(project, site, message, _meant_to_train(trace), candidates, blocking=True)]

    def _leaf_view_in_forward(self, trace: Trace, project: Project) -> list[Finding]:
        """torch refused an in-place op on a view of a parameter (``w = self.weight.view(n, -1)``
        then ``w.sub_(...)``, ``self.scale[0].clamp_(0)``) inside a module's forward. No op was
        recorded (the probe records in-place ops on leaves, not on their views): the crash site is
        the op, and the exception passed through a module call."""
        crash = trace.crash
        assert crash is not None
        site = crash.site
        if site is None or not crash.module_calls or not project.is_editable(site.file):
            return []
        source = project.source(site.file)
        if source.ignored(site.line, self.code):
            return []
        found = self._op_at(source, site)
        if found is None:
            return []
        node, shown = found
        if isinstance(node, cst.Subscript):
            op, keyword = "__setitem__", False
        elif isinstance(node, cst.AugAssign):
            op, keyword = "__iadd__", False
        else:
            assert isinstance(node, cst.Call)
            chain = _chain(source, node)
            keyword = any(a.keyword is not None and a.keyword.value == "inplace" for a in node.args)
            if chain is None and not keyword:
                return []  # a module call: the op ran in torch's code, on what the call was given
            func = node.func
            op = func.attr.value if isinstance(func, cst.Attribute) else source.code(func)
        # What the probe would have recorded, had the op been on the leaf itself.
        event = InPlaceOp(op=op, site=site, inplace_arg=keyword, out_of_place=op not in _NO_OUT_OF_PLACE, leaf=True, in_forward=True)
        rewrites = self._leaf_fixes(project, event)
        candidates = [self.candidate(r.description, r.source.path, r.edits) for r in rewrites]
        message = (
            f"the forward pass crashed: `{shown}` (line {site.line}) modifies in place a view of a leaf that "
            "requires grad (a parameter being trained); torch refuses it: compute the result out of place"
        )
        return [self.finding(project, site, message, _meant_to_train(trace), candidates, blocking=True)]

    def _op_at(self, source: SourceFile, site: Site) -> Optional[tuple[cst.CSTNode, str]]:
        """The in-place op written at a crash site, and the code that shows it: ``a += b``, the
        ``x[i]`` of ``x[i] = v``, or a call (``x.clamp_(0)``, ``F.relu(x, inplace=True)``, a module)."""
        for augmented in source.nodes_at(site, cst.AugAssign):
            return augmented, _statement_code(source, augmented)
        for subscript in source.nodes_at(site, cst.Subscript):
            owner = source.parent(subscript)
            if isinstance(owner, cst.AssignTarget):
                owner = source.parent(owner)
            elif not (isinstance(owner, cst.AugAssign) and owner.target is subscript):
                continue  # read, not written
            if isinstance(owner, (cst.Assign, cst.AugAssign)):
                return subscript, _statement_code(source, owner)
        for call in source.nodes_at(site, cst.Call):
            chain = _chain(source, call)
            return call, source.code(chain.outer if chain is not None else call)
        return None

    def _view_rewrites(
        self, project: Project, source: SourceFile, site: Site, node: cst.CSTNode, trace: Trace
    ) -> list[_Rewrite]:
        """The op out of place, bound back to the same name where it was a statement; then the same
        op on a copy (``x = x.clone()`` on the line before), which keeps every other value as it was."""
        rewrites: list[Optional[_Rewrite]] = []
        if isinstance(node, cst.AugAssign):
            if isinstance(node.target, cst.Subscript):
                rewrites.append(self._copy_first(source, node, node.target.value))
            else:
                rewrites += [self._augmented(source, node, set()), self._copy_first(source, node, node.target)]
        elif isinstance(node, cst.Subscript):
            # A view made with gradients off (a crop under `@torch.no_grad()`, handed to forward):
            # its copy is what forward should write into, even when it is forward's own argument,
            # and one copy before the loops that write into it serves them all.
            no_grad_view = trace.crash is not None and "was created in no_grad mode" in trace.crash.message
            rewrites.append(self._clone_before_item_assignment(source, site, argument=no_grad_view))
        elif isinstance(node, cst.Call):
            rewrites += self._refused_call(project, source, node, trace)
        return [r for r in rewrites if r is not None]

    def _refused_call(self, project: Project, source: SourceFile, call: cst.Call, trace: Trace) -> list[Optional[_Rewrite]]:
        """A call at the crash site: a torch module built with ``inplace=True`` (off where it is
        built, when the call's result is used), ``F.relu(x, inplace=True)`` (``inplace=False``, bound
        back to ``x`` as a statement) or an in-place chain (``x = x.clamp(a, b)``); then a copy first."""
        crash = trace.crash
        assert crash is not None
        used = not isinstance(source.parent(call), cst.Expr)
        first = next((a.value for a in call.args if a.keyword is None and not a.star), None)
        calls = crash.module_calls
        if calls and calls[0].site is not None and crash.site is not None and calls[0].site.same_place(crash.site):
            short = calls[0].cls.rsplit(".", 1)[-1]
            module = trace.module(calls[0].module)
            rewrites: list[Optional[_Rewrite]] = []
            if calls[0].cls.startswith("torch.") and short in _MODULE_INPLACE and module is not None and module.site is not None:
                # A module applied as a statement changed its input in place: off, it would change nothing.
                if used and project.is_editable(module.site.file):
                    rewrites.append(self._module_built_inplace(project.source(module.site.file), calls[0].cls, module.site))
                if first is not None:
                    rewrites.append(self._copy_first(source, call, first))
            return rewrites
        short = source.code(call.func).rsplit(".", 1)[-1]
        switched = self._inplace_off(call, _FUNCTION_INPLACE.get(short))
        if switched is not None:
            rewrites = []
            parent = source.parent(call)
            if not used and first is not None and _assignable(first) and not self._aliased(source, first):
                assert isinstance(parent, cst.Expr)
                assign = cst.Assign(targets=[cst.AssignTarget(target=first.deep_clone())], value=switched, semicolon=parent.semicolon)
                edit = source.replace_node(parent, assign)
                rewrites.append(_Rewrite(f"write `{edit.replacement}` instead of `{source.code(call)}`", source.site(call), source, [edit], source.code(call)))
            elif used:
                edit = source.replace_node(call, switched)
                rewrites.append(_Rewrite(f"call {source.code(call.func)}() with inplace=False", source.site(call), source, [edit], source.code(call)))
            if first is not None:
                rewrites.append(self._copy_first(source, call, first))
            return rewrites
        chain = _chain(source, call)
        if chain is None:
            return []
        rewrites = []
        target, parent = chain.target, source.parent(chain.outer)
        if not chain.rereads and not any(m in _NO_OUT_OF_PLACE for m in chain.methods):
            out_of_place = _out_of_place(chain.outer, len(chain.methods))
            old = source.code(chain.outer)
            if isinstance(parent, cst.Expr):
                if _assignable(target) and not self._aliased(source, target):
                    rebound = cst.AssignTarget(target=target.deep_clone())
                    edit = source.replace_node(parent, cst.Assign(targets=[rebound], value=out_of_place, semicolon=parent.semicolon))
                    rewrites.append(_Rewrite(f"write `{edit.replacement}` (out of place) instead of `{old}`", source.site(call), source, [edit], old))
            elif (
                isinstance(parent, cst.Assign) and len(parent.targets) == 1 and _same(parent.targets[0].target, target)
            ) or (isinstance(target, cst.Name) and not _read_after(source, target, chain.outer)):
                # The value is used (`x = x.add_(b)`, `f(x.clamp_(0))`) and nothing reads the name
                # afterwards expecting the change: the out-of-place call is the same value.
                edit = source.replace_node(chain.outer, out_of_place)
                rewrites.append(_Rewrite(f"write `{edit.replacement}` (out of place) instead of `{old}`", source.site(call), source, [edit], old))
        rewrites.append(self._copy_first(source, chain.outer, target))
        return rewrites

    def _copy_first(self, source: SourceFile, node: cst.CSTNode, target: cst.BaseExpression) -> Optional[_Rewrite]:
        """``target = target.clone()`` on the line before the statement of ``node``: the in-place op
        then changes a tensor of its own, not a view autograd guards."""
        if not _assignable(target) or self._aliased(source, target):
            return None
        small = node if isinstance(node, cst.BaseSmallStatement) else _small_statement(source, node)
        if small is None:
            return None
        return self._clone_before(source, small, target)

    @staticmethod
    def _inplace_off(call: cst.Call, position: Optional[int]) -> Optional[cst.Call]:
        """The call with its ``inplace`` argument (by keyword, or at its known position) set to False."""
        args = list(call.args)
        for index, arg in enumerate(args):
            if arg.keyword is not None and arg.keyword.value == "inplace":
                args[index] = arg.with_changes(value=cst.Name("False"))
                return call.with_changes(args=args)
        positional = [i for i, a in enumerate(args) if a.keyword is None and not a.star]
        if position is None or position >= len(positional) or any(a.star for a in args):
            return None
        index = positional[position]
        args[index] = args[index].with_changes(value=cst.Name("False"))
        return call.with_changes(args=args)

    # -- one candidate per recorded in-place op ---------------------------------------------------

    def _fix(self, project: Project, event: InPlaceOp, item_writes: _ItemWrites) -> Optional[_Rewrite]:
        if event.in_module:
            if not event.inplace_arg or event.module is None or event.module_site is None:
                return None
            if not project.is_editable(event.module_site.file):
                return None
            source = project.source(event.module_site.file)
            return self._module_built_inplace(source, event.module, event.module_site)
        if not project.is_editable(event.site.file):
            return None
        source = project.source(event.site.file)
        if event.inplace_arg:
            return self._inplace_keyword(source, event)
        if event.op == "__setitem__":
            return self._clone_before_item_assignment(source, event.site)
        for augmented in source.nodes_at(event.site, cst.AugAssign):
            return self._augmented(source, augmented, item_writes)
        for call in source.nodes_at(event.site, cst.Call):
            return self._method(source, call, event)
        return None

    def _augmented(self, source: SourceFile, node: cst.AugAssign, item_writes: _ItemWrites) -> Optional[_Rewrite]:
        """``a += b`` -> ``a = a + b``: the old tensor stays as autograd saved it."""
        kind = _AUGMENTED.get(type(node.operator))
        if kind is None or not _assignable(node.target) or self._aliased(source, node.target):
            return None
        if isinstance(node.target, cst.Subscript):
            written = source.site(node.target)
            if (written.file, written.line, written.column) in item_writes:
                return None
        operator_type, precedence = kind
        augmented = node.operator
        operator = operator_type(
            whitespace_before=augmented.whitespace_before,  # type: ignore[attr-defined]
            whitespace_after=augmented.whitespace_after,  # type: ignore[attr-defined]
        )
        value = cst.BinaryOperation(
            left=node.target.deep_clone(), operator=operator, right=_right_operand(node.value, precedence)
        )
        assign = cst.Assign(
            targets=[cst.AssignTarget(
                target=node.target,
                whitespace_before_equal=augmented.whitespace_before,  # type: ignore[attr-defined]
                whitespace_after_equal=augmented.whitespace_after,  # type: ignore[attr-defined]
            )],
            value=value,
            semicolon=node.semicolon,
        )
        edit = source.replace_node(node, assign)
        old = _statement_code(source, node)
        description = f"write `{edit.replacement}` instead of the in-place `{old}`"
        return _Rewrite(description, source.site(node), source, [edit], old)

    def _method(self, source: SourceFile, call: cst.Call, event: InPlaceOp) -> Optional[_Rewrite]:
        """``x.mul_(m)`` -> ``x = x.mul(m)``; ``torch.relu_(x)`` -> ``x = torch.relu(x)``."""
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        if not method.endswith("_") or method.startswith("_"):
            return None
        qualified = source.qualified_names(func)
        if any(name.startswith("torch.") for name in qualified):
            if not call.args or call.args[0].keyword is not None or call.args[0].star:
                return None
            target = call.args[0].value  # torch.relu_(x): the function form modifies its first argument
        else:
            target = func.value
        out_of_place = call.with_changes(func=func.with_changes(attr=cst.Name(method[:-1])))
        parent = source.parent(call)
        if isinstance(parent, cst.Expr):
            if not _assignable(target) or self._aliased(source, target):
                return None
            if not event.out_of_place:
                return self._clone_before(source, parent, target)
            rebound = cst.AssignTarget(target=target.deep_clone())
            edit = source.replace_node(parent, cst.Assign(targets=[rebound], value=out_of_place, semicolon=parent.semicolon))
            written = edit.replacement
        elif (
            isinstance(parent, cst.Assign) and len(parent.targets) == 1
            and _same(parent.targets[0].target, target) and event.out_of_place
        ):
            # `x = x.add_(b)`: the name already takes the result
            edit = source.replace_node(call, out_of_place)
            written = f"{source.code(target)} = {edit.replacement}"
        else:
            return None
        old = _statement_code(source, parent)
        return _Rewrite(f"write `{written}` (out of place) instead of `{old}`", source.site(call), source, [edit], old)

    def _clone_before_item_assignment(self, source: SourceFile, site: Site, argument: bool = False) -> Optional[_Rewrite]:
        """``x[i] = v`` -> ``x = x.clone()`` first: autograd keeps the tensor it saved, the script
        goes on with a copy that has the item set. With ``argument``, ``x`` may be the function's
        own argument, and the copy goes before the loops around the statement that do not rebind it."""
        for subscript in source.nodes_at(site, cst.Subscript):
            small = source.parent(subscript)
            if isinstance(small, cst.AssignTarget):
                small = source.parent(small)
            if not isinstance(small, (cst.Assign, cst.AugAssign)):
                continue
            target = subscript.value
            if not _assignable(target) or (self._aliased(source, target) and not (argument and self._argument(source, target))):
                return None
            at = self._outside_loops(source, small, source.code(target)) if argument else None
            return self._clone_before(source, small, target, at)
        return None

    @staticmethod
    def _argument(source: SourceFile, target: cst.BaseExpression) -> bool:
        """A name bound only as its function's parameter."""
        scope = source.scopes.get(target) if isinstance(target, cst.Name) else None
        if scope is None:
            return False
        assignments = list(scope.assignments[target.value])  # type: ignore[attr-defined]
        return bool(assignments) and all(isinstance(getattr(a, "node", None), cst.Param) for a in assignments)

    @staticmethod
    def _outside_loops(source: SourceFile, small: cst.CSTNode, name: str) -> cst.CSTNode:
        """The statement, or the outermost loop of its function around it that never rebinds ``name``."""
        chosen: cst.CSTNode = small
        for ancestor in source.ancestors(small):
            if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Module)):
                break
            if isinstance(ancestor, (cst.For, cst.While)):
                bound = {source.code(t.target) for t in descendants(ancestor, cst.AssignTarget)}
                if isinstance(ancestor, cst.For):
                    bound |= {n.value for n in descendants(ancestor.target, cst.Name)}
                if name in bound:
                    break
                chosen = ancestor
        return chosen

    def _clone_before(
        self, source: SourceFile, small: cst.BaseSmallStatement, target: cst.BaseExpression, at: Optional[cst.CSTNode] = None,
    ) -> Optional[_Rewrite]:
        """A ``target = target.clone()`` line right before the statement (or before ``at``, a loop
        around it): the copy is made after everything that saved the tensor, so nothing that saved
        it sees the change."""
        line = source.parent(small)
        if not isinstance(line, cst.SimpleStatementLine) or line.body[0] is not small:
            return None  # `a = x * 2; x[0] = 0` on one line: the copy would come before `x * 2`
        if at is not None and at is not small:
            line = at  # before the loops that write into it
        block = source.parent(line)
        if not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return None
        start = source.range(line).start.line
        name = source.code(target)
        text = f"{source.indentation(start)}{name} = {name}.clone()\n"
        old = _statement_code(source, small)
        edit = source.insert_lines(start, text)
        where = "right before" if line is source.parent(small) else "before the loop in which"
        return _Rewrite(f"copy `{name}` {where} `{old}` modifies it", source.site(small), source, [edit], old)

    def _inplace_keyword(self, source: SourceFile, event: InPlaceOp) -> Optional[_Rewrite]:
        """``F.relu(h, inplace=True)`` -> ``inplace=False``."""
        for call in source.nodes_at(event.site, cst.Call):
            edit = self._switch_off(source, call, _FUNCTION_INPLACE.get(event.op))
            if edit is not None:
                description = f"call {source.code(call.func)}() with inplace=False"
                return _Rewrite(description, source.site(call), source, [edit], source.code(call))
        return None

    def _module_built_inplace(self, source: SourceFile, module: str, module_site: Site) -> Optional[_Rewrite]:
        """``nn.ReLU(inplace=True)`` where the module was built -> ``inplace=False``."""
        short = module.rsplit(".", 1)[-1]
        for call in source.nodes_at(module_site, cst.Call):
            edit = self._switch_off(source, call, _MODULE_INPLACE.get(short))
            if edit is not None:
                description = f"build {source.code(call.func)} with inplace=False (line {module_site.line})"
                return _Rewrite(description, source.site(call), source, [edit], source.code(call))
        return None

    @staticmethod
    def _switch_off(source: SourceFile, call: cst.Call, position: Optional[int]) -> Optional[Edit]:
        """The call's ``inplace`` argument, by keyword or at its known position, set to False."""
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "inplace":
                return source.replace_node(arg.value, cst.Name("False"))
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if position is not None and position < len(positional) and not any(a.star for a in call.args):
            value = positional[position].value
            return source.replace_node(value, cst.Name("False"))
        return None

    @staticmethod
    def _aliased(source: SourceFile, target: cst.BaseExpression) -> bool:
        """A name whose in-place change others see: a loop variable over a container (``for f in
        feats: f += b`` updates the list), or a function's argument it does not hand back."""
        if not isinstance(target, cst.Name):
            return False
        scope = source.scopes.get(target)
        if scope is None:
            return True
        assignments = list(scope.assignments[target.value])
        if not assignments:
            return True  # a global or a closure's name: rebinding it here would make it local
        for assignment in assignments:
            node = getattr(assignment, "node", None)
            if isinstance(node, cst.Param):
                function = getattr(scope, "node", None)
                returned = [
                    r for r in _returns(function)
                    if isinstance(r.value, cst.Name) and r.value.value == target.value
                ]
                if not returned:
                    return True
                continue
            child = node
            for ancestor in source.ancestors(node) if node is not None else ():
                if isinstance(ancestor, (cst.For, cst.CompFor)):
                    if ancestor.target is child:
                        return True
                    break
                if isinstance(ancestor, cst.BaseStatement):
                    break
                child = ancestor
        return False


def _bound_and_used(statement: cst.CSTNode) -> tuple[set[str], set[str]]:
    """What a statement binds (assignment targets, as written) and every name or attribute path it
    mentions (``self.x.y`` mentions ``self.x.y``, ``self.x`` and ``self``)."""
    bound: set[str] = set()
    used: set[str] = set()
    module = cst.Module([])
    for node in descendants(statement, cst.CSTNode):
        targets: list[cst.BaseExpression]
        if isinstance(node, cst.AssignTarget):
            targets = [node.target]
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, (cst.For, cst.CompFor)):
            targets = [node.target]
        elif isinstance(node, cst.NamedExpr):
            targets = [node.target]
        else:
            targets = []
        while targets:
            target = targets.pop()
            if isinstance(target, (cst.Tuple, cst.List)):
                targets += [element.value for element in target.elements]  # `a, (b, *c) = ...`
            elif isinstance(target, cst.StarredElement):
                targets.append(target.value)
            elif isinstance(target, (cst.Name, cst.Attribute, cst.Subscript)):
                base = target.value if isinstance(target, cst.Subscript) else target
                bound.add(module.code_for_node(base))
        if isinstance(node, (cst.Name, cst.Attribute)):
            used.add(module.code_for_node(node))
    return bound, used


def _returns(function: Optional[cst.CSTNode]) -> list[cst.Return]:
    """The function's own ``return`` statements (not those of functions nested in it)."""
    found: list[cst.Return] = []
    if not isinstance(function, cst.FunctionDef):
        return found

    class Collect(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_Return(self, node: cst.Return) -> None:
            found.append(node)

    function.visit(Collect())
    return found
