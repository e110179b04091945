"""GF079: a layer swapped in under a dotted name (``parent._modules["to_out.0"] = wrapper``,
``setattr(parent, "encoder.fc", wrapper)``) never runs: the name ``named_modules()`` gave is a
path, not a child's name. The assignment adds a new child whose name holds a dot, beside the layer
it was meant to replace; the forward still calls the old layer, and the new one's parameters (a
LoRA adapter, a quantised or pruned copy) never receive a gradient.

The evidence is the run's: two modules of the model under the same path (``named_modules()`` joins
the parent's path and the dotted key into the path of the layer it meant to replace), the one
that never ran holding parameters an optimizer steps that never received a gradient. The rule
looks in the files that built the run's modules for assignments into a module's ``_modules`` by
key, and ``setattr`` calls on a module, whose key is not a literal without a dot (for ``setattr``, with a layer built in the call); each becomes
``parent.set_submodule(key, value)``, which walks the dotted path and replaces the layer where it
is (and all of them together). The re-run decides. Safe: the layer the script meant to put there
is put there.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace


def _setting(source: SourceFile, statement: cst.SimpleStatementLine) -> Optional[tuple[str, str, str]]:
    """(parent, key, value) of ``parent._modules[key] = value`` or ``setattr(parent, key, value)``."""
    if len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if (
            isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute) and target.value.attr.value == "_modules"
            and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index)
        ):
            key = target.slice[0].slice.value
            return source.code(target.value.value), source.code(key), source.code(small.value)
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        call = small.value
        if (
            isinstance(call.func, cst.Name) and call.func.value == "setattr" and len(call.args) == 3
            and all(a.keyword is None and not a.star for a in call.args)
            # a layer built there (`Adapter(module)`): `setattr(cfg, key, value)` sets a config's field
            and isinstance(call.args[2].value, cst.Call)
        ):
            return tuple(source.code(a.value) for a in call.args)  # type: ignore[return-value]
    return None


def _may_hold_a_dot(key: str) -> bool:
    """A string literal without a dot is a plain child's name; anything else may be a path."""
    try:
        node = cst.parse_expression(key)
    except cst.ParserSyntaxError:
        return False
    if isinstance(node, cst.SimpleString):
        return "." in node.evaluated_value
    return True


class SubmoduleUnderDottedName(Rule):
    code = "GF079"
    title = "layer swapped in under a dotted name never runs"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        by_path: dict[str, list] = {}
        for module in trace.modules:
            if module.path:
                by_path.setdefault(module.path, []).append(module)
        idle_paths = [
            path for path, modules in by_path.items()
            if len(modules) > 1 and any(not (m.ran_with_grad or m.ran_without_grad) for m in modules)
            and any(m.ran_with_grad or m.ran_without_grad for m in modules)
        ]
        if not idle_paths:
            return []
        stepped = {o.id for o in trace.optimizers if o.steps}
        stuck = [
            p for p in trace.params
            if p.requires_grad and not p.got_grad and set(p.optimizers) & stepped
            and any(p.name.startswith(f"{path}.") for path in idle_paths)
        ]
        if not stuck:
            return []
        files = dict.fromkeys(m.site.file for m in trace.modules if m.site is not None)
        candidates: list[Candidate] = []
        edits: dict[str, list[Edit]] = {}
        sites = []
        for path in files:
            if not project.is_editable(path):
                continue
            source = project.source(path)
            for statement in descendants(source.module, cst.SimpleStatementLine):
                found = _setting(source, statement)
                if found is None or not _may_hold_a_dot(found[1]):
                    continue
                parent, key, value = found
                text = f"{parent}.set_submodule({key}, {value})"
                try:
                    new = cst.parse_statement(text + "\n", config=source.module.config_for_parsing)
                except cst.ParserSyntaxError:
                    continue
                assert isinstance(new, cst.SimpleStatementLine)
                edit = source.replace_statement(statement, statement.with_changes(body=new.body))
                line = source.range(statement).start.line
                candidates.append(self.candidate(f"`{text}` (line {line}): it replaces the layer at the dotted path", path, [edit]))
                edits.setdefault(path, []).append(edit)
                sites.append(source.site(statement))
        for path, found in edits.items():
            if len(found) > 1:
                candidates.append(self.candidate(f"set_submodule at all {len(found)} places", path, found))
        if not sites:
            return []
        names = [p.name for p in stuck]
        one = len(names) == 1
        path0 = next(path for path in idle_paths if any(n.startswith(f"{path}.") for n in names))
        idle = next(m for m in by_path[path0] if not (m.ran_with_grad or m.ran_without_grad))
        message = (
            f"{short_list(names)} {'is' if one else 'are'} held by an optimizer that steps but never {'gets' if one else 'get'} a "
            f"gradient: `{idle.cls.rsplit('.', 1)[-1]}` at `{path0}` never ran. Two modules of the model sit under that path: the one "
            "the script swapped in was stored under a dotted name (a path from named_modules()), as a new child beside the "
            "layer it meant to replace, which the forward still calls"
        )
        return [self.finding(project, sites[0], message, names, candidates)]
