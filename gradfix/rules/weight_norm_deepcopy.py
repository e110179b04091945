"""GF072: a model built with the old ``torch.nn.utils.weight_norm`` is deep-copied.

The old, hook-based ``weight_norm`` keeps ``weight`` as an attribute it recomputes from ``weight_g``
and ``weight_v`` before every forward: a tensor with a ``grad_fn``, not a leaf. ``copy.deepcopy`` of
such a module (the EMA copy, a target network, the best model kept for evaluation) raises
"Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the
moment", and training never starts. (The old ``spectral_norm`` recomputes its weight without a
graph at the copy, and deep-copies.)

torch's replacement, ``torch.nn.utils.parametrizations.weight_norm``, takes the same arguments and computes the weight through a parametrization, which deep-copies. The
crash is read from the run (the message is torch's own); the fix rewrites every use of the old
functions in the files that built the run's modules or raised: ``from torch.nn.utils import
weight_norm`` imports it from ``parametrizations`` (split off when the import names other things
too), ``nn.utils.weight_norm(...)`` becomes ``nn.utils.parametrizations.weight_norm(...)``. The
parametrized module's state dict names its tensors ``parametrizations.weight.original0/1`` instead
of ``weight_g``/``weight_v``: a script that loads a checkpoint saved with the old names fails its
re-run, and is then left without a fix. A file that calls ``remove_weight_norm`` (which only knows
the old hook) is not rewritten.
"""

from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Trace

_DEEPCOPY_ERROR = "support the deepcopy protocol"
_OLD = {"weight_norm"}
_REMOVERS = {"torch.nn.utils.remove_weight_norm", "torch.nn.utils.weight_norm.remove_weight_norm"}
_NEW_HOME = "torch.nn.utils.parametrizations"


def _old_function(qualified: set[str]) -> Optional[str]:
    """``weight_norm`` for a name or attribute that is torch's old function, else None."""
    for name in qualified:
        for old in _OLD:
            if name in (f"torch.nn.utils.{old}", f"torch.nn.utils.{old}.{old}"):
                return old
    return None


def _renamed(params: list[str], used: set[str]) -> list[str]:
    """The parameters' names once parametrized: ``conv.weight_g`` and ``conv.weight_v`` become
    ``conv.parametrizations.weight.original0`` and ``original1`` (the magnitude and the direction)."""
    have = set(params)
    renamed = []
    for name in params:
        owner, _, leaf = name.rpartition(".")
        prefix = f"{owner}." if owner else ""
        base, _, suffix = leaf.rpartition("_")
        if "weight_norm" in used and suffix in ("g", "v") and {f"{prefix}{base}_g", f"{prefix}{base}_v"} <= have:
            renamed.append(f"{prefix}parametrizations.{base}.original{0 if suffix == 'g' else 1}")
        else:
            renamed.append(name)
    return renamed


def _one_line(names: list[cst.ImportAlias]) -> list[cst.ImportAlias]:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [a.with_changes(comma=comma if i < len(names) - 1 else cst.MaybeSentinel.DEFAULT) for i, a in enumerate(names)]


def _module_path(node: Union[cst.Attribute, cst.Name]) -> str:
    return cst.Module([]).code_for_node(node)


class WeightNormDeepcopy(Rule):
    code = "GF072"
    title = "model with the old weight_norm deep-copied"
    # Unsafe: the state dict's keys change (weight_g/weight_v become parametrizations.weight.
    # original0/1), which breaks checkpoints other programs read, and no re-run sees those.
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _DEEPCOPY_ERROR not in crash.message:
            return []
        patches, used = [], set()
        for path in self.crash_files(trace, project):
            source = project.source(path)
            edits = self._edits(source, used)
            if edits:
                patches.append(Patch(path, sorted(edits, key=lambda e: e.start)))
        if not patches or not project.is_editable(crash.site.file):
            return []
        functions = " and ".join(f"torch.nn.utils.{name}" for name in sorted(used))
        params = [p.name for p in trace.params if p.requires_grad]
        # The parametrized modules name their tensors otherwise: the re-run is judged on the new names.
        candidate = Candidate(
            f"use {' and '.join(f'{_NEW_HOME}.{name}' for name in sorted(used))}, which deep-copies", patches, self.applicability,
            params=_renamed(params, used),
        )
        message = (
            f"the script crashed: {crash.type}: the model is built with {functions}, whose recomputed "
            f"weight is no graph leaf, and copy.deepcopy refuses it; no parameter trains"
        )
        return [self.finding(project, crash.site, message, params, [candidate], blocking=True)]

    def _edits(self, source: SourceFile, used: set[str]) -> list[Edit]:
        names = [n for n in descendants(source.module, cst.Name) if source.qualified_names(n) & _REMOVERS]
        attributes = [a for a in descendants(source.module, cst.Attribute) if source.qualified_names(a) & _REMOVERS]
        if names or attributes:
            return []  # remove_weight_norm knows only the old hook
        edits = []
        for node in descendants(source.module, cst.ImportFrom):
            edit = self._import(source, node, used)
            if edit is not None:
                edits.append(edit)
        for attribute in descendants(source.module, cst.Attribute):
            old = _old_function(source.qualified_names(attribute))
            if old is None or attribute.attr.value != old or isinstance(source.parent(attribute), cst.ImportFrom):
                continue
            outer = source.parent(attribute)
            if isinstance(outer, cst.Attribute) and outer.value is attribute and outer.attr.value == old:
                continue  # `torch.nn.utils.weight_norm` of `torch.nn.utils.weight_norm.weight_norm`: the module
            home = attribute.value
            if isinstance(home, cst.Attribute) and home.attr.value == old:
                home = home.value  # the function through its module: `...utils.weight_norm.weight_norm`
            moved = attribute.with_changes(value=cst.Attribute(value=home, attr=cst.Name("parametrizations")))
            edits.append(source.replace_node(attribute, moved))
            used.add(old)
        return edits

    def _import(self, source: SourceFile, node: cst.ImportFrom, used: set[str]) -> Optional[Edit]:
        """``from torch.nn.utils import weight_norm`` (or ``from torch.nn.utils.weight_norm import
        weight_norm``) imported from ``parametrizations``; other names of the same import stay."""
        if node.module is None or isinstance(node.names, cst.ImportStar) or node.relative:
            return None
        home = _module_path(node.module)
        if home not in ("torch.nn.utils", *(f"torch.nn.utils.{old}" for old in _OLD)):
            return None
        moved = [a for a in node.names if isinstance(a.name, cst.Name) and a.name.value in _OLD and (home == "torch.nn.utils" or home.endswith(a.name.value))]
        if not moved:
            return None
        used.update(a.name.value for a in moved if isinstance(a.name, cst.Name))
        statement = source.statement_of(node)
        new_home = cst.parse_expression(_NEW_HOME)
        assert isinstance(new_home, cst.Attribute)
        kept = [a for a in node.names if a not in moved]
        if not kept:
            return source.replace_node(node.module, new_home)
        # Others stay where they were; the moved names get an import of their own below it, both
        # on one line each (a parenthesised import's commas carry its line breaks).
        rest = node.with_changes(names=_one_line(kept), lpar=None, rpar=None)
        alone = node.with_changes(module=new_home, names=_one_line(moved), lpar=None, rpar=None)
        assert isinstance(statement, cst.SimpleStatementLine)
        return source.replace_statement(statement, cst.FlattenSentinel([
            statement.with_changes(body=[rest]), cst.SimpleStatementLine([alone]),
        ]))
