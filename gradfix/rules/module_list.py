"""GF006: submodules or trainable tensors kept in a plain ``list`` or ``dict`` attribute.

``self.layers = [nn.Linear(4, 4) for _ in range(3)]`` runs fine and the layers receive gradients,
but ``nn.Module`` does not look inside plain containers: the layers are not in
``model.parameters()``, so no optimizer holds them and they never update (and ``model.to(device)``
misses them). When every layer of the model is in the list, ``model.parameters()`` is empty and
torch refuses to build the optimizer. The fix wraps the container in ``nn.ModuleList`` / ``nn.ModuleDict``. A list that
only holds modules registered elsewhere too is a convenience and is left alone.

Weights kept as ``nn.Parameter`` (or tensors that require grad) in a plain list or dict, such as
per-relation matrices ``self.rel_weight[rel] = nn.Parameter(...)``, are the same fault: they get
gradients and never change. The fix wraps the container in ``nn.ParameterList`` /
``nn.ParameterDict`` (which also turn plain tensors into Parameters).

A dict keyed by ints or tuples gets its keys made strings where it is written and read
(``self.d[str(rel)]``), as ``nn.ModuleDict`` requires, or, for keys 0..n-1 written in order, becomes
an ``nn.ModuleList`` appended to; dicts of parameters inside a plain dict or list become an
``nn.ModuleDict``/``nn.ModuleList`` of ``nn.ParameterDict``s/``nn.ParameterList``s.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import self_attribute
from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias, wrap
from gradfix.trace import AttributeFact, Trace


class ModuleList(Rule):
    code = "GF006"
    title = "submodules or parameters kept in a plain list or dict"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        found: dict[tuple[str, int, str], tuple[AttributeFact, list[str], bool]] = {}
        empty_optimizer = trace.crash is not None and "empty parameter list" in trace.crash.message
        roots = {m.id for m in trace.modules if not any(m.id in o.children for o in trace.modules)}
        for attribute in trace.attributes:
            if attribute.site is None or not project.is_editable(attribute.site.file):
                continue
            if attribute.kind == "tensors":
                # Weights kept as tensors in a plain container (per-relation matrices in a dict):
                # the same fault, wrapped in nn.ParameterList / nn.ParameterDict.
                held = [trace.param(name) for name in attribute.tensors]
                stranded = [p.name for p in held if p is not None and p.got_grad and not p.optimizers and not p.changed]
                if stranded and len(stranded) == len(attribute.tensors):
                    found.setdefault((attribute.site.file, attribute.site.line, attribute.attr), (attribute, [], False))[1].extend(stranded)
                continue
            if attribute.kind != "modules":
                continue
            if not all(member in roots for member in attribute.members):
                continue  # registered elsewhere too: the list is only a convenience
            if all(m.loaded for m in trace.modules if m.id in attribute.members):
                continue  # a loaded network kept out of parameters() on purpose (a perceptual loss)
            stranded = [
                p.name for member in attribute.members for p in trace.params_of(member)
                if p.got_grad and not p.optimizers
            ]
            owner = trace.module(attribute.owner)
            blocking = bool(not stranded and empty_optimizer and owner is not None and owner.num_params == 0)
            if blocking:
                # Every layer of the model is in the list: model.parameters() is empty and the
                # optimizer refuses it before any training ran.
                stranded = [p.name for member in attribute.members for p in trace.params_of(member) if p.requires_grad]
            if not stranded:
                continue
            key = (attribute.site.file, attribute.site.line, attribute.attr)
            found.setdefault(key, (attribute, [], blocking))[1].extend(stranded)
        # One finding per line: every instance of the class (each layer of a stack) made its own
        # container there, and one edit fixes them all.
        return [self._finding(trace, project, attribute, names, blocking) for attribute, names, blocking in found.values()]

    def _finding(self, trace: Trace, project: Project, attribute: AttributeFact, stranded: list[str], blocking: bool = False) -> Finding:
        assert attribute.site is not None
        source = project.source(attribute.site.file)
        value = source.assigned_value(attribute.site.line, attribute.attr)
        candidates = []
        nn = module_alias(source, "torch.nn")
        if value is not None and nn is not None:
            # What the run held decides, not the syntax: a helper may return an OrderedDict.
            holds = "Parameter" if attribute.kind == "tensors" else "Module"
            if attribute.inner:
                # Dicts/lists of parameters (or of modules) inside: an nn.ModuleDict/List of
                # nn.ParameterDicts/Lists (or of nn.ModuleDicts/Lists) registers them all.
                outer, inner = "Module" + ("Dict" if attribute.mapping else "List"), holds + ("Dict" if attribute.inner == "dict" else "List")
            else:
                outer, inner = holds + ("Dict" if attribute.mapping else "List"), ""
            shapes = []
            if attribute.keys == "str":
                shapes.append((outer, ""))
            else:
                # nn.ModuleDict/ParameterDict take string keys only: the keys become strings
                # where the dict is written and read; ints 0..n-1 written in order are a list's
                # positions, and an nn.ModuleList/ParameterList appended to holds them as they are.
                shapes.append((outer, "str"))
                if attribute.keys == "range":
                    shapes.append((outer.replace("Dict", "List"), "append"))
            for kind, keys in shapes:
                edits = _registering_edits(source, value, attribute.attr, f"{nn}.{kind}", f"{nn}.{inner}" if inner else "", keys)
                if edits is None:
                    continue
                what = f"{nn}.{kind}" + (f" of {nn}.{inner}" if inner else "")
                how = {"": "", "str": ", with its keys made strings (str(key)) where it is written and read",
                       "append": ", appending in the order the keys 0..n-1 were written"}[keys]
                candidates.append(self.candidate(f"keep them in {what}{how}", source.path, edits))
                sequences = _sequence_uses(source, value, attribute.attr) if kind == "ParameterList" and not keys else []
                if sequences:
                    # torch.stack/cat take a list or tuple, which a ParameterList is not: hand them one.
                    candidates.append(self.candidate(
                        f"keep them in {nn}.{kind}, and pass list(...) of it to torch.stack/cat", source.path,
                        sorted([*edits, *(source.replace_node(use, wrap(source, "list", use)) for use in sequences)], key=lambda e: e.start),
                    ))
        outcome = (
            f"{attribute.owner_name}.parameters() is empty and the optimizer refused it" if blocking
            else f"{short_list(stranded)} receive gradients but are not in {attribute.owner_name}.parameters() and no optimizer holds them"
        )
        message = (
            f"`{attribute.owner_name}.{attribute.attr}` is a plain container: nn.Module does not register "
            f"what is inside, so {outcome}"
        )
        if attribute.kind == "tensors":
            message += " (nn.ParameterList / nn.ParameterDict register them, and turn plain tensors into Parameters)"
        if attribute.keys != "str":
            message += "; its keys are not strings, which nn.ModuleDict / nn.ParameterDict require"
        return self.finding(project, attribute.site, message, stranded, candidates, blocking=blocking)


_SEQUENCE_FUNCTIONS = {f"torch.{name}" for name in ("stack", "cat", "concat", "concatenate", "vstack", "hstack", "dstack")}


def _sequence_uses(source: SourceFile, value: cst.BaseExpression, attr: str) -> list[cst.Attribute]:
    """``self.<attr>`` passed as the tensors of ``torch.stack``/``torch.cat`` in the class that
    built the container."""
    holder = next((a for a in source.ancestors(value) if isinstance(a, cst.ClassDef)), None)
    if holder is None:
        return []
    uses = []
    for call in descendants(holder, cst.Call):
        if not call.args or not source.qualified_names(call.func) & _SEQUENCE_FUNCTIONS:
            continue
        given = call.args[0].value
        if (
            isinstance(given, cst.Attribute) and given.attr.value == attr
            and isinstance(given.value, cst.Name) and given.value.value == "self"
        ):
            uses.append(given)
    return uses


def _registering_edits(
    source: SourceFile, value: cst.BaseExpression, attr: str, outer: str, inner: str, keys: str
) -> Optional[list[Edit]]:
    """The edits that make ``self.<attr>`` (assigned ``value``) an ``outer`` container, each value
    written into it an ``inner`` one (when nested), and its keys as ``keys`` says: "" kept, "str"
    made strings wherever the class writes or reads ``self.<attr>[key]``, "append" dropped, each
    ``self.<attr>[i] = v`` becoming ``self.<attr>.append(v)``. None when a write cannot be changed so."""
    holder = next((a for a in source.ancestors(value) if isinstance(a, cst.ClassDef)), None)
    subscripts = [
        s for s in (descendants(holder, cst.Subscript) if holder is not None else [])
        if self_attribute(s.value) == attr and all(isinstance(e.slice, cst.Index) for e in s.slice)
    ]
    writes = {
        id(small.targets[0].target): small for small in (descendants(holder, cst.Assign) if holder is not None else [])
        if len(small.targets) == 1 and any(small.targets[0].target is s for s in subscripts)
    }

    def inner_of(node: cst.BaseExpression) -> cst.BaseExpression:
        return wrap(source, inner, node) if inner else node

    def key_of(node: cst.BaseExpression) -> cst.BaseExpression:
        if keys != "str" or isinstance(node, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
            return node
        if isinstance(node, cst.Tuple) and not node.lpar:
            node = node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])  # str((a, b)), not str(a, b)
        return wrap(source, "str", node)

    edits = []
    empty = isinstance(value, (cst.List, cst.Dict, cst.Tuple)) and not value.elements
    if empty:
        built: Optional[cst.BaseExpression] = None
    elif isinstance(value, cst.Dict) and all(isinstance(e, cst.DictElement) for e in value.elements):
        pairs = [(key_of(e.key), inner_of(e.value)) for e in value.elements]  # type: ignore[union-attr]
        if keys == "append":
            built = cst.List([cst.Element(v) for _, v in pairs])
        else:
            built = value.with_changes(elements=[e.with_changes(key=k, value=v) for e, (k, v) in zip(value.elements, pairs)])
    elif isinstance(value, cst.DictComp):
        built = (
            cst.ListComp(inner_of(value.value), value.for_in) if keys == "append"
            else value.with_changes(key=key_of(value.key), value=inner_of(value.value))
        )
    elif isinstance(value, (cst.List, cst.Tuple)) and all(isinstance(e, cst.Element) for e in value.elements):
        built = value.with_changes(elements=[e.with_changes(value=inner_of(e.value)) for e in value.elements])
    elif isinstance(value, (cst.ListComp, cst.GeneratorExp)):
        built = value.with_changes(elt=inner_of(value.elt))
    elif inner or keys:
        return None  # values or keys made elsewhere (a helper's return): nothing here to change
    else:
        built = value
    edits.append(source.replace_node(value, wrap(source, outer, built)))
    for subscript in subscripts:
        index: cst.BaseExpression = (
            subscript.slice[0].slice.value if len(subscript.slice) == 1  # type: ignore[attr-defined]
            else cst.Tuple([cst.Element(e.slice.value) for e in subscript.slice])  # type: ignore[attr-defined]
        )
        write = writes.get(id(subscript))
        if write is not None and keys == "append":
            appended = cst.Call(cst.Attribute(subscript.value, cst.Name("append")), [cst.Arg(inner_of(write.value))])
            edits.append(source.replace_node(write, cst.Expr(appended)))
            continue
        if keys == "str" and key_of(index) is not index:
            edits.append(source.replace_node(subscript, subscript.with_changes(
                slice=[cst.SubscriptElement(cst.Index(key_of(index)))])))
        if write is not None and inner:
            edits.append(source.replace_node(write.value, inner_of(write.value)))
    if keys == "append" and any(id(s) not in writes for s in subscripts if isinstance(source.parent(s), cst.AugAssign)):
        return None
    for call in descendants(holder, cst.Call) if holder is not None and inner else []:
        # `self.<attr>.append({...})`: the appended dict is wrapped as a written one is.
        if (
            isinstance(call.func, cst.Attribute) and call.func.attr.value in ("append", "insert")
            and self_attribute(call.func.value) == attr and call.args
        ):
            edits.append(source.replace_node(call.args[-1].value, inner_of(call.args[-1].value)))
    return sorted(edits, key=lambda e: e.start)
