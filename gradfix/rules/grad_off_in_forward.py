"""GF069: a custom ``torch.autograd.Function``'s ``forward`` differentiates something (an inner
optimisation, an energy's gradient, a fixed-point solve), but inside ``forward()`` gradients are off.

autograd runs a Function's ``forward`` with grad mode disabled, whatever the caller's mode: what
``forward`` computes builds no graph, so a ``torch.autograd.grad(objective, y)`` or an
``objective.backward()`` there raises "element 0 of tensors does not require grad and does not have
a grad_fn", even after ``y.requires_grad_()``. The crash's innermost user frame is in the
``forward`` of an ``autograd.Function`` subclass, or on a differentiating call in a function of
the same file that such a ``forward`` calls (directly or through up to three calls).

The fix turns gradients back on where the inner problem is built and differentiated, as torch's
documentation says to: ``with torch.enable_grad():`` around the statements of that function's
body from the first one the differentiated value is computed from (a leaf made with
``.requires_grad_()``, ``.detach()`` or ``requires_grad=True`` needs no graph, so its statement
stays outside) to the one that differentiates. For a helper, the call of the helper in
``forward`` wrapped the same way comes next; the whole ``forward`` body under ``enable_grad`` last.
The re-run judges.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import BindsAndReads, SourceFile, descendants
from gradfix.torch_api import AUTOGRAD_FUNCTIONS, GRAD_SWITCH, spelled_or_imported
from gradfix.trace import Trace

_NO_GRAPH = "does not require grad and does not have a grad_fn"
_DIFFERENTIATING = {"torch.autograd.grad", "torch.autograd.backward"}
_GRAD_ENABLING = {"torch.enable_grad", "torch.autograd.enable_grad", "torch.autograd.grad_mode.enable_grad"}
# Calls whose value is a fresh leaf or cut from its graph: the statement that makes it needs no graph.
_LEAF_MAKERS = {"requires_grad_", "detach", "detach_"}
_HELPER_DEPTH = 3


def _differentiated(source: SourceFile, call: cst.Call) -> Optional[cst.BaseExpression]:
    """What a differentiating call differentiates: ``autograd.grad(outputs, ...)``'s outputs,
    ``autograd.backward(tensors)``'s tensors, the receiver of ``loss.backward()``; None for any
    other call."""
    if source.qualified_names(call.func) & _DIFFERENTIATING:
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        if positional:
            return positional[0].value
        return next(
            (arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value in ("outputs", "tensors")),
            None,
        )
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "backward":
        return call.func.value
    return None


def _reads(node: cst.CSTNode) -> set[str]:
    visitor = BindsAndReads()
    node.visit(visitor)
    return visitor.reads


def _makes_leaf(source: SourceFile, statement: cst.CSTNode) -> bool:
    """``y = z.detach().clone().requires_grad_(True)``, ``y = torch.zeros(n, requires_grad=True)``,
    ``y = nn.Parameter(...)``: an assignment whose value starts a graph of its own."""
    if not isinstance(statement, cst.Assign):
        return False
    value = statement.value
    if not isinstance(value, cst.Call):
        return False
    if isinstance(value.func, cst.Attribute) and value.func.attr.value in _LEAF_MAKERS:
        return True
    if any(arg.keyword is not None and arg.keyword.value == "requires_grad" for arg in value.args):
        return True
    return bool(source.qualified_names(value.func) & {"torch.nn.Parameter", "torch.nn.parameter.Parameter"})


class GradOffInForward(Rule):
    code = "GF069"
    title = "custom `autograd.Function.forward` differentiates while gradients are off"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _NO_GRAPH not in crash.message:
            return []
        site = crash.site
        if not project.is_editable(site.file):
            return []
        source = project.source(site.file)
        crashed_in = self._function_at(source, site.line)
        if crashed_in is None:
            return []
        chain = self._chain_to_forward(source, crashed_in)
        if chain is None:
            return []
        cls, forward = chain[0]
        # The crash's own line: the differentiating calls on it, or (a library's solver that
        # differentiates inside) the statement itself.
        statement = self._body_statement(source, crashed_in, site.line)
        if statement is None:
            return []
        calls = [
            call for call in descendants(statement, cst.Call)
            if _differentiated(source, call) is not None and source.range(call).start.line <= site.line <= source.range(call).end.line
        ]
        if not calls and crashed_in is not forward:
            # A helper reached by name only: without a differentiating call at the crash, the
            # name may be another function's (a `step` or `loss` of the training loop).
            return []
        if any(self._grad_enabled_around(source, node) for node in (calls or [statement])):
            return []  # gradients were turned on there: the graph is missing for another reason
        where = "its forward" if crashed_in is forward else f"`{crashed_in.name.value}`, which its forward calls,"
        message = (
            f"{cls.name.value} is a custom autograd Function and {where} differentiates at line {site.line}, "
            f"but autograd runs forward() with gradients off: nothing there builds a graph, so the script "
            f"crashed ({crash.type}: {crash.message})"
        )
        candidates = self._candidates(source, chain, crashed_in, site.line)
        return [self.finding(project, site, message, self._params(trace), candidates, blocking=True)]

    @staticmethod
    def _params(trace: Trace) -> list[str]:
        """The outermost module the crash passed through (when the Function is applied outside any
        module, every trainable parameter): what the Function's output would have trained."""
        crash = trace.crash
        assert crash is not None
        params = trace.params_of(crash.module_calls[-1].module) if crash.module_calls else trace.params
        return [p.name for p in params if p.requires_grad and p.is_leaf and (p.optimizers or not trace.optimizers)]

    # -- where the crash is ------------------------------------------------------------------------

    @staticmethod
    def _function_at(source: SourceFile, line: int) -> Optional[cst.FunctionDef]:
        """The innermost function whose body holds the line."""
        best: Optional[cst.FunctionDef] = None
        for function in descendants(source.module, cst.FunctionDef):
            where = source.range(function.body)
            if where.start.line <= line <= where.end.line:
                if best is None or source.range(best).start.line <= source.range(function).start.line:
                    best = function
        return best

    def _forward_of(self, source: SourceFile, function: cst.FunctionDef) -> Optional[cst.ClassDef]:
        """The autograd.Function subclass whose forward ``function`` is."""
        if function.name.value != "forward":
            return None
        owner = source.parent(source.parent(function) or function)
        if isinstance(owner, cst.ClassDef) and source.subclasses(owner, AUTOGRAD_FUNCTIONS):
            return owner
        return None

    def _chain_to_forward(
        self, source: SourceFile, crashed_in: cst.FunctionDef
    ) -> Optional[list[tuple[cst.ClassDef, cst.FunctionDef]]]:
        """The Function's forward and the calls from it down to ``crashed_in``: a list of (class,
        forward) then the helpers, outermost first. None when no Function's forward of this file
        reaches it within a few calls."""
        cls = self._forward_of(source, crashed_in)
        if cls is not None:
            return [(cls, crashed_in)]
        functions = [f for f in descendants(source.module, cst.FunctionDef)]
        paths: list[list[cst.FunctionDef]] = [[crashed_in]]
        for _ in range(_HELPER_DEPTH):
            longer = []
            for path in paths:
                callee = path[0].name.value
                for caller in functions:
                    if caller in path or not self._calls(caller.body, callee):
                        continue
                    owner = self._forward_of(source, caller)
                    if owner is not None:
                        return [(owner, caller)] + [(owner, f) for f in path]  # type: ignore[misc]
                    longer.append([caller] + path)
            paths = longer
        return None

    @staticmethod
    def _calls(node: cst.CSTNode, name: str) -> bool:
        """Whether ``node`` (a function's body, a statement) calls ``name`` (``name(...)``,
        ``self.name(...)``, ``Cls.name(...)``)."""
        for call in descendants(node, cst.Call):
            func = call.func
            if (isinstance(func, cst.Name) and func.value == name) or (isinstance(func, cst.Attribute) and func.attr.value == name):
                return True
        return False

    @staticmethod
    def _body_statement(source: SourceFile, function: cst.FunctionDef, line: int) -> Optional[cst.BaseStatement]:
        """The statement of ``function``'s own body that holds the line."""
        if not isinstance(function.body, cst.IndentedBlock):
            return None
        for statement in function.body.body:
            where = source.range(statement)
            if where.start.line <= line <= where.end.line:
                return statement
        return None

    @staticmethod
    def _grad_enabled_around(source: SourceFile, node: cst.CSTNode) -> bool:
        for ancestor in source.ancestors(node):
            if isinstance(ancestor, cst.With):
                for item in ancestor.items:
                    expression = item.item
                    if not isinstance(expression, cst.Call):
                        continue
                    names = source.qualified_names(expression.func)
                    if names & _GRAD_ENABLING:
                        return True
                    if names & GRAD_SWITCH and expression.args and not (
                        isinstance(expression.args[0].value, cst.Name) and expression.args[0].value.value == "False"
                    ):
                        return True
            if isinstance(ancestor, cst.FunctionDef):
                return any(
                    source.qualified_names(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) & _GRAD_ENABLING
                    for d in ancestor.decorators
                )
        return False

    # -- the candidates ----------------------------------------------------------------------------

    def _candidates(
        self, source: SourceFile, chain: list[tuple[cst.ClassDef, cst.FunctionDef]], crashed_in: cst.FunctionDef, line: int
    ) -> list[Candidate]:
        enable, imports = spelled_or_imported(source, "torch.enable_grad")
        cls, forward = chain[0]
        blocks: list[tuple[str, cst.FunctionDef, list[tuple[int, int]]]] = []
        own = self._differentiating_runs(source, crashed_in, line)
        if own:
            blocks.append((self._describe(crashed_in, cls, forward), crashed_in, own))
        if len(chain) > 1:
            # The helper's call in forward: the statements of forward's body that call it.
            callee = chain[1][1].name.value
            body = self._statements(forward)
            calling = [i for i, s in enumerate(body) if self._calls(s, callee)]
            runs = self._merge([(i, i) for i in calling])
            if runs:
                blocks.append((f"the call of {callee} in {cls.name.value}.forward", forward, runs))
        body = self._statements(forward)
        start = 1 if body and self._is_docstring(body[0]) else 0
        if start < len(body):
            blocks.append((f"the whole body of {cls.name.value}.forward", forward, [(start, len(body) - 1)]))
        candidates: list[Candidate] = []
        seen: set[tuple[int, ...]] = set()
        for what, function, runs in blocks:
            statements = self._statements(function)
            key = tuple(x for first, last in runs for x in (source.range(statements[first]).start.line, source.range(statements[last]).end.line))
            if key in seen:
                continue
            edits = [self._wrap(source, statements[first : last + 1], enable) for first, last in runs]
            if any(edit is None for edit in edits):
                continue
            seen.add(key)
            candidates.append(self.candidate(
                f"run {what} under `with {enable}():`", source.path, [e for e in edits if e is not None] + imports,
            ))
        return candidates

    @staticmethod
    def _describe(function: cst.FunctionDef, cls: cst.ClassDef, forward: cst.FunctionDef) -> str:
        name = f"{cls.name.value}.forward" if function is forward else function.name.value
        return f"the statements of {name} that build and differentiate the inner graph"

    @staticmethod
    def _statements(function: cst.FunctionDef) -> list[cst.BaseStatement]:
        return list(function.body.body) if isinstance(function.body, cst.IndentedBlock) else []

    @staticmethod
    def _is_docstring(statement: cst.BaseStatement) -> bool:
        return (
            isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
        )

    def _differentiating_runs(self, source: SourceFile, function: cst.FunctionDef, line: int) -> list[tuple[int, int]]:
        """Runs of ``function``'s body statements (first, last index) to put under enable_grad:
        for each differentiating call not already under it, the statement that holds it and the
        earlier ones the differentiated value is computed from; for a crash on a line with no
        such call (a library solver called from here), the statement at the line."""
        body = self._statements(function)
        runs = []
        calls = [
            (call, value) for call in descendants(function.body, cst.Call)
            if (value := _differentiated(source, call)) is not None and not self._grad_enabled_around(source, call)
        ]
        for call, value in calls:
            index = next((i for i, s in enumerate(body) if any(c is call for c in descendants(s, cst.Call))), None)
            if index is not None:
                runs.append((self._first_needed(source, body, index, _reads(value)), index))
        if not any(source.range(body[first]).start.line <= line <= source.range(body[last]).end.line for first, last in runs):
            at = next((i for i, s in enumerate(body) if source.range(s).start.line <= line <= source.range(s).end.line), None)
            if at is not None:
                runs.append((at, at))
        return self._merge(runs)

    @staticmethod
    def _first_needed(source: SourceFile, body: list[cst.BaseStatement], index: int, needed: set[str]) -> int:
        """The first statement before ``body[index]`` that the differentiated value is computed from.

        Names bound inside the differentiating statement (a loop's objective) add what their own
        assignments read; a statement that makes a leaf (``y = z.detach().requires_grad_()``) needs
        no graph and ends the search for that name."""
        needed = set(needed)
        inner = [a for a in descendants(body[index], cst.Assign)] + [a for a in descendants(body[index], cst.AugAssign)]
        changed = True
        while changed:
            changed = False
            for assign in inner:
                visitor = BindsAndReads()
                assign.visit(visitor)
                if visitor.binds & needed and not _makes_leaf(source, assign):
                    new = visitor.reads - needed
                    if new:
                        needed |= new
                        changed = True
        first = index
        for j in range(index - 1, -1, -1):
            visitor = BindsAndReads()
            body[j].visit(visitor)
            hit = visitor.binds & needed
            if not hit:
                continue
            smalls = body[j].body if isinstance(body[j], cst.SimpleStatementLine) else []
            if smalls and all(_makes_leaf(source, s) for s in smalls):
                needed -= hit
                continue
            first = j
            needed |= visitor.reads
        return first

    @staticmethod
    def _merge(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Overlapping or adjacent runs as one: one ``with`` block rather than two in a row."""
        merged: list[tuple[int, int]] = []
        for first, last in sorted(runs):
            if merged and first <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
            else:
                merged.append((first, last))
        return merged

    @staticmethod
    def _wrap(source: SourceFile, statements: list[cst.BaseStatement], enable: str) -> Optional[Edit]:
        """The statements, re-indented by the file's own unit, comments kept, under ``with <enable>():``."""
        for statement in statements:
            for string in descendants(statement, cst.SimpleString):
                if "\n" in string.value:
                    return None  # re-indenting would change a multi-line string's text
            for formatted in descendants(statement, cst.FormattedString):
                if "\n" in source.code(formatted):
                    return None
        unit = source.module.default_indent
        indent = source.indentation(source.range(statements[0]).start.line)
        lines = [f"{indent}with {enable}():\n"]
        first_start, _ = source.statement_lines(statements[0], with_comments=True)
        _, last_end = source.statement_lines(statements[-1], with_comments=True)
        for line in source.text[first_start:last_end].splitlines(keepends=True):
            lines.append(unit + line if line.strip() else line)
        return Edit(source.position(first_start), source.position(last_end), "".join(lines))
