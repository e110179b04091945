"""GF093: embedding tables meant side by side, one per categorical column, put in an
``nn.Sequential``, which chains them: the second ``nn.Embedding`` is given the first one's float
vectors as its indices, and the first forward pass fails with "Expected tensor for argument #1
'indices' to have one of the following scalar types: Long, Int; but got torch.FloatTensor".
Nothing trains.

Tabular models and recommenders keep one table per categorical field (workclass, education,
marital status; user, item, category). ``nn.Sequential`` looks like the container for "several
layers", but it feeds each child the previous child's output, which for an embedding table can
never be right: a table's output is float vectors, and a table's input must be integer indices.

The run shows the evidence: the crash is in an embedding table (``nn.Embedding`` or
``nn.EmbeddingBag``) that is not the first child of an ``nn.Sequential`` whose children are all
embedding tables, and the container was called from the user's code. The fix calls each table on
its own column where the container was called, giving the shape one table would give to the whole
index block (``(batch, fields)`` indices -> ``(batch, fields, dim)``), so the code after it is
unchanged: ``torch.stack([table(x[..., i]) for i, table in enumerate(tables)], dim=-2)``; and,
when that is the container's only call and it is built in the script, it becomes an
``nn.ModuleList`` (the parameter names, ``tables.0.weight``, are the same, so checkpoints still
load). A second candidate gives every table the whole index tensor and joins the vectors
(``torch.cat(..., dim=-1)``), for tables that embed the same ids. The re-run decides. Safe: it
computes what the tables were built for; the chain could never run.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import spelled_or_imported
from gradfix.trace import ModuleFact, Trace

_TABLES = {"torch.nn.modules.sparse.Embedding", "torch.nn.modules.sparse.EmbeddingBag"}
_SEQUENTIAL = "torch.nn.modules.container.Sequential"


def _free_names(taken: str) -> tuple[str, str]:
    """Loop names for the comprehension that no name in the container's call already uses."""
    used = {n.value for n in descendants(cst.parse_expression(taken), cst.Name)}
    for column, table in (("i", "table"), ("column", "table"), ("field", "embedding"), ("_i", "_table")):
        if column not in used and table not in used:
            return column, table
    return "_gradfix_i", "_gradfix_table"


class EmbeddingsChainedInSequential(Rule):
    code = "GF093"
    title = "embedding tables chained in nn.Sequential"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or len(crash.module_calls) < 2:
            return []
        table, container = crash.module_calls[0], crash.module_calls[1]
        if table.cls not in _TABLES or container.cls != _SEQUENTIAL:
            return []
        sequential = trace.module(container.module)
        # A chain of two tables or more can never run, whatever the first one is given: the
        # second gets float vectors ("indices ... got torch.FloatTensor"), unless the first one
        # fails before it, on a column's ids beyond its own rows ("index out of range in self").
        if sequential is None or len(sequential.children) < 2:
            return []
        children = [trace.module(c) for c in sequential.children]
        if any(c is None or c.cls not in _TABLES for c in children):
            return []
        site = container.site
        if site is None or not project.is_editable(site.file):
            return []
        source = project.source(site.file)
        calls = [c for c in source.nodes_at(site, cst.Call) if len(c.args) == 1 and c.args[0].keyword is None and not c.args[0].star]
        if not calls:
            return []
        call = calls[-1]
        constructor = self._constructor(project, trace, sequential, site)
        candidates = [
            candidate
            for joined in ("stack", "cat")
            if (candidate := self._candidate(source, call, constructor, joined)) is not None
        ]
        params = [p.name for c in children if c is not None for p in trace.params_of(c.id)]
        message = (
            f"the script crashed: {crash.type}: {crash.message}; `{source.code(call.func)}` is an nn.Sequential of "
            f"{len(children)} embedding tables, which chains them: after the first, each would be given the previous one's float vectors as indices; "
            f"nothing trains: {short_list(params) or 'the tables'}"
        )
        return [self.finding(project, site, message, trace.meant_to_train() or params, candidates, blocking=True)]

    def _constructor(
        self, project: Project, trace: Trace, sequential: ModuleFact, site
    ) -> Optional[tuple[SourceFile, cst.Call]]:  # type: ignore[no-untyped-def]
        """The ``nn.Sequential(...)`` call that built the container, when the script wrote it and
        called the container nowhere but at the crash (a ModuleList cannot be called)."""
        built = sequential.site
        if built is None or not project.is_editable(built.file):
            return None
        if any(calls and (calls[0].file, calls[0].line) != (site.file, site.line) for calls in sequential.grad_calls):
            return None
        source = project.source(built.file)
        found = [c for c in source.nodes_at(built, cst.Call) if source.qualified_names(c.func) & {"torch.nn.Sequential", "torch.nn.modules.container.Sequential"}]
        if not found:
            return None
        call = found[-1]
        starred = [a for a in call.args if a.star]
        if any(a.keyword is not None for a in call.args) or (starred and (len(call.args) != 1 or starred[0].star != "*")):
            return None  # keywords, or `**tables`: leave the container as it is
        if len(call.args) == 1 and not starred and not self._builds_a_table(source, call.args[0].value):
            return None  # `Sequential(OrderedDict(...))`: named tables, iterated as they are
        return source, call

    @staticmethod
    def _builds_a_table(source: SourceFile, value: cst.BaseExpression) -> bool:
        """The lone argument of ``nn.Sequential(...)`` is one table's constructor, not a mapping
        of named tables (``OrderedDict([...])``, a dict) that a ModuleList would refuse."""
        if isinstance(value, (cst.Dict, cst.DictComp)):
            return False
        if isinstance(value, cst.Call):
            return not source.qualified_names(value.func) & {"collections.OrderedDict", "builtins.dict", "dict", "OrderedDict"}
        return False

    def _candidate(
        self, source: SourceFile, call: cst.Call, constructor: Optional[tuple[SourceFile, cst.Call]], joined: str
    ) -> Optional[Candidate]:
        tables, indices = source.code(call.func), source.code(call.args[0].value)
        column, table = _free_names(f"({tables}, {indices})")
        stack, imported = spelled_or_imported(source, f"torch.{joined}")
        if joined == "stack":
            text = f"{stack}([{table}({source.operand_code(call.args[0].value)}[..., {column}]) for {column}, {table} in enumerate({tables})], dim=-2)"
            description = f"look up each of the tables in `{tables}` on its own column of `{indices}` and stack the vectors in the shape one lookup would give"
        else:
            text = f"{stack}([{table}({indices}) for {table} in {tables}], dim=-1)"
            description = f"give each of the tables in `{tables}` all of `{indices}` and join the vectors"
        edits = [source.replace_node(call, cst.parse_expression(text, config=source.module.config_for_parsing)), *imported]
        if constructor is not None and constructor[0] is source:
            built = constructor[1]
            module_list, more = self._module_list(source, built)
            edits += [source.replace_node(built, module_list), *(e for e in more if e not in edits)]
            description += f"; `{tables}` becomes an nn.ModuleList (the same parameter names)"
        return self.candidate(description, source.path, edits)

    @staticmethod
    def _module_list(source: SourceFile, built: cst.Call) -> tuple[cst.Call, list]:  # type: ignore[type-arg]
        """The container's constructor as an ``nn.ModuleList`` of the same tables, spelled as the
        file spells ``Sequential`` (``nn.``, ``torch.nn.``), and the import it needs if any."""
        func, imported = built.func, []
        if isinstance(func, cst.Attribute):
            func = func.with_changes(attr=cst.Name("ModuleList"))
        else:
            spelled, imported = spelled_or_imported(source, "torch.nn.ModuleList")
            func = cst.parse_expression(spelled)
        if len(built.args) == 1 and built.args[0].star == "*":
            return built.with_changes(func=func, args=[built.args[0].with_changes(star="")]), imported
        # the tables laid out as they were, one a line stays one a line: `(` `[`, each table with
        # its comma, `]` `)`
        last = built.args[-1]
        elements = [cst.Element(a.value, comma=a.comma) for a in built.args]
        listed = cst.List(
            elements,
            lbracket=cst.LeftSquareBracket(whitespace_after=built.whitespace_before_args),
            rbracket=cst.RightSquareBracket(whitespace_before=last.whitespace_after_arg),
        )
        return built.with_changes(func=func, args=[cst.Arg(listed)], whitespace_before_args=cst.SimpleWhitespace("")), imported
