"""A user's source file as libcst sees it: parsing, mapping runtime sites to nodes, making edits.

Rules use this to turn a Site from the Trace into the exact CST node it names (the span from
``co_positions`` equals the node's ``PositionProvider`` range) and to express a node-level change
as an :class:`~gradfix.edits.Edit` on the text as it is on disk.
"""

from __future__ import annotations

import ast
import re
from collections import OrderedDict
from functools import cached_property
from typing import Iterator, Optional, TypeVar, Union

import libcst as cst
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    PositionProvider,
    ScopeProvider,
)

from gradfix.edits import Edit, Position, Text
from gradfix.expressions import binds_tightest, call_argument, dotted_path
from gradfix.precheck import Unreadable, parse, read_text, syntax_message
from gradfix.trace import Site

N = TypeVar("N", bound=cst.CSTNode)

_IGNORE = re.compile(r"#\s*(?:gradfix:\s*ignore|noqa)(?:\s*[\[:]\s*(?P<codes>[A-Z0-9,\s]+)\]?)?", re.IGNORECASE)


class _Walk:
    """Every node of a tree in libcst's visiting order (pre-order), and where each node's subtree
    lies in that list: the nodes of a subtree are the run of the list from the node to its leave.
    Also each node's parent, set as libcst's ParentNodeProvider sets it (at the parent's leave, for
    each of its children in order: a node libcst shares between two places gets the later one)."""

    def __init__(self, root: cst.CSTNode):
        self.order: list[cst.CSTNode] = []
        self.spans: dict[int, tuple[int, int]] = {}
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        order, spans, parents = self.order, self.spans, self.parents
        starts: list[int] = []
        children: list[list[cst.CSTNode]] = [[]]

        class Record(cst.CSTVisitor):
            def on_visit(self, visited: cst.CSTNode) -> bool:
                children[-1].append(visited)
                children.append([])
                starts.append(len(order))
                order.append(visited)
                return True

            def on_leave(self, original_node: cst.CSTNode) -> None:
                for child in children.pop():
                    parents[child] = original_node
                # A node met twice has the same subtree at both places.
                spans[id(original_node)] = (starts.pop(), len(order))

        root.visit(Record())


# The walks of the trees that rules searched lately, and for each node they hold (by id: libcst
# nodes have no weak references) its walk. A walk holds its nodes, so no id is reused while its
# walk is kept. Rules search the same module and its functions again and again (294 call sites);
# a libcst visit rebuilds every node it passes, which made these searches a third of a diagnosis.
_WALKS: "OrderedDict[int, _Walk]" = OrderedDict()
_WALK_OF: dict[int, _Walk] = {}
_WALKS_MAX = 64


def _forget(walk: _Walk) -> None:
    for key in walk.spans:
        if _WALK_OF.get(key) is walk:
            del _WALK_OF[key]


def _subtree(node: cst.CSTNode) -> list[cst.CSTNode]:
    walk = _WALK_OF.get(id(node))
    if walk is None:
        walk = _Walk(node)
        if id(node) in _WALKS:  # its walk's entries went to a newer walk since forgotten
            _forget(_WALKS.pop(id(node)))
        _WALKS[id(node)] = walk
        for key in walk.spans:
            _WALK_OF[key] = walk
        while len(_WALKS) > _WALKS_MAX:
            _forget(_WALKS.popitem(last=False)[1])
    start, end = walk.spans[id(node)]
    return walk.order[start:end]


def parents_in(module: cst.Module) -> dict[cst.CSTNode, cst.CSTNode]:
    """Each node's parent in ``module``: what libcst's ParentNodeProvider gives, from the walk the
    searches share (the provider walks the tree twice more, a libcst visit and ``children``)."""
    _subtree(module)
    return _WALK_OF[id(module)].parents


# the methods through which a DataLoader takes items from a dataset
_ITEM_METHODS = {"__getitem__", "__getitems__", "__iter__", "__next__"}


def descendants(node: cst.CSTNode, kind: type[N]) -> list[N]:
    """Every node of ``kind`` inside ``node`` (itself included), in libcst's visiting order.
    libcst.matchers does this too, but importing it costs half a second, which every gradfix run
    would pay. A fresh list each time: callers may change it."""
    return [found for found in _subtree(node) if isinstance(found, kind)]


def is_zero_literal(node: cst.BaseExpression) -> bool:
    """``0``, ``0.0``, ``0e0``: a number written as zero (a name bound to 0 is not)."""
    if isinstance(node, (cst.Integer, cst.Float)):
        try:
            return float(node.value) == 0
        except ValueError:
            return False
    return False


class BadSource(Exception):
    """The file cannot be diagnosed as it is (not UTF-8, not Python, ...)."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.path = path


def _syntax_error(text: str, path: str, error: cst.ParserSyntaxError) -> str:
    """Python's own message where it has one: it is what the user sees when they run the script,
    and libcst's parser only lists the tokens it expected. Compiling does not run the code."""
    try:
        compile(text, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as python:
        return f"syntax error at line {python.lineno}: {python.msg}"
    except ValueError:  # null bytes
        pass
    return f"libcst cannot parse line {error.raw_line}: {error.message}"


class SourceFile:
    """A file's text, and its libcst tree with metadata, parsed when a rule first asks for it
    (most scripts of a batch are clean, and no rule needs their tree)."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.lines = Text(text)
        self._qualified: dict[cst.CSTNode, frozenset[str]] = {}

    def check_syntax(self) -> None:
        """Python's own verdict on the syntax, without building a libcst tree."""
        try:
            parse(self.text, self.path)
        except SyntaxError as error:
            raise BadSource(syntax_message(error)) from None

    @cached_property
    def wrapper(self) -> MetadataWrapper:
        try:
            parsed = cst.parse_module(self.text)
        except cst.ParserSyntaxError as error:
            raise BadSource(_syntax_error(self.text, self.path, error), self.path) from None
        # The tree is this object's alone: MetadataWrapper's defensive deep copy would only cost time.
        return MetadataWrapper(parsed, unsafe_skip_copy=True)

    @property
    def module(self) -> cst.Module:
        return self.wrapper.module

    @classmethod
    def read(cls, path: str) -> "SourceFile":
        if path.endswith(".ipynb"):
            # A notebook is read as the program of its code cells (notebook.py): what runs, and
            # what a fix edits.
            from gradfix import notebook

            try:
                return cls(path, notebook.read(path).program)
            except notebook.NotebookProblem as error:
                raise BadSource(str(error), path) from None
        try:
            return cls(path, read_text(path))
        except Unreadable as error:
            raise BadSource(str(error)) from None

    # -- metadata ---------------------------------------------------------------------------------

    @cached_property
    def positions(self):  # type: ignore[no-untyped-def]
        return self.wrapper.resolve(PositionProvider)

    @cached_property
    def parents(self) -> "dict[cst.CSTNode, cst.CSTNode]":
        return parents_in(self.module)

    @cached_property
    def scopes(self):  # type: ignore[no-untyped-def]
        return self.wrapper.resolve(ScopeProvider)

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """What libcst's QualifiedNameProvider gives for ``node``, asked of its scope directly as
        the provider does (``scope.get_qualified_names_for(node)``, nothing where it has no
        scope), without the provider's own walk of the whole tree; each node's answer computed
        once, as the provider's lazy values are."""
        names = self._qualified.get(node)
        if names is None:
            scope = self.scopes.get(node, None)
            names = self._qualified[node] = frozenset(q.name for q in scope.get_qualified_names_for(node)) if scope else frozenset()
        return set(names)

    def subclasses(self, cls: cst.ClassDef, bases: set[str], seen: Optional[set[str]] = None) -> bool:
        """Whether a class derives from one of ``bases`` (qualified names, under any import alias),
        directly or through a class of this same file."""
        seen = set() if seen is None else seen
        if cls.name.value in seen:
            return False
        seen.add(cls.name.value)
        for base in cls.bases:
            if base.keyword is not None:
                continue
            if self.qualified_names(base.value) & bases:
                return True
            if isinstance(base.value, cst.Name):
                for other in descendants(self.module, cst.ClassDef):
                    if other.name.value == base.value.value and other is not cls and self.subclasses(other, bases, seen):
                        return True
        return False

    def range(self, node: cst.CSTNode) -> CodeRange:
        return self.positions[node]

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def operand_code(self, node: cst.BaseExpression) -> str:
        """``node``'s code, in parentheses unless it
        :func:`~gradfix.expressions.binds_tightest`: text to write before ``.method()`` or beside
        an operator."""
        code = self.code(node)
        return code if binds_tightest(node) else f"({code})"

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        parent = self.parent(node)
        while parent is not None:
            yield parent
            parent = self.parent(parent)

    def enclosing_function(self, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
        """The nearest ``def`` around ``node`` (a lambda in between does not stop the search), or
        None at module level. A ``def`` node is not its own enclosing function."""
        return next((a for a in self.ancestors(node) if isinstance(a, cst.FunctionDef)), None)

    def enclosing_scope(self, node: cst.CSTNode) -> Union[cst.FunctionDef, cst.Module]:
        """:meth:`enclosing_function`, or the module when no ``def`` encloses ``node`` (module level,
        or a class body outside any method)."""
        function = self.enclosing_function(node)
        return function if function is not None else self.module

    # -- from runtime sites to nodes ------------------------------------------------------------

    def site(self, node: cst.CSTNode) -> Site:
        """Where a node starts, as the probe reports places (byte columns)."""
        start = self.range(node).start
        line_text = self.text[self.lines.line_start(start.line) : self.lines.line_end(start.line)]
        return Site(self.path, start.line, len(line_text[: start.column].encode("utf-8")))

    def char_column(self, line: int, byte_column: Optional[int]) -> Optional[int]:
        """co_positions columns count UTF-8 bytes; libcst columns count characters."""
        if byte_column is None:
            return None
        start = self.lines.line_start(line)
        text = self.text[start : self.lines.line_end(line)]
        return len(text.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))

    def nodes_at(self, site: Site, kind: type[N]) -> list[N]:
        """Nodes of ``kind`` at a runtime site: the exact span where columns are known, else the line."""
        found = []
        column = self.char_column(site.line, site.column)
        end_column = self.char_column(site.end_line or site.line, site.end_column)
        for node, where in self.positions.items():
            if not isinstance(node, kind):
                continue
            if column is not None and site.end_line is not None:
                if (where.start.line, where.start.column, where.end.line, where.end.column) == (
                    site.line,
                    column,
                    site.end_line,
                    end_column,
                ):
                    found.append(node)
            elif where.start.line <= site.line <= where.end.line:
                found.append(node)
        return found

    def statement_of(self, node: cst.CSTNode) -> Optional[cst.BaseStatement]:
        if isinstance(node, cst.BaseStatement):
            return node
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.BaseStatement):
                return ancestor
        return None

    def statements_on_line(self, line: int) -> list[cst.BaseStatement]:
        return [
            node
            for node, where in self.positions.items()
            if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) and where.start.line == line
        ]

    def bound_once(self, name: cst.Name) -> Optional[tuple[cst.Assign, int]]:
        """For a name assigned exactly once in its scope, by a plain ``name = value``: that
        assignment, and how many times the scope reads the name."""
        scope = self.scopes.get(name)
        if scope is None:
            return None
        assignments = list(scope.assignments[name.value])
        if len(assignments) != 1:
            return None
        node = assignments[0].node
        assign = self.parent(node) if isinstance(node, cst.Name) else None
        while assign is not None and isinstance(assign, cst.AssignTarget):
            assign = self.parent(assign)
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return None
        return assign, len(scope.accesses[name.value])

    def literal_behind(self, node: cst.BaseExpression, depth: int = 6) -> Optional[cst.BaseExpression]:
        """The literal in this file whose edit changes the value ``node`` reads: ``node`` itself
        when it is one (``True``, ``1.0``, ``"add"``); through a name assigned once (``SPARSE =
        True``); a parameter's default, or the argument that the calls of its class in this file
        all pass for it (``SkipGram(..., CONFIG["sparse"])``); a string key of a dict literal that a
        name holds that way (``CONFIG = {"sparse": True}``, handed on as ``cfg``). None when the
        value is computed, read from the command line, or passed differently in different places."""
        if depth == 0:
            return None
        if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)) or (
            isinstance(node, cst.Name) and node.value in ("True", "False", "None")
        ):
            return node
        if isinstance(node, cst.UnaryOperation) and isinstance(node.expression, (cst.Integer, cst.Float)):
            return node
        if isinstance(node, cst.Subscript) and len(node.slice) == 1:
            index = node.slice[0].slice
            key = index.value.evaluated_value if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString) else None
            held: Optional[cst.BaseExpression] = node.value
            for _ in range(depth):
                if not isinstance(held, cst.Name):
                    break
                held = self._value_of(held)
            if key is None or not isinstance(held, cst.Dict):
                return None
            values = [
                e.value for e in held.elements
                if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) and e.key.evaluated_value == key
            ]
            return self.literal_behind(values[0], depth - 1) if len(values) == 1 else None
        if isinstance(node, cst.Name):
            value = self._value_of(node)
            return self.literal_behind(value, depth - 1) if value is not None else None
        return None

    def _value_of(self, name: cst.Name) -> Optional[cst.BaseExpression]:
        """What a name holds, read from this file: the value of its one assignment in its scope, or,
        for a parameter, its default, else what the calls of its class pass for it."""
        scope = self.scopes.get(name)
        if scope is None:
            return None
        assignments = list(scope.assignments[name.value])
        if not assignments and scope is not scope.globals:
            assignments = list(scope.globals.assignments[name.value])  # a module's constant, read in a function
        if len(assignments) != 1:
            return None
        bound = assignments[0].node
        if isinstance(bound, cst.Param):
            return bound.default if bound.default is not None else self._passed_for(bound)
        assign = self.parent(bound) if isinstance(bound, cst.Name) else None
        while assign is not None and isinstance(assign, cst.AssignTarget):
            assign = self.parent(assign)
        return assign.value if isinstance(assign, cst.Assign) and len(assign.targets) == 1 else None

    def _passed_for(self, param: cst.Param) -> Optional[cst.BaseExpression]:
        """What the calls in this file of the class whose ``__init__`` takes ``param`` pass for it
        (positionally or by keyword), when they all pass the same text; None for another function."""
        function = self.enclosing_function(param)
        cls = self._class_of(param) if function is not None and function.name.value == "__init__" else None
        if cls is None or function is None:
            return None
        calls = [c for c in descendants(self.module, cst.Call) if isinstance(c.func, cst.Name) and c.func.value == cls.name.value]
        names = [p.name.value for p in function.params.params][1:]  # after self
        passed = []
        for call in calls:
            if any(a.star for a in call.args):
                return None
            keyword = [a.value for a in call.args if a.keyword is not None and a.keyword.value == param.name.value]
            positional = [a.value for a in call.args if a.keyword is None]
            index = names.index(param.name.value) if param.name.value in names else -1
            passed += keyword or ([positional[index]] if 0 <= index < len(positional) else [])
        if not passed or len({self.code(p) for p in passed}) != 1:
            return None
        return passed[0]

    # -- what an expression tests or keeps ------------------------------------------------------

    def tests_requires_grad(self, node: cst.BaseExpression, subject: str) -> bool:
        """``subject.requires_grad`` (also ``== True``, ``is True``): true only for what already trains."""
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            target = node.comparisons[0]
            if isinstance(target.operator, (cst.Equal, cst.Is)) and isinstance(target.comparator, cst.Name) and target.comparator.value == "True":
                node = node.left
        return (
            isinstance(node, cst.Attribute) and node.attr.value == "requires_grad" and not node.lpar
            and self.code(node.value) == subject
        )

    def in_data_pipeline(self, node: cst.CSTNode, depth: int = 3) -> bool:
        """``node`` is in code that makes the training data, not in the training step: a method
        that gives items (a Dataset's ``__getitem__``, an IterableDataset's ``__iter__``), a
        function of this file handed to a ``collate_fn=`` argument (``collate``, ``self.collate``,
        ``batcher.collate``), or a helper that only such code calls (``self._encode(words)`` from
        ``__getitem__``, ``tokenize(x)`` from a collate function), up to ``depth`` calls deep."""
        function = self.enclosing_function(node)
        if function is None:
            return False
        name = function.name.value
        owner = self.parent(self.parent(function))
        if name in _ITEM_METHODS and isinstance(owner, cst.ClassDef):
            return True
        calls = descendants(self.module, cst.Call)
        for call in calls:
            argument = call_argument(call, None, "collate_fn")
            path = dotted_path(argument.value) if argument is not None else None
            if path is not None and (path == name or path.endswith("." + name)):
                return True
        if depth == 0 or name.startswith("__"):
            return False
        # Its callers in this file: `self.name(...)` inside its own class, or `name(...)` for a
        # function of the module. Each must be data-pipeline code; a helper the training step
        # calls too is not.
        # Any other mention of the name (`data.features(w)` in the training loop, a reference
        # handed on) may be a use outside the pipeline: then it is not the pipeline's alone.
        if isinstance(owner, cst.ClassDef):
            callers = [c for c in calls if dotted_path(c.func) == f"self.{name}" and self._class_of(c) is owner]
            mentions = [a for a in descendants(self.module, cst.Attribute) if a.attr.value == name]
        elif isinstance(self.parent(function), cst.Module):
            callers = [c for c in calls if isinstance(c.func, cst.Name) and c.func.value == name]
            mentions = [
                n for n in descendants(self.module, cst.Name)
                if n.value == name and n is not function.name
                and not (isinstance(self.parent(n), cst.Attribute) and self.parent(n).attr is n)  # type: ignore[union-attr]
            ]
        else:
            return False
        if not callers or len(mentions) != len(callers):
            return False
        return all(self.in_data_pipeline(c, depth - 1) for c in callers)

    def _class_of(self, node: cst.CSTNode) -> Optional[cst.ClassDef]:
        """The class whose method holds ``node``."""
        function = self.enclosing_function(node)
        owner = self.parent(self.parent(function)) if function is not None else None
        return owner if isinstance(owner, cst.ClassDef) else None

    def requires_grad_filtered(self, iterable: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        """``filter(lambda p: p.requires_grad, ps)``, ``(p for p in ps if p.requires_grad)`` or
        ``[p for p in ps if p.requires_grad]``: ``ps``; None for anything else."""
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) and iterable.func.value == "filter":
            if self.qualified_names(iterable.func) != {"builtins.filter"}:
                return None  # a filter of the file's own
            if len(iterable.args) == 2 and all(a.keyword is None and not a.star for a in iterable.args):
                test = iterable.args[0].value
                if isinstance(test, cst.Lambda) and len(test.params.params) == 1:
                    if self.tests_requires_grad(test.body, test.params.params[0].name.value):
                        return iterable.args[1].value
        if isinstance(iterable, (cst.GeneratorExp, cst.ListComp)) and isinstance(iterable.elt, cst.Name):
            loop = iterable.for_in
            if (
                loop.inner_for_in is None and len(loop.ifs) == 1 and isinstance(loop.target, cst.Name)
                and loop.target.value == iterable.elt.value and self.tests_requires_grad(loop.ifs[0].test, loop.target.value)
            ):
                return loop.iter
        return None

    def assigned_value(self, line: int, attr: str) -> Optional[cst.BaseExpression]:
        """The value of ``<x>.<attr> = value`` on a line."""
        for statement in self.statements_on_line(line):
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, cst.AnnAssign):
                    targets = [small.target]
                else:
                    continue
                for target in targets:
                    if isinstance(target, cst.Attribute) and target.attr.value == attr and small.value is not None:
                        return small.value
        return None

    # -- what the file itself spells -----------------------------------------------------------

    @cached_property
    def bindings(self) -> frozenset[str]:
        """Every name some scope of the file binds: assignments (also in loops, ``with``, ``:=``,
        comprehensions, ``except ... as``, ``match``), imports, ``def``, ``class``, parameters,
        ``global``/``nonlocal``. A name the run reports must be one of these before gradfix
        writes it into a fix or quotes it: the run can bind anything (``globals()[text] = ...``),
        the file only what it spells. Read from the tree the rules already parsed, without
        libcst's scope analysis (which costs several times the parse on a large file)."""
        return self._spelled[0]

    @cached_property
    def strings(self) -> frozenset[str]:
        """The values of the file's plain string literals and its keyword argument names: the
        keys a name such as ``params['w']`` may quote (``{"w": ...}``, ``dict(w=...)``)."""
        return self._spelled[1]

    @cached_property
    def _spelled(self) -> tuple[frozenset[str], frozenset[str]]:
        bound: set[str] = set()
        strings: set[str] = set()

        def targets(node: cst.CSTNode) -> None:
            if isinstance(node, cst.Name):
                bound.add(node.value)
            elif isinstance(node, (cst.Tuple, cst.List)):
                for element in node.elements:
                    targets(element.value)
            elif isinstance(node, cst.StarredElement):
                targets(node.value)

        class Collect(cst.CSTVisitor):
            def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
                targets(node.target)

            def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
                targets(node.target)

            def visit_AugAssign(self, node: cst.AugAssign) -> None:
                targets(node.target)

            def visit_For(self, node: cst.For) -> None:
                targets(node.target)

            def visit_CompFor(self, node: cst.CompFor) -> None:
                targets(node.target)

            def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
                targets(node.target)

            def visit_AsName(self, node: cst.AsName) -> None:
                targets(node.name)

            def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
                if node.asname is None:
                    # `import a.b` binds `a`; `from m import x` binds `x`
                    name = node.name
                    while isinstance(name, cst.Attribute):
                        name = name.value
                    targets(name)

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                bound.add(node.name.value)

            def visit_ClassDef(self, node: cst.ClassDef) -> None:
                bound.add(node.name.value)

            def visit_Param(self, node: cst.Param) -> None:
                bound.add(node.name.value)

            def visit_NameItem(self, node: cst.NameItem) -> None:  # global / nonlocal
                bound.add(node.name.value)

            def visit_MatchAs(self, node: cst.MatchAs) -> None:
                if node.name is not None:
                    bound.add(node.name.value)

            def visit_MatchStar(self, node: cst.MatchStar) -> None:
                if node.name is not None:
                    bound.add(node.name.value)

            def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
                if node.rest is not None:
                    bound.add(node.rest.value)

            def visit_SimpleString(self, node: cst.SimpleString) -> None:
                value = node.evaluated_value
                if isinstance(value, str):
                    strings.add(value)

            def visit_Arg(self, node: cst.Arg) -> None:
                if node.keyword is not None:
                    strings.add(node.keyword.value)

        self.module.visit(Collect())
        return frozenset(bound), frozenset(strings)

    # -- suppression ----------------------------------------------------------------------------

    def ignored(self, line: int, code: str) -> bool:
        """``# gradfix: ignore[GF004]``, a bare ``# gradfix: ignore`` or ``# noqa: GF004`` on the line."""
        return self.ignore_comment(line, code) is not None

    def ignore_comment(self, line: int, code: str) -> Optional[str]:
        """The comment on the line that silences ``code``, as written (None: there is none)."""
        if line < 1 or line > len(self.lines.line_starts):
            return None
        text = self.text[self.lines.line_start(line) : self.lines.line_end(line)]
        if "#" not in text:
            return None
        for match in _IGNORE.finditer(text):
            codes = match.group("codes")
            if not codes or code in {c.strip().upper() for c in codes.split(",")}:
                return match.group(0).strip()
        return None

    # -- edits ----------------------------------------------------------------------------------

    def position(self, offset: int) -> Position:
        return self.lines.position(offset)

    def replace_node(self, node: cst.CSTNode, new: cst.CSTNode) -> Edit:
        """Replace an expression-level node in place; everything around it is untouched. A
        statement the replacement would leave as ``x = x`` (``loss = loss.detach()`` without the
        cut) goes instead: a diff never shows a line that does nothing."""
        if self._leaves_self_assignment(node, new):
            return self.remove_statement(self.statement_of(node))  # type: ignore[arg-type]
        where = self.range(node)
        start = self.lines.offset(Position(where.start.line, where.start.column))
        end = self.lines.offset(Position(where.end.line, where.end.column))
        # libcst positions exclude a node's own parentheses; `()` is all parentheses.
        for _ in getattr(node, "lpar", ()):
            start = self.text.rindex("(", 0, start)
        for _ in getattr(node, "rpar", ()):
            end = self.text.index(")", end) + 1
        # Rendered in place, so that indentation relative to the enclosing block stays right.
        new_code = self.module.deep_replace(node, new).code  # type: ignore[arg-type]
        suffix = len(self.text) - end
        if not (new_code.startswith(self.text[:start]) and new_code.endswith(self.text[end:])):
            raise ValueError("node replacement changed text outside the node")
        return Edit(self.position(start), self.position(end), new_code[start : len(new_code) - suffix])

    def _leaves_self_assignment(self, node: cst.CSTNode, new: cst.CSTNode) -> bool:
        """``name = <node>`` or ``a.b = <node>``, alone on its line, with ``new`` spelling the target."""
        statement = self.statement_of(node)
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return False
        assign = statement.body[0]
        if not isinstance(assign, cst.Assign) or assign.value is not node or len(assign.targets) != 1:
            return False
        target = assign.targets[0].target
        path = target
        while isinstance(path, cst.Attribute):
            path = path.value
        if not isinstance(path, cst.Name) or not isinstance(new, cst.BaseExpression):
            return False  # a subscript or a call in the target may do something when assigned
        return self.code(target).strip() == cst.Module([]).code_for_node(new).strip()

    def statement_lines(self, statement: cst.BaseStatement, with_comments: bool) -> tuple[int, int]:
        """Offsets of the whole lines a statement occupies (and the comment lines just above it)."""
        where = self.range(statement)
        first = where.start.line
        decorators = getattr(statement, "decorators", ())
        if decorators:
            # a def's or class's range starts at its keyword; its decorators and leading lines are above
            first = self.range(decorators[0]).start.line
        if with_comments:
            for empty in reversed(list(statement.leading_lines)):
                if empty.comment is None:
                    break
                first -= 1
        return self.lines.line_start(first), self.lines.line_end(where.end.line)

    def indentation(self, line: int) -> str:
        text = self.text[self.lines.line_start(line) : self.lines.line_end(line)]
        return text[: len(text) - len(text.lstrip(" \t"))]

    def remove_lines(self, first: int, last: int) -> Edit:
        return Edit(self.position(self.lines.line_start(first)), self.position(self.lines.line_end(last)), "")

    def insert_lines(self, before_line: int, text: str) -> Edit:
        """Whole lines inserted before a line (or at the end of the file)."""
        if before_line > len(self.lines.line_starts):
            position = self.position(len(self.text))
            text = ("" if self.text.endswith("\n") else "\n") + text
        else:
            position = Position(before_line, 0)
        return Edit(position, position, text)

    def remove_statement(self, statement: cst.BaseStatement, moved: bool = False) -> Edit:
        """Delete a statement's lines; blank lines stay. The comment lines directly above it go
        only when the statement is all they head (the line after it is blank, a comment, the end
        of its block or of the file) and so describe nothing that stays, or when the caller
        ``moved`` them with it (``statement_lines(..., with_comments=True)``): a comment over
        code that stays may say why that code is there, and is the user's, not gradfix's.
        The only statement of a block takes the block with it when the block is an ``if`` with no
        ``else`` whose test calls nothing (``if use_amp: model.half()``), and becomes ``pass``
        otherwise: the file must still parse."""
        block = self.parent(statement)
        if isinstance(block, cst.IndentedBlock) and len(block.body) == 1:
            owner = self.parent(block)
            if isinstance(owner, cst.If) and owner.orelse is None and not descendants(owner.test, cst.Call):
                return self.remove_statement(owner, moved)
            return self.replace_statement(statement, cst.SimpleStatementLine([cst.Pass()]))
        start, end = self.statement_lines(statement, with_comments=moved or self._heads_nothing_else(statement))
        return Edit(self.position(start), self.position(end), "")

    def _heads_nothing_else(self, statement: cst.BaseStatement) -> bool:
        """Whether the comment lines right above a statement can be about nothing but it: no code
        follows it before a blank line, another comment or a dedent."""
        where = self.range(statement)
        if where.end.line >= len(self.lines.line_starts):
            return True
        following = self.text[self.lines.line_start(where.end.line + 1) : self.lines.line_end(where.end.line + 1)]
        if not following.strip() or following.lstrip().startswith("#"):
            return True
        indent = len(self.indentation(where.start.line).expandtabs())
        return len(following.expandtabs()) - len(following.expandtabs().lstrip()) < indent

    def replace_statement(
        self, statement: cst.BaseStatement, new: Union[cst.BaseStatement, cst.FlattenSentinel]
    ) -> Edit:
        """Replace a statement by others, rendered by libcst at the statement's indentation."""
        new_code = self.module.deep_replace(statement, new).code  # type: ignore[arg-type]
        start, end = self.statement_lines(statement, with_comments=False)
        start -= sum(len(self.code(line)) for line in statement.leading_lines)
        prefix, suffix = self.text[:start], self.text[end:]
        while not (new_code.startswith(prefix) and new_code.endswith(suffix)) and suffix:
            # libcst also re-rendered the block footer (comments after the statement): widen.
            cut = suffix.find("\n") + 1 or len(suffix)
            suffix = suffix[cut:]
        if not new_code.startswith(prefix):
            raise ValueError("statement replacement changed text before the statement")
        replacement = new_code[len(prefix) : len(new_code) - len(suffix)]
        # Comment lines above the statement that the replacement keeps as they were are not part
        # of the edit: the diff then shows only lines that change.
        own_start, _ = self.statement_lines(statement, with_comments=False)
        kept = self.text[start:own_start]
        if replacement.startswith(kept):
            start, replacement = own_start, replacement[len(kept) :]
        return Edit(self.position(start), self.position(len(self.text) - len(suffix)), replacement)


class BindsAndReads(cst.CSTVisitor):
    """What a statement binds and reads: plain names and attribute paths (``self.loss``). The
    target of a ``for`` and of ``with ... as`` is bound before the body reads it (``first``)."""

    def __init__(self) -> None:
        self.binds: set[str] = set()
        self.reads: set[str] = set()
        self.first: set[str] = set()  # names bound before this statement reads them

    path = staticmethod(dotted_path)

    def _store(self, target: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._store(element.value)
            return
        if isinstance(target, cst.StarredElement):
            self._store(target.value)
            return
        if isinstance(target, cst.Subscript):  # `x[i] = v` changes x, and reads it
            target.visit(self)
            target = target.value
        elif isinstance(target, cst.Attribute):
            target.value.visit(self)
        path = self.path(target)
        if path is not None:
            self.binds.add(path)

    def visit_Assign(self, node: cst.Assign) -> bool:
        node.value.visit(self)
        for target in node.targets:
            self._store(target.target)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        if node.value is not None:
            node.value.visit(self)
        self._store(node.target)
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        node.target.visit(self)  # read too
        node.value.visit(self)
        self._store(node.target)
        return False

    def visit_For(self, node: cst.For) -> bool:
        node.iter.visit(self)
        before = set(self.binds)
        self._store(node.target)
        self.first |= self.binds - before
        node.body.visit(self)
        if node.orelse is not None:
            node.orelse.visit(self)
        return False

    def visit_AsName(self, node: cst.AsName) -> bool:
        if isinstance(node.name, cst.BaseExpression):
            before = set(self.binds)
            self._store(node.name)
            self.first |= self.binds - before
        return False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
        node.value.visit(self)
        self._store(node.target)
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        path = self.path(node)
        if path is None:
            return True
        self.reads.add(path)
        return False

    def visit_Name(self, node: cst.Name) -> bool:
        self.reads.add(node.value)
        return False
