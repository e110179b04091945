"""GF036: a NumPy function is applied to tensors that carry a graph.

``np.sum(final, 0)`` of a list of layer outputs, ``np.mean(h, axis=0)``, ``np.clip(x, 0, 1)``
inside ``forward``: NumPy has to turn the tensors into arrays, and torch refuses for a tensor that
requires grad ("Can't call numpy() on Tensor that requires grad"), or NumPy hands its keywords to
the tensor's own method, which takes none of them (``sum() got an unexpected keyword argument
'axis'``). The usual way out, ``x.detach().cpu().numpy()`` ... ``torch.from_numpy(...)``, runs, but
cuts the graph: everything before it never learns. gradfix reads the crash and its site (a call of
a ``numpy`` function, under any import alias, whose tensors the crashed frame holds), or, without a
crash, a cut the probe recorded (``.detach()``, ``.data``) whose value goes on into ``.numpy()`` or
a NumPy function and comes back through ``torch.from_numpy`` / ``torch.tensor`` /
``torch.as_tensor`` in the same function, while parameters of modules that ran are never reached by
any loss. The fix does the computation in torch: each NumPy call on those values becomes its torch
equivalent (``axis=`` -> ``dim=``, ``keepdims=`` -> ``keepdim=``, a list of tensors -> ``torch.stack``,
``np.std`` -> ``correction=0``, ``np.percentile(x, 75)`` -> ``torch.quantile(x, 0.75)``), and the
round trip (``.detach().cpu().numpy()``, ``.astype(np.float32)``, ``torch.from_numpy(...)``) goes.
After the translations, a crashed NumPy call is also tried with an array of its values
(``np.argmax(logits.detach().cpu().numpy(), axis=1)``): right for a metric, which is no part of the
loss, and rejected by the re-run wherever the value does reach it. NumPy on data (preprocessing,
metrics on detached values) is left alone.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Iterable, Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias
from gradfix.trace import Crash, Cut, Trace

_REFUSED = "Can't call numpy() on Tensor that requires grad"
# Tensor -> array: the calls of a round trip's way out, dropped when the values stay tensors.
_EXIT_METHODS = {"numpy", "cpu", "detach"}
# Array -> tensor: the way back in.
_REENTRIES = {"torch.from_numpy", "torch.tensor", "torch.as_tensor", "torch.asarray"}
_FLOAT_REENTRIES = {"torch.Tensor", "torch.FloatTensor"}
# Methods that take a tensor's values out of the graph on purpose: what follows is data.
_GRAPH_EXITS = {"numpy", "tolist", "item", "detach"}
_MAX_CANDIDATES = 6

# numpy function -> torch function, by the shape of their arguments.
_REDUCTIONS = {
    "sum": "sum", "mean": "mean", "prod": "prod", "nansum": "nansum", "nanmean": "nanmean",
    "max": "amax", "amax": "amax", "min": "amin", "amin": "amin", "argmax": "argmax", "argmin": "argmin",
    "cumsum": "cumsum", "cumprod": "cumprod", "std": "std", "var": "var",
}
_NEEDS_AXIS = {"cumsum", "cumprod"}  # torch has no flattening default for these
_UNARY = {
    "exp": "exp", "exp2": "exp2", "expm1": "expm1", "log": "log", "log2": "log2", "log10": "log10",
    "log1p": "log1p", "sqrt": "sqrt", "square": "square", "abs": "abs", "absolute": "abs", "fabs": "abs",
    "negative": "neg", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "sin": "sin", "cos": "cos",
    "tan": "tan", "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
    "arccosh": "acosh", "arctanh": "atanh", "sign": "sign", "floor": "floor", "ceil": "ceil",
    "rint": "round", "reciprocal": "reciprocal", "sinc": "sinc", "isnan": "isnan", "isinf": "isinf",
    "isfinite": "isfinite", "logical_not": "logical_not",
}
_BINARY = {
    "power": "pow", "arctan2": "atan2", "hypot": "hypot", "fmax": "fmax", "fmin": "fmin",
    "logaddexp": "logaddexp", "add": "add", "subtract": "sub", "multiply": "mul", "divide": "div",
    "true_divide": "div", "dot": "matmul", "matmul": "matmul", "outer": "outer", "inner": "inner", "kron": "kron",
}
_SEQUENCES = {"concatenate": "cat", "stack": "stack"}
_STACKS = {"hstack": "hstack", "vstack": "vstack", "column_stack": "column_stack", "dstack": "dstack"}
_ARRAYS = {"array", "asarray", "asanyarray", "ascontiguousarray"}
_QUANTILES = {
    "median": ("quantile", None), "nanmedian": ("nanquantile", None),
    "percentile": ("quantile", 100), "nanpercentile": ("nanquantile", 100),
    "quantile": ("quantile", 1), "nanquantile": ("nanquantile", 1),
}
_INTERPOLATIONS = {"linear", "lower", "higher", "midpoint", "nearest"}
# numpy dtype -> the tensor method that casts to it
_CASTS = {
    "float32": "float", "single": "float", "float64": "double", "double": "double", "float_": "double",
    "float16": "half", "half": "half", "int64": "long", "int32": "int", "int16": "short",
    "uint8": "byte", "bool_": "bool", "bool": "bool",
}
_BUILTIN_CASTS = {"builtins.float": "double", "builtins.int": "long", "builtins.bool": "bool"}
_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.SimpleString, cst.List, cst.Tuple)
_STANDALONE = (cst.Arg, cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return, cst.Element, cst.Expr, cst.AssignTarget)


class _Untranslatable(Exception):
    """A NumPy call on graph values that gradfix has no torch equivalent for."""


def _numpy_function(source: SourceFile, func: cst.BaseExpression) -> Optional[str]:
    """``np.sum`` -> "sum", ``numpy.linalg.norm`` -> "linalg.norm", under any import alias; not a
    method of what a NumPy call returned (``np.tanh(a).astype``)."""
    if not _simple(func):
        return None
    for name in source.qualified_names(func):
        if name.startswith("numpy.") and name.count(".") <= 2:
            return name[len("numpy."):]
    return None


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value=value, keyword=cst.Name(name),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )


def _receiver_literals_bare(value: cst.BaseExpression) -> cst.BaseExpression:
    """A value a method is called on: ``(a - b).float()``, not ``a - b.float()``. Unlike
    :func:`gradfix.expressions.parenthesized` it leaves literals bare (numbers, strings, lists, tuples)."""
    if isinstance(value, _ATOMIC) or value.lpar:
        return value
    return value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _method(value: cst.BaseExpression, name: str, args: Optional[list[cst.Arg]] = None) -> cst.Call:
    return cst.Call(func=cst.Attribute(value=_receiver_literals_bare(value), attr=cst.Name(name)), args=args or [])


def _number(node: cst.BaseExpression) -> Optional[Decimal]:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _number(node.expression)
        return -inner if inner is not None else None
    if isinstance(node, (cst.Integer, cst.Float)):
        try:
            return Decimal(node.value.replace("_", ""))
        except InvalidOperation:
            return None
    return None


def _fraction(value: Decimal, scale: int) -> cst.Float:
    """75 -> 0.75 written exactly, as a person would (no 0.7500000000000001)."""
    text = format((value / scale).normalize(), "f")
    return cst.Float(text if "." in text else text + ".0")


def _simple(node: cst.BaseExpression) -> bool:
    """A name or an attribute path: safe to write twice."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


# What a value is, in the fixed script, and what it was: "array" (an ndarray made from graph
# tensors; a tensor with the graph once the NumPy calls are torch calls), "tensor" (a tensor that
# carried a graph already), "arrays" / "tensors" (lists of them).
_LISTS = {"arrays": "array", "tensors": "tensor"}


def _join(*kinds: Optional[str]) -> Optional[str]:
    """The kind of an operation on values of these kinds (``a - med``, ``h + bias``)."""
    for kind in ("array", "tensor", "arrays", "tensors"):
        if kind in kinds:
            return kind
    return None


def _list_of(kind: Optional[str]) -> Optional[str]:
    return {"array": "arrays", "tensor": "tensors"}.get(kind or "", kind if kind in _LISTS else None)


class _Flow:
    """Which values of one function stay tensors with a graph once the NumPy calls are torch calls.

    Walks the function's statements in order from the seeds (the crashed NumPy call, or the way
    out of the graph the probe saw cut): a name bound to such a value carries the graph too, and
    so does a list filled with them. Every NumPy call, NumPy-only method and re-wrap
    (``torch.from_numpy``) those values meet is marked for translation."""

    def __init__(
        self, source: SourceFile, torch: str, seeds: dict[cst.CSTNode, Optional[cst.BaseExpression]],
        names: dict[str, str], stack_unknown: bool,
    ):
        self.source = source
        self.torch = torch
        self.seeds = seeds  # original node -> the tensor it stands for, or None: a NumPy call to translate
        self.names = dict(names)  # name -> its kind
        # The names the crashed frame held tensors with a graph in: what binds them (a module
        # call, a helper) is opaque here, but the run saw what they hold.
        self.seen = dict(names)
        self.stack_unknown = stack_unknown
        self.kinds: dict[cst.CSTNode, Optional[str]] = {}
        self.actions: dict[cst.CSTNode, str] = {}
        self.reentries: list[cst.Call] = []
        self.first_line = min(source.range(s).start.line for s in seeds)
        self.loops: list[cst.CSTNode] = []
        self.translated: list[tuple[cst.CSTNode, str]] = []  # (NumPy call, its torch call), for the description

    # -- statements -------------------------------------------------------------------------------

    def run(self, body: list[cst.BaseStatement]) -> None:
        for statement in body:
            self._statement(statement)

    def _active(self, node: cst.CSTNode) -> bool:
        """Changes start at the first seed; in a loop around a seed, the whole loop body."""
        if self.source.range(node).end.line >= self.first_line:
            return True
        return any(self.source.range(loop).end.line >= self.first_line for loop in self.loops)

    def _statement(self, statement: cst.CSTNode) -> None:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            return
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                self._small(small)
            return
        if isinstance(statement, (cst.For, cst.While)):
            self.loops.append(statement)
            if isinstance(statement, cst.For):
                kind = self._expr(statement.iter)
                for target in self._targets(statement.target):
                    self._bind(target, _LISTS.get(kind or ""))
            else:
                self._expr(statement.test)
            for _ in range(2):  # a value bound late in the body reaches its top on the next pass
                self.run(list(statement.body.body))
            self.loops.pop()
            if statement.orelse is not None:
                self.run(list(statement.orelse.body.body))
            return
        if isinstance(statement, cst.If):
            self._expr(statement.test)
            self.run(list(statement.body.body))
            if statement.orelse is not None:
                self._statement(statement.orelse)
            return
        if isinstance(statement, cst.Else):
            self.run(list(statement.body.body))
            return
        if isinstance(statement, cst.With):
            for item in statement.items:
                self._expr(item.item)
            self.run(list(statement.body.body))
            return
        if isinstance(statement, cst.Try):
            self.run(list(statement.body.body))
            for handler in statement.handlers:
                self.run(list(handler.body.body))
            for block in (statement.orelse, statement.finalbody):
                if block is not None:
                    self.run(list(block.body.body))

    def _small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign):
            kind = self._expr(small.value)
            for target in small.targets:
                unpacked = not isinstance(target.target, cst.Name)
                for name in self._targets(target.target):
                    # `q75, q25 = np.percentile(x, [75, 25])`: each a row of the result
                    self._bind(name, (_LISTS.get(kind or "") or kind) if unpacked else kind)
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            kind = self._expr(small.value)
            for name in self._targets(small.target):
                self._bind(name, kind)
        elif isinstance(small, cst.AugAssign):
            kind = self._expr(small.value)
            if isinstance(small.target, cst.Name):
                self._bind(small.target.value, _join(self.names.get(small.target.value), kind))
        elif isinstance(small, cst.Expr):
            self._expr(small.value)
            call = small.value
            if (
                isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name)
                and call.func.attr.value in ("append", "insert") and call.args
            ):
                added = _list_of(self.kinds.get(call.args[-1].value))
                if added is not None:  # a list filled with values that carry the graph
                    held = self.names.get(call.func.value.value)
                    self._bind(call.func.value.value, _join(held if held in _LISTS else None, added))
        elif isinstance(small, cst.Return) and small.value is not None:
            self._expr(small.value)

    @staticmethod
    def _targets(target: cst.BaseExpression) -> list[str]:
        if isinstance(target, cst.Name):
            return [target.value]
        if isinstance(target, (cst.Tuple, cst.List)):
            return [e.value.value for e in target.elements if isinstance(e.value, cst.Name)]
        return []

    def _bind(self, name: str, kind: Optional[str]) -> None:
        if kind:
            self.names[name] = kind
        elif name in self.seen:
            self.names[name] = self.seen[name]
        else:
            self.names.pop(name, None)

    # -- expressions ------------------------------------------------------------------------------

    def _act(self, node: cst.CSTNode, action: str) -> None:
        if self._active(node):
            self.actions[node] = action

    def _expr(self, node: cst.BaseExpression) -> Optional[str]:
        kind = self._kind(node)
        self.kinds[node] = kind
        return kind

    def _kind(self, node: cst.BaseExpression) -> Optional[str]:
        if node in self.seeds and self.seeds[node] is not None:
            self._act(node, "seed")
            return "array"
        if isinstance(node, cst.Name):
            return self.names.get(node.value)
        if isinstance(node, cst.Call):
            return self._call(node)
        if isinstance(node, cst.Attribute):
            kind = self._expr(node.value)
            if kind == "array" and node.attr.value == "size" and not self._called(node):
                self._act(node, "size")  # an array's element count; a tensor's size() is a method
                return None
            if kind in ("array", "tensor") and node.attr.value in ("T", "mT", "real"):
                return kind
            return None
        if isinstance(node, cst.Subscript):
            kind = self._expr(node.value)
            for element in node.slice:
                if isinstance(element.slice, cst.Index):
                    self._expr(element.slice.value)
            return _LISTS.get(kind or "", kind)
        if isinstance(node, cst.BinaryOperation):
            return _join(self._expr(node.left), self._expr(node.right))
        if isinstance(node, cst.UnaryOperation):
            return self._expr(node.expression)
        if isinstance(node, cst.Comparison):
            kinds = [self._expr(node.left)] + [self._expr(c.comparator) for c in node.comparisons]
            return _join(*(k for k in kinds if k not in _LISTS))
        if isinstance(node, cst.BooleanOperation):
            self._expr(node.left)
            self._expr(node.right)
            return None
        if isinstance(node, (cst.List, cst.Tuple)):
            return _list_of(_join(*(self._expr(e.value) for e in node.elements)))
        if isinstance(node, cst.ListComp):
            saved = dict(self.names)
            comp: Optional[cst.BaseCompFor] = node.for_in
            while comp is not None:
                kind = self._expr(comp.iter)
                for name in self._targets(comp.target):
                    self._bind(name, _LISTS.get(kind or ""))
                comp = comp.inner_for_in
            kind = self._expr(node.elt)
            self.names = saved
            return _list_of(kind)
        if isinstance(node, cst.IfExp):
            self._expr(node.test)
            return _join(self._expr(node.body), self._expr(node.orelse))
        return None

    def _called(self, node: cst.Attribute) -> bool:
        parent = self.source.parent(node)
        return isinstance(parent, cst.Call) and parent.func is node

    def _call(self, call: cst.Call) -> Optional[str]:
        kinds = [self._expr(a.value) for a in call.args]
        function = _numpy_function(self.source, call.func)
        if function is not None:
            if call in self.seeds or any(kinds):
                self._act(call, "numpy")
                return "array"
            return None
        names = self.source.qualified_names(call.func)
        if names & (_REENTRIES | _FLOAT_REENTRIES) and call.args and kinds[0] in ("array", "arrays"):
            self._act(call, "reentry")
            if self._active(call):
                self.reentries.append(call)
            return "tensor"
        if isinstance(call.func, cst.Attribute):
            receiver = self._expr(call.func.value)
            method = call.func.attr.value
            if receiver == "array":
                if method in ("astype", "copy", "std", "var") or (method in ("max", "min") and call.args):
                    self._act(call, "method")
                return None if method in ("tolist", "item") else "array"
            if receiver == "tensor":
                return None if method in _GRAPH_EXITS else "tensor"
        if any(n.startswith("torch.") for n in names) and any(kinds):
            return "tensor"
        return None

    # -- the rewrite --------------------------------------------------------------------------------

    def edits(self) -> list[Edit]:
        """The function's edits: each outermost changed expression replaced. Raises _Untranslatable."""
        flow = self
        changed: dict[cst.CSTNode, cst.BaseExpression] = {}

        class Rewrite(cst.CSTTransformer):
            def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:  # type: ignore[override]
                action = flow.actions.get(original)
                if action is None:
                    return updated
                new = flow._rewrite(action, original, updated)  # type: ignore[arg-type]
                if action == "numpy":
                    flow.translated.append((original, cst.Module([]).code_for_node(new)))
                if original.lpar and not new.lpar:  # type: ignore[attr-defined]
                    new = new.with_changes(lpar=original.lpar, rpar=original.rpar)  # type: ignore[attr-defined]
                elif not isinstance(new, _ATOMIC) and not new.lpar and not isinstance(flow.source.parent(original), _STANDALONE):
                    new = new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                changed[original] = new
                return new

        scopes = {self._scope(node) for node in self.actions}
        for scope in scopes:
            scope.visit(Rewrite())
        outermost = [n for n in changed if not any(a in changed for a in self.source.ancestors(n))]
        return [self.source.replace_node(n, changed[n]) for n in outermost]

    def _scope(self, node: cst.CSTNode) -> cst.CSTNode:
        return next((a for a in self.source.ancestors(node) if isinstance(a, cst.FunctionDef)), self.source.module)

    def _rewrite(self, action: str, original: cst.CSTNode, updated: cst.BaseExpression) -> cst.BaseExpression:
        if action == "seed":
            tensor = self.seeds[original]
            assert tensor is not None
            return tensor
        if action == "size":
            assert isinstance(updated, cst.Attribute)
            return _method(updated.value, "numel")
        assert isinstance(original, cst.Call) and isinstance(updated, cst.Call)
        if action == "numpy":
            function = _numpy_function(self.source, original.func)
            assert function is not None
            return self._translate(function, original, updated)
        if action == "reentry":
            return self._unwrap(original, updated)
        return self._numpy_method(original, updated)

    def _torch(self, name: str) -> cst.BaseExpression:
        return cst.parse_expression(f"{self.torch}.{name}")

    def _call_torch(self, name: str, args: list[cst.Arg]) -> cst.Call:
        return cst.Call(func=self._torch(name), args=[a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args])

    def _stacked(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        """A list of tensors where NumPy takes an array: ``torch.stack(list)``."""
        kind = self.kinds.get(original.value)
        unknown = kind is None and isinstance(original.value, cst.Name) and self.stack_unknown
        if kind in _LISTS or unknown:
            return updated.with_changes(value=self._call_torch("stack", [cst.Arg(updated.value)]))
        return updated

    def _translate(self, function: str, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if any(a.star for a in updated.args):
            raise _Untranslatable(function)
        positional = [a for a in updated.args if a.keyword is None]
        originals = [a for a in original.args if a.keyword is None]
        keywords = {a.keyword.value: a for a in updated.args if a.keyword is not None}
        # `axis=None` is every torch reduction's default, and torch writes it by leaving dim out
        if "axis" in keywords and isinstance(keywords["axis"].value, cst.Name) and keywords["axis"].value.value == "None":
            if function in ("concatenate",):
                raise _Untranslatable(function)
            del keywords["axis"]

        def renamed(allowed: dict[str, str]) -> list[cst.Arg]:
            out = []
            for name, arg in keywords.items():
                if name not in allowed:
                    raise _Untranslatable(f"{function}({name}=...)")
                out.append(_keyword(allowed[name], arg.value))
            return out

        def at_most(count: int) -> None:
            if len(positional) > count or not positional:
                raise _Untranslatable(function)

        axis_keywords = {"axis": "dim", "keepdims": "keepdim"}
        if function in _REDUCTIONS:
            at_most(2)
            extra = []
            if function in ("std", "var"):
                ddof = keywords.pop("ddof", None)
                extra = [_keyword("correction", ddof.value if ddof is not None else cst.Integer("0"))]
            if function in _NEEDS_AXIS and len(positional) < 2 and "axis" not in keywords:
                raise _Untranslatable(function)
            args = [self._stacked(originals[0], positional[0]), *positional[1:], *renamed(axis_keywords), *extra]
            return self._call_torch(_REDUCTIONS[function], args)
        if function in _UNARY:
            at_most(1)
            return self._call_torch(_UNARY[function], [self._stacked(originals[0], positional[0]), *renamed({})])
        if function in _BINARY:
            at_most(2)
            if len(positional) != 2:
                raise _Untranslatable(function)
            return self._call_torch(_BINARY[function], [self._stacked(o, u) for o, u in zip(originals, positional)] + renamed({}))
        if function in _SEQUENCES:
            at_most(2)
            return self._call_torch(_SEQUENCES[function], [*positional, *renamed({"axis": "dim"})])
        if function in _STACKS:
            at_most(1)
            return self._call_torch(_STACKS[function], [*positional, *renamed({})])
        if function in ("maximum", "minimum"):
            at_most(2)
            if len(positional) != 2:
                raise _Untranslatable(function)
            bound = "min" if function == "maximum" else "max"
            for index in (0, 1):
                if _number(positional[index].value) is not None:  # np.maximum(x, 0): torch.maximum takes tensors only
                    return self._call_torch("clamp", [positional[1 - index], _keyword(bound, positional[index].value)])
            return self._call_torch(function, [*positional, *renamed({})])
        if function == "clip":
            at_most(3)
            return self._call_torch("clamp", [*positional, *renamed({"a_min": "min", "a_max": "max", "min": "min", "max": "max"})])
        if function == "where":
            at_most(3)
            return self._call_torch("where", [*positional, *renamed({})])
        if function in _QUANTILES:
            return self._quantile(function, originals, positional, keywords)
        if function in _ARRAYS:
            at_most(1)
            dtype = next((a.value for a in original.args if a.keyword is not None and a.keyword.value == "dtype"), None)
            keywords.pop("dtype", None)
            keywords.pop("copy", None)
            renamed({})
            value = self._stacked(originals[0], positional[0]).value
            return self._cast(value, dtype) if dtype is not None else value
        if function in ("reshape", "squeeze", "expand_dims", "tile", "repeat"):
            at_most(3)
            torch_name = {"expand_dims": "unsqueeze", "repeat": "repeat_interleave"}.get(function, function)
            allowed = {"newshape": "shape", "shape": "shape", "axis": "dim", "reps": "dims", "repeats": "repeats"}
            return self._call_torch(torch_name, [self._stacked(originals[0], positional[0]), *positional[1:], *renamed(allowed)])
        if function == "einsum":
            return self._call_torch("einsum", [*positional, *renamed({})])
        if function == "linalg.norm":
            at_most(2)
            return self._call_torch("linalg.norm", [*positional, *renamed({"ord": "ord", **axis_keywords})])
        raise _Untranslatable(f"np.{function}")

    def _quantile(
        self, function: str, originals: list[cst.Arg], positional: list[cst.Arg], keywords: dict[str, cst.Arg],
    ) -> cst.Call:
        """``np.median(x, axis=0)`` -> ``torch.quantile(x, 0.5, dim=0)`` (the mean of the two middle
        values, as NumPy takes it; torch.median takes the lower one); ``np.percentile(x, [75, 25])``
        -> ``torch.quantile(x, x.new_tensor([0.75, 0.25]))``."""
        torch_name, scale = _QUANTILES[function]
        if not positional:
            raise _Untranslatable(function)
        value = self._stacked(originals[0], positional[0]).value
        rest = positional[1:]
        if scale is None:
            q: cst.BaseExpression = cst.Float("0.5")
        else:
            if rest:
                q, rest = rest[0].value, rest[1:]
            elif "q" in keywords:
                q = keywords.pop("q").value
            else:
                raise _Untranslatable(function)
            q = self._quantiles(value, q, scale)
        if len(rest) > 1:
            raise _Untranslatable(function)
        args = [cst.Arg(value), cst.Arg(q)]
        if rest:
            args.append(_keyword("dim", rest[0].value))
        for name, arg in keywords.items():
            if name == "axis":
                args.append(_keyword("dim", arg.value))
            elif name == "keepdims":
                args.append(_keyword("keepdim", arg.value))
            elif name in ("method", "interpolation") and isinstance(arg.value, cst.SimpleString) and arg.value.evaluated_value in _INTERPOLATIONS:
                args.append(_keyword("interpolation", arg.value))
            else:
                raise _Untranslatable(f"{function}({name}=...)")
        return self._call_torch(torch_name, args)

    def _quantiles(self, value: cst.BaseExpression, q: cst.BaseExpression, scale: int) -> cst.BaseExpression:
        number = _number(q)
        if number is not None:
            return _fraction(number, scale) if scale != 1 else q
        if isinstance(q, (cst.List, cst.Tuple)):
            numbers = [_number(e.value) for e in q.elements]
            if all(n is not None for n in numbers):
                values = [cst.Element(_fraction(n, scale)) for n in numbers if n is not None]
                quantiles: cst.BaseExpression = cst.List(values)
                # torch.quantile takes several quantiles as a tensor, of the input's dtype and device
                if _simple(value):
                    return _method(value, "new_tensor", [cst.Arg(quantiles)])
                return self._call_torch("tensor", [cst.Arg(quantiles)])
        if not _simple(value):
            raise _Untranslatable("a computed quantile")
        made = _method(value, "new_tensor", [cst.Arg(q)])
        return made if scale == 1 else cst.BinaryOperation(made, cst.Divide(), cst.Integer(str(scale)))

    def _cast(self, value: cst.BaseExpression, dtype: cst.BaseExpression) -> cst.BaseExpression:
        """``x.astype(np.float32)`` -> ``x.float()``; ``dtype`` is the node in the file's tree."""
        method = None
        if isinstance(dtype, cst.SimpleString) and isinstance(dtype.evaluated_value, str):
            method = _CASTS.get(dtype.evaluated_value)
        for name in self.source.qualified_names(dtype):
            if name.startswith("numpy."):
                method = method or _CASTS.get(name[len("numpy."):])
            method = method or _BUILTIN_CASTS.get(name)
            if name.startswith("torch."):
                return _method(value, "to", [cst.Arg(dtype)])
        if method is None:
            raise _Untranslatable("a cast to an unknown dtype")
        return _method(value, method)

    def _numpy_method(self, original: cst.Call, call: cst.Call) -> cst.BaseExpression:
        """An array's method that a tensor spells differently."""
        assert isinstance(call.func, cst.Attribute)
        method, value = call.func.attr.value, call.func.value
        keywords = {a.keyword.value: a for a in call.args if a.keyword is not None}
        positional = [a for a in call.args if a.keyword is None]
        if method == "astype":
            if len(call.args) != 1 or positional != list(call.args):
                raise _Untranslatable("astype")
            return self._cast(value, original.args[0].value)
        if method == "copy":
            return _method(value, "clone")
        renames = {"axis": "dim", "keepdims": "keepdim"}
        if any(k not in (*renames, "ddof") for k in keywords):
            raise _Untranslatable(f".{method}()")
        args = [*positional, *(_keyword(renames.get(k, k), a.value) for k, a in keywords.items() if k != "ddof")]
        if method in ("std", "var"):
            ddof = keywords.get("ddof")
            args.append(_keyword("correction", ddof.value if ddof is not None else cst.Integer("0")))
            return _method(value, method, [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args])
        # an array's max(axis) is the values; a tensor's max(dim) is (values, indices)
        return _method(value, "amax" if method == "max" else "amin", [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args])

    def _unwrap(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        """``torch.from_numpy(x)`` -> ``x``; ``torch.tensor(x, dtype=d)`` -> ``x.to(dtype=d)``."""
        value = updated.args[0].value
        if updated.args[0].keyword is not None or updated.args[0].star:
            raise _Untranslatable("a re-wrap")
        if self.kinds.get(original.args[0].value) == "arrays":  # torch.tensor([a, b]) of arrays that are tensors now
            value = self._call_torch("stack", [cst.Arg(value)])
        if self.source.qualified_names(original.func) & _FLOAT_REENTRIES:
            return _method(value, "float")
        moves = []
        for arg in updated.args[1:]:
            if arg.keyword is None or arg.keyword.value not in ("dtype", "device", "requires_grad"):
                raise _Untranslatable("a re-wrap")
            if arg.keyword.value != "requires_grad":  # the value carries its graph now
                moves.append(_keyword(arg.keyword.value, arg.value).with_changes(comma=cst.MaybeSentinel.DEFAULT))
        return _method(value, "to", moves) if moves else value


def _operands(node: cst.BaseExpression) -> list[cst.Name]:
    """The names whose values an expression computes with: ``weights * states``, ``[a, b]``,
    ``x[:, 0] > 0`` (not ``h.shape``, nor a call's own arguments)."""
    if isinstance(node, cst.Name):
        return [node]
    if isinstance(node, cst.BinaryOperation):
        return _operands(node.left) + _operands(node.right)
    if isinstance(node, cst.UnaryOperation):
        return _operands(node.expression)
    if isinstance(node, cst.Comparison):
        return _operands(node.left) + [n for c in node.comparisons for n in _operands(c.comparator)]
    if isinstance(node, (cst.List, cst.Tuple)):
        return [n for e in node.elements for n in _operands(e.value)]
    if isinstance(node, cst.Subscript):
        return _operands(node.value)
    return []


def _strip_exit(node: cst.BaseExpression) -> tuple[cst.BaseExpression, bool]:
    """``feats.detach().cpu().numpy()`` -> (``feats``, True): the tensor before the way out, and
    whether the way out reached ``.numpy()``. ``.clone()`` is kept: the array was a copy."""
    chain: list[str] = []
    while True:
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and not node.args and node.func.attr.value in (*_EXIT_METHODS, "clone", "contiguous"):
            chain.append(node.func.attr.value)
            node = node.func.value
        elif isinstance(node, cst.Attribute) and node.attr.value == "data":
            chain.append("data")
            node = node.value
        else:
            break
    if "clone" in chain:
        node = _method(node, "clone")
    return node, "numpy" in chain


class NumpyInGraph(Rule):
    code = "GF036"
    title = "NumPy function applied to tensors that carry a graph"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is not None and crash.site is not None and project.is_editable(crash.site.file):
            found = self._crashed(trace, crash, project)
            if found is not None:
                return [found]
        return self._cut(trace, project)

    # -- the crash: NumPy refused the tensors ---------------------------------------------------------

    def _crashed(self, trace: Trace, crash: Crash, project: Project) -> Optional[Finding]:
        assert crash.site is not None
        source = project.source(crash.site.file)
        torch = module_alias(source, "torch")
        if torch is None or not all(part.isidentifier() for part in torch.split(".")):
            return None
        names = {
            name: ("tensor" if kind == "tensor" else "tensors")
            for name, kind in crash.graph_locals.items() if name.isidentifier()
        }
        refused = _REFUSED in crash.message
        seeds: dict[cst.CSTNode, Optional[cst.BaseExpression]] = {}
        shown = ""
        for call in source.nodes_at(crash.site, cst.Call):
            function = _numpy_function(source, call.func)
            if function is not None:
                # NumPy handed its keywords to the tensor's own method (np.sum(t, axis=0)): the
                # TypeError is about the NumPy call only when a value it got carries a graph.
                holds_graph = any(n.value in names for a in call.args for n in _operands(a.value))
                if refused or (crash.type == "TypeError" and holds_graph):
                    seeds[call] = None
                    shown = source.code(call)
            elif refused and isinstance(call.func, cst.Attribute) and call.func.attr.value == "numpy":
                tensor, _ = _strip_exit(call)
                seeds[call] = tensor
                shown = source.code(call)
        if not seeds:
            return None
        round_trip = any(tensor is not None for tensor in seeds.values())
        candidates, untranslatable = self._candidates(source, torch, seeds, names, needs_reentry=round_trip)
        if round_trip and not candidates and untranslatable is None:
            return None  # `.numpy()` of a graph tensor for a metric or a plot: no NumPy computation to move
        detached = None
        if refused and not round_trip:
            # A metric of the logits (`np.argmax(logits, 1) == y`) is no part of the loss: there,
            # NumPy may take a detached copy. Tried last; the re-run rejects it wherever the
            # value does reach the loss (its layers would get no gradient).
            detached = self._detached(source, seeds, names)
            if detached is not None:
                candidates.append(detached)
        if not candidates and untranslatable is None:
            return None
        params = self._crash_params(trace, crash)
        if candidates and detached is not None:
            how = "gradfix computes it in torch, or, where the value never reaches the loss, gives NumPy a detached array"
        elif candidates:
            how = "gradfix computes it in torch"
        else:
            how = f"gradfix has no torch equivalent for {untranslatable}"
        message = (
            f"the script crashed: {crash.type}: {crash.message}; `{shown}` hands tensors that carry a graph "
            f"to NumPy, which cannot take them (and `.detach().numpy()` in the forward pass would cut the graph): {how}"
        )
        return self.finding(project, crash.site, message, params, candidates, blocking=True)

    def _detached(self, source: SourceFile, seeds: dict[cst.CSTNode, Optional[cst.BaseExpression]], names: dict[str, str]) -> Optional[Candidate]:
        """``np.argmax(logits, axis=1)`` -> ``np.argmax(logits.detach().cpu().numpy(), axis=1)``: an
        array, as NumPy wants (given a tensor, it calls the tensor's own methods with its keywords)."""
        edits = []
        for call in seeds:
            assert isinstance(call, cst.Call)
            for arg in call.args:
                for name in _operands(arg.value):
                    if names.get(name.value) == "tensor":
                        array = _method(_method(_method(name, "detach"), "cpu"), "numpy")
                        edits.append(source.replace_node(name, array))
        if not edits:
            return None
        shown = ", ".join(sorted({f"`{e.replacement}`" for e in edits}))
        return self.candidate(f"give NumPy an array: {shown} (the value is not part of the loss)", source.path, edits)

    @staticmethod
    def _crash_params(trace: Trace, crash: Crash) -> list[str]:
        """The parameters of the outermost module whose forward crashed; without one, those an
        optimizer holds."""
        for call in reversed(crash.module_calls):
            module = trace.module(call.module)
            if module is not None and module.path:
                prefix = module.path + "."
                return [p.name for p in trace.params if p.requires_grad and p.name.startswith(prefix)]
        return [p.name for p in trace.params if p.requires_grad and p.optimizers]

    # -- no crash: the values went through NumPy and came back without their graph -------------------

    def _cut(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.backwards:
            return []
        # What a loss term held beside the loss and never added reaches is GF063's: a NumPy copy of
        # the same values (a baseline) is then a constant on purpose.
        loose = set(trace.params_in_loose_terms())
        cut_off = [p for p in trace.params_cut_off() if p not in loose]
        if not cut_off:
            return []
        candidates: list[Candidate] = []
        first = None
        for cut in sorted(trace.cuts, key=lambda c: -c.count):
            if cut.op not in ("detach", "data", "tolist") or not project.is_editable(cut.site.file):
                continue
            if not _cuts_off(cut, cut_off):
                continue  # a way out of values whose parameters train anyway: a logging copy
            source = project.source(cut.site.file)
            torch = module_alias(source, "torch")
            if torch is None or not all(part.isidentifier() for part in torch.split(".")):
                continue
            nodes = source.nodes_at(cut.site, cst.Attribute if cut.op == "data" else cst.Call)
            if not nodes:
                continue
            seed = self._way_out(source, nodes[-1])
            found = []
            if seed is not None:
                found, _ = self._candidates(source, torch, {seed[0]: seed[1]}, {}, needs_reentry=True, unsafe=True)
            if not found:
                # no way back in the same function: the values may leave it by its return
                found = self._returned(source, torch, self._exit_top(source, nodes[-1]), self._cut_nodes(trace, source, set(cut_off)))
            for candidate in found:
                if all(candidate.patches[0].edits != c.patches[0].edits for c in candidates):
                    candidates.append(candidate)
                    first = first or cut.site
        if first is None:
            return []
        message = (
            f"{short_list(cut_off)} ran with gradients on but no loss ever reaches them: their output is taken "
            "out of the graph into NumPy and comes back as a new tensor without one; the fix does the NumPy "
            "computation in torch"
        )
        return [self.finding(project, first, message, cut_off, candidates[:_MAX_CANDIDATES])]

    @staticmethod
    def _exit_top(source: SourceFile, cut: cst.CSTNode, through_tolist: bool = True) -> cst.CSTNode:
        """The whole way out of the graph around a cut: ``feats.detach().cpu().numpy()`` for its
        ``.detach()``, and ``h.detach().tolist()`` unless ``through_tolist`` is off."""
        top: cst.CSTNode = cut
        ways = (*_EXIT_METHODS, "clone", "contiguous", *(("tolist",) if through_tolist else ()))
        while True:
            parent = source.parent(top)
            if isinstance(parent, cst.Attribute) and parent.value is top and parent.attr.value == "data":
                top = parent
                continue
            call = source.parent(parent) if isinstance(parent, cst.Attribute) and parent.value is top else None
            if isinstance(call, cst.Call) and call.func is parent and not call.args and parent.attr.value in ways:  # type: ignore[union-attr]
                top = call
                if parent.attr.value == "tolist":  # type: ignore[union-attr]
                    break
                continue
            break
        return top

    @staticmethod
    def _way_out(source: SourceFile, cut: cst.CSTNode) -> Optional[tuple[cst.CSTNode, cst.BaseExpression]]:
        """The whole way out of the graph around a cut (``feats.detach().cpu().numpy()``), and the
        tensor before it, when it leads into NumPy: ``.numpy()``, or an argument of a NumPy call."""
        top = NumpyInGraph._exit_top(source, cut, through_tolist=False)
        tensor, numpied = _strip_exit(top)  # type: ignore[arg-type]
        if numpied:
            return top, tensor
        if isinstance(top, cst.Call) and isinstance(top.func, cst.Attribute) and top.func.attr.value == "tolist":
            tensor, _ = _strip_exit(top.func.value)  # `np.array(h.tolist())`: a list is NumPy's input as well
        arg = source.parent(top)
        call = source.parent(arg) if isinstance(arg, cst.Arg) else None
        if isinstance(call, cst.Call) and _numpy_function(source, call.func) is not None:
            return top, tensor
        return None

    # -- the round trip across a return: `return h.detach().cpu().numpy()`, re-wrapped by the caller ---

    @staticmethod
    def _cut_nodes(trace: Trace, source: SourceFile, cut_off: set[str]) -> set[cst.CSTNode]:
        """The nodes of this file where the run saw a value of parameters cut off leave the graph."""
        found: set[cst.CSTNode] = set()
        for cut in trace.cuts:
            if cut.op in ("detach", "data", "tolist") and cut.site.file == source.path and _cuts_off(cut, cut_off):
                found.update(source.nodes_at(cut.site, cst.Attribute if cut.op == "data" else cst.Call)[-1:])
        return found

    def _returned(self, source: SourceFile, torch: str, top: cst.CSTNode, cut_nodes: set[cst.CSTNode]) -> list[Candidate]:
        """A function returns NumPy copies of graph tensors (``return dist.log_prob(a).detach().cpu().numpy(),
        values.detach().cpu().numpy()``) and its callers turn them back into tensors for the loss
        (``torch.as_tensor(log_probs)``, or a converting helper: ``to_tensor(log_probs)``). The
        candidates keep the tensors: the way out goes at the return, and each re-wrap of a returned
        value in a caller becomes the value itself (first), or the helper lets tensors through
        (second). A caller's other reads of the value (logging, a replay buffer) keep a NumPy copy."""
        slots = _return_slots(source, top)
        if slots is None:
            return []
        returned, exits = slots
        function = source.enclosing_function(returned)
        if function is None or function.name.value == "__init__":
            return []
        calls = _calls_of(source, function)
        if not calls:
            return []
        # index in the returned tuple (None: the whole value) -> the names callers bind it to
        bound: dict[Optional[int], list[cst.Name]] = {}
        for call in calls:
            targets = _bound_from(call, source, function)
            if targets is None:
                return []  # a caller that uses the value otherwise would get a tensor unannounced
            for index, name in targets.items():
                bound.setdefault(index, []).append(name)
        produced: dict[cst.CSTNode, cst.BaseExpression] = {}  # way out -> the tensor kept instead
        consumers: list[tuple[cst.Name, list[cst.CSTNode], str]] = []  # (name bound, its reads, exit kind)
        for index, (node, tensor, how) in exits.items():
            if not any(n in cut_nodes for n in descendants(node, cst.CSTNode)):
                continue  # `labels.numpy()` beside the embeddings: data that never had a graph
            reads = [(name, _reads_after(source, name)) for name in bound.get(index, [])]
            if not any(_rewrap_of_read(source, read)[0] is not None for _, found in reads for read in found):
                continue  # never re-wrapped: a copy for logging only, not the loss's way
            produced[node] = tensor
            consumers += [(name, found, how) for name, found in reads]
        if not produced:
            return []
        candidates = []
        for through_helper in (False, True):
            edits = [source.replace_node(node, tensor) for node, tensor in produced.items()]
            helpers: dict[str, cst.FunctionDef] = {}
            unwrapped: list[str] = []
            for name, reads, how in consumers:
                for read in reads:
                    rewrap, helper = _rewrap_of_read(source, read)
                    if rewrap is None:
                        copy = f"{name.value}.detach().tolist()" if how == "tolist" else f"{name.value}.detach().cpu().numpy()"
                        edits.append(source.replace_node(read, cst.parse_expression(copy)))
                    elif helper is not None and through_helper:
                        helpers[helper.name.value] = helper
                    else:
                        replacement = self._kept(source, rewrap, name)
                        if replacement is None:
                            break
                        edits.append(source.replace_node(rewrap, replacement))
                        unwrapped.append(f"`{source.module.code_for_node(replacement)}` instead of `{source.code(rewrap)}`")
            if through_helper:
                if not helpers:
                    continue
                passing = [_passing_tensors(source, torch, helper) for helper in helpers.values()]
                if any(edit is None for edit in passing):
                    continue
                edits += passing  # type: ignore[arg-type]
            if any(a.end > b.start for a, b in zip(sorted(edits, key=lambda e: (e.start, e.end)), sorted(edits, key=lambda e: (e.start, e.end))[1:])):
                continue
            kept = ", ".join(f"`{source.code(t)}`" for t in list(produced.values())[:2])
            description = f"keep the tensors where `{function.name.value}` returns them ({kept}"
            description += " and more)" if len(produced) > 2 else ")"
            if through_helper:
                description += f", and let `{'`, `'.join(helpers)}` pass tensors through"
            elif unwrapped:
                description += f", and use them where they come back: {unwrapped[0]}"
                description += f" and {len(unwrapped) - 1} more" if len(unwrapped) > 1 else ""
            candidate = self.candidate(description, source.path, edits)
            candidate.applicability = Applicability.UNSAFE  # the cut might have been meant
            candidates.append(candidate)
        return candidates

    @staticmethod
    def _kept(source: SourceFile, rewrap: cst.Call, name: cst.Name) -> Optional[cst.BaseExpression]:
        """What a re-wrap of a returned value becomes once the value is the tensor: the value (a
        helper's call, ``torch.from_numpy(x)``), or ``x.to(dtype=d)`` for ``torch.tensor(x, dtype=d)``."""
        if not source.qualified_names(rewrap.func) & (_REENTRIES | _FLOAT_REENTRIES):
            return cst.Name(name.value)  # the converting helper
        if source.qualified_names(rewrap.func) & _FLOAT_REENTRIES:
            return _method(cst.Name(name.value), "float")
        moves = []
        for arg in rewrap.args[1:]:
            if arg.keyword is None or arg.keyword.value not in ("dtype", "device", "requires_grad"):
                return None
            if arg.keyword.value != "requires_grad":
                moves.append(_keyword(arg.keyword.value, arg.value).with_changes(comma=cst.MaybeSentinel.DEFAULT))
        return _method(cst.Name(name.value), "to", moves) if moves else cst.Name(name.value)

    # -- candidates ------------------------------------------------------------------------------------

    def _candidates(
        self, source: SourceFile, torch: str, seeds: dict[cst.CSTNode, Optional[cst.BaseExpression]],
        names: dict[str, str], needs_reentry: bool, unsafe: bool = False,
    ) -> tuple[list[Candidate], Optional[str]]:
        """The translation; a second one that also stacks a name NumPy took as a list when the run
        does not say whether it is one. Returns the candidates, or what could not be translated."""
        body = self._body(source, next(iter(seeds)))
        candidates: list[Candidate] = []
        problem: Optional[str] = None
        for stack_unknown in (False, True):
            flow = _Flow(source, torch, seeds, names, stack_unknown)
            flow.run(body)
            if any(seed not in flow.actions for seed in seeds):
                return [], None
            if needs_reentry and not flow.reentries:
                return [], None
            try:
                edits = flow.edits()
            except _Untranslatable as error:
                problem = str(error)
                continue
            if not edits or any(c.patches[0].edits == sorted(edits, key=lambda e: e.start) for c in candidates):
                continue
            candidate = self.candidate(self._describe(flow), source.path, edits)
            if unsafe:
                candidate.applicability = Applicability.UNSAFE  # the cut might have been meant
            candidates.append(candidate)
        return candidates, problem

    @staticmethod
    def _body(source: SourceFile, node: cst.CSTNode) -> list[cst.BaseStatement]:
        function = next((a for a in source.ancestors(node) if isinstance(a, cst.FunctionDef)), None)
        if function is None:
            return list(source.module.body)
        body = function.body
        return list(body.body) if isinstance(body, cst.IndentedBlock) else []  # `def f(x): return ...`

    @staticmethod
    def _describe(flow: _Flow) -> str:
        calls = {node for node, _ in flow.translated}
        outermost = [(n, t) for n, t in flow.translated if not any(a in calls for a in flow.source.ancestors(n))]
        shown = ", ".join(f"`{flow.source.code(numpy)}` -> `{torch}`" for numpy, torch in outermost[:2])
        if len(outermost) > 2:
            shown += f" and {len(outermost) - 2} more"
        trip = " and keep the values in the graph (no round trip through NumPy)" if flow.reentries else ""
        return f"compute it in torch: {shown}{trip}" if shown else f"keep the values in the graph{trip[len(' and keep the values in the graph'):]}"


def _way_out_tensor(node: cst.BaseExpression) -> Optional[tuple[cst.BaseExpression, str]]:
    """``h.detach().cpu().numpy()`` -> (``h``, "numpy"); ``h.detach().tolist()`` -> (``h``, "tolist")."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "tolist" and not node.args:
        tensor, _ = _strip_exit(node.func.value)
        return tensor, "tolist"
    tensor, numpied = _strip_exit(node)
    return (tensor, "numpy") if numpied else None


def _return_slots(
    source: SourceFile, top: cst.CSTNode,
) -> Optional[tuple[cst.Return, dict[Optional[int], tuple[cst.CSTNode, cst.BaseExpression, str]]]]:
    """The ``return`` whose value (or an element of whose tuple) is this way out, and every way out
    it returns: position in the tuple (None: the whole value) -> (the way out, its tensor, how)."""
    parent = source.parent(top)
    if isinstance(parent, cst.Element):
        parent = source.parent(parent)
        if not isinstance(parent, cst.Tuple):
            return None
        returned = source.parent(parent)
        if not isinstance(returned, cst.Return) or returned.value is not parent:
            return None
        exits: dict[Optional[int], tuple[cst.CSTNode, cst.BaseExpression, str]] = {}
        for index, element in enumerate(parent.elements):
            found = _way_out_tensor(element.value) if not isinstance(element, cst.StarredElement) else None
            if found is not None:
                exits[index] = (element.value, found[0], found[1])
        return returned, exits
    if isinstance(parent, cst.Return) and parent.value is top:
        found = _way_out_tensor(top)  # type: ignore[arg-type]
        return (parent, {None: (top, found[0], found[1])}) if found is not None else None
    return None


def _calls_of(source: SourceFile, function: cst.FunctionDef) -> list[cst.Call]:
    """The calls of this file to a function (``f(...)``) or, for a method, to its name on an
    object (``self.evaluate(...)``, ``agent.evaluate(...)``)."""
    method = isinstance(source.parent(source.parent(function)), cst.ClassDef)  # type: ignore[arg-type]
    name = function.name.value
    found = []
    for call in descendants(source.module, cst.Call):
        if method and isinstance(call.func, cst.Attribute) and call.func.attr.value == name:
            found.append(call)
        elif not method and isinstance(call.func, cst.Name) and call.func.value == name:
            found.append(call)
    return found


def _bound_from(call: cst.Call, source: SourceFile, function: cst.FunctionDef) -> Optional[dict[Optional[int], cst.Name]]:
    """The names a caller binds the returned values to: ``a, b, c = f(...)`` -> {0: a, 1: b, 2: c},
    ``a = f(...)`` -> {None: a}; None when the call's value is used in any other way."""
    assign = source.parent(call)
    if not isinstance(assign, cst.Assign) or assign.value is not call or len(assign.targets) != 1:
        return None
    if any(a is function for a in source.ancestors(call)):
        return None
    target = assign.targets[0].target
    if isinstance(target, cst.Name):
        return {None: target}
    if isinstance(target, (cst.Tuple, cst.List)) and all(isinstance(e, cst.Element) and isinstance(e.value, cst.Name) for e in target.elements):
        return {i: e.value for i, e in enumerate(target.elements)}  # type: ignore[misc]
    return None


def _reads_after(source: SourceFile, name: cst.Name) -> list[cst.CSTNode]:
    """The reads of a name bound here, after the binding, in its scope (a loop's later lines)."""
    scope = source.scopes.get(name)
    if scope is None:
        return []
    end = source.range(source.statement_of(name)).end  # type: ignore[arg-type]
    reads = []
    for assignment in scope.assignments[name.value]:
        if assignment.node is not name:
            continue
        for reference in assignment.references:
            where = source.range(reference.node).start
            if isinstance(reference.node, cst.Name) and (where.line, where.column) > (end.line, end.column):
                reads.append(reference.node)
    return reads


def _rewrap_of_read(source: SourceFile, read: cst.CSTNode) -> tuple[Optional[cst.Call], Optional[cst.FunctionDef]]:
    """The call that turns a read back into a tensor: ``torch.as_tensor(x)``, ``torch.from_numpy(np.asarray(x))``,
    or a helper of this file that does only that (``to_tensor(x)``, with the helper)."""
    node = read
    while True:
        arg = source.parent(node)
        call = source.parent(arg) if isinstance(arg, cst.Arg) else None
        if not isinstance(call, cst.Call) or call.args[0] is not arg or arg.keyword is not None:  # type: ignore[union-attr]
            return None, None
        if _numpy_function(source, call.func) in _ARRAYS:
            node = call  # `np.asarray(x, dtype="float32")` on the way back in
            continue
        if source.qualified_names(call.func) & (_REENTRIES | _FLOAT_REENTRIES):
            return call, None
        helper = _converter(source, call)
        return (call, helper) if helper is not None else (None, None)


def _converter(source: SourceFile, call: cst.Call) -> Optional[cst.FunctionDef]:
    """A function of this file, called by name, that only turns its one argument into a tensor:
    ``def to_tensor(x): return torch.as_tensor(np.asarray(x, dtype="float32"), device=device)``."""
    if not isinstance(call.func, cst.Name) or len(call.args) != 1:
        return None
    for function in source.module.body:
        if isinstance(function, cst.FunctionDef) and function.name.value == call.func.value:
            params = function.params
            if len(params.params) != 1 or params.star_arg is not cst.MaybeSentinel.DEFAULT and params.star_arg is not None:
                return None
            returned = _only_return(function)
            if returned is None or not isinstance(returned.value, cst.Call):
                return None
            reads = [n for n in descendants(returned.value, cst.Name) if n.value == params.params[0].name.value]
            if len(reads) != 1:
                return None
            rewrap, helper = _rewrap_of_read(source, reads[0])
            return function if rewrap is returned.value and helper is None else None
    return None


def _only_return(function: cst.FunctionDef) -> Optional[cst.Return]:
    body = function.body
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else [body]
    if statements and isinstance(statements[0], cst.SimpleStatementLine) and isinstance(statements[0].body[0], cst.Expr) \
            and isinstance(statements[0].body[0].value, cst.SimpleString):
        statements = statements[1:]  # the docstring
    if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine) or len(statements[0].body) != 1:
        return None
    small = statements[0].body[0]
    return small if isinstance(small, cst.Return) and small.value is not None else None


def _passing_tensors(source: SourceFile, torch: str, helper: cst.FunctionDef) -> Optional[Edit]:
    """``return torch.as_tensor(...)`` -> ``return x if torch.is_tensor(x) else torch.as_tensor(...)``:
    a tensor given to the helper keeps its graph."""
    returned = _only_return(helper)
    if returned is None or returned.value is None:
        return None
    name = helper.params.params[0].name.value
    kept = cst.parse_expression(f"{name} if {torch}.is_tensor({name}) else (0)")
    assert isinstance(kept, cst.IfExp)
    return source.replace_node(returned.value, kept.with_changes(orelse=returned.value))


def _cuts_off(cut: Cut, cut_off: Iterable[str]) -> bool:
    """Whether a way out of the graph took the values of parameters that are cut off. The probe
    names the parameters behind a ``.detach()`` or ``.data``; behind a ``.tolist()`` it does not
    walk the graph (it records no leaves), so that one counts."""
    return cut.op == "tolist" or bool(set(cut.leaves) & set(cut_off))
