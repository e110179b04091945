"""GF028: a custom ``torch.autograd.Function`` whose ``backward`` does not return one gradient per
input of ``forward``: it computes ``grad_x`` and ``grad_w`` and never returns them, returns only some
of them, or returns more values than ``forward`` took.

torch raises at ``backward()``: ``RuntimeError: function AdderFnBackward returned an incorrect number
of gradients (expected 2, got 1)``. The message names the node (``<Name>Backward``), how many inputs
``forward`` got, and how many values ``backward`` returned. gradfix finds the class ``<Name>`` in the
user's files, checks that it subclasses ``torch.autograd.Function`` (under any import alias), reads the
inputs of ``forward`` after ``ctx`` and the names the ``backward`` body binds. The fix returns, in
``forward``'s input order, the gradient the body computed for each input (``grad_x``/``gx``/``dx`` for
``x``, ``grad_w``/``grad_weight``/``dw`` for ``weight``, ``None`` for an input no name belongs to, a
scale factor or a flag); a return with too few values is extended that way, one with too many loses
the extra trailing values. When names are ambiguous several mappings are proposed and the re-run
keeps the one after which the gradients arrive. A ``forward(ctx, *args)`` leaves the inputs unknown:
then the fault is reported without a fix.

The same Function can return a gradient of the wrong shape: ``Function linearBackward returned an
invalid gradient at index 0 - got [272, 256] but expected shape compatible with [16, 17, 256]`` (a
gradient computed on the input flattened to 2-D; torch itself sums a gradient with extra leading
dimensions down to its input, so only what no sum fixes crashes). The message names the input by
its index. When the gradient holds as many elements in another number of dimensions, it is
reshaped to the input's shape in every return: ``x.shape`` when forward saved the input and
backward unpacks it from ``ctx.saved_tensors``, a ``ctx`` attribute forward set to
``input.shape``, else one that forward sets first thing (``ctx.input_shape = input.shape``). When
its dimensions are the input's with two swapped (``x.t() @ g`` for a ``[out, in]`` weight), it is
transposed. A reshape between two shapes of the same rank would scramble the values and pass the
re-run all the same: not proposed.
"""

from __future__ import annotations

import itertools
import math
import os
import re
from dataclasses import dataclass
from typing import Iterator, Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import AUTOGRAD_FUNCTIONS
from gradfix.trace import Trace
from gradfix.verify import judge

_MESSAGE = re.compile(
    r"function (?P<cls>[A-Za-z_]\w*)Backward returned an incorrect number of gradients "
    r"\(expected (?P<expected>\d+), got (?P<got>\d+)\)"
)
# torch's check of each returned gradient against its input: the shape cannot be summed down to it.
_SHAPE = re.compile(
    r"[Ff]unction (?P<cls>[A-Za-z_]\w*)Backward returned an invalid gradient at index (?P<index>\d+) - "
    r"got \[(?P<got>[\d, ]*)\] but expected shape compatible with \[(?P<expected>[\d, ]*)\]"
)
# How a gradient's name wraps the input's name: grad_x, grad_weight, x_grad, weight_gradient, d_x.
_AFFIXED = (
    re.compile(r"^grad(?:ient)?s?_?(?P<core>[A-Za-z0-9_]+)$", re.IGNORECASE),
    re.compile(r"^(?P<core>[A-Za-z0-9_]+?)_?grad(?:ient)?s?$", re.IGNORECASE),
    re.compile(r"^[dg]_(?P<core>[A-Za-z0-9_]+)$"),
)
# The short forms dx, gw, dgate: a bare d or g in front, so only a core that is an input's name
# (or, up to three letters, its abbreviation) counts: ``diff`` and ``gamma`` are not gradients.
_SHORT = re.compile(r"^[dg](?P<core>[A-Za-z][A-Za-z0-9]*)$")
# Names one input goes by: a gradient named for the group fits any input named in it.
_SYNONYMS = (
    {"input", "inputs", "inp", "in", "x"},
    {"weight", "weights", "w", "wt", "kernel", "filter", "filters"},
    {"bias", "biases", "b"},
)
_MAX_CANDIDATES = 6
_MAX_FILES = 40


def _merges_dimensions(got: list[int], expected: list[int]) -> bool:
    """Whether one shape is the other with runs of neighbouring dimensions merged ([272, 256] for
    [16, 17, 256]): the products of its leading dimensions are all products of the other's
    leading dimensions, so a reshape keeps every value in its place."""
    if math.prod(got) != math.prod(expected):
        return False
    fewer, more = sorted((got, expected), key=len)

    def leading(shape: list[int]) -> list[int]:
        return [math.prod(shape[: k + 1]) for k in range(len(shape))]

    return set(leading(fewer)) <= set(leading(more))


@dataclass
class _Return:
    node: cst.Return
    # what it returns, in order: none for `return` and `return None`; None when a starred value
    # (`return (*grads, None)`) hides how many
    values: Optional[list[cst.BaseExpression]]
    parenthesized: bool


@dataclass
class _Function:
    source: SourceFile
    cls: cst.ClassDef
    forward: cst.FunctionDef
    backward: cst.FunctionDef


def _failing(message: str) -> Optional[tuple[str, int]]:
    """The Function whose backward torch refused, and the index of the refused gradient (-1: the
    count was wrong)."""
    count = _MESSAGE.search(message)
    if count is not None:
        return count.group("cls"), -1
    shape = _SHAPE.search(message)
    if shape is not None:
        return shape.group("cls"), int(shape.group("index"))
    return None


def _dims(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _cores(name: str) -> list[tuple[str, bool]]:
    """The input names a gradient's name may hold, each with whether it may be abbreviated:
    ``x`` of ``grad_x``, ``weight`` of ``weight_grad``, ``w`` of ``dw``."""
    if name.lower() in ("grad", "grads", "gradient", "gradients"):
        return []  # a gradient, but of nothing its name tells
    cores = []
    for pattern in _AFFIXED:
        match = pattern.match(name)
        if match and match.group("core").strip("_"):
            cores.append((match.group("core").strip("_"), True))
    match = _SHORT.match(name)
    if match:
        cores.append((match.group("core"), len(match.group("core")) <= 3))
    return cores


def _abbreviates(short: str, long: str) -> bool:
    """``w`` or ``wt`` for ``weight``, ``inp`` for ``input``: same first letter, the letters in order."""
    if not short or not long or short[0] != long[0] or len(short) >= len(long):
        return False
    rest = iter(long[1:])
    return all(char in rest for char in short[1:])


def _fit(gradient: str, name: str) -> int:
    """How surely the local ``gradient`` is the gradient of the input ``name`` (0: not at all)."""
    best = 0
    for core, short in _cores(gradient):
        core, lowered = core.lower(), name.lower()
        if core == lowered:
            best = max(best, 3)
        elif any(core in group and lowered in group for group in _SYNONYMS):
            best = max(best, 2)
        elif short and _abbreviates(core, lowered):
            best = max(best, 1)
    return best


class CustomFunctionBackward(Rule):
    code = "GF028"
    title = "custom autograd Function's backward returns the wrong number of gradients, or one of the wrong shape"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None:
            return []
        match = _MESSAGE.search(crash.message)
        if match is None:
            shape = _SHAPE.search(crash.message)
            return self._wrong_shape(trace, project, shape) if shape is not None else []
        name, expected, got = match.group("cls"), int(match.group("expected")), int(match.group("got"))
        found = self._locate(trace, project, name)
        if found is None:
            return []  # a Function of an installed library, or one gradfix cannot find: not the user's to fix here
        inputs = self._inputs(found, expected)
        takes_more = self._takes_more(found, expected)
        params = [
            p.name for p in trace.params
            if p.reached and p.requires_grad and p.is_leaf and (p.optimizers or not trace.optimizers)
        ]
        source, backward = found.source, found.backward
        returns = self._returns(backward)
        falls_off = not self._ends(list(self._body(backward)))
        message = (
            f"the script crashed: {crash.type}: {crash.message}; {found.cls.name.value}.backward must return one "
            f"gradient per input of forward"
        )
        if inputs is not None:
            message += f" ({', '.join(inputs)})"
        if not returns:
            message += ", and it returns nothing"
        candidates: list[Candidate] = []
        if inputs is not None and self._consistent(returns, falls_off, got):
            candidates = self._candidates(found, inputs, returns, falls_off, takes_more)
        site = source.site(backward.name)
        return [self.finding(project, site, message, params, candidates, blocking=True)]

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        """Two broken Functions in one graph fail in the same backward(): the next one's crash is
        progress. A return that gets past the crash but gives None to an input that needs a
        gradient is not a fix."""
        after = run.trace
        old = _failing(before.crash.message) if before.crash is not None else None
        new = _failing(after.crash.message) if after.crash is not None else None
        if old is not None and new is not None and not run.probe_error:
            if new[0] != old[0]:
                return Verdict(
                    True,
                    f"{old[0]}.backward now returns its gradients; the same backward() then stops in {new[0]}.backward",
                    partial=True,
                )
            if old[1] >= 0 and new[1] > old[1]:
                # One gradient's shape fixed, the next one's wrong too: the loop fixes that one next.
                return Verdict(
                    True,
                    f"{old[0]}.backward's gradient at index {old[1]} now has its input's shape; the one at index {new[1]} does not",
                    partial=True,
                )
        verdict = judge(finding, candidate, before, run)
        if verdict.verified and verdict.partial and after.crash is None:
            claimed = finding.params if candidate.params is None else candidate.params
            missing = [n for n in claimed if not ((p := after.param(n)) and p.got_grad)]
            if missing:
                verb = "gets" if len(missing) == 1 else "get"
                return Verdict(False, f"the crash is gone, but {short_list(missing)} still {verb} no gradient: an input that needs one gets None")
        return verdict

    # -- the class in the user's files ------------------------------------------------------------

    def _locate(self, trace: Trace, project: Project, name: str) -> Optional[_Function]:
        """The one class ``name`` in the user's files that subclasses torch.autograd.Function and
        defines forward and backward."""
        assert trace.crash is not None and trace.crash.site is not None
        pattern = re.compile(rf"^\s*class\s+{re.escape(name)}\b", re.MULTILINE)
        found: list[_Function] = []
        for path in self._files(trace, project):
            if not pattern.search(project.text(path)):
                continue  # most files do not define it: no tree needed
            source = project.source(path)
            for cls in descendants(source.module, cst.ClassDef):
                if cls.name.value == name and source.subclasses(cls, AUTOGRAD_FUNCTIONS):
                    function = self._methods(source, cls)
                    if function is not None:
                        found.append(function)
            if found:
                break
        return found[0] if len(found) == 1 else None

    def _files(self, trace: Trace, project: Project) -> Iterator[str]:
        """The script, the crash's file, the files where modules were built or their classes live,
        then the project files they import: where the Function that one of them calls is defined."""
        assert trace.crash is not None and trace.crash.site is not None
        folders = [os.path.dirname(os.path.realpath(trace.script)), project.root]
        queue: list[str] = []

        def add(path: Optional[str]) -> None:
            if path is None:
                return
            real = os.path.realpath(path)
            if real not in queue and len(queue) < _MAX_FILES and os.path.isfile(real) and project.is_editable(real):
                queue.append(real)

        add(trace.script)
        add(trace.crash.site.file)
        for module in trace.modules:
            add(module.site.file if module.site else None)
        for module in trace.modules:
            dotted = module.cls.split(".")[:-1]
            if dotted and dotted != ["__main__"] and dotted[0] != "torch":
                for folder in folders:
                    add(os.path.join(folder, *dotted) + ".py")
                    add(os.path.join(folder, *dotted, "__init__.py"))
        index = 0
        while index < len(queue):
            path = queue[index]
            yield path
            for module_path in self._imports(project, path):
                for folder in (os.path.dirname(path), *folders):
                    add(os.path.join(folder, *module_path) + ".py")
                    add(os.path.join(folder, *module_path, "__init__.py"))
            index += 1

    @staticmethod
    def _imports(project: Project, path: str) -> list[list[str]]:
        """Dotted module paths a file imports (``from models.ops import Fn`` gives ``models/ops`` and
        ``models/ops/Fn``, for a submodule); relative ones from the file's own folder."""
        if "import" not in project.text(path):
            return []
        try:
            module = project.source(path).module
        except Exception:  # a file libcst cannot parse is not where the fix can go
            return []
        found: list[list[str]] = []
        for node in descendants(module, cst.Import):
            for alias in node.names:
                found.append(module.code_for_node(alias.name).split("."))
        for node in descendants(module, cst.ImportFrom):
            base = module.code_for_node(node.module).split(".") if node.module is not None else []
            up = [".."] * max(len(node.relative) - 1, 0)
            found.append(up + base)
            if not isinstance(node.names, cst.ImportStar):
                for alias in node.names:
                    found.append(up + base + [module.code_for_node(alias.name)])
        return [[part for part in dotted if part] for dotted in found if any(dotted)]

    @staticmethod
    def _methods(source: SourceFile, cls: cst.ClassDef) -> Optional[_Function]:
        if not isinstance(cls.body, cst.IndentedBlock):
            return None
        methods = {s.name.value: s for s in cls.body.body if isinstance(s, cst.FunctionDef)}
        forward, backward = methods.get("forward"), methods.get("backward")
        if forward is None or backward is None or not isinstance(backward.body, cst.IndentedBlock):
            return None
        return _Function(source, cls, forward, backward)

    @staticmethod
    def _inputs(found: _Function, expected: int) -> Optional[list[str]]:
        """The names of the ``expected`` inputs forward got (``apply`` passes them by position), or
        None when its signature does not say (``*args``, fewer parameters than inputs)."""
        methods = {s.name.value for s in found.cls.body.body if isinstance(s, cst.FunctionDef)}  # type: ignore[union-attr]
        params = list(found.forward.params.posonly_params) + list(found.forward.params.params)
        # With setup_context, forward takes no ctx (torch 2's style); a @staticmethod forward does.
        if "setup_context" not in methods:
            params = params[1:]
        if len(params) < expected:
            return None  # *args, or a signature that cannot take what apply passed
        names = [p.name.value for p in params[:expected]]
        return names if all(n.isidentifier() for n in names) else None

    @staticmethod
    def _takes_more(found: _Function, expected: int) -> bool:
        """forward can take more inputs than this call passed (``bias=None``, ``*rest``): another call
        may pass them, and needs their gradient slots."""
        params = list(found.forward.params.posonly_params) + list(found.forward.params.params)
        methods = {s.name.value for s in found.cls.body.body if isinstance(s, cst.FunctionDef)}  # type: ignore[union-attr]
        if "setup_context" not in methods:
            params = params[1:]
        return len(params) > expected or isinstance(found.forward.params.star_arg, cst.Param)

    # -- the backward body ------------------------------------------------------------------------

    @staticmethod
    def _body(function: cst.FunctionDef) -> Iterator[cst.BaseStatement]:
        body = function.body
        if isinstance(body, cst.IndentedBlock):
            yield from body.body

    def _returns(self, function: cst.FunctionDef) -> list[_Return]:
        """The function's own return statements (not those of functions nested in it)."""
        found: list[_Return] = []

        class Collect(cst.CSTVisitor):
            def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
                return node is function

            def visit_ClassDef(self, node: cst.ClassDef) -> bool:
                return False

            def visit_Lambda(self, node: cst.Lambda) -> bool:
                return False

            def visit_Return(self, node: cst.Return) -> None:
                value = node.value
                if value is None or (isinstance(value, cst.Name) and value.value == "None"):
                    found.append(_Return(node, [], False))
                elif isinstance(value, cst.Tuple):
                    if any(isinstance(e, cst.StarredElement) for e in value.elements):
                        found.append(_Return(node, None, False))
                    else:
                        found.append(_Return(node, [e.value for e in value.elements], bool(value.lpar)))
                else:
                    found.append(_Return(node, [value], False))

        function.visit(Collect())
        return found

    def _ends(self, statements: list[cst.BaseStatement]) -> bool:
        """The block never falls off its end (its last statement returns or raises on every branch)."""
        if not statements:
            return False
        last = statements[-1]
        if isinstance(last, cst.SimpleStatementLine):
            return bool(last.body) and isinstance(last.body[-1], (cst.Return, cst.Raise))
        if isinstance(last, cst.With):
            return self._ends(list(last.body.body))  # type: ignore[union-attr]
        if isinstance(last, cst.Try):
            if last.finalbody is not None and self._ends(list(last.finalbody.body.body)):  # type: ignore[union-attr]
                return True
            main = last.orelse.body.body if last.orelse is not None else last.body.body  # type: ignore[union-attr]
            return self._ends(list(main)) and all(self._ends(list(h.body.body)) for h in last.handlers)  # type: ignore[union-attr]
        if isinstance(last, cst.If):
            if last.orelse is None:
                return False
            other = last.orelse
            branch = [other] if isinstance(other, cst.If) else list(other.body.body)  # type: ignore[union-attr]
            return self._ends(list(last.body.body)) and self._ends(branch)  # type: ignore[union-attr]
        return False

    @staticmethod
    def _consistent(returns: list[_Return], falls_off: bool, got: int) -> bool:
        """What torch counted is what one of the returns gives (falling off the end gives one None):
        then gradfix reads the body as torch ran it."""
        counts = {max(len(r.values), 1) for r in returns if r.values is not None}
        if falls_off:
            counts.add(1)
        return got in counts

    def _bound(self, source: SourceFile, function: cst.FunctionDef) -> dict[str, tuple[int, int]]:
        """Names the function itself binds (its parameters, assignments, loop targets), each with
        where it is first bound (line, column), in order."""
        first = next(self._body(function), None)
        scope = source.scopes.get(first) if first is not None else None
        if scope is None:
            return {}
        names: dict[str, tuple[int, int]] = {}
        for assignment in scope.assignments:
            node = getattr(assignment, "node", None)
            if not isinstance(node, (cst.Name, cst.Param)) or not assignment.name.isidentifier():
                continue
            start = source.range(node).start
            where = (start.line, start.column)
            if assignment.name not in names or where < names[assignment.name]:
                names[assignment.name] = where
        return names

    # -- the candidates ---------------------------------------------------------------------------

    @staticmethod
    def _options(found: _Function, inputs: list[str], bound: dict[str, tuple[int, int]]) -> list[list[tuple[str, int]]]:
        """For each input, the expressions that may be its gradient with how sure that is: names the
        body binds for it, else ``None`` and then the gradient-like names nothing else claims."""
        params = [p.name.value for p in found.backward.params.params]
        ctx = params[0] if params else "ctx"
        outputs = params[1:]
        names = [n for n in bound if n != ctx and n not in inputs]
        scored: list[list[tuple[str, int]]] = []
        claimed: set[str] = set()
        for name in inputs:
            fits = []
            for candidate in names:
                score = _fit(candidate, name)
                if score:
                    fits.append((candidate, score))
            fits.sort(key=lambda item: -item[1])
            claimed.update(n for n, _ in fits)
            scored.append(fits)
        # Never backward's own grad_output for an unclaimed input: torch sums a broadcastable
        # gradient down to the input's shape, so a wrong one would pass the re-run.
        gradient_like = [n for n in names if n not in claimed and n not in outputs and "grad" in n.lower()]
        options = []
        for fits in scored:
            if fits:
                options.append(fits[:3])
            else:
                options.append([("None", 0)] + [(n, -1) for n in gradient_like[:3]])
        return options

    def _mappings(self, options: list[list[tuple[str, int]]]) -> list[list[str]]:
        """Whole returns, most likely first: every input gets one of its options, no name twice."""
        combos = []
        for combo in itertools.product(*options):
            names = [n for n, _ in combo if n != "None"]
            if len(names) != len(set(names)):
                continue
            combos.append((-sum(s for _, s in combo), [n for n, _ in combo]))
        combos.sort(key=lambda item: item[0])  # stable: ties keep the options' own order
        return [names for _, names in combos[:_MAX_CANDIDATES]]

    def _candidates(
        self, found: _Function, inputs: list[str], returns: list[_Return], falls_off: bool, takes_more: bool
    ) -> list[Candidate]:
        source = found.source
        count = len(inputs)
        bound = self._bound(source, found.backward)
        options = self._options(found, inputs, bound)
        named = {n for fits in options for n, s in fits if s > 0}
        wrong = [r for r in returns if r.values is not None and len(r.values) != count and not (count == 1 and not r.values)]
        if falls_off and count == 1:
            falls_off = False  # one input: falling off the end returns its None, which torch takes
        if not wrong and not falls_off:
            return []
        if takes_more and any(len(r.values or []) > count for r in wrong):
            # `return gx, gw, gb` for `forward(ctx, x, w, bias=None)` called without the bias:
            # dropping gb breaks the calls that pass it; the bias's gradient must be None there.
            return []
        candidates: list[Candidate] = []
        seen: set[tuple[str, ...]] = set()
        for mapping in self._mappings(options):
            variants = [self._extended, self._by_name]
            if any(self._misplaced(r, inputs, options) for r in wrong):
                variants.reverse()  # `return grad_x, grad_b` for (x, w, b): the names say where each goes
            for variant in variants:
                edits: list[Edit] = []
                texts = []
                returned: list[list[str]] = [list(mapping)] if falls_off else []
                for ret in wrong:
                    # An early return (`if not ctx.needs_input_grad[1]: return grad_x`) can only
                    # return what is bound above it; the rest is None there.
                    start = source.range(ret.node).start
                    here = [n if bound.get(n, (0, 0)) < (start.line, start.column) else "None" for n in mapping]
                    values = variant(source, ret, here, named)
                    returned.append(values)
                    text = self._render(values, ret.parenthesized)
                    texts.append(text)
                    edits.append(source.replace_node(ret.node, cst.Return(
                        value=cst.parse_expression(text, config=source.module.config_for_parsing),
                        semicolon=ret.node.semicolon,
                    )))
                if falls_off:
                    text = self._render(mapping, False)
                    texts.append(text)
                    edits.append(self._append(source, found.backward, f"return {text}"))
                key = tuple(texts)
                if key in seen or any(self._pointless(values) for values in returned):
                    continue
                seen.add(key)
                what = " and ".join(sorted(set(f"return {t}" for t in texts)))
                candidates.append(self.candidate(
                    f"{what} from {found.cls.name.value}.backward (one gradient per input of forward: {', '.join(inputs)})",
                    source.path, edits,
                ))
                if len(candidates) >= _MAX_CANDIDATES:
                    return candidates
        return candidates

    @staticmethod
    def _extended(source: SourceFile, ret: _Return, mapping: list[str], named: set[str]) -> list[str]:
        """The values it returns, in place; missing inputs take the mapping's names, extra values go."""
        kept = [source.code(v) for v in (ret.values or [])[: len(mapping)]]
        return kept + mapping[len(kept):]

    @staticmethod
    def _by_name(source: SourceFile, ret: _Return, mapping: list[str], named: set[str]) -> list[str]:
        """Each input its named gradient; where no name belongs to an input, what the return had there."""
        had = ret.values or []
        values = []
        for index, name in enumerate(mapping):
            if name in named or index >= len(had):
                values.append(name)
            else:
                values.append(source.code(had[index]))
        return values

    @staticmethod
    def _misplaced(ret: _Return, inputs: list[str], options: list[list[tuple[str, int]]]) -> bool:
        """A returned name that is the gradient of another input than the one at its position."""
        for index, value in enumerate(ret.values or []):
            if not isinstance(value, cst.Name):
                continue
            owners = [i for i, fits in enumerate(options) if any(n == value.value and s > 0 for n, s in fits)]
            if owners and index not in owners:
                return True
        return False

    @staticmethod
    def _pointless(values: list[str]) -> bool:
        """Only None (no gradient reaches anything), or one name for two inputs."""
        names = [v for v in values if v.isidentifier() and v != "None"]
        return not names and all(v == "None" for v in values) or len(names) != len(set(names))

    @staticmethod
    def _render(values: list[str], parenthesized: bool) -> str:
        text = ", ".join(values)
        return f"({text})" if parenthesized and len(values) > 1 else text

    @staticmethod
    def _append(source: SourceFile, function: cst.FunctionDef, statement: str) -> Edit:
        """A statement after the last one of the function's body, at the body's indentation."""
        body = list(function.body.body)  # type: ignore[union-attr]
        indent = source.indentation(source.range(body[0]).start.line)
        last = source.range(body[-1]).end.line
        return source.insert_lines(last + 1, f"{indent}{statement}\n")

    # -- a gradient of the wrong shape ------------------------------------------------------------

    def _wrong_shape(self, trace: Trace, project: Project, match: re.Match) -> list[Finding]:  # type: ignore[type-arg]
        """``returned an invalid gradient at index 0 - got [272, 256] but expected shape compatible
        with [16, 17, 256]``: the gradient of that input has another shape than the input, and no
        sum over leading dimensions gives it (torch does that one itself)."""
        crash = trace.crash
        assert crash is not None
        name, index = match.group("cls"), int(match.group("index"))
        got, expected = _dims(match.group("got")), _dims(match.group("expected"))
        found = self._locate(trace, project, name)
        if found is None:
            return []
        inputs = self._inputs(found, index + 1)
        params = [
            p.name for p in trace.params
            if p.reached and p.requires_grad and p.is_leaf and (p.optimizers or not trace.optimizers)
        ]
        message = f"the script crashed: {crash.type}: {crash.message}; {found.cls.name.value}.backward must return "
        if inputs is not None:
            message += f"the gradient of `{inputs[index]}` (input {index} of forward) in `{inputs[index]}`'s shape"
        else:
            message += f"the gradient of input {index} of forward in that input's shape"
        candidates = self._reshaped(found, inputs[index], index, got, expected) if inputs is not None else []
        return [self.finding(project, found.source.site(found.backward.name), message, params, candidates, blocking=True)]

    def _reshaped(self, found: _Function, input_name: str, index: int, got: list[int], expected: list[int]) -> list[Candidate]:
        """The returned gradient at ``index`` made the input's shape: transposed when its dimensions
        are the input's with two swapped (``x.t().mm(g)`` for ``g.t().mm(x)``), reshaped to the
        input's shape when it holds as many elements in another number of dimensions (a gradient
        computed on the input flattened to 2-D) by merging neighbouring dimensions. A reshape
        between shapes of the same rank, or of dimensions merged otherwise (``[256, 272]`` for
        ``[16, 17, 256]``: a transposed flatten), would scramble the values as surely as it fixed
        them: not proposed."""
        source = found.source
        values = [
            r.values[index] for r in self._returns(found.backward)
            if r.values is not None and len(r.values) > index
            and not (isinstance(r.values[index], cst.Name) and r.values[index].value == "None")  # type: ignore[attr-defined]
        ]
        if not values:
            return []
        suffixes: list[tuple[str, list[Edit], str]] = []  # (method call appended, extra edits, note)
        swapped = [d for d in range(len(got)) if len(got) == len(expected) and got[d] != expected[d]]
        if len(swapped) == 2 and got[swapped[0]] == expected[swapped[1]] and got[swapped[1]] == expected[swapped[0]]:
            call = ".t()" if len(got) == 2 else f".transpose({swapped[0]}, {swapped[1]})"
            suffixes.append((call, [], ""))
        elif len(got) != len(expected) and _merges_dimensions(got, expected):
            for shape, edits, note in self._shapes(found, input_name):
                suffixes.append((f".reshape({shape})", edits, note))
        candidates = []
        for call, extra, note in suffixes:
            edits = list(extra)
            texts = []
            for value in values:
                code = source.code(value)
                atom = isinstance(value, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) or bool(getattr(value, "lpar", ()))
                text = f"{code}{call}" if atom else f"({code}){call}"
                texts.append(text)
                edits.append(source.replace_node(value, cst.parse_expression(text, config=source.module.config_for_parsing)))
            returned = " and ".join(dict.fromkeys(f"`{t}`" for t in texts))
            candidates.append(self.candidate(
                f"in {found.cls.name.value}.backward, return {returned}: the gradient of `{input_name}` in its shape{note}",
                source.path, edits,
            ))
        return candidates

    def _shapes(self, found: _Function, input_name: str) -> list[tuple[str, list[Edit], str]]:
        """Expressions in ``backward`` for the input's shape, with the edits they need: the input
        itself fetched from ``ctx.saved_tensors``, a ``ctx`` attribute forward set to its shape,
        else one forward sets first thing (``ctx.input_shape = input.shape``)."""
        source = found.source
        forward_params = [p.name.value for p in found.forward.params.params]
        backward_params = [p.name.value for p in found.backward.params.params]
        methods = {s.name.value for s in found.cls.body.body if isinstance(s, cst.FunctionDef)}  # type: ignore[union-attr]
        if not backward_params or "setup_context" in methods or not forward_params:
            return []  # the ctx forward fills is setup_context's: not handled here
        fctx, bctx = forward_params[0], backward_params[0]
        rebound = any(
            isinstance(t.target, cst.Name) and t.target.value == input_name for t in descendants(found.forward, cst.AssignTarget)
        ) or any(isinstance(a.target, cst.Name) and a.target.value == input_name for a in descendants(found.forward, cst.AugAssign))
        shapes: list[tuple[str, list[Edit], str]] = []
        saved = None if rebound else self._saved_as(found, input_name, fctx, bctx)
        if saved is not None:
            shapes.append((f"{saved}.shape", [], ""))
        attrs: dict[str, str] = {}
        for assign in descendants(found.cls, cst.Assign):
            for target in assign.targets:
                t = target.target
                if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value in (fctx, bctx):
                    attrs[t.attr.value] = source.code(assign.value)
        kept = [a for a, v in attrs.items() if not rebound and v in (f"{input_name}.shape", f"{input_name}.size()")]
        if kept:
            shapes.append((f"{bctx}.{kept[0]}", [], ""))
        else:
            attr = f"{input_name}_shape"
            body = list(self._body(found.forward))
            if attr in attrs or not body:
                return shapes
            first = body[0]
            if (
                isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1 and isinstance(first.body[0], cst.Expr)
                and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString)) and len(body) > 1
            ):
                first = body[1]  # after the docstring
            line = source.range(first).start.line
            edit = source.insert_lines(line, f"{source.indentation(line)}{fctx}.{attr} = {input_name}.shape\n")
            shapes.append((f"{bctx}.{attr}", [edit], f"; forward keeps that shape in `{fctx}.{attr}`"))
        return shapes

    @staticmethod
    def _saved_as(found: _Function, input_name: str, fctx: str, bctx: str) -> Optional[str]:
        """The name backward gives the input, when forward saved it (``ctx.save_for_backward(x, w)``)
        and backward unpacks it once (``x, w = ctx.saved_tensors``) and never rebinds it."""
        position = None
        for call in descendants(found.forward, cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == "save_for_backward" and isinstance(func.value, cst.Name) and func.value.value == fctx:
                for i, arg in enumerate(call.args):
                    if arg.star:
                        return None
                    if isinstance(arg.value, cst.Name) and arg.value.value == input_name:
                        position = i
        if position is None:
            return None
        bound: list[str] = []
        name = None
        for assign in descendants(found.backward, cst.Assign):
            value = assign.value
            for target in assign.targets:
                bound += [n.value for n in descendants(target.target, cst.Name)]
            if not (
                isinstance(value, cst.Attribute) and value.attr.value in ("saved_tensors", "saved_variables")
                and isinstance(value.value, cst.Name) and value.value.value == bctx and len(assign.targets) == 1
            ):
                continue
            target = assign.targets[0].target
            if isinstance(target, (cst.Tuple, cst.List)) and position < len(target.elements):
                element = target.elements[position]
                if isinstance(element, cst.Element) and isinstance(element.value, cst.Name):
                    name = element.value.value
        rebinds = [a.target for a in descendants(found.backward, cst.AugAssign)] + [f.target for f in descendants(found.backward, cst.For)]
        if name is None or bound.count(name) != 1 or any(n.value == name for t in rebinds for n in descendants(t, cst.Name)):
            return None
        return name
