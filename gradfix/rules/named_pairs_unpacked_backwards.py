"""GF058: the ``(name, value)`` pairs of ``named_parameters()``, ``named_modules()``,
``named_children()``, ``named_buffers()``, ``state_dict().items()`` (or another mapping's
``.items()``) unpacked the wrong way round, in a ``for`` loop or a comprehension:
``for p, n in model.named_parameters(): if 'backbone' in n: p.requires_grad = False``.

The name lands in the target used as the tensor or module, the tensor in the one used as the
name, and the loop's body crashes: ``Tensor.__contains__ only supports Tensor or scalar, but you
passed in a <class 'str'>``, ``'str' object has no attribute 'requires_grad'``, ``argument of type
'Parameter' is not iterable``, ``'Linear' object has no attribute 'startswith'``. A freeze by name
that crashes never runs, and the training after it never starts.

The finding needs the crash: its site is in the loop's body (or the comprehension's condition or
element) and uses one of the two targets; the message says a string was used as a tensor or module
there, or a tensor or module as a string; and everywhere in the body the first target is used
only as a tensor or module (an attribute a string does not have, ``isinstance`` with a class,
an argument of a torch function) and the second only as a string (``x in n``, ``n.startswith``,
``n == 'bias'``, ``re.match(..., n)``). Loops whose targets are used the way the pairs come are
left alone, whatever they are called (``for param_name, p in ...``), and so is ``zip(params,
names)``. A swapped loop that never crashes (``if 'bn' in str(n)`` matches nothing) gives no
evidence from the run and is not reported.

The fix swaps the two targets in the loop's header, nothing else; the re-run shows the loop runs
and the script trains on.
"""

from __future__ import annotations

import re
from typing import Optional, Union

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import Crash, Trace
from gradfix.verify import judge

# Calls that yield (name, tensor-or-module) pairs, whatever they are called on.
_NAMED = {"named_parameters", "named_modules", "named_children", "named_buffers"}

# String methods that neither a tensor nor a module has: calling one says the value is a string.
_STR_METHODS = {
    "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format",
    "format_map", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower",
    "isnumeric", "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip",
    "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition",
    "rsplit", "rstrip", "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill",
}
# Attributes a string has too: their use says nothing either way.
_SHARED = {"index", "split"} | {m for m in dir(str) if m.startswith("__")}

# Functions of the standard library that read their argument as a string.
_STRING_FUNCTIONS = {
    "re.match", "re.search", "re.fullmatch", "re.sub", "re.findall", "re.split", "re.finditer",
    "fnmatch.fnmatch", "fnmatch.fnmatchcase",
}

# The crash says a string was used where a tensor or module was meant ...
_STR_SUBJECT = re.compile(r"'str' object|argument of type 'str'|\bis str\b|got str\b|type str\b|'str'>? (?:is|has)")
# ... or a tensor or module where a string was meant.
_NONSTR_SUBJECT = re.compile(r"Tensor\.__contains__|'(\w+)' object (?:has no attribute|is not)|argument of type '(\w+)'")

Loop = Union[cst.For, cst.CompFor]


def _uses(node: cst.CSTNode, name: str, source: SourceFile) -> tuple[int, int]:
    """How many times ``node`` uses ``name`` as a string, and as a tensor or module."""
    as_string = as_object = 0
    for found in descendants(node, cst.Name):
        if found.value != name:
            continue
        parent = source.parent(found)
        if isinstance(parent, cst.Attribute) and parent.value is found:
            attr = parent.attr.value
            if attr in _STR_METHODS:
                as_string += 1
            elif attr not in _SHARED:
                as_object += 1  # a string has no such attribute
            continue
        if isinstance(parent, cst.Call) and parent.func is found:
            as_object += 1  # `head(x)`: a string cannot be called
            continue
        if isinstance(parent, cst.ComparisonTarget) and parent.comparator is found:
            if isinstance(parent.operator, (cst.In, cst.NotIn)):
                as_string += 1  # `'bias' in n`: the pair's other member is no container
            elif isinstance(parent.operator, (cst.Equal, cst.NotEqual)) and _compares_with_string(source, parent):
                as_string += 1
            continue
        if isinstance(parent, cst.Comparison) and parent.left is found:
            if any(isinstance(t.operator, (cst.Equal, cst.NotEqual)) and _is_string(t.comparator) for t in parent.comparisons):
                as_string += 1
            continue
        if isinstance(parent, cst.Arg) and parent.value is found:
            call = source.parent(parent)
            if isinstance(call, cst.Call):
                names = {n.replace("builtins.", "") for n in source.qualified_names(call.func)}
                if names & _STRING_FUNCTIONS:
                    as_string += 1
                elif any(n.startswith("torch.") for n in names) or _in_place_method(call.func):
                    as_object += 1
                elif "isinstance" in names and len(call.args) == 2 and call.args[0] is parent:
                    if not (isinstance(call.args[1].value, cst.Name) and call.args[1].value.value == "str"):
                        as_object += 1
    return as_string, as_object


def _in_place_method(func: cst.BaseExpression) -> bool:
    """``x.copy_(...)``, ``w.add_(...)``: torch's in-place methods, which take tensors."""
    return isinstance(func, cst.Attribute) and func.attr.value.endswith("_") and not func.attr.value.startswith("_")


def _is_string(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))


def _compares_with_string(source: SourceFile, target: cst.ComparisonTarget) -> bool:
    comparison = source.parent(target)
    return isinstance(comparison, cst.Comparison) and _is_string(comparison.left)


def _pair_source(iterable: cst.BaseExpression) -> Optional[str]:
    """``named_parameters`` (and kin) or ``items`` when the loop iterates such a call."""
    if not isinstance(iterable, cst.Call) or not isinstance(iterable.func, cst.Attribute):
        return None
    method = iterable.func.attr.value
    if method in _NAMED:
        return method
    if method == "items" and not iterable.args:
        return method
    return None


def _pair_targets(loop: Loop) -> Optional[tuple[cst.Name, cst.Name, str]]:
    """The two names a loop unpacks a named pair into (``for i, (a, b) in enumerate(...)`` too),
    and the call the pairs come from."""
    target, iterable = loop.target, loop.iter
    if (
        isinstance(target, (cst.Tuple, cst.List))
        and isinstance(iterable, cst.Call)
        and isinstance(iterable.func, cst.Name)
        and iterable.func.value == "enumerate"
        and iterable.args
        and len(target.elements) == 2
        and isinstance(target.elements[1].value, (cst.Tuple, cst.List))
    ):
        target, iterable = target.elements[1].value, iterable.args[0].value
    kind = _pair_source(iterable)
    if kind is None or not isinstance(target, (cst.Tuple, cst.List)) or len(target.elements) != 2:
        return None
    first, second = (e.value for e in target.elements)
    if not (isinstance(first, cst.Name) and isinstance(second, cst.Name)) or first.value == second.value:
        return None
    return first, second, kind


def _scope_of(loop: Loop, source: SourceFile) -> list[cst.CSTNode]:
    """What the loop's targets are visible in: a for loop's body; a comprehension's conditions,
    the loops inside it and its element."""
    if isinstance(loop, cst.For):
        return [loop.body]
    found: list[cst.CSTNode] = list(loop.ifs)
    if loop.inner_for_in is not None:
        found.append(loop.inner_for_in)
    comprehension = loop
    while isinstance(comprehension, cst.CompFor):
        comprehension = source.parent(comprehension)  # type: ignore[assignment]
    if isinstance(comprehension, cst.DictComp):
        found += [comprehension.key, comprehension.value]
    elif isinstance(comprehension, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        found.append(comprehension.elt)
    return found


def _loops_around(node: cst.CSTNode, source: SourceFile) -> list[Loop]:
    """The loops whose targets ``node`` can see, innermost first."""
    loops: list[Loop] = []
    child = node
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.For) and child is ancestor.body:
            loops.append(ancestor)
        elif isinstance(ancestor, cst.CompFor) and child is not ancestor.iter:
            loops.append(ancestor)  # a condition or an inner loop of this comprehension loop
        elif isinstance(ancestor, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)) and child is not ancestor.for_in:
            chain: list[cst.CompFor] = []
            comp_for: Optional[cst.CompFor] = ancestor.for_in
            while comp_for is not None:
                chain.append(comp_for)
                comp_for = comp_for.inner_for_in
            loops += reversed(chain)  # the element sees every loop of its comprehension
        elif isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            break
        child = ancestor
    return loops


class NamedPairsUnpackedBackwards(Rule):
    code = "GF058"
    title = "named pairs unpacked the wrong way round"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or not project.is_editable(crash.site.file):
            return []
        source = project.source(crash.site.file)
        if source.ignored(crash.site.line, self.code):
            return []
        for node in self._crash_nodes(source, crash):
            for loop in _loops_around(node, source):
                pair = _pair_targets(loop)
                if pair is None:
                    continue
                first, second, kind = pair
                if not self._crash_says_swapped(source, crash, node, first.value, second.value):
                    continue
                if not self._body_says_swapped(source, loop, first.value, second.value, kind):
                    continue
                return [self._finding(trace, project, source, crash, loop, first, second, kind)]
        return []

    @staticmethod
    def _crash_nodes(source: SourceFile, crash: Crash) -> list[cst.CSTNode]:
        """The expression that raised: its exact span, else the statements of its line."""
        assert crash.site is not None
        if crash.site.column is not None and crash.site.end_line is not None:
            return source.nodes_at(crash.site, cst.CSTNode)  # type: ignore[type-abstract]
        return list(source.statements_on_line(crash.site.line))

    @staticmethod
    def _crash_says_swapped(source: SourceFile, crash: Crash, node: cst.CSTNode, first: str, second: str) -> bool:
        """The raising expression uses the first target as a tensor or module and the message says
        it held a string; or it uses the second as a string and the message says it held no string."""
        first_string, first_object = _uses(node, first, source)
        second_string, second_object = _uses(node, second, source)
        if first_object and not first_string and _STR_SUBJECT.search(crash.message):
            return True
        if second_string and not second_object:
            said = _NONSTR_SUBJECT.search(crash.message)
            return said is not None and "str" not in {g for g in said.groups() if g}
        return False

    @staticmethod
    def _body_says_swapped(source: SourceFile, loop: Loop, first: str, second: str, kind: str) -> bool:
        """Nowhere in the loop is the first target used as a string or the second as a tensor or
        module. A mapping's ``items()`` may hold anything: its key, the first target, must be
        used as a tensor or module somewhere."""
        first_string = first_object = second_string = second_object = 0
        for part in _scope_of(loop, source):
            a, b = _uses(part, first, source)
            c, d = _uses(part, second, source)
            first_string, first_object, second_string, second_object = first_string + a, first_object + b, second_string + c, second_object + d
        if first_string or second_object:
            return False
        if kind == "items":
            return bool(first_object)
        return bool(first_object or second_string)

    def _finding(
        self, trace: Trace, project: Project, source: SourceFile, crash: Crash, loop: Loop, first: cst.Name, second: cst.Name, kind: str
    ) -> Finding:
        assert crash.site is not None
        header = f"for {first.value}, {second.value} in {source.code(loop.iter).strip()}"
        # Another loop with this very header that the run never reached is the same slip, but no
        # run showed it: it is named, not changed.
        same = [
            source.range(other).start.line
            for other in descendants(source.module, cst.For)
            if other is not loop and source.code(other.target).strip() == source.code(loop.target).strip()
            and source.code(other.iter).strip() == source.code(loop.iter).strip()
        ]
        edits = [source.replace_node(first, cst.Name(second.value)), source.replace_node(second, cst.Name(first.value))]
        candidate = self.candidate(
            f"unpack the pairs as ({second.value}, {first.value}): {kind}() yields the name first", source.path, edits,
            at=(source.path, source.range(loop).start.line, source.range(loop).start.column),
        )
        message = (
            f"the script crashed: {crash.type}: {crash.message}; `{header}` unpacks each (name, value) pair "
            f"backwards: {first.value} gets the name and is used as the tensor or module, {second.value} gets "
            f"the value and is used as the name"
        )
        if same:
            lines = ", ".join(str(n) for n in same)
            message += f"; the loop{'s' if len(same) > 1 else ''} at line {lines} {'have' if len(same) > 1 else 'has'} the same header (not run here)"
        return self.finding(project, crash.site, message, [], [candidate], blocking=True)

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        after, earlier = run.trace.crash, before.crash
        if (
            not verdict.verified and after is not None and earlier is not None and after.site is not None
            and earlier.site is not None and (after.type, after.message) == (earlier.type, earlier.message)
            and (after.site.file, after.site.line) != (earlier.site.file, earlier.site.line)
        ):
            # Decay and no-decay groups built by two swapped comprehensions: once the first is
            # right, the second raises the same error. No step ran in between, so the judge sees
            # no progress; the loop diagnoses the next one from this run.
            return Verdict(True, f"the loop runs now; the same error comes next from line {after.site.line}", partial=True)
        if not verdict.verified or verdict.partial or run.trace.crash is not None:
            return verdict
        # The finding names no parameters: which ones should train is what the loop decides (a
        # freeze by name leaves some frozen on purpose). What trains after the fix is the evidence.
        trained = [p.name for p in run.trace.params if p.got_grad and p.changed and p.optimizers]
        if run.trace.steps and not trained:
            return Verdict(False, "the loop runs now, but no parameter changes after optimizer.step()")
        if not trained:
            return Verdict(True, "the loop runs now, and the script runs to the end")
        return Verdict(True, f"the loop runs now; {short_list(trained)} receive gradients and change after optimizer.step()", trained)
