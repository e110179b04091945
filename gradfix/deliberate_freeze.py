"""A part of the model frozen on purpose by running it under ``no_grad`` (in the model's forward, or
in the data pipeline: a Dataset's ``__getitem__`` or a collate function that extracts features).

``with torch.no_grad(): feats = self.backbone(x)`` in a ``forward`` is the same code whether the
author meant the backbone as a fixed feature extractor or put the block there by mistake; the
probe sees the same run either way (the backbone's parameters require grad, are held by a stepping
optimizer, and never change). What tells them apart is the optimizer: one built only over what
requires grad (``filter(lambda p: p.requires_grad, model.parameters())``,
``[p for p in model.parameters() if p.requires_grad]``) says its author expects part of the model
to stay as it is. When nothing in that model was frozen by ``requires_grad`` (the filter removed
nothing), the part left fixed is the one the forward runs under ``no_grad``: the block is how the
author froze it. The same holds for a block in the data pipeline (``with torch.no_grad(): feats =
self.extractor(image)`` in ``__getitem__``). When the filter did remove something, the author
froze with ``requires_grad``, and a block around a module the filter let through is not the freeze.

The block must only compute and bind values (``x = self.resnet(frame)``): a block that also
trains, logs or fills a container is not a feature extractor. GF002 (the block) and
GF018 (the catch-all) both leave these parameters alone, so the same intent gives no finding from
either.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.expressions import call_argument, group_params
from gradfix.project import Project
from gradfix.source import SourceFile
from gradfix.torch_api import grad_disabling_with
from gradfix.trace import OptimizerFact, ParamFact, Site, Trace


def frozen_by_forward_block(trace: Trace, project: Project) -> set[str]:
    """The names of the parameters of modules run only inside a grad-off ``with`` block that only
    binds values, while every optimizer holding them was built over what requires grad and the
    model they belong to has no parameter frozen by ``requires_grad``. The block may be in a
    forward, or outside any forward (a Dataset's ``__getitem__`` that extracts features, a
    collate function): there the probe does not say which module a grad-off call ran, so the
    modules that only ran without gradients are judged, one model at a time, by those blocks."""
    frozen: set[str] = set()
    for call in trace.inner_no_grad_calls:
        module = trace.module(call.module)
        if module is None or not module.path or module.ran_with_grad or not project.is_editable(call.site.file):
            continue
        params = [p for p in trace.params if p.name.startswith(module.path + ".") and p.requires_grad]
        if frozen_in_block(trace, project, params, call.site):
            frozen.update(p.name for p in params)
    # Grad-off blocks outside any forward count only in the data pipeline: a binds-only block in
    # the training loop is as often an evaluation, of a head that then never trains.
    sites = [s for s in dict.fromkeys(s for b in trace.backwards for s in b.no_grad_forwards) if _in_data_pipeline(project, s)]
    if not sites:
        return frozen
    # The outermost modules that ran only without gradients (a ModuleDict's `projection` entry,
    # a stand-alone extractor), each with the parameters that require grad under it.
    taken: list[str] = []
    excused: list[tuple[bool, list[ParamFact]]] = []
    called = _called_names(project, sites)
    for module in sorted((m for m in trace.modules if m.path), key=lambda m: m.path.count(".")):
        if not module.ran_without_grad or module.ran_with_grad or any(module.path.startswith(t + ".") for t in taken):
            continue
        params = [p for p in trace.params if p.name.startswith(module.path + ".") and p.requires_grad]
        if not params:
            continue
        taken.append(module.path)
        if any(frozen_in_block(trace, project, params, site) for site in sites):
            names = {module.path.rsplit(".", 1)[-1], (module.name or "").rsplit(".", 1)[-1]}
            excused.append((bool(names & called), params))
    # Which module a block ran is not recorded: one the block calls by a name it bears is the
    # extractor, and a module no block names (a head run under no_grad in the training loop) is
    # not excused with it. Only when no module is named (an extractor kept under another name) do
    # they all stand or fall together.
    named = any(by_name for by_name, _ in excused)
    for by_name, params in excused:
        if by_name or not named:
            frozen.update(p.name for p in params)
    return frozen


def _called_names(project: Project, sites: list[Site]) -> set[str]:
    """The last name of what each call at these sites calls: ``extractor`` for
    ``self.extractor(x)``, ``projection`` for ``parts["projection"](x)``."""
    names: set[str] = set()
    for site in sites:
        for call in project.source(site.file).nodes_at(site, cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute):
                names.add(func.attr.value)
            elif isinstance(func, cst.Name):
                names.add(func.value)
            elif isinstance(func, cst.Subscript) and len(func.slice) == 1:
                index = func.slice[0].slice
                if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
                    value = index.value.evaluated_value
                    names.add(value if isinstance(value, str) else "")
    return names


def frozen_in_block(trace: Trace, project: Project, params: list[ParamFact], site: Site) -> bool:
    """``params`` (one module's, all requiring grad) are those of a module called at ``site`` inside
    a grad-off ``with`` block that only binds values, every optimizer holding them was built over
    what requires grad, and their model has no parameter frozen by ``requires_grad``: a fixed
    feature extractor, wherever the block is (a forward, a Dataset's ``__getitem__``)."""
    if not params or not project.is_editable(site.file):
        return False
    if any(not p.requires_grad for p in trace.params if p.module is not None and p.module == params[0].module):
        return False  # the model freezes with requires_grad: a filtered optimizer is explained by that
    source = project.source(site.file)
    if not any(_binds_only(source, node) for node in source.nodes_at(site, cst.Call)):
        return False
    optimizers = {o for p in params for o in p.optimizers}
    facts = [o for o in trace.optimizers if o.id in optimizers]
    return bool(facts) and all(_built_over_requires_grad(o, project) for o in facts)


def _in_data_pipeline(project: Project, site: Site) -> bool:
    if not project.is_editable(site.file):
        return False
    source = project.source(site.file)
    return any(source.in_data_pipeline(node) for node in source.nodes_at(site, cst.Call))


def _binds_only(source: SourceFile, call: cst.Call) -> bool:
    """``call`` sits in a grad-off ``with`` block of the function that makes it, and every statement
    of that block only binds names (``x = self.resnet(frame)``, ``a, b = self.encoder(ids)``)."""
    block = grad_disabling_with(source, call)
    if block is None or source.enclosing_function(block) is not source.enclosing_function(call):
        return False
    if not isinstance(block.body, cst.IndentedBlock):
        return False
    for statement in block.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if not isinstance(small, cst.Assign) or not all(_is_names(t.target) for t in small.targets):
                return False
    return True


def _is_names(target: cst.BaseExpression) -> bool:
    if isinstance(target, cst.Name):
        return True
    return isinstance(target, (cst.Tuple, cst.List)) and all(_is_names(e.value) for e in target.elements)


def _built_over_requires_grad(optimizer: OptimizerFact, project: Project) -> bool:
    """The optimizer's construction passes only what requires grad: its ``params`` argument, or
    every param group's ``"params"``, goes through a requires_grad filter (directly, through
    ``list(...)``, or through a name bound once to one)."""
    if optimizer.site is None or not project.is_editable(optimizer.site.file):
        return False
    source = project.source(optimizer.site.file)
    for call in source.nodes_at(optimizer.site, cst.Call):
        argument = call_argument(call, 0, "params")
        if argument is not None and _filtered(source, argument.value):
            return True
    return False


def _filtered(source: SourceFile, value: cst.BaseExpression) -> bool:
    value = _value_of(source, value)
    if source.requires_grad_filtered(value) is not None:
        return True
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("list", "tuple") and len(value.args) == 1:
        return source.requires_grad_filtered(_value_of(source, value.args[0].value)) is not None
    if isinstance(value, (cst.List, cst.Tuple)) and value.elements:
        groups = [_value_of(source, e.value) for e in value.elements]
        return all((p := group_params(g)) is not None and _filtered(source, p) for g in groups)
    return False


def _value_of(source: SourceFile, value: cst.BaseExpression) -> cst.BaseExpression:
    """A name bound once in its scope by a plain assignment: the value it was bound to."""
    if isinstance(value, cst.Name):
        bound = source.bound_once(value)
        if bound is not None:
            return bound[0].value
    return value
