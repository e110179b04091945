"""GF052: a gradient hook, ``retain_grad()`` or ``torch.autograd.grad`` given a tensor that does not
require grad: a weight frozen on purpose (a pretrained stem, a locked embedding) that a loop over
"every prunable weight" or "every parameter" still hands to an autograd API.

torch refuses it at once: ``register_hook`` and ``register_post_accumulate_grad_hook`` raise
"cannot register a hook on a tensor that doesn't require gradient", ``retain_grad()`` raises
"can't retain_grad on Tensor that has requires_grad=False", ``torch.autograd.grad(loss, inputs)``
raises "One of the differentiated Tensors does not require grad". The probe records the crash
with its exact call, the names the crashed frame binds to tensors that do not require grad (and the
parameter each one is), and where user code froze them. A frozen tensor gets no gradient, so there
is nothing to hook or to ask for: the fix leaves the tensor frozen and leaves it out. Candidates,
the smallest change first: guard the call (``h = p.register_hook(f) if p.requires_grad else None``
keeps a slot of a parallel list; ``if p.requires_grad:`` around a statement, with ``else:
hooks.append(None)`` when it appends to one), skip the tensor in the loop that makes the call
(``if not p.requires_grad: continue``), leave frozen tensors out where the collection that loop
goes through is built, or, for ``autograd.grad``, ask only for the tensors that require grad. The
re-run judges: the model's trainable parameters must then train. No candidate unfreezes a tensor.

When the crashed frame does not say which tensors were frozen (``ctx.inputs + ctx.params`` in a
hand-written checkpoint's backward, the parameters handed in as ``self.parameters()`` far away),
each user call that passes a module's ``.parameters()`` on to a function that is not torch's is a
candidate that passes only those that require grad; the re-run keeps the one that was the way in.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import root_name
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import Crash, ParamFact, Trace
from gradfix.verify import judge

_HOOKS = {"register_hook", "register_post_accumulate_grad_hook", "retain_grad"}
_HOOK_REFUSED = "cannot register a hook on a tensor that doesn't require gradient"
_RETAIN_REFUSED = "can't retain_grad on Tensor that has requires_grad=False"
_GRAD_REFUSED = "One of the differentiated Tensors does not require grad"
_GRAD = {"torch.autograd.grad", "torch.autograd.autograd.grad"}
# Calls a loop header wraps a collection in: the collection is their argument.
_ITERATION_WRAPPERS = {"enumerate", "zip", "list", "tuple", "reversed", "sorted", "iter"}
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
# Where a conditional expression needs no parentheses of its own.
_BARE_IFEXP_PARENTS = (cst.Assign, cst.AnnAssign, cst.Return, cst.Arg, cst.Element, cst.DictElement, *_COMPREHENSIONS)


def _indexed_path(node: cst.CSTNode) -> Optional[str]:
    """``p``, ``layer.weight``, ``self.weights[0]``: a name, its attributes, and subscripts by a
    name or a literal, as the source spells it. Anything else (a call) could do something when
    evaluated twice, and a guard repeats the expression."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = _indexed_path(node.value)
        return None if inner is None else f"{inner}.{node.attr.value}"
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        index = node.slice[0].slice.value
        inner = _indexed_path(node.value)
        if inner is not None and isinstance(index, (cst.Name, cst.Integer, cst.SimpleString)):
            return f"{inner}[{cst.Module([]).code_for_node(index)}]"
    return None


def _binds(target: cst.BaseExpression, name: str) -> bool:
    return any(n.value == name for n in descendants(target, cst.Name) if not _is_attr_name(target, n))


def _is_attr_name(target: cst.CSTNode, name: cst.Name) -> bool:
    """``x.attr``'s ``attr`` is no binding of ``attr``."""
    return any(a.attr is name for a in descendants(target, cst.Attribute))


def _inputs_arg(call: cst.Call) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "inputs":
            return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[1].value if len(positional) > 1 else None


def _collection_of(target: cst.BaseExpression, iterated: cst.BaseExpression, root: str) -> Optional[cst.BaseExpression]:
    """The collection a loop's target takes ``root`` from: in ``for i, (p, layer) in
    enumerate(zip(self._params, self._layers))``, ``p`` comes from ``self._params``."""
    if isinstance(iterated, cst.Call) and isinstance(iterated.func, cst.Name) and iterated.func.value in _ITERATION_WRAPPERS:
        args = [a.value for a in iterated.args if a.keyword is None and not a.star]
        elements = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else None
        kind = iterated.func.value
        if kind == "enumerate" and args and elements is not None and len(elements) == 2:
            return _collection_of(elements[1], args[0], root)
        if kind == "zip" and elements is not None and len(elements) == len(args):
            for element, arg in zip(elements, args):
                if _binds(element, root):
                    return _collection_of(element, arg, root)
            return None
        if kind in ("list", "tuple", "reversed", "sorted", "iter") and len(args) == 1:
            return _collection_of(target, args[0], root)
        return None
    if isinstance(target, cst.Name) and target.value == root and _indexed_path(iterated) is not None:
        return iterated
    return None


def _scope_of(source: SourceFile, node: cst.CSTNode) -> Optional[cst.CSTNode]:
    return next((a for a in source.ancestors(node) if isinstance(a, _SCOPES)), None)


def _class_of(source: SourceFile, node: cst.CSTNode) -> Optional[cst.ClassDef]:
    return next((a for a in source.ancestors(node) if isinstance(a, cst.ClassDef)), None)


class FrozenTensorAutogradCall(Rule):
    code = "GF052"
    title = "gradient hook or autograd call on a tensor that does not require grad"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or not project.is_editable(crash.site.file):
            return []
        refusal = next((m for m in (_HOOK_REFUSED, _RETAIN_REFUSED, _GRAD_REFUSED) if m in crash.message), None)
        if refusal is None:
            return []
        source = project.source(crash.site.file)
        for call in source.nodes_at(crash.site, cst.Call):
            if refusal == _GRAD_REFUSED:
                if not source.qualified_names(call.func) & _GRAD:
                    continue
                tensor = _inputs_arg(call)
            elif isinstance(call.func, cst.Attribute) and call.func.attr.value in _HOOKS:
                tensor = call.func.value if _indexed_path(call.func.value) is not None else None
            else:
                continue
            if tensor is None:
                continue
            # Only a parameter left out of training on purpose: an input or an activation that
            # does not require grad (a gradient penalty's interpolates, FGSM's images) wants its
            # gradient, and leaving it out is not the fix.
            refused = self._refused(trace, crash, tensor)
            if not refused and refusal == _GRAD_REFUSED:
                return self._passed_parameters(trace, project, source, crash, tensor)
            if not refused:
                return []
            if refusal == _GRAD_REFUSED:
                candidates = self._grad_candidates(source, call, tensor)
            else:
                candidates = self._hook_candidates(source, call, tensor)
            return [self._finding(trace, project, source, crash, tensor, refused, candidates)]
        return []

    def _passed_parameters(
        self, trace: Trace, project: Project, source: SourceFile, crash: Crash, tensor: cst.BaseExpression,
    ) -> list[Finding]:
        """``torch.autograd.grad(outputs, ctx.inputs + ctx.params)`` in a hand-written checkpoint's
        backward, whose parameters were handed to it as ``checkpoint(f, (x,), self.parameters(), ...)``
        far from the crash: the frame does not say which tensors. Each place a user-code call passes
        a module's ``.parameters()`` on, while the run froze some parameters, is a candidate that
        passes only those that require grad; the re-run picks the one that was the way in."""
        frozen = [p for p in trace.params if not p.requires_grad and p.frozen_at]
        if not frozen:
            return []
        candidates: list[Candidate] = []
        places: list[str] = []
        for path in self.crash_files(trace, project):
            other = project.source(path)
            for call in descendants(other.module, cst.Call):
                if any(name.startswith("torch.") for name in other.qualified_names(call.func)):
                    continue  # torch's own (an optimizer, clip_grad_norm_) takes frozen parameters in its stride
                for arg in call.args:
                    value = arg.value
                    if not (isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Attribute) and value.func.attr.value == "parameters"):
                        continue
                    spelled = other.code(value)
                    filtered = cst.parse_expression(f"[p for p in {spelled} if p.requires_grad]", config=other.module.config_for_parsing)
                    candidates.append(self.candidate(
                        f"pass only the parameters that require grad: `[p for p in {spelled} if p.requires_grad]` (line {other.range(value).start.line})",
                        path, [other.replace_node(value, filtered)],
                    ))
                    places.append(f"`{spelled}` at line {other.range(value).start.line}")
        if not candidates:
            return []
        names = short_list([p.name for p in frozen])
        message = (
            f"the script crashed: {crash.type}: {crash.message}; `torch.autograd.grad` is asked for `{source.code(tensor)}`, "
            f"which holds frozen parameters ({names}, requires_grad set to False): they reach it from "
            f"{', '.join(places[:3])}. A tensor that does not require grad gets no gradient: pass only the ones that do"
        )
        roots = {p.module for p in frozen if p.module is not None}
        params = [p.name for p in trace.params if p.module in roots and p.requires_grad and p.is_leaf]
        return [self.finding(project, crash.site, message, params, candidates[:6], blocking=True)]

    # -- what the run says -----------------------------------------------------------------------

    @staticmethod
    def _refused(trace: Trace, crash: Crash, tensor: cst.BaseExpression) -> list[ParamFact]:
        """The parameters the call was given that do not require grad, as the run names them."""
        spelled = _indexed_path(tensor)
        found: list[ParamFact] = []
        if isinstance(tensor, (cst.List, cst.Tuple)):
            # `autograd.grad(loss, [w, b])`: the elements the frame binds to gradless tensors
            for element in tensor.elements:
                name = _indexed_path(element.value)
                found += [p for n in crash.gradless.get(name or "", []) if (p := trace.param(n)) is not None]
        elif spelled is not None and spelled in crash.gradless:
            found = [p for name in crash.gradless[spelled] if (p := trace.param(name)) is not None]
        elif spelled is not None and "." in spelled and spelled.split(".", 1)[0] in crash.scope_modules:
            # `layer.weight` with `layer` a module the frame binds: the parameter by its path
            module = trace.module(crash.scope_modules[spelled.split(".", 1)[0]])
            prefix = module.path if module is not None else None
            if prefix is not None and (p := trace.param(f"{prefix}.{spelled.split('.', 1)[1]}")) is not None:
                found = [p]
        else:
            # `model.parameters()` handed to autograd.grad: the frozen parameters of that module
            roots = {n.value for n in descendants(tensor, cst.Name)} & set(crash.scope_modules)
            for name in sorted(roots):
                module = trace.module(crash.scope_modules[name])
                if module is not None and module.path:
                    found += [p for p in trace.params if p.name.startswith(f"{module.path}.") and not p.requires_grad]
        return [p for p in found if not p.requires_grad]

    def _finding(
        self, trace: Trace, project: Project, source: SourceFile, crash: Crash,
        tensor: cst.BaseExpression, refused: list[ParamFact], candidates: list[Candidate],
    ) -> Finding:
        assert crash.site is not None
        spelled = source.code(tensor)
        frozen = [p for p in refused if p.frozen_at]
        what = f"`{spelled}` {'is' if _indexed_path(tensor) is not None and len(refused) == 1 else 'holds'} {short_list([p.name for p in refused])}"
        if frozen and frozen[0].frozen_at[0].file == source.path:
            what += f", frozen on purpose at line {frozen[0].frozen_at[0].line} (requires_grad set to False)"
        elif frozen:
            what += ", frozen on purpose (requires_grad set to False)"
        else:
            what += ", which does not require grad"
        # What must train once the call leaves the frozen ones out: the rest of their model.
        roots = {p.module for p in refused if p.module is not None}
        params = [p.name for p in trace.params if p.module in roots and p.requires_grad and p.is_leaf]
        message = (
            f"the script crashed: {crash.type}: {crash.message}; {what}. A tensor that does not require grad "
            f"gets no gradient, so there is nothing to hook or ask for: leave it frozen and leave it out"
        )
        return self.finding(project, crash.site, message, params, candidates[:6], blocking=True)

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        # The parameters the fix must let train: the model's trainable ones that, in the re-run,
        # an optimizer holds and a loss reaches (a layer no loss uses is not this fault's).
        # A parameter whose every gradient is exactly 0 once the crash is gone has a loss that does
        # not depend on it (a query attending over one context token): not the frozen tensors' doing.
        after = run.trace
        wanted = [
            n for n in finding.params
            if (p := after.param(n)) is not None and p.optimizers and p.reached and p.requires_grad and not (p.got_grad and not p.nonzero_grad)
        ]
        return judge(finding, dataclasses.replace(candidate, params=wanted), before, run)

    # -- candidates ------------------------------------------------------------------------------

    def _hook_candidates(self, source: SourceFile, call: cst.Call, tensor: cst.BaseExpression) -> list[Candidate]:
        spelled = _indexed_path(tensor)
        assert spelled is not None
        test = f"{spelled}.requires_grad"
        root = root_name(tensor)
        statement = source.statement_of(call)
        candidates: list[Candidate] = []
        comprehension = next(
            (a for a in source.ancestors(call) if isinstance(a, _COMPREHENSIONS) or a is statement), None
        )
        if isinstance(comprehension, _COMPREHENSIONS):
            binding = [f for f in _comp_fors(comprehension) if root is not None and _binds(f.target, root)]
            if binding:
                edit = _with_condition(source, binding[-1], test)
                candidates.append(self.candidate(f"leave out the tensors that do not require grad: `if {test}` in the comprehension", source.path, [edit]))
            # A list read by position beside another (hooks[i] for params[i]) keeps a None slot
            # instead; one only gone through (handles to remove) is better without them.
            small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
            bound = _indexed_path(small.targets[0].target) if isinstance(small, cst.Assign) and small.value is comprehension else None
            keeps_slots = bound is not None and _parallel(source, bound, call)
            candidates.insert(0 if keeps_slots else len(candidates), self._guard_expression(source, call, test))
            collection = _collection_of(binding[-1].target, binding[-1].iter, root) if binding and root else None
            if collection is not None:
                candidates += self._collection_candidates(source, call, collection)
            return candidates
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return [self._guard_expression(source, call, test)]
        small = statement.body[0]
        appended = _appended_to(small, call)
        if isinstance(small, cst.Expr) and small.value is call:
            candidates.append(self._guard_statement(source, statement, test))
        elif appended is not None:
            # A list kept in step with another (hooks[i] for params[i]): None keeps the slot.
            filler = cst.SimpleStatementLine([cst.Expr(small.value.with_changes(args=[cst.Arg(cst.Name("None"))]))])  # type: ignore[attr-defined]
            slots = self._guard_statement(source, statement, test, filler, appended)
            plain = self._guard_statement(source, statement, test)
            candidates += [slots, plain] if _parallel(source, appended, call) else [plain, slots]
        else:
            candidates.append(self._guard_expression(source, call, test))
            if isinstance(small, (cst.Assign, cst.AnnAssign)):
                candidates.append(self._guard_statement(source, statement, test))
        loop = _enclosing_loop(source, statement)
        if loop is not None and isinstance(source.parent(statement), cst.IndentedBlock):
            indent = source.indentation(source.range(statement).start.line)
            unit = source.module.default_indent
            text = f"{indent}if not {test}:\n{indent}{unit}continue\n"
            candidates.append(self.candidate(
                f"skip the tensors that do not require grad in the loop: `if not {test}: continue`",
                source.path, [source.insert_lines(source.range(statement).start.line, text)],
            ))
        binding_loop = _binding_loop(source, statement, root)
        collection = _collection_of(binding_loop.target, binding_loop.iter, root) if binding_loop is not None and root else None
        if collection is not None:
            candidates += self._collection_candidates(source, call, collection)
        return candidates

    def _grad_candidates(self, source: SourceFile, call: cst.Call, inputs: cst.BaseExpression) -> list[Candidate]:
        """autograd.grad computes the gradient of every input: the frozen ones go where the inputs
        are collected (every reader of the collection stays in step with the gradients), else in
        the call."""
        candidates = self._collection_candidates(source, call, inputs) if _indexed_path(inputs) is not None else []
        variable = _fresh_name(inputs)
        filtered = cst.parse_expression(
            f"[{variable} for {variable} in {source.code(inputs)} if {variable}.requires_grad]", config=source.module.config_for_parsing,
        )
        candidates.append(self.candidate(
            "ask autograd.grad only for the tensors that require grad", source.path, [source.replace_node(inputs, filtered)],
        ))
        return candidates

    def _guard_expression(self, source: SourceFile, call: cst.Call, test: str) -> Candidate:
        guarded: cst.BaseExpression = cst.IfExp(
            test=cst.parse_expression(test, config=source.module.config_for_parsing),
            body=call,
            orelse=cst.Name("None"),
            whitespace_before_if=cst.SimpleWhitespace(" "),
            whitespace_after_if=cst.SimpleWhitespace(" "),
            whitespace_before_else=cst.SimpleWhitespace(" "),
            whitespace_after_else=cst.SimpleWhitespace(" "),
        )
        if not isinstance(source.parent(call), _BARE_IFEXP_PARENTS):
            guarded = guarded.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return self.candidate(f"call it only when `{test}` (else None)", source.path, [source.replace_node(call, guarded)])

    def _guard_statement(
        self, source: SourceFile, statement: cst.SimpleStatementLine, test: str,
        filler: Optional[cst.SimpleStatementLine] = None, appended: Optional[str] = None,
    ) -> Candidate:
        guarded = cst.If(
            test=cst.parse_expression(test, config=source.module.config_for_parsing),
            body=cst.IndentedBlock([statement.with_changes(leading_lines=[])]),
            orelse=cst.Else(cst.IndentedBlock([filler])) if filler is not None else None,
            leading_lines=statement.leading_lines,
        )
        said = f"`if {test}:`" + (f", else append None to `{appended}` to keep it in step" if appended else "")
        return self.candidate(f"guard the call with {said}", source.path, [source.replace_statement(statement, guarded)])

    def _collection_candidates(self, source: SourceFile, call: cst.Call, collection: cst.BaseExpression) -> list[Candidate]:
        """Leave the tensors that do not require grad out where ``collection`` is built: an
        ``X.append(t)`` in a loop (skipped with ``continue``, the loop's other lists with it), or
        ``X = list(...)`` / a comprehension (filtered)."""
        spelled = _indexed_path(collection)
        if spelled is None:
            return []
        # `self._params` is the class's own; a plain name is the function's, or the script's.
        owner = _class_of(source, call) if spelled.startswith("self.") else None
        scope = _scope_of(source, call)
        edits: list[Edit] = []
        for statement in descendants(source.module, cst.SimpleStatementLine):
            if len(statement.body) != 1:
                continue
            if spelled.startswith("self.") and _class_of(source, statement) is not owner:
                continue
            if not spelled.startswith("self.") and _scope_of(source, statement) not in (scope, None):
                continue
            small = statement.body[0]
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                edit = self._skip_append(source, statement, small.value, spelled)
            elif isinstance(small, cst.Assign) and len(small.targets) == 1 and _indexed_path(small.targets[0].target) == spelled:
                edit = self._filter_value(source, small.value)
            else:
                continue
            if edit is not None:
                edits.append(edit)
        if not edits:
            return []
        lines = ", ".join(str(e.start.line) for e in edits)
        return [self.candidate(
            f"leave the tensors that do not require grad out of `{spelled}` where it is built (line {lines})", source.path, edits,
        )]

    @staticmethod
    def _skip_append(source: SourceFile, statement: cst.SimpleStatementLine, value: cst.Call, spelled: str) -> Optional[Edit]:
        func = value.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "append" and _indexed_path(func.value) == spelled):
            return None
        if len(value.args) != 1 or _indexed_path(value.args[0].value) is None:
            return None
        block = source.parent(statement)
        if not isinstance(block, cst.IndentedBlock) or _enclosing_loop(source, statement) is None:
            return None
        item = value.args[0].value
        # At the top of the block the append sits in, so the lists kept beside this one (filled
        # by the statements before it) skip the same items; after what binds the item, if the
        # block binds it.
        root = root_name(item)
        first = block.body[0]
        for earlier in block.body:
            if earlier is statement:
                break
            if root is not None and any(_binds(t.target, root) for t in descendants(earlier, cst.AssignTarget)):
                first = statement
        indent = source.indentation(source.range(first).start.line)
        text = f"{indent}if not {_indexed_path(item)}.requires_grad:\n{indent}{source.module.default_indent}continue\n"
        return source.insert_lines(source.range(first).start.line, text)

    @staticmethod
    def _filter_value(source: SourceFile, value: cst.BaseExpression) -> Optional[Edit]:
        config = source.module.config_for_parsing
        if isinstance(value, cst.ListComp) and _indexed_path(value.elt) is not None:
            return _with_condition(source, _comp_fors(value)[-1], f"{_indexed_path(value.elt)}.requires_grad")
        if not isinstance(value, cst.Call):
            return None
        if isinstance(value.func, cst.Name) and value.func.value in ("list", "tuple") and len(value.args) == 1:
            items = value.args[0].value
        elif isinstance(value.func, cst.Attribute) and value.func.attr.value == "parameters":
            items = value
        else:
            return None
        variable = _fresh_name(items)
        filtered = cst.parse_expression(
            f"[{variable} for {variable} in {source.code(items)} if {variable}.requires_grad]", config=config,
        )
        return source.replace_node(value, filtered)


def _with_condition(source: SourceFile, comp_for: cst.CompFor, test: str) -> Edit:
    """``for p in ps if <test>``; an ``if`` already there gets ``and <test>``."""
    config = source.module.config_for_parsing
    if not comp_for.ifs:
        condition = cst.CompIf(test=cst.parse_expression(test, config=config))
        return source.replace_node(comp_for, comp_for.with_changes(ifs=[condition]))
    last = comp_for.ifs[-1]
    given = source.code(last.test)
    if isinstance(last.test, (cst.BooleanOperation, cst.IfExp, cst.Lambda, cst.NamedExpr)) and not last.test.lpar:
        given = f"({given})"
    return source.replace_node(last.test, cst.parse_expression(f"{given} and {test}", config=config))


def _comp_fors(comprehension: cst.CSTNode) -> list[cst.CompFor]:
    fors = []
    current = getattr(comprehension, "for_in", None)
    while current is not None:
        fors.append(current)
        current = current.inner_for_in
    return fors


def _appended_to(small: cst.BaseSmallStatement, call: cst.Call) -> Optional[str]:
    """``hooks.append(<call>)``: the list's spelling."""
    if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
        return None
    outer = small.value
    if not (isinstance(outer.func, cst.Attribute) and outer.func.attr.value == "append"):
        return None
    if len(outer.args) != 1 or outer.args[0].value is not call:
        return None
    return _indexed_path(outer.func.value)


def _parallel(source: SourceFile, spelled: str, near: cst.CSTNode) -> bool:
    """Whether the code reads a list by position or in step with another: ``hooks[i]``,
    ``zip(params, hooks)`` (in the same class for ``self.hooks``, the same function for a name)."""
    def mine(node: cst.CSTNode) -> bool:
        if spelled.startswith("self."):
            return _class_of(source, node) is _class_of(source, near)
        return _scope_of(source, node) in (_scope_of(source, near), None)

    for subscript in descendants(source.module, cst.Subscript):
        if _indexed_path(subscript.value) == spelled and mine(subscript):
            return True
    for call in descendants(source.module, cst.Call):
        if isinstance(call.func, cst.Name) and call.func.value == "zip" and any(_indexed_path(a.value) == spelled for a in call.args) and mine(call):
            return True
    return False


def _enclosing_loop(source: SourceFile, statement: cst.CSTNode) -> Optional[cst.CSTNode]:
    """The innermost ``for``/``while`` around a statement in its own function (``continue`` reaches it)."""
    for ancestor in source.ancestors(statement):
        if isinstance(ancestor, (cst.For, cst.While)):
            return ancestor
        if isinstance(ancestor, _SCOPES):
            return None
    return None


def _binding_loop(source: SourceFile, statement: cst.CSTNode, root: Optional[str]) -> Optional[cst.For]:
    """The innermost ``for`` around a statement, in its function, whose target binds ``root``."""
    if root is None:
        return None
    for ancestor in source.ancestors(statement):
        if isinstance(ancestor, cst.For) and _binds(ancestor.target, root):
            return ancestor
        if isinstance(ancestor, _SCOPES):
            return None
    return None


def _fresh_name(expression: cst.CSTNode) -> str:
    used = {n.value for n in descendants(expression, cst.Name)}
    return next(name for name in ("p", "t", "tensor", "param") if name not in used)
