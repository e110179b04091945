"""GF068: a closure made in a loop reads a name the loop rebinds, so every one made there uses its
last value.

Python looks a closure's free names up when it is called, not when it is made. Hooks registered in
a loop (``p.register_hook(lambda grad: grad * scale)``, ``layer.register_forward_hook(lambda m, i,
o: o * mask)``), learning-rate lambdas built per parameter group (``lambdas.append(lambda step:
mult * warmup(step))``, ``LambdaLR(opt, [lambda e: m * gamma ** e for m in mults])``), and
callbacks kept in a list or dict are all called after the loop has ended: each of them reads
``scale``, ``mask`` or ``mult`` as the loop left it. When that last value is a 0 (a frozen layer's
gradient scale, a frozen group's rate), every parameter the closures touch gets a zero gradient or a
zero learning rate and stays as it was; when it has another shape, the first call crashes.

The evidence comes from the run: parameters an optimizer holds, that require grad, and that ended
unchanged with a gradient that was zero at every step (or none, though a loss reached them), or at
a learning rate of 0 at the last step, or with gradients while their own optimizer never stepped
and others did (optimizer-in-backward: every hook steps the last optimizer); or a crash inside such
a closure. gradfix then looks, in the files of the run, for a ``lambda`` or a nested ``def`` made
inside a ``for`` or ``while`` loop or a comprehension that reads a name the loop binds (its target,
or a name assigned in its body), and that the loop stores to call later: passed to a
``register_*hook`` call, to ``LambdaLR`` / ``MultiplicativeLR``, to ``append`` / ``extend`` /
``insert`` / ``setdefault`` / ``update`` / ``add``, put into a subscript or an attribute, made as a
comprehension's element, or registered by its decorator. Not flagged: a closure that reads only
its arguments, constants, or names the loop does not rebind; one that already binds the name (a
default argument, ``functools.partial``, a factory function that returns it); one called in the
same iteration; a hook whose handle the same iteration removes.

The fix binds each such name when the closure is made, as a default argument:
``lambda grad, scale=scale: grad * scale``, ``def hook(grad, scale=scale):``. The source suggests
the fault and only the re-run proves it (a conjecture, dropped without a word when no candidate
verifies): the parameters that were stuck must now train. Those the fix leaves unchanged are the
ones whose own value keeps them so (the scale of 0 that was meant for them alone).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional, Union

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import ParamFact, Trace
from gradfix.verify import describe_crash, judge

Closure = Union[cst.Lambda, cst.FunctionDef]
Loop = Union[cst.For, cst.While, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp]
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)

# Calls that keep what they are given, to call it later: torch's hook registrations, and the
# containers' own ways of taking an element.
_REGISTERING = frozenset({
    "register_hook", "register_post_accumulate_grad_hook", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook", "register_backward_hook",
    "register_step_pre_hook", "register_step_post_hook", "register_load_state_dict_post_hook",
})
_KEEPING = frozenset({"append", "extend", "insert", "setdefault", "update", "add"})
# Schedulers that call the functions they are given at every step().
_SCHEDULERS = frozenset({
    "torch.optim.lr_scheduler.LambdaLR", "torch.optim.lr_scheduler.MultiplicativeLR",
})


@dataclass
class LateBound:
    """A closure made in a loop that reads names the loop rebinds, stored to be called later."""

    source: SourceFile
    closure: Closure
    loop: Loop
    names: list[str]  # the names it reads late, in the order it reads them
    kept_by: str  # what keeps it: `register_hook`, `LambdaLR`, `append`, a comprehension ...


def _loops_around(source: SourceFile, closure: Closure) -> list[Loop]:
    """The loops of the closure's own scope whose every iteration makes it again: the closure is in
    a ``for``/``while`` body or a comprehension's element, with no function between them."""
    loops: list[Loop] = []
    child: cst.CSTNode = closure
    for ancestor in source.ancestors(closure):
        if isinstance(ancestor, (cst.For, cst.While)) and child is ancestor.body:
            loops.append(ancestor)
        elif isinstance(ancestor, _COMPREHENSIONS):
            made = [ancestor.key, ancestor.value] if isinstance(ancestor, cst.DictComp) else [ancestor.elt]
            if any(child is part for part in made):
                loops.append(ancestor)
            break  # a comprehension is a scope of its own
        elif isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            break
        child = ancestor
    return loops


def _inside(source: SourceFile, node: cst.CSTNode, outer: cst.CSTNode) -> bool:
    return node is outer or any(a is outer for a in source.ancestors(node))


def _in_loop(source: SourceFile, node: cst.CSTNode, loop: Loop) -> bool:
    """Whether a binding is the loop's: its target, its body, a comprehension's clauses."""
    if isinstance(loop, cst.For):
        return _inside(source, node, loop.target) or _inside(source, node, loop.body)
    if isinstance(loop, cst.While):
        return _inside(source, node, loop.body)
    return _inside(source, node, loop)


class _Accesses:
    """Each name read in a file, with the bindings libcst's scope analysis resolves it to."""

    def __init__(self, source: SourceFile):
        self.scopes = source.scopes
        self.of: dict[cst.CSTNode, object] = {}
        for scope in {s for s in self.scopes.values() if s is not None}:
            for access in scope.accesses:
                self.of[access.node] = access

    def late_names(self, source: SourceFile, closure: Closure, loops: list[Loop]) -> tuple[list[str], Optional[Loop]]:
        """The names the closure's body reads that one of the loops rebinds, in the scope the
        closure is made in; and the innermost such loop."""
        home = self.scopes.get(closure)
        names: list[str] = []
        rebinding: Optional[Loop] = None
        for name in descendants(closure.body, cst.Name):
            access = self.of.get(name)
            if access is None or name.value in names:
                continue
            for loop in loops:
                if any(
                    binding.scope is home and isinstance(binding.node, cst.CSTNode) and _in_loop(source, binding.node, loop)
                    for binding in access.referents  # type: ignore[attr-defined]
                ):
                    names.append(name.value)
                    rebinding = rebinding or loop
                    break
        return names, rebinding


def _kept_by(source: SourceFile, node: cst.CSTNode, loop: Loop, depth: int = 0) -> Optional[str]:
    """What keeps ``node`` (a closure, or a name bound to one) to call it after this iteration."""
    child = node
    for parent in source.ancestors(node):
        if isinstance(parent, (cst.Element, cst.List, cst.Tuple, cst.Set, cst.DictElement, cst.Dict)):
            if isinstance(parent, cst.DictElement) and child is parent.key:
                return None
            child = parent
            continue
        if isinstance(parent, _COMPREHENSIONS):
            made = [parent.key, parent.value] if isinstance(parent, cst.DictComp) else [parent.elt]
            return "a comprehension" if any(child is part for part in made) else None
        if isinstance(parent, cst.Arg):
            call = source.parent(parent)
            if not isinstance(call, cst.Call):
                return None
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in _REGISTERING | _KEEPING:
                if func.attr.value in _REGISTERING and _removed_in_iteration(source, call, loop):
                    return None
                return func.attr.value
            if source.qualified_names(func) & _SCHEDULERS:
                return "LambdaLR" if "LambdaLR" in source.code(func) else "MultiplicativeLR"
            return None
        if isinstance(parent, cst.Assign) and child is parent.value:
            for target in parent.targets:
                if isinstance(target.target, (cst.Subscript, cst.Attribute)):
                    return "an assignment"
                if isinstance(target.target, cst.Name) and depth < 2:
                    kept = _kept_through_name(source, target.target.value, parent, loop, depth + 1)
                    if kept is not None:
                        return kept
            return None
        return None
    return None


def _kept_through_name(source: SourceFile, name: str, binding: cst.CSTNode, loop: Loop, depth: int) -> Optional[str]:
    """A closure bound to a plain name (``hook = lambda ...``, ``def hook``): what keeps it, by the
    uses of that name later in the same loop body."""
    if not isinstance(loop, (cst.For, cst.While)):
        return None
    after = source.range(binding).end
    for use in descendants(loop.body, cst.Name):
        if use.value != name or use is binding or _inside(source, use, binding):
            continue
        where = source.range(use).start
        if (where.line, where.column) < (after.line, after.column):
            continue
        kept = _kept_by(source, use, loop, depth)
        if kept is not None:
            return kept
    return None


def _removed_in_iteration(source: SourceFile, call: cst.Call, loop: Loop) -> bool:
    """``h = layer.register_forward_hook(...)`` and ``h.remove()`` in the same iteration: the hook
    runs only while the name it reads holds this iteration's value."""
    statement = source.statement_of(call)
    if not isinstance(statement, cst.SimpleStatementLine) or not isinstance(loop, (cst.For, cst.While)):
        return False
    handles = {
        t.target.value for small in statement.body if isinstance(small, cst.Assign)
        for t in small.targets if isinstance(t.target, cst.Name)
    }
    for other in descendants(loop.body, cst.Call):
        func = other.func
        if (
            isinstance(func, cst.Attribute) and func.attr.value == "remove"
            and isinstance(func.value, cst.Name) and func.value.value in handles
        ):
            return True
    return False


def _decorated_by_registration(closure: Closure) -> bool:
    """``@layer.register_forward_hook`` over a ``def``: registered where it is made."""
    if not isinstance(closure, cst.FunctionDef):
        return False
    return any(
        isinstance(d.decorator, cst.Attribute) and d.decorator.attr.value in _REGISTERING for d in closure.decorators
    )


def find_late_bound(source: SourceFile) -> list[LateBound]:
    """Every closure of the file made in a loop, reading a name that loop rebinds, kept for later."""
    closures: list[Closure] = [*descendants(source.module, cst.Lambda), *descendants(source.module, cst.FunctionDef)]
    if not closures:
        return []
    accesses: Optional[_Accesses] = None
    found = []
    for closure in closures:
        loops = _loops_around(source, closure)
        if not loops:
            continue
        accesses = accesses or _Accesses(source)
        names, loop = accesses.late_names(source, closure, loops)
        if not names or loop is None:
            continue
        if isinstance(closure, cst.FunctionDef):
            kept = "register decorator" if _decorated_by_registration(closure) else _kept_through_name(
                source, closure.name.value, closure, loops[0], 1,
            )
        else:
            kept = _kept_by(source, closure, loops[0])
        if kept is not None:
            found.append(LateBound(source, closure, loop, names, kept))
    found.sort(key=lambda late: (source.range(late.closure).start.line, source.range(late.closure).start.column))
    return found


def _has_params(params: cst.Parameters) -> bool:
    return bool(
        params.params or params.posonly_params or params.kwonly_params or params.star_kwarg
        or isinstance(params.star_arg, (cst.Param, cst.ParamStar))
    )


def _bound_early(late: LateBound) -> Edit:
    """The edit that makes the closure take each late name as a default argument: ``lambda grad,
    scale=scale: ...``; the parameter list alone is rewritten when there is one."""
    closure, source = late.closure, late.source
    params = closure.params
    no_space = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    new = [cst.Param(cst.Name(name), default=cst.Name(name), equal=no_space) for name in late.names]
    if isinstance(params.star_arg, (cst.Param, cst.ParamStar)) or params.kwonly_params:
        bound = params.with_changes(kwonly_params=[*params.kwonly_params, *new])
    else:
        existing = list(params.params)
        if existing and existing[-1].comma == cst.MaybeSentinel.DEFAULT:
            existing[-1] = existing[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        bound = params.with_changes(params=[*existing, *new])
    if _has_params(params):
        return source.replace_node(params, bound)
    if isinstance(closure, cst.Lambda):  # `lambda: x` has no space to put a parameter in
        return source.replace_node(closure, closure.with_changes(params=bound, whitespace_after_lambda=cst.SimpleWhitespace(" ")))
    return source.replace_node(closure, closure.with_changes(params=bound))


def _stuck(trace: Trace) -> list[tuple[ParamFact, str]]:
    """Parameters meant to train that the run left unchanged for a reason a closure could give:
    a gradient zero at every step, none though a loss reached them, a learning rate of 0 at the
    last step, or an optimizer of their own that never stepped while others did; with that reason."""
    stepped = {o.id: o for o in trace.optimizers if o.steps}
    changed_modules = {p.name.rsplit(".", 1)[0] for p in trace.params if p.changed}
    found = []
    for p in trace.params:
        if not p.optimizers or not p.requires_grad or not p.is_leaf or p.changed or p.lr_zero:
            continue
        held = [stepped[i] for i in p.optimizers if i in stepped]
        if not held:
            # Its own optimizer never stepped while others did: the hook or callback that was to
            # step it steps another one (optimizer-in-backward, one optimizer per parameter).
            if stepped and p.got_grad:
                found.append((p, "idle"))
            continue
        if any(o.initial_lr and o.lrs and o.lrs[-1] == 0 for o in held):
            found.append((p, "rate"))
        elif p.got_grad and not p.nonzero_grad and p.name.rsplit(".", 1)[0] not in changed_modules:
            found.append((p, "zero"))
        elif p.reached and not p.got_grad:
            found.append((p, "none"))
    return found


def _files(trace: Trace, project: Project) -> list[str]:
    """The files of the run the user can edit: the script, and where its modules, optimizers and
    schedulers were built."""
    sites = [m.site for m in trace.modules] + [o.site for o in trace.optimizers] + [s.site for s in trace.schedulers]
    files = [trace.script] + [s.file for s in sites if s is not None]
    if trace.crash is not None and trace.crash.site is not None:
        files.append(trace.crash.site.file)
    return [f for f in dict.fromkeys(files) if f and project.is_editable(f)]


_KEPT_BY = {
    "a comprehension": "made as a comprehension's element",
    "an assignment": "stored by an assignment",
    "register decorator": "registered by its decorator",
}
_SCHEDULER_NAMES = ("LambdaLR", "MultiplicativeLR")

_WHY = {
    "zero": "their gradients are zero at every step",
    "none": "a loss reaches them but no gradient arrives",
    "rate": "their learning rate is 0 at the last step",
    "idle": "they receive gradients, and the optimizers that hold them never step while others do",
}


class LateBoundClosure(Rule):
    code = "GF068"
    title = "closure made in a loop reads the loop's variable when it is called"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        stuck = _stuck(trace)
        crash = trace.crash.site if trace.crash is not None else None
        if not stuck and crash is None:
            return []
        late = [found for path in _files(trace, project) for found in find_late_bound(project.source(path))]
        if not late:
            return []
        crashed_in = [
            f for f in late
            if crash is not None and f.source.path == crash.file
            and f.source.range(f.closure).start.line <= crash.line <= f.source.range(f.closure).end.line
        ]
        if crashed_in:
            late = crashed_in + [f for f in late if f not in crashed_in]
        elif not stuck:
            return []
        first = late[0]
        what = "lambda" if isinstance(first.closure, cst.Lambda) else f"function `{first.closure.name.value}`"
        loop_line = first.source.range(first.loop).start.line
        names = " and ".join(f"`{n}`" for n in first.names)
        kept = _KEPT_BY.get(first.kept_by) or (
            f"passed to `{first.kept_by}`" if first.kept_by in _SCHEDULER_NAMES else f"passed to `.{first.kept_by}()`"
        )
        message = (
            f"the {what} made in the loop at line {loop_line} and {kept} reads {names} when it is called, "
            f"not when it is made: by then the loop has rebound {'it' if len(first.names) == 1 else 'them'}, "
            f"so every {'lambda' if what == 'lambda' else 'function'} made there uses the last value"
        )
        if len(late) > 1:
            others = ", ".join(f"line {f.source.range(f.closure).start.line}" for f in late[1:4])
            message += f" (so do the closures at {others})"
        params = [p.name for p, _ in stuck]
        if crashed_in:
            message += f"; the script crashes in it: {describe_crash(trace.crash)}"  # type: ignore[arg-type]
        else:
            kinds = list(dict.fromkeys(kind for _, kind in stuck))
            one = len(params) == 1
            message += (
                f"; {short_list(params)} {'is' if one else 'are'} held by an optimizer and never "
                f"{'changes' if one else 'change'}: " + "; ".join(_WHY[k] for k in kinds)
            )
        candidates = [self._bind(f) for f in late[:5]]
        if len(late) > 1:
            candidates.append(self._bind_all(late[:8]))
        finding = self.finding(project, first.source.site(first.closure), message, params, candidates, blocking=bool(crashed_in))
        # The source suggests it; only a re-run after which the stuck parameters train shows it.
        finding.conjecture = True
        return [finding]

    def _bind(self, late: LateBound) -> Candidate:
        names = ", ".join(f"{n}={n}" for n in late.names)
        line = late.source.range(late.closure).start.line
        return self.candidate(
            f"bind {names} as default argument{'s' if len(late.names) > 1 else ''} of the closure at line {line}: "
            "each one keeps the value of the iteration that made it",
            late.source.path, [_bound_early(late)],
        )

    def _bind_all(self, late: list[LateBound]) -> Candidate:
        """Every closure found, bound early together; a candidate edits one file, the first one's."""
        chosen = [found for found in late if found.source.path == late[0].source.path]
        lines = ", ".join(str(found.source.range(found.closure).start.line) for found in chosen)
        return self.candidate(
            f"bind the late names as default arguments in each of the closures at lines {lines}",
            late[0].source.path, [_bound_early(found) for found in chosen],
        )

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        """The parameters that were stuck train now; those that still do not are kept as they were
        by the value bound for them in their own iteration (a scale of 0 meant for them alone)."""
        if not finding.params or run.trace.crash is not None:
            return judge(finding, candidate, before, run)
        moved = [n for n in finding.params if (p := run.trace.param(n)) is not None and p.changed]
        if not moved:
            return judge(finding, candidate, before, run)
        verdict = judge(finding, dataclasses.replace(candidate, params=moved), before, run)
        still = [n for n in finding.params if n not in moved]
        if verdict.verified and still:
            one = len(still) == 1
            verdict.reason += (
                f"; {short_list(still)} {'stays' if one else 'stay'} unchanged with the value bound in "
                f"{'its' if one else 'their'} own iteration"
            )
        return verdict
