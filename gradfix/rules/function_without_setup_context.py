"""GF082: a custom ``torch.autograd.Function`` written with ``forward(ctx, ...)`` used under a
``torch.func`` transform (``vmap``, ``grad``, ``jacrev``: per-sample gradients for DP-SGD, a
Jacobian, an ensemble): "In order to use an autograd.Function with functorch transforms (vmap,
grad, jvp, jacrev, ...), it must override the setup_context staticmethod"; nothing trains.

``torch.func`` needs the Function split in two: ``forward(*inputs)`` computes, and
``setup_context(ctx, inputs, output)`` saves what ``backward`` needs; ``vmap`` also needs a rule
for the batch dimension (``generate_vmap_rule = True`` has torch derive it from the forward).

The crash is read from the run (torch's own message). The rule finds, in the files that built the
run's modules or raised, each Function whose ``forward`` takes ``ctx`` and that has no
``setup_context``, and splits it when the split is mechanical: the statements of ``forward`` that
use ``ctx`` are at its top level and read only its inputs, module-level names, and the value it
returns (``return output``, a name). They move, in order, into ``setup_context``, after the inputs
are unpacked from ``inputs`` (``output`` stands for the returned name); a forward that never used
``ctx`` gets an empty ``setup_context``. A ``ctx`` statement that reads a name forward binds or
rebinds (``x = x.clamp(min=0)`` before ``ctx.save_for_backward(x)``) would save something else
from ``inputs``: that Function is reported without a fix. ``generate_vmap_rule = True`` is always
added (torch's message lists every transform, whichever ran; only ``vmap`` reads it). The re-run
decides. Safe: the same computation, split
as torch.func asks.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import AUTOGRAD_FUNCTIONS
from gradfix.trace import Trace

_MESSAGE = "it must override the setup_context staticmethod"


def _names(node: cst.CSTNode) -> set[str]:
    return {n.value for n in descendants(node, cst.Name)}


def _assigned(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()
    for target in descendants(node, cst.AssignTarget):
        found |= {n.value for n in descendants(target.target, cst.Name)} if not isinstance(target.target, cst.Attribute) else set()
    for kind in (cst.AugAssign, cst.AnnAssign):
        for statement in descendants(node, kind):
            if isinstance(statement.target, cst.Name):
                found.add(statement.target.value)
    for loop in descendants(node, cst.For):
        found |= {n.value for n in descendants(loop.target, cst.Name)}
    return found


def _split(source: SourceFile, cls: cst.ClassDef, vmap: bool) -> Optional[cst.ClassDef]:
    """The Function with its forward split into forward and setup_context, or None."""
    if not isinstance(cls.body, cst.IndentedBlock):
        return None
    methods = {s.name.value: s for s in cls.body.body if isinstance(s, cst.FunctionDef)}
    forward = methods.get("forward")
    if forward is None or "setup_context" in methods or not isinstance(forward.body, cst.IndentedBlock):
        return None
    params = forward.params
    if params.star_arg not in (None, cst.MaybeSentinel.DEFAULT) or params.kwonly_params or params.star_kwarg or params.posonly_params or len(params.params) < 2:
        return None
    ctx = params.params[0].name.value
    inputs = [p.name.value for p in params.params[1:]]
    body = list(forward.body.body)
    last = body[-1] if body else None
    returned = None
    if isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 and isinstance(last.body[0], cst.Return):
        value = last.body[0].value
        returned = value.value if isinstance(value, cst.Name) else None
    if last is not None and ctx in _names(last):
        return None  # the value returned reads ctx
    # names forward binds, inputs it rebinds too (`x = x.clamp(min=0)`: what it saves is not the input)
    local = _assigned(forward.body)
    moved: list[cst.BaseStatement] = []
    kept: list[cst.BaseStatement] = []
    for index, statement in enumerate(body):
        if ctx not in _names(statement):
            kept.append(statement)
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            return None  # ctx inside an if or a loop: not a mechanical split
        read = _names(statement) - {ctx}
        if read & (local - {returned}) or any(ctx in _names(s) for s in body[index + 1 :] if s is last):
            return None
        if returned in read and returned in _assigned(cst.IndentedBlock(body=body[index + 1 : -1])):
            return None  # the returned name changes after the ctx statement: its value there is not the output
        moved.append(statement)
    if not kept:
        return None
    used = set().union(*(_names(s) for s in moved)) if moved else set()
    unpacked = ", ".join(name if name in used else "_" for name in inputs)
    prologue = []
    if any(name in used for name in inputs):
        target = f"{unpacked}," if len(inputs) == 1 else unpacked
        prologue.append(cst.parse_statement(f"{target} = inputs\n", config=source.module.config_for_parsing))
    if returned is not None and returned in used and returned != "output":
        prologue.append(cst.parse_statement(f"{returned} = output\n", config=source.module.config_for_parsing))
    setup = cst.parse_statement(
        "@staticmethod\ndef setup_context(ctx, inputs, output):\n    pass\n", config=source.module.config_for_parsing,
    )
    assert isinstance(setup, cst.FunctionDef) and isinstance(setup.body, cst.IndentedBlock)
    first = cst.Param(cst.Name(ctx)) if ctx != "ctx" else None
    if first is not None:
        setup = setup.with_changes(params=setup.params.with_changes(params=[first, *setup.params.params[1:]]))
    if moved:  # a forward that never used ctx keeps the `pass`
        setup = setup.with_changes(body=setup.body.with_changes(body=[*prologue, *moved]))
    setup = setup.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    new_forward = forward.with_changes(params=params.with_changes(params=list(params.params[1:])), body=forward.body.with_changes(body=kept))
    members: list[cst.BaseStatement] = []
    for statement in cls.body.body:
        if statement is forward:
            members += [new_forward, setup]
        else:
            members.append(statement)
    if vmap and not any(isinstance(s, cst.SimpleStatementLine) and "generate_vmap_rule" in _names(s) for s in cls.body.body):
        rule = cst.parse_statement("generate_vmap_rule = True\n", config=source.module.config_for_parsing)
        docstring = 1 if members and isinstance(members[0], cst.SimpleStatementLine) and isinstance(members[0].body[0], cst.Expr) else 0
        rule = rule.with_changes(leading_lines=[cst.EmptyLine(indent=False)] if docstring else [])
        members.insert(docstring, rule)
        if not docstring and len(members) > 1:
            members[1] = members[1].with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    return cls.with_changes(body=cls.body.with_changes(body=members))


class FunctionWithoutSetupContext(Rule):
    code = "GF082"
    title = "autograd.Function without setup_context under a torch.func transform"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message:
            return []
        # torch's message lists every transform whatever the script used: the vmap rule is added
        # always (only vmap reads it)
        vmap = True
        candidates: list[Candidate] = []
        named: list[str] = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for cls in descendants(source.module, cst.ClassDef):
                if not source.subclasses(cls, AUTOGRAD_FUNCTIONS):
                    continue
                methods = {s.name.value for s in descendants(cls, cst.FunctionDef)}
                if "setup_context" in methods or "forward" not in methods:
                    continue
                named.append(cls.name.value)
                new = _split(source, cls, vmap)
                if new is not None:
                    candidates.append(self.candidate(
                        f"split `{cls.name.value}.forward` into forward(inputs) and setup_context(ctx, inputs, output)"
                        + (", with generate_vmap_rule = True" if vmap else ""),
                        path, [source.replace_statement(cls, new)],
                    ))
        if not named:
            return []
        listed = ", ".join(f"`{n}`" for n in named)
        message = (
            f"the script crashed: {crash.type}: {listed} {'takes' if len(named) == 1 else 'take'} ctx in forward and "
            "{'has' if len(named) == 1 else 'have'} no setup_context, which torch.func's transforms need; nothing trains"
        ).replace("{'has' if len(named) == 1 else 'have'}", "has" if len(named) == 1 else "have")
        params = trace.meant_to_train()
        return [self.finding(project, crash.site, message, params, candidates, blocking=True)]
