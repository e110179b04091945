"""GF103: a custom ``torch.autograd.Function`` run inside ``torch.autocast`` without
``torch.amp.custom_fwd`` / ``custom_bwd``: its hand-written math mixes the dtypes autocast chose
with its own, "expected m1 and m2 to have the same dtype, but got: c10::BFloat16 != float" (or
"expected scalar type Half but found Float"). The first training step fails; nothing trains.

Autocast casts inside ``forward`` (an ``F.linear`` there returns bfloat16), but ``backward`` runs
outside the region, with autocast off: it multiplies a bfloat16 ``grad_output`` by the float32
weights it saved, and the matmul refuses. PyTorch's remedy is the pair of decorators made for
this: ``@torch.amp.custom_fwd(device_type=...)`` on ``forward`` and
``@torch.amp.custom_bwd(device_type=...)`` on ``backward``, which run ``backward`` under the same
autocast state ``forward`` saw.

The evidence is the run's: the script crashed with a dtype mismatch at a line inside a
``forward`` or ``backward`` of a Function subclass in the user's files, and the user's files
open an autocast region. The fix decorates both methods, below ``@staticmethod``, with the device
the autocast call names (a string, from any of the run's files; an expression as written, when
it can be read where the class is defined: a name bound at module level before the class), then
the device the script would pick itself (``"cuda" if torch.cuda.is_available() else "cpu"``,
right on the user's GPU machine and on a CPU one), then ``"cpu"``; the re-run picks the first
after which the crash is gone and the Function's parameters train. On a machine without a GPU, a
script that picks CUDA when it is there runs its CUDA path on the CPU (its autocast region and
decorators for ``"cuda"`` included, but only when such a region was opened): what verifies here
is what the user's GPU machine needs. Safe: outside autocast the decorators do nothing.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.rules import _imported_beside
from gradfix.torch_api import module_alias, spelled_or_imported
from gradfix.trace import Trace

_MISMATCH = (
    "to have the same dtype", "must have the same dtype", "expected scalar type", "Found dtype",
    "expected both vectors to have same dtype", "should be the same",
)
# autocast callers and the device each one implies (None: the call names it, first argument)
_AUTOCASTS = {
    "torch.autocast": None, "torch.amp.autocast": None, "torch.amp.autocast_mode.autocast": None,
    "torch.cuda.amp.autocast": '"cuda"', "torch.cpu.amp.autocast": '"cpu"',
}
_FUNCTION_BASES = {"torch.autograd.Function", "torch.autograd.function.Function"}


def _function_class(source: SourceFile, line: int) -> Optional[cst.ClassDef]:
    """The Function subclass whose ``forward`` or ``backward`` holds ``line``."""
    for cls in descendants(source.module, cst.ClassDef):
        if not any(source.qualified_names(base.value) & _FUNCTION_BASES for base in cls.bases):
            continue
        for method in _methods(cls).values():
            where = source.range(method)
            if where.start.line <= line <= where.end.line:
                return cls
    return None


def _methods(cls: cst.ClassDef) -> dict[str, cst.FunctionDef]:
    return {
        f.name.value: f for f in cls.body.body
        if isinstance(f, cst.FunctionDef) and f.name.value in ("forward", "backward")
    }


def _decorated(source: SourceFile, method: cst.FunctionDef) -> bool:
    return any(
        name.endswith((".custom_fwd", ".custom_bwd")) for d in method.decorators
        for name in source.qualified_names(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
    )


def _readable_at(source: SourceFile, expression: cst.BaseExpression, cls: cst.ClassDef) -> bool:
    """Whether ``expression`` (``device.type``, ``"cuda"``) can be evaluated where the class is
    defined: a string, or rooted in a name bound at the module's top level before the class."""
    if isinstance(expression, cst.SimpleString):
        return True
    root = expression
    while isinstance(root, cst.Attribute):
        root = root.value
    if not isinstance(root, cst.Name):
        return False
    before = source.range(cls).start.line
    for statement in source.module.body:
        if source.range(statement).start.line >= before or not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and any(
                isinstance(t.target, cst.Name) and t.target.value == root.value for t in small.targets
            ):
                return True
    return False


class FunctionUnderAutocast(Rule):
    code = "GF103"
    title = "custom autograd.Function under autocast without custom_fwd/custom_bwd"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or not any(m in crash.message for m in _MISMATCH):
            return []
        if not project.is_editable(crash.site.file):
            return []
        source = project.source(crash.site.file)
        cls = _function_class(source, crash.site.line)
        if cls is None:
            return []
        methods = _methods(cls)
        if set(methods) != {"forward", "backward"} or any(_decorated(source, m) for m in methods.values()):
            return []
        devices = self._devices(trace, project, source, cls)
        if not devices:
            return []
        candidates = [c for device in devices if (c := self._candidate(source, cls, methods, device)) is not None]
        message = (
            f"the script crashed: {crash.type}: {crash.message}; `{cls.name.value}` runs inside an autocast region, whose "
            "casts reach its forward but not its backward (which runs with autocast off), so its hand-written math mixes "
            "low-precision and float32 tensors; nothing trains"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]

    def _devices(self, trace: Trace, project: Project, source: SourceFile, cls: cst.ClassDef) -> list[str]:
        """The device types to try: the autocast calls' own (a string from any of the run's files;
        an expression as written, where the class can read it), then the device the script would
        pick itself, CUDA when there is one (right on the user's GPU machine and on a CPU one)."""
        found: list[str] = []
        opened = False
        script = [trace.script] if project.is_editable(trace.script) else []
        files = [*self.crash_files(trace, project), *script, *(p for s in script for p in _imported_beside(project, s))]
        for path in dict.fromkeys(files):
            other = project.source(path)
            for call in descendants(other.module, cst.Call):
                names = other.qualified_names(call.func) & set(_AUTOCASTS)
                if not names:
                    continue
                opened = True
                implied = _AUTOCASTS[next(iter(names))]
                if implied is not None:
                    found.append(implied)
                    continue
                given = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "device_type"), None)
                if given is None and call.args and call.args[0].keyword is None:
                    given = call.args[0].value
                if isinstance(given, cst.SimpleString):
                    found.append(other.code(given))
                elif given is not None and other is source and _readable_at(source, given, cls):
                    found.append(source.code(given))
        if not opened:
            return []
        torch_name = module_alias(source, "torch.cuda.is_available") or "torch.cuda.is_available"
        return list(dict.fromkeys([*found, f'"cuda" if {torch_name}() else "cpu"', '"cpu"']))

    def _candidate(self, source: SourceFile, cls: cst.ClassDef, methods: dict[str, cst.FunctionDef], device: str) -> Optional[Candidate]:
        edits: list[Edit] = []
        shown = []
        for name, decorator in (("forward", "custom_fwd"), ("backward", "custom_bwd")):
            spelled, imports = spelled_or_imported(source, f"torch.amp.{decorator}")
            edits += [] if shown else imports
            line = source.range(methods[name].name).start.line  # the `def` line: below its other decorators
            edits.append(source.insert_lines(line, f"{source.indentation(line)}@{spelled}(device_type={device})\n"))
            shown.append(f"`@{spelled}(device_type={device})` on {name}")
        return self.candidate(
            f"decorate `{cls.name.value}` with {' and '.join(shown)}: its backward runs under the autocast state its forward saw",
            source.path, edits,
        )
