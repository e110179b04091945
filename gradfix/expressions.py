"""What an expression's shape says, read from the libcst node alone: the dotted path it spells, the
argument a call passes for a parameter, whether it needs parentheses as an operand. Pure
functions: no SourceFile, no metadata, no edits."""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst


def dotted_path(node: cst.CSTNode) -> Optional[str]:
    """``model``, ``self.encoder.fc``: a name and its attributes, joined by dots as the source
    spells them; None for anything else (a call, a subscript or a literal anywhere in the chain)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = dotted_path(node.value)
        return None if inner is None else f"{inner}.{node.attr.value}"
    return None


def is_dotted_name(text: Optional[str]) -> bool:
    """Text that reads as a name and its attributes (``model``, ``self.head``): not empty, and every
    dot-separated part an identifier. A keyword passes as a part here (``model.None``), as it did
    in each rule this check came from; :func:`gradfix.untrusted.is_identifier_path` also refuses
    keywords."""
    return bool(text) and all(part.isidentifier() for part in text.split("."))  # type: ignore[union-attr]


def with_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression, position: Optional[int] = None) -> cst.Call:
    """``call`` passing ``keyword=value``: the value it passes replaced (by keyword, or at
    ``position`` among its positional arguments, where the parameter takes one), or the keyword
    added last, laid out as the arguments before it are (one a line, with a trailing comma, takes
    a line)."""
    # `DataLoader(ds, 4, True, None, None, 2)` given `num_workers=0` besides would fail with
    # "got multiple values for argument"
    given = call_argument(call, position, keyword)
    if given is not None:
        return call.deep_replace(given.value, value)  # type: ignore[return-value]
    *rest, last = call.args
    if isinstance(last.comma, cst.Comma):
        comma = rest[-1].comma if rest and isinstance(rest[-1].comma, cst.Comma) else last.comma
    else:
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    added = cst.Arg(
        keyword=cst.Name(keyword), value=value,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
        comma=last.comma,
    )
    return call.with_changes(args=[*rest, last.with_changes(comma=comma), added])


def without_arguments(call: cst.Call, dropped: list[cst.Arg]) -> cst.Call:
    """``call`` without some of its arguments; the last one kept ends the call as the last one did
    (no comma it no longer needs, or the trailing comma of a one-a-line layout)."""
    kept = [a for a in call.args if not any(a is d for d in dropped)]
    if kept and kept[-1] is not call.args[-1]:
        kept[-1] = kept[-1].with_changes(comma=call.args[-1].comma)
    return call.with_changes(args=kept)


def call_argument(call: cst.Call, position: Optional[int], keyword: str) -> Optional[cst.Arg]:
    """The argument ``call`` passes for one parameter: the one named ``keyword``, else the
    ``position``-th positional one (counted from 0; None for a keyword-only parameter). None when
    the call does not pass it, or when a ``*args`` or ``**kwargs`` comes at or before that position:
    what those unpack is known only at run time."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    if position is None:
        return None
    positional = [arg for arg in call.args if arg.keyword is None]
    if position >= len(positional) or any(arg.star for arg in positional[: position + 1]):
        return None
    return positional[position]


def params_given(call: cst.Call) -> Optional[cst.BaseExpression]:
    """What an optimizer's constructor or ``add_param_group`` is given as its parameters."""
    arg = call_argument(call, 0, "params")
    return arg.value if arg is not None else None


_TIGHTEST = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)


def group_params(group: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """What a parameter group written in place passes as its tensors: the value under ``"params"``
    in ``{"params": model.head.parameters(), "lr": 1e-3}``, or ``params=`` of ``dict(params=..., lr=...)``;
    None for anything else."""
    if isinstance(group, cst.Dict):
        for element in group.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString) and element.key.evaluated_value == "params":
                return element.value
        return None
    if isinstance(group, cst.Call) and isinstance(group.func, cst.Name) and group.func.value == "dict":
        for arg in group.args:
            if arg.keyword is not None and arg.keyword.value == "params":
                return arg.value
    return None


def binds_tightest(node: cst.BaseExpression) -> bool:
    """A name, an attribute, a call, a subscript, or anything already in parentheses: what reads
    the same followed by ``.method()`` or as the operand of any operator."""
    return isinstance(node, _TIGHTEST) or bool(node.lpar)


def parenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node``, put in parentheses unless it :func:`binds_tightest`: ``(w0 * 0.01).detach()``,
    not ``w0 * 0.01.detach()``. Numbers are parenthesised too (``(2).float()``)."""
    if binds_tightest(node):
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def self_attribute(node: cst.BaseExpression) -> Optional[str]:
    """``self.name`` -> ``name``; anything else (``other.name``, ``self.a.b``) -> None."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def and_operands(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The operands of a chain of ``and``, left to right (one in parentheses of its own is one
    operand, whatever is inside): what the probe counts one by one in a step's condition."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return [*(and_operands(test.left) if not test.left.lpar else [test.left]), test.right]
    return [test]


def root_name(node: cst.CSTNode) -> Optional[str]:
    """The name a chain of attributes and subscripts starts from: ``out`` in ``out["kl"]``,
    ``self`` in ``self.head.weight``; None when it starts from a call or a literal."""
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def name_words(name: str) -> list[str]:
    """The words of an identifier, lower-cased: ``dense_layer_u`` -> dense, layer, u; ``conv1`` ->
    conv, 1; ``userTower`` -> user, tower."""
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+", name)]


def setting_name(node: cst.BaseExpression) -> Optional[str]:
    """The name a value reads a setting by: ``x`` in ``config["x"]``, ``args.x``, ``self.cfg.x``
    and a bare ``x``; None for anything else (a call, a computed key, a literal)."""
    if isinstance(node, cst.Name) and node.value not in ("True", "False", "None"):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            key = index.value.evaluated_value
            return key if isinstance(key, str) and key.isidentifier() else None
    return None
