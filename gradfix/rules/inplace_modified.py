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
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile
from gradfix.torch_api import module_alias
from gradfix.trace import InPlaceOp, Site, Trace
from gradfix.verify import judge

_LEAF_MESSAGE = "leaf Variable that requires grad is being used in an in-place operation"
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


def _operand(value: cst.BaseExpression, precedence: int) -> cst.BaseExpression:
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


class InplaceModified(Rule):
    code = "GF023"
    title = "tensor autograd needs modified in place"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is not None and _LEAF_MESSAGE in crash.message:
            return self._leaf_in_forward(trace, project)
        if crash is None or "modified by an inplace operation" not in crash.message:
            return []
        found = _blamed(crash.message)
        if found is None:
            # No "output 0 of ...": the modified tensor was a leaf or needed no gradient (an
            # optimizer step between forward and backward), not an op the probe records.
            return []
        shape, blamed = list(found[0]), found[1]
        ranked = []
        for event in trace.inplace_ops:
            if event.leaf:
                continue  # refused by torch at the op: never saved, never blamed at backward()
            names = {_op_name(name) for name in (event.grad_fn, *event.related)}
            # The op autograd names is necessary: a shape alone is often shared (a batch of 64 x 64).
            ranked.append((2 * int(blamed in names) + int(shape in event.shapes), event.last, event))
        if not any(score >= 2 for score, _, _ in ranked):
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
        was, now = _blamed(old.message), _blamed(crash.message)
        if was is None or now is None or was == now or run.trace.events < before.events:
            return verdict
        return Verdict(
            True,
            f"the crash is gone: backward() no longer finds the {list(was[0])} output of {was[1]} modified; "
            f"it now stops at another in-place change (the {list(now[0])} output of {now[1]})",
        )

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
        if not event.in_forward or crash.site is None or (crash.site.file, crash.site.line) != (event.site.file, event.site.line):
            return []
        if not project.is_editable(event.site.file):
            return []
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

    def _leaf_fixes(self, project: Project, event: InPlaceOp) -> list[_Rewrite]:
        """The out-of-place form of the op, without rebinding the parameter itself (a module
        attribute that holds a Parameter takes no plain tensor); for a statement that changes the
        parameter on purpose (``self.w.clamp_(0)``), the change under ``torch.no_grad()``."""
        if event.in_module:
            if not event.inplace_arg or event.module is None or event.module_site is None:
                return []
            if not project.is_editable(event.module_site.file):
                return []
            found = self._module_built_inplace(project.source(event.module_site.file), event)
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
                        rewrites.append(self._clone_before_item_assignment(source, event))
                    break
        else:
            for augmented in source.nodes_at(event.site, cst.AugAssign):
                small = augmented
                if isinstance(augmented.target, cst.Name):
                    rewrites.append(self._augmented(source, augmented, set()))
                break
            else:
                for call in source.nodes_at(event.site, cst.Call):
                    rewrite = self._leaf_method(source, call, event)
                    rewrites.append(rewrite)
                    parent = source.parent(call)
                    small = parent if isinstance(parent, cst.Expr) else None
                    break
        if small is not None:
            rewrites.append(self._under_no_grad(source, small))
        return [r for r in rewrites if r is not None]

    def _leaf_method(self, source: SourceFile, call: cst.Call, event: InPlaceOp) -> Optional[_Rewrite]:
        """``weight = self.w.clamp_(min=0)`` -> ``self.w.clamp(min=0)``: the result is used, so
        the out-of-place call is the same expression; as a statement, a local name is rebound
        (``w.clamp_(0)`` -> ``w = w.clamp(0)``)."""
        func = call.func
        if not isinstance(func, cst.Attribute) or not event.out_of_place:
            return None
        method = func.attr.value
        if not method.endswith("_") or method.startswith("_"):
            return None
        parent = source.parent(call)
        if isinstance(parent, cst.Expr):
            target = func.value
            if any(name.startswith("torch.") for name in source.qualified_names(func)):
                return None  # torch.clamp_(w, 0) as a statement: the parameter itself is the target
            if not isinstance(target, cst.Name):
                return None
            return self._method(source, call, event)
        out_of_place = call.with_changes(func=func.with_changes(attr=cst.Name(method[:-1])))
        edit = source.replace_node(call, out_of_place)
        old = source.code(call)
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

    # -- one candidate per recorded in-place op ---------------------------------------------------

    def _fix(self, project: Project, event: InPlaceOp, item_writes: _ItemWrites) -> Optional[_Rewrite]:
        if event.in_module:
            if not event.inplace_arg or event.module is None or event.module_site is None:
                return None
            if not project.is_editable(event.module_site.file):
                return None
            source = project.source(event.module_site.file)
            return self._module_built_inplace(source, event)
        if not project.is_editable(event.site.file):
            return None
        source = project.source(event.site.file)
        if event.inplace_arg:
            return self._inplace_keyword(source, event)
        if event.op == "__setitem__":
            return self._clone_before_item_assignment(source, event)
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
            left=node.target.deep_clone(), operator=operator, right=_operand(node.value, precedence)
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

    def _clone_before_item_assignment(self, source: SourceFile, event: InPlaceOp) -> Optional[_Rewrite]:
        """``x[i] = v`` -> ``x = x.clone()`` first: autograd keeps the tensor it saved, the script
        goes on with a copy that has the item set."""
        for subscript in source.nodes_at(event.site, cst.Subscript):
            small = source.parent(subscript)
            if isinstance(small, cst.AssignTarget):
                small = source.parent(small)
            if not isinstance(small, (cst.Assign, cst.AugAssign)):
                continue
            target = subscript.value
            if not _assignable(target) or self._aliased(source, target):
                return None
            return self._clone_before(source, small, target)
        return None

    def _clone_before(
        self, source: SourceFile, small: cst.BaseSmallStatement, target: cst.BaseExpression
    ) -> Optional[_Rewrite]:
        """A ``target = target.clone()`` line right before the statement: the copy is made after
        everything that saved the tensor, so nothing that saved it sees the change."""
        line = source.parent(small)
        if not isinstance(line, cst.SimpleStatementLine) or line.body[0] is not small:
            return None  # `a = x * 2; x[0] = 0` on one line: the copy would come before `x * 2`
        block = source.parent(line)
        if not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return None
        start = source.range(line).start.line
        name = source.code(target)
        text = f"{source.indentation(start)}{name} = {name}.clone()\n"
        old = _statement_code(source, small)
        edit = source.insert_lines(start, text)
        return _Rewrite(f"copy `{name}` right before `{old}` modifies it", source.site(small), source, [edit], old)

    def _inplace_keyword(self, source: SourceFile, event: InPlaceOp) -> Optional[_Rewrite]:
        """``F.relu(h, inplace=True)`` -> ``inplace=False``."""
        for call in source.nodes_at(event.site, cst.Call):
            edit = self._switch_off(source, call, _FUNCTION_INPLACE.get(event.op))
            if edit is not None:
                description = f"call {source.code(call.func)}() with inplace=False"
                return _Rewrite(description, source.site(call), source, [edit], source.code(call))
        return None

    def _module_built_inplace(self, source: SourceFile, event: InPlaceOp) -> Optional[_Rewrite]:
        """``nn.ReLU(inplace=True)`` where the module was built -> ``inplace=False``."""
        assert event.module is not None and event.module_site is not None
        short = event.module.rsplit(".", 1)[-1]
        for call in source.nodes_at(event.module_site, cst.Call):
            edit = self._switch_off(source, call, _MODULE_INPLACE.get(short))
            if edit is not None:
                description = f"build {source.code(call.func)} with inplace=False (line {event.module_site.line})"
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
