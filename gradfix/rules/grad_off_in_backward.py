"""GF034: a custom ``torch.autograd.Function``'s ``backward`` recomputes its forward and asks autograd
for the gradients, but inside ``backward()`` gradients are off.

autograd runs a Function's ``backward`` with grad mode disabled, so a recomputation there
(``y = (x * w).sum(-1)``, the usual way to avoid writing the gradient by hand, or to save memory)
builds no graph. ``torch.autograd.grad(y, x, ...)`` then raises "element 0 of tensors does not
require grad and does not have a grad_fn"; the common "fix" of marking ``y.requires_grad = True`` and
passing ``allow_unused=True`` silences it and every gradient comes back None: the parameters that
go through the Function never change.

The probe records every ``torch.autograd.grad`` call asked to differentiate an output with no
graph; gradfix finds the ``backward`` of an ``autograd.Function`` subclass around that line (or
around the crash). The fix is the one ``torch.utils.checkpoint`` uses: the recomputation (what
lies between fetching the tensors it differentiates for, ``x, w = ctx.saved_tensors``, and the
first ``autograd.grad`` call) runs under ``with torch.enable_grad():`` on detached copies of them
(``x = x.detach().requires_grad_()``), the hand-made ``requires_grad`` markings go, and every
``autograd.grad`` call that another one follows on the same graph keeps it (``retain_graph=True``).
The re-run judges: the parameters must now receive gradients and change.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import AUTOGRAD_FUNCTIONS, module_alias
from gradfix.trace import Site, Trace

_NO_GRAPH = "does not require grad and does not have a grad_fn"
_AUTOGRAD_GRAD = {"torch.autograd.grad"}


def _marked(statement: cst.BaseStatement) -> Optional[str]:
    """The name a statement marks by hand: ``y.requires_grad = True`` or ``y.requires_grad_()``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if (
            isinstance(target, cst.Attribute) and target.attr.value == "requires_grad"
            and isinstance(target.value, cst.Name)
            and isinstance(small.value, cst.Name) and small.value.value == "True"
        ):
            return target.value.value
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        func = small.value.func
        if isinstance(func, cst.Attribute) and func.attr.value == "requires_grad_" and isinstance(func.value, cst.Name):
            return func.value.value
    return None


def _names(node: cst.BaseExpression) -> list[str]:
    """``x`` or ``(x, w)`` / ``[x, w]``: the plain names among the tensors given."""
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, (cst.Tuple, cst.List)):
        return [e.value.value for e in node.elements if isinstance(e.value, cst.Name)]
    return []


def _targets(target: cst.BaseExpression) -> set[str]:
    """The plain names an assignment target binds: ``x``, ``x, w``, ``(x, *rest)``; not ``y.requires_grad``."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return set().union(*(_targets(e.value) for e in target.elements))
    if isinstance(target, cst.StarredElement):
        return _targets(target.value)
    return set()


def _bound(statement: cst.BaseStatement) -> set[str]:
    return {name for assign in descendants(statement, cst.AssignTarget) for name in _targets(assign.target)}


def _reads(statement: cst.BaseStatement, name: str) -> bool:
    """Whether the values a statement assigns read ``name`` (``x = x.view(...)``)."""
    return any(
        n.value == name
        for assign in descendants(statement, cst.Assign)
        for n in descendants(assign.value, cst.Name)
    )


def _ctx_read(statement: cst.BaseStatement, ctx: str) -> bool:
    """``scale = ctx.scale``, ``x, w = ctx.saved_tensors``: a plain read of what forward left on ctx."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if not isinstance(small, cst.Assign):
        return False
    value = small.value
    while isinstance(value, (cst.Attribute, cst.Subscript)):
        value = value.value
    return isinstance(value, cst.Name) and value.value == ctx


def _grad_inputs(call: cst.Call) -> Optional[cst.BaseExpression]:
    """What ``torch.autograd.grad(outputs, inputs, ...)`` differentiates for (positional or ``inputs=``)."""
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if len(positional) >= 2:
        return positional[1].value
    return next((arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == "inputs"), None)


class GradOffInBackward(Rule):
    code = "GF034"
    title = "custom `autograd.Function.backward` differentiates a recomputation while gradients are off"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        sites = list(trace.graphless_grads)
        crashed = trace.crash is not None and trace.crash.site is not None and _NO_GRAPH in trace.crash.message
        if crashed:
            assert trace.crash is not None and trace.crash.site is not None
            sites.append(trace.crash.site)
        findings: list[Finding] = []
        seen: set[tuple[str, int]] = set()
        for site in sites:
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            found = self._backward_at(source, site)
            if found is None:
                continue
            cls, backward = found
            key = (site.file, source.range(backward).start.line)
            if key in seen:
                continue
            seen.add(key)
            # Without a crash, the loss is what went through the Function: the parameters it
            # reached that ended as they were.
            params = [
                p.name for p in trace.params
                if p.reached and p.requires_grad and p.is_leaf and (crashed or not p.changed)
                and (p.optimizers or not trace.optimizers)  # not an input the backward marked by hand
            ]
            if not params and not crashed:
                continue
            outcome = "autograd.grad raises" if crashed else "every gradient it returns is None"
            message = (
                f"{cls.name.value}.backward recomputes its forward and differentiates it with "
                f"torch.autograd.grad, but autograd runs backward() with gradients off: the "
                f"recomputation has no graph, so {outcome}"
            )
            candidate = self._candidate(source, site.file, backward)
            findings.append(
                self.finding(project, source.site(backward.name), message, params, [candidate] if candidate else [], blocking=crashed)
            )
        return findings

    @staticmethod
    def _backward_at(source: SourceFile, site: Site) -> Optional[tuple[cst.ClassDef, cst.FunctionDef]]:
        """The ``backward`` of an autograd.Function subclass whose body holds the line."""
        for cls in descendants(source.module, cst.ClassDef):
            if not isinstance(cls.body, cst.IndentedBlock):
                continue
            for method in cls.body.body:
                if not (isinstance(method, cst.FunctionDef) and method.name.value == "backward"):
                    continue
                where = source.range(method)
                if where.start.line <= site.line <= where.end.line and source.subclasses(cls, AUTOGRAD_FUNCTIONS):
                    return cls, method
        return None

    def _candidate(self, source: SourceFile, path: str, backward: cst.FunctionDef) -> Optional[Candidate]:
        torch = module_alias(source, "torch")
        if torch is None:  # `import torch.autograd as ag` alone: ag.enable_grad() is the same switch
            autograd = module_alias(source, "torch.autograd")
            torch = autograd if autograd is not None and all(part.isidentifier() for part in autograd.split(".")) else None
        if torch is None or not isinstance(backward.body, cst.IndentedBlock):
            return None
        body = list(backward.body.body)
        grads = [
            call for call in descendants(backward, cst.Call) if source.qualified_names(call.func) & _AUTOGRAD_GRAD
        ]
        if not grads:
            return None
        first = next(
            (i for i, statement in enumerate(body) if any(call is grads[0] for call in descendants(statement, cst.Call))),
            None,
        )
        if first is None:
            return None
        params = [p.name.value for p in backward.params.params]
        ctx = params[0] if params else "ctx"
        wanted: list[str] = []
        for call in grads:
            given = _grad_inputs(call)
            if given is not None:
                wanted += [n for n in _names(given) if n not in wanted]
        # The recomputation starts after the statement that fetches the tensors it differentiates
        # for (``x, w = ctx.saved_tensors``), and after plain reads of ctx that follow it
        # (``scale = ctx.scale``); a statement that reshapes an input (``x = x.view(...)``), or that
        # reads ctx inside the recomputation (``* ctx.eps``), belongs to it.
        fetches = [
            i for i in range(first)
            if _marked(body[i]) is None and any(n in _bound(body[i]) and not _reads(body[i], n) for n in wanted)
        ]
        lead = max(fetches, default=-1)
        while lead + 1 < first and _ctx_read(body[lead + 1], ctx) and not (_bound(body[lead + 1]) & set(wanted)):
            lead += 1
        block = body[lead + 1 : first]
        recompute = [s for s in block if _marked(s) is None]
        if not recompute:
            return None
        earlier = set().union(*(_bound(s) for s in body[: lead + 1] if _marked(s) is None)) | set(params[1:])
        inputs = [n for n in wanted if n in earlier]
        if not inputs or not all(n.isidentifier() for n in inputs):
            return None
        # Re-indented by the file's own unit, statement by statement, comments kept.
        unit = source.module.default_indent
        indent = source.indentation(source.range(block[0]).start.line)
        lines = [f"{indent}with {torch}.enable_grad():\n"]
        lines += [f"{indent}{unit}{name} = {name}.detach().requires_grad_()\n" for name in inputs]
        for statement in recompute:
            start, end = source.statement_lines(statement, with_comments=True)
            for line in source.text[start:end].splitlines(keepends=True):
                lines.append(unit + line if line.strip() else line)
        first_start, _ = source.statement_lines(block[0], with_comments=True)
        _, last_end = source.statement_lines(block[-1], with_comments=True)
        edits = [Edit(source.position(first_start), source.position(last_end), "".join(lines))]
        # The first autograd.grad frees the graph; a later one on the same graph needs it kept.
        for call in grads[:-1]:
            if any(arg.keyword is not None and arg.keyword.value == "retain_graph" for arg in call.args):
                continue
            keep = cst.Arg(
                value=cst.Name("True"), keyword=cst.Name("retain_graph"),
                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
            )
            args = list(call.args)
            if args and args[-1].comma == cst.MaybeSentinel.DEFAULT:
                args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            edits.append(source.replace_node(call, call.with_changes(args=[*args, keep])))
        unmarked = [_marked(s) for s in block if _marked(s) is not None]
        what = f"recompute under {torch}.enable_grad() on detached {', '.join(inputs)}"
        if unmarked:
            what += f", drop the hand-made requires_grad on {', '.join(dict.fromkeys(n for n in unmarked if n))}"
        return self.candidate(what, path, edits)
