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

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_REGISTERS = {"register_full_backward_hook", "register_backward_hook"}


class _Hook:
    """A hook function rewritable per parameter: ``def hook(module, grad_input, grad_output):``
    whose body is ``for param in module.parameters(): BODY`` and reads ``param.grad``."""

    def __init__(self, function: cst.FunctionDef, loop: cst.For, param: str) -> None:
        self.function, self.loop, self.param = function, loop, param

    def rewritten(self) -> cst.FunctionDef:
        params = cst.Parameters([cst.Param(cst.Name(self.param))])
        body = self.loop.body
        assert isinstance(body, cst.IndentedBlock)
        return self.function.with_changes(params=params, body=body.with_changes(header=self.function.body.header))


def _names(node: cst.CSTNode) -> set[str]:
    return {n.value for n in descendants(node, cst.Name)}


def _hook_of(function: cst.FunctionDef) -> Optional[_Hook]:
    params = function.params
    if len(params.params) != 3 or params.star_arg not in (cst.MaybeSentinel.DEFAULT, None) or params.kwonly_params:
        return None
    module, grad_input, grad_output = (p.name.value for p in params.params)
    body = function.body
    if not isinstance(body, cst.IndentedBlock):
        return None
    statements = list(body.body)
    if statements and _docstring(statements[0]):
        statements = statements[1:]
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
    return _Hook(function, loop, param) if reads_grad else None


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


def _registrations(source: SourceFile) -> list[tuple[cst.Call, set[str]]]:
    """Each module-hook registration of this file, with the names of the functions it registers."""
    found = []
    for call in descendants(source.module, cst.Call):
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in _REGISTERS and call.args):
            continue
        hook = call.args[0].value
        if isinstance(hook, cst.Name):
            found.append((call, {hook.value}))
        elif isinstance(hook, cst.Attribute):
            found.append((call, {hook.attr.value}))
        elif isinstance(hook, cst.Call) and isinstance(hook.func, cst.Name):
            found.append((call, _returned(source, hook.func.value)))
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
        candidates: list[Candidate] = []
        named: list[str] = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            hooks = {f.name.value: h for f in descendants(source.module, cst.FunctionDef) if (h := _hook_of(f)) is not None}
            edits: list[Edit] = []
            rewritten: set[str] = set()
            for call, names in _registrations(source):
                hooked = [hooks[n] for n in names if n in hooks]
                if not hooked or not isinstance(call.func, cst.Attribute):
                    continue
                for hook in hooked:
                    if hook.function.name.value not in rewritten:
                        rewritten.add(hook.function.name.value)
                        edits.append(source.replace_node(hook.function, hook.rewritten()))
                edits.append(self._register_each(source, call))
            if edits:
                named += sorted(rewritten)
                candidates.append(self.candidate(
                    f"run {', '.join(f'`{n}`' for n in sorted(rewritten))} on each parameter after its gradient is accumulated "
                    "(register_post_accumulate_grad_hook)", path, edits,
                ))
        if not candidates:
            return []
        message = (
            f"the script crashed: {crash.type}: {crash.message}; the module backward hook {', '.join(f'`{n}`' for n in named)} "
            "reads its parameters' .grad, but a module backward hook fires when the gradient of the module's inputs is "
            "ready, before its parameters' gradients are accumulated (None after zero_grad()); nothing trains"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]

    @staticmethod
    def _register_each(source: SourceFile, call: cst.Call) -> Edit:
        """``m.register_full_backward_hook(h)`` registered on each of ``m``'s parameters; inside
        ``handles.append(...)`` the handles are extended with them."""
        assert isinstance(call.func, cst.Attribute)
        module = source.code(call.func.value)
        hook = source.code(call.args[0].value)
        name = _free_name(_names(source.module))
        each = f"[{name}.register_post_accumulate_grad_hook({hook}) for {name} in {module}.parameters()]"
        parent = source.parent(call)
        if isinstance(parent, cst.Arg):
            outer = source.parent(parent)
            if (
                isinstance(outer, cst.Call) and isinstance(outer.func, cst.Attribute) and outer.func.attr.value == "append"
                and len(outer.args) == 1
            ):
                return source.replace_node(outer, cst.parse_expression(f"{source.code(outer.func.value)}.extend({each})"))
        return source.replace_node(call, cst.parse_expression(each))
