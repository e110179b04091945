"""GF108: a module backward hook that reads its module's parameter gradients: ``for p in
module.parameters(): ... p.grad ...`` inside a hook registered with
``register_full_backward_hook`` (or ``register_backward_hook``). Adaptive gradient clipping,
per-layer gradient noise, gradient logging are written this way.

A module backward hook fires when the gradient with respect to the module's *inputs* is ready,
which is not when its parameters' gradients have been accumulated into ``.grad``: for the first
layer, whose input needs no gradient, it fires before them. After ``zero_grad()`` (which sets
``.grad`` to None) the hook reads None, and the first ``backward()`` fails ("'NoneType' object has
no attribute 'dim'"); nothing trains. Where it does not fail, it reads the previous step's
gradient.

The crash is read from the run (a None where the hook reads ``.grad``). The rule finds, in the
files where the crash's cause can be written, the hooks those files register (by name, or the
function a factory called in the registration returns) whose body is one loop over the module's
parameters, and rewrites each as a hook per parameter that runs after its gradient was
accumulated (``Tensor.register_post_accumulate_grad_hook``, torch 2.1): the loop's body becomes
the hook's, and the registration registers it on each of the module's parameters. A hook that
reads anything else of the module or of ``grad_input``/``grad_output`` is left alone. Unsafe: the
hook now changes the gradients the step applies, as it was written to.
"""

from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from gradfix.edits import Edit, Patch, Position
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_REGISTERS = {"register_full_backward_hook", "register_backward_hook"}


class _Hook:
    """A hook function rewritable per parameter: ``def hook(module, grad_input, grad_output):``
    (after ``self``, before options a ``partial`` binds) whose body is ``for param in
    module.parameters(): BODY``, perhaps inside ``with torch.no_grad():`` and followed by a
    ``return`` of nothing or of ``grad_input`` unchanged, and that reads ``param.grad``."""

    def __init__(self, path: str, function: cst.FunctionDef, loop: cst.For, param: str, kept: int, grad_input: str) -> None:
        self.path, self.function, self.loop, self.param, self.kept = path, function, loop, param, kept
        self.grad_input = grad_input

    def rewritten(self) -> cst.FunctionDef:
        """The hook of one parameter: its docstring, then the loop's body in the loop's place
        (the ``with`` around it stays), the module's gradients gone from its parameters."""
        params = list(self.function.params.params)
        params[self.kept : self.kept + 3] = [cst.Param(cst.Name(self.param))]
        body = self.function.body
        assert isinstance(body, cst.IndentedBlock) and isinstance(self.loop.body, cst.IndentedBlock)
        inner = list(self.loop.body.body)
        inner[0] = inner[0].with_changes(leading_lines=[*self.loop.leading_lines, *inner[0].leading_lines])

        class Unrolled(cst.CSTTransformer):
            def __init__(self, loop: cst.For) -> None:
                self.loop = loop

            def leave_For(self, original: cst.For, updated: cst.For) -> Union[cst.BaseStatement, cst.FlattenSentinel[cst.BaseStatement]]:
                return cst.FlattenSentinel(inner) if original is self.loop else updated

        statements: list[cst.BaseStatement] = []
        for statement in body.body:
            if statement is self.loop:
                statements += inner
            elif not _passing_return(statement, self.grad_input):
                statements.append(statement.visit(Unrolled(self.loop)))  # type: ignore[arg-type]
        new_body = body.with_changes(body=statements)
        return self.function.with_changes(params=self.function.params.with_changes(params=params), body=new_body)


def _names(node: cst.CSTNode) -> set[str]:
    return {n.value for n in descendants(node, cst.Name)}


def _passing_return(statement: cst.BaseStatement, grad_input: str) -> bool:
    """``return``, ``return None``, ``return grad_input``: the hook changes nothing by its value."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and isinstance(statement.body[0], cst.Return)):
        return False
    value = statement.body[0].value
    return value is None or (isinstance(value, cst.Name) and value.value in ("None", grad_input))


def _hook_of(path: str, function: cst.FunctionDef) -> Optional[_Hook]:
    params = function.params
    if params.star_arg not in (cst.MaybeSentinel.DEFAULT, None) or params.kwonly_params or params.posonly_params:
        return None
    kept = 1 if params.params and params.params[0].name.value in ("self", "cls") else 0
    given = params.params[kept : kept + 3]
    # options after the three, bound by ``partial`` or defaulted, stay the hook's
    if len(given) != 3 or any(p.default is not None for p in given):
        return None
    module, grad_input, grad_output = (p.name.value for p in given)
    body = function.body
    if not isinstance(body, cst.IndentedBlock):
        return None
    statements = list(body.body)
    if statements and _docstring(statements[0]):
        statements = statements[1:]
    if statements and _passing_return(statements[-1], grad_input):
        statements = statements[:-1]
    if len(statements) == 1 and isinstance(statements[0], cst.With) and isinstance(statements[0].body, cst.IndentedBlock):
        statements = list(statements[0].body.body)  # `with torch.no_grad():` around the loop
    if len(statements) != 1 or not isinstance(loop := statements[0], cst.For) or loop.orelse is not None:
        return None
    it = loop.iter
    if not (
        isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and it.func.attr.value == "parameters"
        and isinstance(it.func.value, cst.Name) and it.func.value.value == module
        and isinstance(loop.target, cst.Name) and isinstance(loop.body, cst.IndentedBlock)
    ):
        return None
    param = loop.target.value
    if _names(loop.body) & {module, grad_input, grad_output}:
        return None  # the body needs the module or the module's gradients: not a per-parameter hook
    reads_grad = any(
        isinstance(a.value, cst.Name) and a.value.value == param and a.attr.value == "grad"
        for a in descendants(loop.body, cst.Attribute)
    )
    return _Hook(path, function, loop, param, kept, grad_input) if reads_grad else None


def _docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr) and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _returned(source: SourceFile, factory: str) -> set[str]:
    """The names of local functions a factory function of this file returns."""
    found = set()
    for function in descendants(source.module, cst.FunctionDef):
        if function.name.value != factory:
            continue
        local = {f.name.value for f in descendants(function.body, cst.FunctionDef)}
        for ret in descendants(function.body, cst.Return):
            if isinstance(ret.value, cst.Name) and ret.value.value in local:
                found.add(ret.value.value)
    return found


def _registered(hook: cst.BaseExpression) -> tuple[str, str]:
    """What a registration names: ("name", hook) for ``hook``, ``self.hook``, ``mod.hook`` and
    ``partial(hook, ...)``; ("factory", f) for ``f(...)``; ("", "") otherwise."""
    if isinstance(hook, cst.Name):
        return "name", hook.value
    if isinstance(hook, cst.Attribute):
        return "name", hook.attr.value
    if isinstance(hook, cst.Call) and hook.args and isinstance(hook.func, (cst.Name, cst.Attribute)):
        called = hook.func.value if isinstance(hook.func, cst.Name) else hook.func.attr.value
        if called == "partial":
            return _registered(hook.args[0].value)
        return "factory", called
    return "", ""


def _registrations(sources: list[SourceFile]) -> list[tuple[SourceFile, cst.Call, set[str]]]:
    """Each module-hook registration of these files, with the names of the functions it
    registers (a factory is looked up in every file: it may be imported)."""
    found = []
    for source in sources:
        for call in descendants(source.module, cst.Call):
            if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in _REGISTERS and call.args):
                continue
            kind, name = _registered(call.args[0].value)
            if kind == "name":
                found.append((source, call, {name}))
            elif kind == "factory":
                found.append((source, call, set().union(*(_returned(other, name) for other in sources))))
    return found


def _free_name(taken: set[str]) -> str:
    return next(name for name in ("p", "param", "parameter", "tensor", "weight_or_bias") if name not in taken)


class HookReadsUnaccumulatedGrad(Rule):
    code = "GF108"
    title = "module backward hook reads parameter gradients before they are accumulated"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or "NoneType" not in crash.message:
            return []
        sources = [project.source(path) for path in self.crash_files(trace, project)]
        hooks = {
            f.name.value: h for source in sources for f in descendants(source.module, cst.FunctionDef)
            if (h := _hook_of(source.path, f)) is not None
        }
        edits: dict[str, list[Edit]] = {}
        rewritten: dict[str, _Hook] = {}
        kept: list[str] = []  # hooks registered where a rewrite would break the handle
        for source, call, names in _registrations(sources):
            hooked = [hooks[n] for n in names if n in hooks]
            registration = self._register_each(source, call) if hooked else None
            if registration is None:
                kept += [h.function.name.value for h in hooked]
                continue
            for hook in hooked:
                if hook.function.name.value not in rewritten:
                    rewritten[hook.function.name.value] = hook
                    edits.setdefault(hook.path, []).append(project.source(hook.path).replace_node(hook.function, hook.rewritten()))
            edits.setdefault(source.path, []).append(registration)
        if kept:
            # one registration kept as a handle: all of the hook's registrations stay as they are
            rewritten, edits = {}, {}
        named = ", ".join(f"`{n}`" for n in sorted(set(rewritten) | set(kept)))
        if not named:
            return []
        candidates = [Candidate(
            f"run {named} on each parameter after its gradient is accumulated (register_post_accumulate_grad_hook)",
            [Patch(path, sorted(found, key=lambda e: e.start)) for path, found in edits.items()], self.applicability,
        )] if rewritten else []
        message = (
            f"the script crashed: {crash.type}: {crash.message}; the module backward hook {named} "
            "reads its parameters' .grad, but a module backward hook fires when the gradient of the module's inputs is "
            "ready, before its parameters' gradients are accumulated (None after zero_grad()); nothing trains"
        )
        if kept:
            message += "; the hook's handle is kept alone (`h = ...register_full_backward_hook(...)`), so registering it per parameter is yours to write"
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]

    @staticmethod
    def _register_each(source: SourceFile, call: cst.Call) -> Optional[Edit]:
        """``m.register_full_backward_hook(h)`` registered on each of ``m``'s parameters: inside
        ``handles.append(...)`` the handles are extended with them; as the element of a list
        comprehension, the comprehension loops over the parameters too; as a statement, a list of
        them. A handle kept alone (``h = ...``, ``handles[i] = ...``) would become a list that its
        ``h.remove()`` refuses: no edit."""
        assert isinstance(call.func, cst.Attribute)
        module = source.code(call.func.value)
        hook = source.code(call.args[0].value)
        name = _free_name(_names(source.module))
        register = f"{name}.register_post_accumulate_grad_hook({hook})"
        each = f"[{register} for {name} in {module}.parameters()]"
        parent = source.parent(call)
        if isinstance(parent, cst.Arg):
            outer = source.parent(parent)
            if (
                isinstance(outer, cst.Call) and isinstance(outer.func, cst.Attribute) and outer.func.attr.value == "append"
                and len(outer.args) == 1
            ):
                return source.replace_node(outer, cst.parse_expression(f"{source.code(outer.func.value)}.extend({each})"))
            return None
        if isinstance(parent, cst.ListComp) and parent.elt is call:
            inner = cst.CompFor(target=cst.Name(name), iter=cst.parse_expression(f"{module}.parameters()"))
            last = parent.for_in
            chain = [last]
            while last.inner_for_in is not None:
                last = last.inner_for_in
                chain.append(last)
            rebuilt = inner
            for clause in reversed(chain):
                rebuilt = clause.with_changes(inner_for_in=rebuilt)
            return source.replace_node(parent, parent.with_changes(elt=cst.parse_expression(register), for_in=rebuilt))
        line = source.parent(parent) if isinstance(parent, cst.Expr) else None
        if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
            where = source.range(line.body[0])
            indent = source.indentation(where.start.line)
            loop = f"for {name} in {module}.parameters():\n{indent}    {register}"
            return Edit(Position(where.start.line, where.start.column), Position(where.end.line, where.end.column), loop)
        return None
