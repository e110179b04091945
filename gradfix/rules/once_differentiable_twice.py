"""GF076: a custom ``torch.autograd.Function`` whose ``backward`` is marked
``@once_differentiable``, differentiated twice: a loss built from a gradient taken with
``create_graph=True`` (an eikonal or gradient-penalty term, forces from an energy, MAML's inner
step) needs the second derivative through it, and ``loss.backward()`` raises "trying to
differentiate twice a function that was marked with @once_differentiable"; nothing trains.

The decorator runs ``backward`` under ``no_grad`` and refuses a second derivative. Fused kernels
ported to Python (a hash-grid encoding, a trilinear lookup) carry it over from their CUDA bindings,
where the backward really was a kernel. When the body is written in torch operations, autograd can
differentiate it as it is.

The crash is read from the run (torch's own message). The rule finds, in the files that built the
run's modules or raised, the Functions whose ``backward`` has the decorator, and proposes removing
it, for each of them and for all together; the re-run decides. A body that leaves torch's graph on
its own (``.numpy()``, ``.item()``, ``.detach()``, ``.data``, ``torch.no_grad()``) would give a
wrong second derivative without an error: that Function is reported without a fix. It is unsafe:
the second-order terms now flow through a hand-written backward nobody checked twice.
"""

from __future__ import annotations

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import AUTOGRAD_FUNCTIONS
from gradfix.trace import Trace

_MESSAGE = "trying to differentiate twice a function that was marked with @once_differentiable"
_DECORATOR = {"torch.autograd.function.once_differentiable", "torch.autograd.once_differentiable"}
# What takes a value out of the graph inside a backward: its second derivative would be wrong, silently.
_LEAVES_GRAPH = {"numpy", "item", "tolist", "detach", "data", "detach_"}


def _marked_backward(source: SourceFile, cls: cst.ClassDef) -> "tuple[cst.FunctionDef, cst.Decorator] | None":
    if not isinstance(cls.body, cst.IndentedBlock):
        return None
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "backward":
            for decorator in statement.decorators:
                if source.qualified_names(decorator.decorator) & _DECORATOR:
                    return statement, decorator
    return None


def _leaves_graph(source: SourceFile, method: cst.FunctionDef) -> bool:
    if any(a.attr.value in _LEAVES_GRAPH for a in descendants(method.body, cst.Attribute)):
        return True
    return any(source.qualified_names(c.func) & {"torch.no_grad", "torch.inference_mode"} for c in descendants(method.body, cst.Call))


class OnceDifferentiableTwice(Rule):
    code = "GF076"
    title = "@once_differentiable backward differentiated twice"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message:
            return []
        candidates: list[Candidate] = []
        marked: list[str] = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for cls in descendants(source.module, cst.ClassDef):
                if not source.subclasses(cls, AUTOGRAD_FUNCTIONS):
                    continue
                found = _marked_backward(source, cls)
                if found is None:
                    continue
                method, decorator = found
                marked.append(cls.name.value)
                if _leaves_graph(source, method):
                    continue
                where = source.range(decorator)
                edit = source.remove_lines(where.start.line, where.end.line)
                candidates.append(self.candidate(
                    f"remove `@once_differentiable` from `{cls.name.value}.backward`: its torch operations are differentiated as they are",
                    path, [edit],
                ))
        if not marked:
            return []
        together = self.together(candidates, f"remove `@once_differentiable` from all {len(candidates)} of them")
        if together is not None:
            candidates.append(together)
        listed = ", ".join(f"`{name}.backward`" for name in marked)
        message = (
            f"the script crashed: {crash.type}: a loss built from a gradient taken with create_graph=True needs the second "
            f"derivative through {listed}, which `@once_differentiable` refuses; nothing trains"
        )
        params = trace.meant_to_train()
        return [self.finding(project, crash.site, message, params, candidates, blocking=True)]
