"""GF078: a module backward hook that returns a bare tensor where torch expects a tuple: ``return
grad_input[0] * scale`` from a hook registered with ``register_full_backward_hook`` (or
``register_backward_hook``, or ``register_full_backward_pre_hook`` for ``grad_output``).

torch reads what the hook returns as the new ``grad_input``, one entry per input of the module.
A tensor is iterated row by row instead, and the first ``backward()`` raises "Backward hook
returned an invalid number of grad_input, got 32, but expected 1" (32 being the batch size);
nothing trains.

The crash is read from the run (torch's own message). The rule finds the hooks the files that
built the run's modules register (a function of the file, a local ``def``, a method of the
model, by name), and in each, the ``return`` statements whose value is not a tuple, a list or
``None``; when torch expected one value, each becomes a one-element tuple (``return (g * s,)``).
A hook that returns a tuple already is left alone. Safe: the gradient is the one the hook meant.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

# torch's full hooks count the tensor's rows; the old register_backward_hook wants a tuple outright.
_MESSAGE = re.compile(
    r"hook returned an invalid number of (?P<what>grad_input|grad_output), got \d+, but expected 1\b"
    r"|expected tuple, but hook returned 'Tensor'"
)
_REGISTERS = {"register_full_backward_hook", "register_backward_hook", "register_full_backward_pre_hook"}


def _hooks(source: SourceFile) -> list[cst.FunctionDef]:
    """The functions this file registers as module backward hooks, found by name."""
    names = set()
    for call in descendants(source.module, cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in _REGISTERS and call.args:
            hook = call.args[0].value
            if isinstance(hook, cst.Name):
                names.add(hook.value)
            elif isinstance(hook, cst.Attribute):
                names.add(hook.attr.value)  # self._scale: a method of the class
    return [f for f in descendants(source.module, cst.FunctionDef) if f.name.value in names]


def _bare_returns(function: cst.FunctionDef) -> list[cst.Return]:
    """Its own returns (not those of functions inside it) that give a single value."""
    found = []

    class Returns(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> Optional[bool]:
            return node is function

        def visit_Lambda(self, node: cst.Lambda) -> Optional[bool]:
            return False

        def visit_Return(self, node: cst.Return) -> None:
            value = node.value
            if value is None or isinstance(value, (cst.Tuple, cst.List)) or (isinstance(value, cst.Name) and value.value == "None"):
                return
            found.append(node)

    function.visit(Returns())
    return found


class BackwardHookReturnsTensor(Rule):
    code = "GF078"
    title = "module backward hook returns a tensor, not a tuple"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        match = _MESSAGE.search(crash.message) if crash is not None else None
        if crash is None or crash.site is None or match is None:
            return []
        edits: dict[str, list[Edit]] = {}
        named: list[str] = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for hook in _hooks(source):
                returns = _bare_returns(hook)
                if not returns:
                    continue
                named.append(hook.name.value)
                for node in returns:
                    value = node.value
                    assert value is not None
                    one = cst.Tuple([cst.Element(value.with_changes(lpar=[], rpar=[]) if hasattr(value, "lpar") else value, comma=cst.Comma())])
                    edits.setdefault(path, []).append(source.replace_node(value, one))
        if not named:
            return []
        candidates: list[Candidate] = [
            self.candidate(f"return a one-element tuple from {', '.join(f'`{n}`' for n in named)}", path, found)
            for path, found in edits.items()
        ]
        message = (
            f"the script crashed: {crash.type}: the backward hook {', '.join(f'`{n}`' for n in named)} returns a tensor, "
            f"and torch reads it as one {match['what'] or 'grad_input'} per row or refuses it; a module backward hook returns None or a tuple; nothing trains"
        )
        params = trace.meant_to_train()
        return [self.finding(project, crash.site, message, params, candidates, blocking=True)]
