"""What gradfix knows about torch's API by qualified name, whatever the import alias."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.source import SourceFile, descendants

GRAD_DISABLING = {
    "torch.no_grad",
    "torch.inference_mode",
    "torch.autograd.no_grad",
    "torch.autograd.grad_mode.no_grad",
    "torch.autograd.grad_mode.inference_mode",
}
# Custom autograd functions: subclasses of these define forward and backward by hand.
AUTOGRAD_FUNCTIONS = {
    "torch.autograd.Function",
    "torch.autograd.function.Function",
    "torch.autograd.function.InplaceFunction",
}
GRAD_SWITCH = {"torch.set_grad_enabled", "torch.autograd.set_grad_enabled", "torch.autograd.grad_mode.set_grad_enabled"}

# Tensor factories whose dtype= keyword decides the dtype of what they build.
TENSOR_FACTORIES = {
    f"torch.{name}"
    for name in (
        "tensor", "as_tensor", "randint", "arange", "zeros", "ones", "full", "empty", "rand", "randn",
        "linspace", "randperm", "zeros_like", "ones_like", "full_like", "randint_like", "eye",
    )
}

# Casts by dtype name: the method a careful person would write.
CAST_METHODS = {"float32": "float", "float64": "double", "float16": "half", "bfloat16": "bfloat16"}


def disables_grad(source: SourceFile, expression: cst.BaseExpression, _entered: frozenset[str] = frozenset()) -> bool:
    """``torch.no_grad()``, ``torch.inference_mode()``, ``torch.set_grad_enabled(False)``, any alias."""
    if not isinstance(expression, cst.Call):
        return False
    names = source.qualified_names(expression.func)
    if names & GRAD_DISABLING:
        mode = expression.args[0].value if expression.args else None
        return not (isinstance(mode, cst.Name) and mode.value == "False")  # inference_mode(False)
    if names & GRAD_SWITCH and expression.args:
        mode = expression.args[0].value
        return (isinstance(mode, cst.Name) and mode.value == "False") or (
            isinstance(mode, cst.Integer) and mode.value == "0"
        )
    if isinstance(expression.func, cst.Name) and expression.func.value not in _entered:
        return _yields_without_grad(source, expression.func.value, _entered | {expression.func.value})
    return False


def grad_disabling_decorator(source: SourceFile, function: cst.FunctionDef) -> Optional[cst.Decorator]:
    """The decorator that runs ``function`` with gradients off (``@torch.no_grad()``, a bare
    ``@torch.no_grad``, ``@torch.inference_mode()``, any alias), if it has one."""
    for decorator in function.decorators:
        expression = decorator.decorator
        if disables_grad(source, expression) or (
            not isinstance(expression, cst.Call) and source.qualified_names(expression) & GRAD_DISABLING
        ):
            return decorator
    return None


def _yields_without_grad(source: SourceFile, name: str, entered: frozenset[str]) -> bool:
    """A ``@contextmanager`` of this file that yields inside ``torch.no_grad()`` (an ``evaluating(model)``
    helper): entering it turns gradients off just as ``no_grad`` does."""
    for node in source.module.body:
        if not (isinstance(node, cst.FunctionDef) and node.name.value == name):
            continue
        if not any(source.qualified_names(d.decorator) & {"contextlib.contextmanager"} for d in node.decorators):
            return False
        return any(
            any(disables_grad(source, item.item, entered) for item in block.items) and descendants(block, cst.Yield)
            for block in descendants(node, cst.With)
        )
    return False


def grad_disabling_with(source: SourceFile, node: cst.CSTNode) -> cst.With | None:
    """The innermost ``with`` block around ``node`` that turns gradients off."""
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.With) and any(disables_grad(source, item.item) for item in ancestor.items):
            return ancestor
    return None


def module_alias(source: SourceFile, module: str) -> str | None:
    """The expression this file uses for ``module`` (``torch.nn`` -> ``nn`` or ``torch.nn``)."""
    best = None
    for node in source.module.body:
        if not isinstance(node, cst.SimpleStatementLine):
            continue
        for small in node.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    name = source.code(alias.name)
                    bound = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else None
                    if name == module:
                        return bound or name
                    if module.startswith(name + ".") and bound is None and best is None:
                        best = module  # `import torch` makes `torch.nn` reachable
                    if module.startswith(name + ".") and bound is not None and best is None:
                        best = bound + module[len(name):]
            elif isinstance(small, cst.ImportFrom) and small.module is not None and not isinstance(small.names, cst.ImportStar):
                parent = source.code(small.module)
                for alias in small.names:
                    if f"{parent}.{source.code(alias.name)}" == module:
                        return alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else source.code(alias.name)
    return best


def spelled_or_imported(source: SourceFile, dotted: str) -> tuple[str, list[Edit]]:
    """How the file spells ``dotted`` (``itertools.chain``, ``contextlib.nullcontext``), and the
    edit that imports its module when the file does not: placed among the top-level ``import``
    lines in alphabetical order."""
    spelled = module_alias(source, dotted)
    if spelled is not None:
        return spelled, []
    module = dotted.rsplit(".", 1)[0]
    imports = [
        s for s in source.module.body
        if isinstance(s, cst.SimpleStatementLine) and s.body and isinstance(s.body[0], (cst.Import, cst.ImportFrom))
        and not (isinstance(s.body[0], cst.ImportFrom) and s.body[0].module is not None and source.code(s.body[0].module) == "__future__")
    ]
    plain = [s for s in imports if isinstance(s.body[0], cst.Import)]
    later = [s for s in plain if source.code(s.body[0].names[0].name) > module]  # type: ignore[union-attr]
    if later:
        line = source.range(later[0]).start.line
    elif plain:
        line = source.range(plain[-1]).end.line + 1
    elif imports:
        line = source.range(imports[0]).start.line
    else:
        line = 1
    return dotted, [source.insert_lines(line, f"import {module}\n")]


# Calls that take a tensor's values out of its graph: stripped, they give the tensor back.
OUT_OF_GRAPH = {"detach", "item", "tolist", "numpy", "cpu"}


def strip_cuts(value: cst.BaseExpression) -> cst.BaseExpression:
    """``x.data``, ``x.detach().cpu().numpy()``, ``loss.item()`` -> ``x`` / ``loss``."""
    while True:
        if isinstance(value, cst.Attribute) and value.attr.value == "data":
            value = value.value
        elif (
            isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Attribute)
            and value.func.attr.value in OUT_OF_GRAPH
        ):
            value = value.func.value
        else:
            return value


def without_requires_grad(value: cst.BaseExpression) -> cst.BaseExpression:
    """The tensor without what made it trainable (nn.Parameter does that): a ``requires_grad=``
    keyword, or a trailing ``.requires_grad_()`` / ``.requires_grad_(True)``."""
    if not isinstance(value, cst.Call):
        return value
    if (
        isinstance(value.func, cst.Attribute)
        and value.func.attr.value == "requires_grad_"
        and all(isinstance(a.value, cst.Name) and a.value.value == "True" for a in value.args)
    ):
        return value.func.value
    args = [a for a in value.args if not (a.keyword is not None and a.keyword.value == "requires_grad")]
    if len(args) == len(value.args):
        return value
    if args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return value.with_changes(args=args)


def wrap(source: SourceFile, callee: str, value: cst.BaseExpression | None) -> cst.Call:
    """``callee(value)`` (or ``callee()``), parsed in the file's own style."""
    call = cst.parse_expression(f"{callee}()", config=source.module.config_for_parsing)
    assert isinstance(call, cst.Call)
    return call.with_changes(args=[cst.Arg(value)]) if value is not None else call


_CONVERSIONS = {"torch.tensor", "torch.as_tensor", "torch.from_numpy", "torch.Tensor"}
_CHAINED = {"to", "cuda", "cpu", "float", "double", "half", "bfloat16", "requires_grad_", "detach", "clone", "contiguous"}


def made_from_data(source: SourceFile, value: cst.BaseExpression) -> bool:
    """``torch.tensor(X[:, 0:1], requires_grad=True).float().to(device)``: a tensor converted from
    the script's data (a variable, an array), perhaps moved: an input whose gradient is wanted (a
    PINN's collocation points), not a weight. A literal (``torch.tensor(1.0)``) is not data."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _CHAINED:
        value = value.func.value
    if not isinstance(value, cst.Call) or not source.qualified_names(value.func) & _CONVERSIONS or not value.args:
        return False
    literal = (cst.Integer, cst.Float, cst.List, cst.Tuple, cst.UnaryOperation)
    return not isinstance(value.args[0].value, literal)
