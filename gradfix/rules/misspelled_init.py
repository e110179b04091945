"""GF022: an ``nn.Module`` subclass whose constructor is misspelled (``_init_``, ``__int__``,
``__init``, ``init__``, ``__inti__``, ...). Python never calls it: ``nn.Module``'s own ``__init__``
runs instead, and the layers are never built.

The script then crashes: ``ValueError: optimizer got an empty parameter list`` when the optimizer
is built over ``model.parameters()``, ``AttributeError: 'Net' object has no attribute 'fc'`` in
``forward``, or ``TypeError: Net.__init__() takes 1 positional argument but 2 were given`` when the
class is called with arguments. The evidence is that crash, a module of the class in the Trace that
was built without a single parameter (or lacks the very attribute the misspelled method assigns),
and, in the source, a class body that defines the near-miss method, which builds the module
(calls ``super().__init__()`` or assigns ``self.<name>``), and no ``__init__``. The fix renames the
method to ``__init__``, and with it a base constructor call inside it that repeats the typo
(``super()._init_()``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence, Union

import libcst as cst

from gradfix.edits import Patch
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import Crash, ModuleFact, Trace
from gradfix.verify import judge

_MODULE_BASES = {"torch.nn.Module", "torch.nn.modules.module.Module"}
_NO_ATTRIBUTE = re.compile(r"^'(?P<cls>[A-Za-z_]\w*)' object has no attribute '(?P<attr>[A-Za-z_]\w*)'")
# nn.Module.__init__ names the class it was called for: `Net.__init__() takes 1 positional argument
# but 2 were given`, `Net.__init__() got an unexpected keyword argument 'n'`
_BAD_ARGUMENTS = re.compile(
    r"^(?P<cls>[A-Za-z_]\w*)\.__init__\(\) (?:takes \d+ positional arguments? but \d+ (?:was|were) given"
    r"|got an unexpected keyword argument '\w+')"
)


def _one_edit_apart(a: str, b: str) -> bool:
    """Equal but for one insertion, deletion, substitution or swap of neighbours."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def is_near_init(name: str) -> bool:
    """``_init_``, ``__int__``, ``__init``, ``init__``, ``__inti__``, ``__initi__``, ``_init__``,
    ``__init_``: dunder-like underscores around (nearly) "init". A plain ``init`` or ``_init`` is an
    ordinary helper's name, and ``_init_weights`` is not a near miss at all."""
    if name == "__init__":
        return False
    core = name.strip("_")
    lead = len(name) - len(name.lstrip("_"))
    trail = len(name) - len(name.rstrip("_"))
    if not core.isalpha() or not ((lead and trail) or lead >= 2 or trail >= 2):
        return False
    return core.lower() == "init" or _one_edit_apart(core.lower(), "init")


@dataclass
class _Misspelled:
    """A class whose constructor is misspelled, and the method that was meant to be it."""

    source: SourceFile
    cls: cst.ClassDef
    method: cst.FunctionDef
    qualified: str  # the class as the run names it: "__main__.Net", "models.Encoder"


@dataclass
class _Rename(Candidate):
    """The rename, and the class whose modules it must give trained layers."""

    qualified: str = ""


def _builds(method: cst.FunctionDef) -> bool:
    """The method sets the module up: it calls a base ``__init__`` or assigns ``self.<name>``, and
    returns nothing (``def __int__(self): return int(self.n)`` is the real int() hook)."""
    if method.decorators or not method.params.params:
        return False
    me = method.params.params[0].name.value
    if any(r.value is not None for r in descendants(method.body, cst.Return)):
        return False
    for call in descendants(method.body, cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "__init__":
            return True
    for target in descendants(method.body, cst.AssignTarget):
        node = target.target
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == me:
            return True
    return False


def _assigned_attributes(method: cst.FunctionDef) -> set[str]:
    """``fc`` of ``self.fc = nn.Linear(...)`` (or ``self.fc: nn.Linear = ...``) in the method."""
    me = method.params.params[0].name.value if method.params.params else "self"
    targets = [t.target for t in descendants(method.body, cst.AssignTarget)]
    targets += [a.target for a in descendants(method.body, cst.AnnAssign)]
    return {
        node.attr.value
        for node in targets
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == me
    }


def _methods(cls: cst.ClassDef) -> list[cst.FunctionDef]:
    return [s for s in cls.body.body if isinstance(s, cst.FunctionDef)] if isinstance(cls.body, cst.IndentedBlock) else []


def base_constructor_calls(cls: cst.ClassDef, method: cst.FunctionDef) -> list[cst.Attribute]:
    """The misspelled method's own calls of its base's constructor, spelled like it or with
    another near miss: ``super()._init_()``, ``super(Net, self)._init_()``, ``nn.Module._init_(self)``.
    The typo copied into the base call is still the constructor, not a helper the file calls."""
    bases = {cst.Module([]).code_for_node(base.value) for base in cls.bases}
    found = []
    for call in descendants(method.body, cst.Call):
        func = call.func
        if not isinstance(func, cst.Attribute) or not is_near_init(func.attr.value):
            continue
        receiver = func.value
        if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Name) and receiver.func.value == "super":
            found.append(func)
        elif cst.Module([]).code_for_node(receiver) in bases:
            found.append(func)
    return found


def misspelled_constructor(source: SourceFile, cls: cst.ClassDef) -> Optional[cst.FunctionDef]:
    """The near-miss method of a class that defines no ``__init__``; None when there is none, or
    when the file calls that method by name (then it is a helper, not a typo)."""
    if not isinstance(cls.body, cst.IndentedBlock):
        return None
    methods = _methods(cls)
    if any(m.name.value == "__init__" for m in methods):
        return None
    if any(isinstance(t.target, cst.Name) and t.target.value == "__init__" for t in descendants(cls.body, cst.AssignTarget)):
        return None
    near = [m for m in methods if is_near_init(m.name.value) and _builds(m)]
    if len(near) != 1:
        return None
    name = near[0].name.value
    own = {id(a) for a in base_constructor_calls(cls, near[0])}
    if any(a.attr.value == name and id(a) not in own for a in descendants(source.module, cst.Attribute)):
        return None
    # A base class of the file that defines the same method makes it an overridden hook, which
    # that base calls (from its own constructor, perhaps in another file), not a typo.
    for base in cls.bases:
        if isinstance(base.value, cst.Name):
            defined = _top_class(source, base.value.value)
            if defined is not None and any(m.name.value == name for m in _methods(defined)):
                return None
    return near[0]


def _top_class(source: SourceFile, name: str) -> Optional[cst.ClassDef]:
    return _nested_class(source.module.body, [name])


def _definitions(body: Sequence[cst.CSTNode]) -> Iterator[Union[cst.ClassDef, cst.FunctionDef]]:
    """The classes and functions a body defines at its own level, also under ``if __name__ ==
    "__main__":``, ``try:`` or ``with``, which do not make a scope of their own."""
    for statement in body:
        if isinstance(statement, (cst.ClassDef, cst.FunctionDef)):
            yield statement
        elif isinstance(statement, cst.BaseCompoundStatement):
            yield from _definitions(_blocks(statement))


def _blocks(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The statements of every block of a compound statement (its body, elif, else, except, finally)."""
    found: list[cst.CSTNode] = []
    for child in node.children:
        if isinstance(child, cst.IndentedBlock):
            found.extend(child.body)
        elif isinstance(child, (cst.If, cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler)):
            found.extend(_blocks(child))
    return found


def _nested_class(body: Sequence[cst.CSTNode], qualname: list[str]) -> Optional[cst.ClassDef]:
    """The class a ``__qualname__`` names (``Net``, ``main.<locals>.Net``, ``Outer.Inner``),
    found among the definitions of a body, looking into functions and classes by name."""
    head, rest = qualname[0], qualname[1:]
    if rest and rest[0] == "<locals>":
        rest = rest[1:]
    matches = [d for d in _definitions(body) if d.name.value == head]
    if len(matches) != 1:  # defined twice (under an `if`, or redefined): not sure which one ran
        return None
    found = matches[0]
    if not rest:
        return found if isinstance(found, cst.ClassDef) else None
    if not isinstance(found.body, cst.IndentedBlock):
        return None
    return _nested_class(found.body.body, rest)


class MisspelledInit(Rule):
    code = "GF022"
    title = "nn.Module constructor misspelled: its layers are never built"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None:
            return []
        found: list[tuple[_Misspelled, str]] = []  # (the class, what the run showed)
        if crash.type == "ValueError" and "empty parameter list" in crash.message:
            found = [(m, "is built without a single parameter") for m in self._empty(trace, project, crash)]
        elif crash.type == "AttributeError" and (match := _NO_ATTRIBUTE.match(crash.message)):
            found = [(m, f"has no attribute {match.group('attr')}") for m in self._attribute(trace, project, match)]
        elif crash.type == "TypeError" and (match := _BAD_ARGUMENTS.match(crash.message)):
            found = [(m, "rejects its constructor arguments") for m in self._arguments(trace, project, crash, match.group("cls"))]
        findings = []
        for misspelled, showed in found:
            if not project.is_editable(misspelled.source.path):
                continue
            source, method = misspelled.source, misspelled.method
            cls_name, name = misspelled.cls.name.value, method.name.value
            edits = [source.replace_node(method.name, cst.Name("__init__"))]
            # `super()._init_()` in it is the same typo: renamed too, or the fixed constructor fails.
            edits += [source.replace_node(call.attr, cst.Name("__init__")) for call in base_constructor_calls(misspelled.cls, method)]
            candidate = _Rename(
                f"rename {cls_name}.{name} to __init__", [Patch(source.path, sorted(edits, key=lambda e: e.start))],
                self.applicability, None, qualified=misspelled.qualified,
            )
            message = (
                f"the script crashed: {crash.type}: {crash.message}; {cls_name} defines `{name}`, not `__init__`: "
                f"Python never calls it, the inherited constructor runs instead, and the {cls_name} {showed}"
            )
            findings.append(self.finding(project, source.site(method.name), message, [], [candidate], blocking=True))
        return findings

    # -- the three ways the run shows it ----------------------------------------------------------

    def _empty(self, trace: Trace, project: Project, crash: Crash) -> list[_Misspelled]:
        """The optimizer's model, or a module inside it, was built without a parameter. Looked for
        first among the modules bound where the optimizer was built (and inside them); a helper
        handed only the parameters binds none, and then every module of the run is a suspect."""
        scoped = [m for m in (trace.module(i) for i in crash.scope_modules.values()) if m is not None]
        inside = [c for m in scoped for c in (trace.module(i) for i in m.children) if c is not None]
        return self._parameterless(trace, project, [*scoped, *inside]) or self._parameterless(trace, project, trace.modules)

    def _parameterless(self, trace: Trace, project: Project, suspects: list[ModuleFact]) -> list[_Misspelled]:
        found: list[_Misspelled] = []
        for module in suspects:
            if module.num_params:
                continue
            misspelled = self._class_of(trace, project, module.cls)
            if misspelled is not None and all(f.cls is not misspelled.cls for f in found):
                found.append(misspelled)
        return found

    def _attribute(self, trace: Trace, project: Project, match: re.Match[str]) -> list[_Misspelled]:
        """``'Net' object has no attribute 'fc'``: a Net was built, and ``fc`` is what its
        misspelled constructor would have assigned."""
        for module in trace.modules:
            if module.cls.rsplit(".", 1)[-1] != match.group("cls"):
                continue
            misspelled = self._class_of(trace, project, module.cls)
            if misspelled is not None and match.group("attr") in _assigned_attributes(misspelled.method):
                return [misspelled]
        return []

    def _arguments(self, trace: Trace, project: Project, crash: Crash, named: str) -> list[_Misspelled]:
        """``Net(3)`` crashed in nn.Module.__init__: the class called at the crash site (or the
        user base whose ``__init__`` ran) is the one torch names."""
        if crash.site is None or not project.is_editable(crash.site.file):
            return []
        source = project.source(crash.site.file)
        for call in source.nodes_at(crash.site, cst.Call):
            for qualified in source.qualified_names(call.func):
                located = self._locate(trace, project, source, qualified)
                if located is None:
                    continue
                where, cls = located
                method = misspelled_constructor(where, cls)
                if method is None:
                    continue
                lineage = list(self._lineage(trace, project, where, cls, set()))
                if lineage and lineage[-1] is None and named in [item[1].name.value for item in lineage if item is not None]:
                    return [_Misspelled(where, cls, method, self._runtime_name(trace, where, qualified))]
        return []

    @staticmethod
    def _runtime_name(trace: Trace, source: SourceFile, qualified: str) -> str:
        """How the run will name the class: ``Net`` of the script is ``__main__.Net``; one of
        another file is named by the module it was imported as (``models.Encoder``)."""
        name = qualified.rpartition(".")[2]
        if os.path.realpath(source.path) == os.path.realpath(trace.script):
            return f"__main__.{name}"
        if "." in qualified:
            return qualified
        relative = os.path.relpath(source.path, os.path.dirname(trace.script))
        return ".".join([*os.path.splitext(relative)[0].split(os.sep), name])

    # -- finding the class in the user's files ------------------------------------------------------

    def _class_of(self, trace: Trace, project: Project, qualified: str) -> Optional[_Misspelled]:
        """The user's class a runtime qualified name (``__main__.Net``, ``models.Net``) names, if
        its constructor is misspelled."""
        parts = qualified.split(".")
        # A class defined inside a function or another class has a dotted qualified name of its
        # own (`__main__.main.<locals>.Net`): the file is named by the longest prefix that is one.
        for split in range(len(parts) - 1, 0, -1):
            path = self._file_of(trace, project, ".".join(parts[:split]))
            if path is None:
                continue
            source = project.source(path)
            cls = _nested_class(source.module.body, parts[split:])
            if cls is None:
                return None
            method = misspelled_constructor(source, cls)
            return None if method is None else _Misspelled(source, cls, method, qualified)
        return None

    @staticmethod
    def _file_of(trace: Trace, project: Project, module_name: str) -> Optional[str]:
        if module_name == "__main__":
            return trace.script if project.is_editable(trace.script) else None
        if not module_name or "<" in module_name:
            return None
        parts = module_name.split(".")
        for folder in (os.path.dirname(trace.script), project.root):
            for path in (os.path.join(folder, *parts) + ".py", os.path.join(folder, *parts, "__init__.py")):
                if os.path.isfile(path) and project.is_editable(path):
                    return path
        return None

    def _locate(self, trace: Trace, project: Project, source: SourceFile, qualified: str) -> Optional[tuple[SourceFile, cst.ClassDef]]:
        """A class by the qualified name libcst gives a reference to it: ``Net`` in this file, or
        ``models.Net`` in a file of the project."""
        module_name, _, cls_name = qualified.rpartition(".")
        if not module_name:
            cls = _top_class(source, cls_name)
            return None if cls is None else (source, cls)
        path = self._file_of(trace, project, module_name)
        if path is None:
            return None
        where = project.source(path)
        cls = _top_class(where, cls_name)
        return None if cls is None else (where, cls)

    def _lineage(
        self, trace: Trace, project: Project, source: SourceFile, cls: cst.ClassDef, seen: set[str]
    ) -> Iterator[Optional[tuple[SourceFile, cst.ClassDef]]]:
        """The class and the user base classes on its way to ``torch.nn.Module``; ends with None
        once it reaches it (the class is a module)."""
        key = f"{source.path}:{cls.name.value}"
        if key in seen:
            return
        seen.add(key)
        yield source, cls
        for base in cls.bases:
            names = source.qualified_names(base.value)
            if names & _MODULE_BASES:
                yield None
                return
            for qualified in names:
                located = self._locate(trace, project, source, qualified)
                if located is None:
                    continue
                inner = list(self._lineage(trace, project, *located, seen))
                yield from inner
                if inner and inner[-1] is None:
                    return

    # -- the verdict ------------------------------------------------------------------------------

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        after = run.trace
        if not verdict.verified or after.crash is not None or not isinstance(candidate, _Rename):
            return verdict  # a crash further on is progress: the loop goes on from that run
        # The renamed constructor must build the layers, and the loss must reach them.
        modules = [m for m in after.modules if m.cls == candidate.qualified and m.path is not None]
        built = [
            p for p in after.params
            if p.requires_grad and p.is_leaf and any(p.name.startswith(f"{m.path}.") for m in modules)
        ]
        if not built:
            return Verdict(False, "the renamed constructor builds no trainable parameter")
        trained = [p for p in built if p.got_grad and (p.changed or not after.steps)]
        if not trained:
            if not any(p.got_grad for p in built):
                return Verdict(False, f"the layers are built, but {short_list([p.name for p in built])} receive no gradient")
            return Verdict(False, f"the layers are built, but {short_list([p.name for p in built])} never change after optimizer.step()")
        names = [p.name for p in trained]
        # What the fix claims, now that the layers exist: the loop shows them, and its last run,
        # with every later fix in, checks them again.
        candidate.params = names
        if after.steps:
            return Verdict(True, f"the layers are built: {short_list(names)} now receive gradients and change after optimizer.step()", names)
        return Verdict(True, f"the layers are built: {short_list(names)} now receive gradients", names)
