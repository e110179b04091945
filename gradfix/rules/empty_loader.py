"""GF080: a training loop over a ``DataLoader`` with no batch in it, so its optimizer never steps:
a dataset smaller than one batch with ``drop_last=True`` (a few-shot fine-tuning set, a small
client's data, a debug subset), or an empty dataset.

``drop_last=True`` is the usual guard against a tiny last batch (BatchNorm, a fixed batch shape).
When the whole dataset is smaller than ``batch_size``, the only batch is that last one: the loader
yields nothing, the epoch loop body never runs, and nothing is reported, since the loss is never
computed. The probe records each loader user code iterates that has no batch (its length is 0),
with its dataset's size, batch size and ``drop_last``. A finding needs such a loader and an
optimizer that never stepped while it holds parameters that require grad.

The fix goes where the loaders are built: each ``DataLoader(...)`` call in the user's files whose
``drop_last`` is not ``False`` is a candidate that keeps dropping the last batch only when there is
more than one (``drop_last=train and len(dataset) > batch_size``, when the dataset and batch size are
plain names or attributes), and one that drops nothing (``drop_last=False``). The re-run decides:
the optimizer must step and its parameters train. An empty dataset is explained without a fix.
Unsafe: the one, short batch now trains, as it would have if the set were larger than a batch.
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

_LOADERS = {"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"}
_PLAIN = (cst.Name, cst.Attribute, cst.Subscript, cst.Integer)


def _argument(call: cst.Call, keyword: str, position: int) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in positional[: position + 1]):
        return None
    return positional[position].value if len(positional) > position else None


def _drop_last_edits(source: SourceFile, call: cst.Call) -> list[tuple[str, Edit]]:
    """The candidates at one ``DataLoader(...)`` call: the last batch dropped only when there are
    others, and nothing dropped."""
    arg = next((a for a in call.args if a.keyword is not None and a.keyword.value == "drop_last"), None)
    if arg is None or (isinstance(arg.value, cst.Name) and arg.value.value == "False"):
        return []
    found: list[tuple[str, Edit]] = []
    dataset, batch_size = _argument(call, "dataset", 0), _argument(call, "batch_size", 1)
    if isinstance(dataset, _PLAIN) and isinstance(batch_size, _PLAIN):
        value = arg.value
        kept = source.code(value)
        if not isinstance(value, (*_PLAIN, cst.Call)) and not value.lpar:
            kept = f"({kept})"
        condition = f"len({source.code(dataset)}) > {source.code(batch_size)}"
        text = condition if isinstance(value, cst.Name) and value.value == "True" else f"{kept} and {condition}"
        new = cst.parse_expression(text, config=source.module.config_for_parsing)
        found.append((f"`drop_last={text}`: the last batch is dropped only when it is not the only one", source.replace_node(value, new)))
    found.append(("`drop_last=False`: the short batch trains", source.replace_node(arg.value, cst.Name("False"))))
    return found


class EmptyLoader(Rule):
    code = "GF080"
    title = "training loader with no batch in it"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        empty = [e for e in trace.empty_loaders if project.is_editable(e.site.file)]
        idle = [o for o in trace.optimizers if not o.steps]
        if not empty or not idle:
            return []
        held = {o.id for o in idle}
        stuck = [p for p in trace.params if p.requires_grad and set(p.optimizers) & held and not p.changed]
        if not stuck:
            return []
        loader = empty[0]
        candidates: list[Candidate] = []
        if loader.samples > 0 and loader.drop_last:
            files = dict.fromkeys([loader.site.file, *(o.site.file for o in trace.optimizers if o.site is not None)])
            for path in files:
                if not project.is_editable(path):
                    continue
                source = project.source(path)
                for call in descendants(source.module, cst.Call):
                    if source.qualified_names(call.func) & _LOADERS:
                        candidates += [self.candidate(text, path, [edit]) for text, edit in _drop_last_edits(source, call)]
        if loader.samples == 0:
            why = "its dataset is empty"
        elif loader.drop_last and loader.batch_size is not None:
            why = (
                f"its dataset has {loader.samples} sample{'s' if loader.samples != 1 else ''}, fewer than batch_size={loader.batch_size}, "
                "and drop_last=True drops that one, incomplete batch"
            )
        else:
            why = "it has no batch to give"
        names = [p.name for p in stuck]
        what = "`next()` on it raises StopIteration" if trace.crash is not None and trace.crash.type == "StopIteration" else "the loop over it never runs"
        message = (
            f"the DataLoader iterated here yields nothing: {why}; {what}, and the optimizer holding "
            f"{short_list(names)} never steps"
        )
        return [self.finding(project, loader.site, message, names, candidates)]
