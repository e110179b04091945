"""GF113: a module swapped in by rebinding the loop variable of ``for name, module in
model.named_modules():`` (``module = LoRALinear(module)``, ``module = lora_mha``). The name now
points at the new module, but the model still holds the old one: the new module never runs, its
parameters (the LoRA matrices, the adapter) never get a gradient and never change, and the model
trains as it was, or not at all once its own weights were frozen. Nothing raises.

The evidence is the run's: a module built inside such a loop that never ran. The fix keeps the
assignment and puts the module where the loop found the old one: ``setattr`` on its parent (found
with ``get_submodule`` from the dotted name; for ``named_children()`` the model itself), over a
``list(...)`` of the modules so that the walk does not descend into what it has just replaced.
The re-run decides: every module built in the loop must now run with gradients on, and its
trainable parameters must get gradients and change. Unsafe: the model now runs the new modules,
which is what the loop was written for.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit, Position
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import ModuleFact, Trace
from gradfix.verify import judge

_WALKS = {"named_modules", "named_children"}


def _walk(loop: cst.For) -> Optional[tuple[cst.Call, str, str, bool]]:
    """``for name, module in X.named_modules()`` (or ``list(...)`` of it): the walk's call, the two
    names, and whether it is already a list."""
    it, listed = loop.iter, False
    if isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value == "list" and len(it.args) == 1:
        it, listed = it.args[0].value, True
    if not (isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and it.func.attr.value in _WALKS):
        return None
    target = loop.target
    if not (isinstance(target, cst.Tuple) and len(target.elements) == 2):
        return None
    name, module = (e.value for e in target.elements)
    if not (isinstance(name, cst.Name) and isinstance(module, cst.Name)):
        return None
    return it, name.value, module.value, listed


def _params_of(trace: Trace, module: ModuleFact) -> list[str]:
    """A module's parameters: by its id at the root, by its path inside a model."""
    own = [p.name for p in trace.params_of(module.id)]
    return own or [p.name for p in trace.params if module.path and p.name.startswith(f"{module.path}.")]


def _free(source: SourceFile, wanted: str) -> str:
    taken = source.bindings
    return next(n for n in (wanted, f"{wanted}_", f"{wanted}_name") if n not in taken)


class LoopVariableRebound(Rule):
    code = "GF113"
    title = "module swapped in by rebinding a loop variable, never put in the model"
    applicability = Applicability.UNSAFE

    def __init__(self) -> None:
        super().__init__()
        self._loops: dict[int, tuple[str, int, int, frozenset[str]]] = {}

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        never_ran = [m for m in trace.modules if m.site is not None and not m.ran_with_grad and not m.ran_without_grad]
        if not never_ran:
            return []
        findings = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for loop in descendants(source.module, cst.For):
                finding = self._finding(trace, project, source, loop, never_ran)
                if finding is not None:
                    findings.append(finding)
        return findings

    def _finding(self, trace: Trace, project: Project, source: SourceFile, loop: cst.For, never_ran: list[ModuleFact]) -> Optional[Finding]:
        walk = _walk(loop)
        if walk is None:
            return None
        call, name, module, listed = walk
        span = source.range(loop)
        built = [m for m in never_ran if m.site.file == source.path and span.start.line <= m.site.line <= span.end.line]  # type: ignore[union-attr]
        rebinds = [
            a for a in descendants(loop.body, cst.Assign)
            if len(a.targets) == 1 and isinstance(a.targets[0].target, cst.Name) and a.targets[0].target.value == module
        ]
        # Built by a factory (`build_adapter(module, cfg)`, `LSQConv2d.from_float(module)`), the new
        # module's site is the factory's: any module that never ran may be it, the re-run decides.
        conjecture = not built
        if conjecture:
            built = [m for m in never_ran if trace.params_of(m.id) or any(p.name.startswith("<") for p in trace.params)]
        if not built or not rebinds:
            return None
        # `module = LoRA(module)` then `module = module.to(device)`: the module is in place after the last
        assign = rebinds[-1]
        line = source.parent(assign)
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None
        assert isinstance(call.func, cst.Attribute)
        root = source.code(call.func.value)
        at = source.range(line)
        indent = source.indentation(at.start.line)
        if call.func.attr.value == "named_children":
            put = f"{indent}setattr({root}, {name}, {module})\n"
        else:
            parent, attr = _free(source, "parent_name"), _free(source, "attr")
            put = (
                f'{indent}{parent}, _, {attr} = {name}.rpartition(".")\n'
                f"{indent}setattr({root}.get_submodule({parent}), {attr}, {module})\n"
            )
        edits = [source.insert_lines(at.end.line + 1, put)]
        if not listed:
            where = source.range(call)
            edits.append(Edit(Position(where.start.line, where.start.column), Position(where.end.line, where.end.column), f"list({source.code(call)})"))
        params = [n for m in built for n in _params_of(trace, m)]
        kinds = sorted({m.cls.rsplit(".", 1)[-1] for m in built})
        candidate = self.candidate(f"put `{module}` into `{root}` where the loop found the module it replaces", source.path, edits, [])
        message = (
            f"`{source.code(assign)}` (line {at.start.line}) rebinds the loop variable of `for {name}, {module} in "
            f"{source.code(call)}`: the model still holds the module it found, so what the loop built ({', '.join(kinds)}) "
            "never runs" + (", and its parameters never get a gradient" if params else "")
        )
        finding = self.finding(project, source.site(assign), message, [], [candidate])
        finding.conjecture = conjecture
        # the script's own classes: torch's (the Linear inside an adapter) are everywhere in the model
        self._loops[id(finding)] = (source.path, span.start.line, span.end.line, frozenset(m.cls for m in built if not m.cls.startswith("torch.")))
        return finding

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        loop = self._loops.get(id(finding))
        if not verdict.verified or loop is None or run.trace.crash is not None:
            return verdict
        path, first, last, classes = loop
        after = run.trace
        # the loop grew by the lines the fix added after the rebinding; a factory's modules are
        # known by their classes
        built = [
            m for m in after.modules
            if m.site is not None and (m.site.file == path and first <= m.site.line <= last + 2 or m.cls in classes)
        ]
        idle = [m.cls.rsplit(".", 1)[-1] for m in built if not m.ran_with_grad]
        if not built or idle:
            return Verdict(False, f"the {', '.join(idle) or 'modules'} built in the loop still never run")
        held = [p for m in built for n in _params_of(after, m) if (p := after.param(n)) is not None and p.requires_grad]
        stuck = [p.name for p in held if not (p.got_grad and (p.changed or not after.steps))]
        if stuck:
            return Verdict(False, f"{short_list(stuck)} run but never train")
        trained = [p.name for p in held]
        return Verdict(True, f"the modules built in the loop now run; {short_list(trained) if trained else 'they'} now train", trained)
