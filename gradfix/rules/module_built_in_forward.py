"""GF026: a layer built inside ``forward``, so every call makes new, untrained weights.

``self.head = nn.Linear(h.shape[1], 4)`` in ``forward`` (to size the layer from the features it
receives) replaces the layer at every call: the optimizer holds the parameters of the layer that
existed when it was built, the loss reaches only the newest one, and nothing that the model
outputs ever learns. The probe records module attributes assigned in user code, where, and which
module each assignment replaced; an assignment made in ``forward`` that replaced a module is this
fault. The fix builds the layer once, at the end of ``__init__``: as written when it uses nothing
local to ``forward``; otherwise with the input size the run saw (``nn.Linear(32, 4)``), or as the
lazy layer that takes its input size from the first call (``nn.LazyLinear(4)``). A move to the
input's device (``.to(h.device)``) is dropped: built in ``__init__``, the layer moves with its model.
The re-run must show the layer's parameters changing.

The same fault without an attribute: a layer built and called at once (``nn.Linear(a, b)(context)``,
``nn.LayerNorm(d)(x + residual)``) or bound to a local (``head = nn.Linear(h.size(1), 4)``) in a
method of a module. The run shows the same line building a new layer at every call, each one
receiving gradients that no optimizer holds and never changing. The fix builds it once at the end
of ``__init__`` (one is added when the class has none) as ``self.<name>``, named by the local or by
the layer's class (``self.linear``, ``self.layer_norm``), and uses ``self.<name>`` where it was
built. A layer built in a loop or a comprehension (several per call) is reported without a fix:
one shared layer is not the same model.

The same fault with a bare parameter: ``self.rel_h = nn.Parameter(torch.randn(..., device=x.device))``
in ``forward`` (or ``torch.randn(..., requires_grad=True)``, made an ``nn.Parameter`` when moved). The probe counts the assignments of each parameter attribute made inside a module
call; one statement that made the attribute anew at every call (more than once: a lazy
``if not hasattr(self, "w")`` makes it once) made parameters that no optimizer holds. The fix makes
it once, at the end of ``__init__``: a device taken from forward's inputs is dropped (the parameter
moves with its model); the ``self.`` attributes it reads must be set in ``__init__``, and a second
candidate reads ``__init__``'s own arguments of those names instead. A value that needs forward's
inputs for anything else (a shape from ``x.shape``) cannot be moved: reported without a fix.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.expressions import self_attribute
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import made_from_data, module_alias, without_requires_grad, wrap
from gradfix.trace import AttributeFact, ModuleFact, ParamFact, Site, Trace

# Built-in layers whose first argument is the input size, and their lazy form, which infers it.
_LAZY = {
    "Linear": "LazyLinear", "Conv1d": "LazyConv1d", "Conv2d": "LazyConv2d", "Conv3d": "LazyConv3d",
    "ConvTranspose1d": "LazyConvTranspose1d", "ConvTranspose2d": "LazyConvTranspose2d",
    "ConvTranspose3d": "LazyConvTranspose3d", "BatchNorm1d": "LazyBatchNorm1d",
    "BatchNorm2d": "LazyBatchNorm2d", "BatchNorm3d": "LazyBatchNorm3d",
}


_MOVES = {"to", "cuda", "cpu"}
_SIZE_KEYWORDS = {"in_features", "in_channels", "num_features", "input_size", "embed_dim", "d_model", "in1_features"}


def _bound_names(target: cst.BaseExpression) -> set[str]:
    """The names an assignment target binds: ``h`` and ``a, *b``, not ``self.head`` or ``d[k]``."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return {n for e in target.elements for n in _bound_names(e.value)}
    if isinstance(target, cst.StarredElement):
        return _bound_names(target.value)
    return set()


def _local_names(function: cst.FunctionDef) -> set[str]:
    """Names bound in a function: its parameters (but ``self``), its assignment and loop targets."""
    names = {p.name.value for p in function.params.params if p.name.value != "self"}
    for star in (function.params.star_arg, function.params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    names.update(p.name.value for p in function.params.kwonly_params)
    for target in descendants(function, cst.AssignTarget):
        names |= _bound_names(target.target)
    for node in descendants(function, cst.CSTNode):
        if isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor)):
            names |= _bound_names(node.target)
        elif isinstance(node, cst.AsName):
            names |= _bound_names(node.name)  # type: ignore[arg-type]
        elif isinstance(node, cst.NamedExpr):
            names |= _bound_names(node.target)
    return names


def _uses(node: cst.CSTNode, names: set[str]) -> bool:
    used = {n.value for n in descendants(node, cst.Name)}
    attributes = {a.attr.value for a in descendants(node, cst.Attribute)}
    return bool((used - attributes) & names)


def _peel_moves(call: cst.Call, local: set[str]) -> tuple[cst.Call, list[cst.Call]]:
    """The layer's constructor under ``.to(...)``/``.cuda(...)``/``.cpu()`` calls, and the moves to keep
    (those that name nothing local to forward), innermost first."""
    kept: list[cst.Call] = []
    while (
        isinstance(call.func, cst.Attribute) and call.func.attr.value in _MOVES and isinstance(call.func.value, cst.Call)
    ):
        if not any(_uses(a.value, local) for a in call.args):
            kept.insert(0, call)
        call = call.func.value
    return call, kept


def _rewrap(call: cst.Call, moves: list[cst.Call]) -> cst.Call:
    for move in moves:
        call = move.with_changes(func=move.func.with_changes(value=call))  # type: ignore[attr-defined]
    return call


_MODULE_BASES = {"torch.nn.Module", "torch.nn.modules.module.Module"}
# Scopes that run their body several times per call: one layer built there is several layers.
_REPEATING = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.Lambda)
# What nn.Module itself defines: an attribute of that name would shadow it.
_MODULE_ATTRIBUTES = frozenset({
    "training", "forward", "parameters", "named_parameters", "buffers", "named_buffers", "children",
    "named_children", "modules", "named_modules", "train", "eval", "to", "cuda", "cpu", "type", "float",
    "double", "half", "bfloat16", "apply", "state_dict", "load_state_dict", "zero_grad", "requires_grad_",
    "register_buffer", "register_parameter", "add_module", "register_module", "get_submodule",
    "get_parameter", "get_buffer", "extra_repr", "share_memory", "compile", "call_super_init", "dump_patches",
})


def _snake(name: str) -> str:
    """``LayerNorm`` -> ``layer_norm``, ``LSTMCell`` -> ``lstm_cell``, ``Conv2d`` -> ``conv2d``."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _self_attributes(cls: cst.ClassDef) -> set[str]:
    """Names the class uses on ``self`` or defines in its body: a new attribute must not clash."""
    taken = {a.attr.value for a in descendants(cls, cst.Attribute) if isinstance(a.value, cst.Name) and a.value.value == "self"}
    for statement in cls.body.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            taken.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target] if isinstance(small, cst.AnnAssign) else []
                taken |= {n for t in targets for n in _bound_names(t)}
    return taken


def _size_arg(call: cst.Call) -> Optional[cst.Arg]:
    """The argument that gives a built-in layer its input size: the first positional one, or its keyword."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in _SIZE_KEYWORDS:
            return arg
    first = call.args[0] if call.args else None
    return first if first is not None and first.keyword is None and not first.star else None


class _DropInputDevice(cst.CSTTransformer):
    """``device=x.device`` and ``.to(x.device)`` left out where ``x`` is local to forward: made in
    ``__init__``, the tensor moves with its model (``model.to(device)``)."""

    def __init__(self, local: set[str]) -> None:
        super().__init__()
        self.local = local

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = updated.func
        if (
            isinstance(func, cst.Attribute) and func.attr.value in _MOVES
            and updated.args and all(_uses(a.value, self.local) for a in updated.args)
        ):
            return func.value
        args = [a for a in updated.args if not (a.keyword is not None and a.keyword.value == "device" and _uses(a.value, self.local))]
        if len(args) == len(updated.args):
            return updated
        if args:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(args=args)


class _SelfToArgument(cst.CSTTransformer):
    """``self.name`` -> ``name`` for the given names."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        name = self_attribute(updated)
        return cst.Name(name, lpar=updated.lpar, rpar=updated.rpar) if name in self.names else updated


class ModuleBuiltInForward(Rule):
    code = "GF026"
    title = "layer built inside forward(): new weights at every call"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        for attribute in trace.attributes:
            if attribute.kind != "module" or attribute.replaced is None or attribute.site is None:
                continue
            if attribute.site.function != "forward" or not project.is_editable(attribute.site.file):
                continue
            layer = next((m for m in trace.modules if m.path == f"{attribute.owner_name}.{attribute.attr}"), None)
            params = [p.name for p in trace.params if p.name.startswith(f"{attribute.owner_name}.{attribute.attr}.")]
            if layer is None or not params:
                continue
            source = project.source(attribute.site.file)
            candidates = self._candidates(source, attribute, layer)
            message = (
                f"`{attribute.owner_name}.{attribute.attr}` is built anew in forward() at every call: the "
                f"optimizer holds the weights of an earlier one, and {short_list(params)} never train; "
                "build the layer once, in __init__"
            )
            findings.append(self.finding(project, attribute.site, message, params, candidates))
        findings += self._parameters_made_in_call(trace, project)
        return findings + self._built_inline(trace, project, {(a.site.file, a.site.line) for a in trace.attributes if a.site is not None})

    # -- a parameter made inside a module call --------------------------------------------------------

    def _parameters_made_in_call(self, trace: Trace, project: Project) -> list[Finding]:
        """``self.w = nn.Parameter(...)`` run at every call of a module (not once, as a lazy
        initialisation): each call's parameter is new, and no optimizer holds it."""
        made: dict[tuple[str, int], list[AttributeFact]] = {}
        for attribute in trace.attributes:
            site = attribute.site
            trainable_tensor = attribute.kind == "tensor" and attribute.requires_grad and attribute.is_leaf
            if attribute.kind != "parameter" and not trainable_tensor:
                continue
            if site is None or attribute.count < 2 or not attribute.in_call:
                continue
            if site.function in ("", "<module>", "__init__") or not project.is_editable(site.file):
                continue
            p = trace.param(f"{attribute.owner_name}.{attribute.attr}")
            if p is None or not p.requires_grad or p.optimizers or p.changed:
                continue
            if trainable_tensor and self._shaped_by_inputs(project.source(site.file), site):
                continue  # `torch.zeros_like(x, requires_grad=True)`: a perturbation of the input, not a weight
            made.setdefault((site.file, site.line), []).append(attribute)
        findings = []
        for attributes in made.values():
            first = attributes[0]
            assert first.site is not None
            names = [f"{a.owner_name}.{a.attr}" for a in attributes]
            source = project.source(first.site.file)
            candidates, why_not = self._parameter_candidates(trace, source, first)
            made_as = "an nn.Parameter" if first.kind == "parameter" else "a tensor with requires_grad=True"
            message = (
                f"{short_list(names)} {'is' if len(names) == 1 else 'are'} made anew as {made_as} in "
                f"{first.site.function}() at every call ({max(a.count for a in attributes)} times in this run): each "
                "one is fresh and random, receives gradients that no optimizer holds, and never trains; "
                "make it once, in __init__"
            )
            if why_not:
                message += f" ({why_not})"
            findings.append(self.finding(project, first.site, message, names, candidates))
        return findings

    @staticmethod
    def _shaped_by_inputs(source: SourceFile, site: Site) -> bool:
        """Whether the value assigned on the line needs the method's locals for more than a device."""
        statements = source.statements_on_line(site.line)
        statement = statements[0] if statements else None
        function = source.enclosing_function(statement) if statement is not None else None
        assign = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None
        if function is None or not isinstance(assign, cst.Assign):
            return False
        local = _local_names(function)
        return made_from_data(source, assign.value) or _uses(assign.value.visit(_DropInputDevice(local)), local)  # type: ignore[arg-type]

    def _parameter_candidates(self, trace: Trace, source: SourceFile, attribute: AttributeFact) -> tuple[list[Candidate], str]:
        """The statement moved to the end of ``__init__``, as ``__init__`` can write it; or why not."""
        assert attribute.site is not None
        statements = source.statements_on_line(attribute.site.line)
        statement = statements[0] if statements else None
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return [], ""
        assign = statement.body[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or self_attribute(assign.targets[0].target) != attribute.attr:
            return [], ""
        method = self._method(source, statement)
        if method is None:
            return [], ""
        function, owner = method
        for ancestor in source.ancestors(statement):
            if ancestor is function:
                break
            if isinstance(ancestor, _REPEATING):
                return [], "it is made in a loop, several per call: one parameter would be another model"
        local = _local_names(function)
        value = assign.value.visit(_DropInputDevice(local))
        assert isinstance(value, cst.BaseExpression)
        if attribute.kind == "tensor":
            # A plain tensor is not in the module's parameters(): made once, it must be a Parameter.
            nn = module_alias(source, "torch.nn")
            if nn is None:
                return [], ""
            value = wrap(source, f"{nn}.Parameter", without_requires_grad(value))
        if _uses(value, local):
            used = sorted({n.value for n in descendants(value, cst.Name)} & local)
            return [], (
                f"no automatic fix: it is computed from {', '.join(used)}, which only {function.name.value}() has; "
                "__init__ cannot make it as it is"
            )
        init = next((s for s in owner.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"), None)
        read = {a for node in descendants(value, cst.Attribute) if (a := self_attribute(node)) is not None}
        set_in_init = {a for t in descendants(init, cst.AssignTarget) if (a := self_attribute(t.target)) is not None} if init is not None else set()
        # Methods and class attributes: there before __init__ runs.
        defined = {
            n for statement_ in owner.body.body
            for n in ({statement_.name.value} if isinstance(statement_, (cst.FunctionDef, cst.ClassDef)) else
                      {n for small in statement_.body if isinstance(small, cst.Assign) for t in small.targets for n in _bound_names(t.target)}
                      if isinstance(statement_, cst.SimpleStatementLine) else set())
        }
        arguments = {p.name.value for p in [*init.params.params, *init.params.kwonly_params]} - {"self"} if init is not None else set()
        written: list[tuple[str, cst.BaseExpression]] = []
        if read <= set_in_init | defined:
            written.append(("make it once, at the end of __init__", value))
        if read and read <= arguments | set_in_init | defined and read & arguments:
            # `self.kernel_size` read as __init__'s own `kernel_size`: set from it or not, it is what the module was built with.
            from_arguments = value.visit(_SelfToArgument(read & arguments))
            assert isinstance(from_arguments, cst.BaseExpression)
            written.append((f"make it once, at the end of __init__, from __init__'s {', '.join(sorted(read & arguments))}", from_arguments))
        if not written:
            return [], f"no automatic fix: it reads {', '.join(f'self.{a}' for a in sorted(read - set_in_init - defined))}, which __init__ does not set"
        # Under the names the next run gives it: every instance of the class that ran.
        claimed = [
            f"{m.path}.{attribute.attr}"
            for m in trace.modules
            if m.cls.rsplit(".", 1)[-1] == owner.name.value and m.path and not m.path.startswith("<") and m.ran_with_grad
        ]
        removal = source.remove_statement(statement)
        candidates = []
        for description, new_value in written:
            line = source.module.code_for_node(assign.with_changes(value=new_value)).strip()
            construction = self._construction(source, owner, function, line)
            if construction is None:
                return [], ""
            candidates.append(Candidate(
                description, [Patch(source.path, sorted([construction, removal], key=lambda e: e.start))], self.applicability, claimed,
            ))
        return candidates, ""

    # -- a layer built and used in a method, bound to no attribute ----------------------------------

    def _built_inline(self, trace: Trace, project: Project, attribute_lines: set[tuple[str, int]]) -> list[Finding]:
        """Layers that one line of a module's method built anew at every call, none of them held by
        an optimizer or bound to an attribute: each received gradients and was thrown away."""
        if not trace.steps:
            return []
        contained = {child for m in trace.modules for child in m.children}
        built: dict[tuple[str, int, Optional[int], Optional[int], Optional[int]], list[ModuleFact]] = {}
        for module in trace.modules:
            site = module.site
            if site is None or site.function in ("", "<module>", "__init__") or module.id in contained:
                continue
            if (site.file, site.line) in attribute_lines or not project.is_editable(site.file):
                continue
            params = [p for p in trace.params_of(module.id) if p.requires_grad and p.is_leaf]
            if not params or any(p.optimizers or p.changed or not p.got_grad for p in params):
                continue
            built.setdefault((site.file, site.line, site.column, site.end_line, site.end_column), []).append(module)
        findings = []
        for layers in built.values():
            if len(layers) < 2:
                continue  # built once: nothing shows it is built at every call
            layer = layers[0]
            assert layer.site is not None
            source = project.source(layer.site.file)
            calls = source.nodes_at(layer.site, cst.Call)
            if not calls:
                continue
            method = self._method(source, calls[-1])
            if method is None:
                continue
            function, owner = method
            params = [p.name for m in layers for p in trace.params_of(m.id) if p.requires_grad]
            kind = layer.cls.rsplit(".", 1)[-1]
            candidates = self._inline_candidates(trace, source, calls[-1], function, owner, layer, trace.params_of(layer.id))
            message = (
                f"a new {kind} is built in {owner.name.value}.{function.name.value}() at every call "
                f"({len(layers)} in this run): its weights are fresh and random each time, receive gradients "
                f"that no optimizer holds, and never train; build the layer once, in __init__"
            )
            findings.append(self.finding(project, layer.site, message, params, candidates))
        return findings

    def _method(self, source: SourceFile, call: cst.CSTNode) -> Optional[tuple[cst.FunctionDef, cst.ClassDef]]:
        """The method of an ``nn.Module`` subclass (other than ``__init__``) whose body makes the call."""
        function = next((a for a in source.ancestors(call) if isinstance(a, cst.FunctionDef)), None)
        if function is None or function.name.value == "__init__":
            return None
        block = source.parent(function)
        owner = source.parent(block) if block is not None else None
        if not isinstance(owner, cst.ClassDef) or not source.subclasses(owner, _MODULE_BASES):
            return None
        return function, owner

    def _inline_candidates(
        self, trace: Trace, source: SourceFile, call: cst.Call, function: cst.FunctionDef, owner: cst.ClassDef,
        layer: ModuleFact, layer_params: list[ParamFact],
    ) -> list[Candidate]:
        # `nn.Linear(n, d).to(x.device)`: the whole expression is what the method uses.
        used: cst.BaseExpression = call
        while True:
            attribute = source.parent(used)
            outer = source.parent(attribute) if isinstance(attribute, cst.Attribute) else None
            if isinstance(attribute, cst.Attribute) and attribute.attr.value in _MOVES and isinstance(outer, cst.Call) and outer.func is attribute:
                used = outer
            else:
                break
        for ancestor in source.ancestors(used):
            if ancestor is function:
                break
            if isinstance(ancestor, _REPEATING):
                return []  # several layers per call: one shared layer would be another model
        local = _local_names(function)
        constructor, moves = _peel_moves(used, local)  # type: ignore[arg-type]
        built = self._built(constructor, moves, local, layer)
        if not built:
            return []
        taken = _self_attributes(owner) | _MODULE_ATTRIBUTES
        name = self._name(source, used, layer, taken)
        if name is None:
            return []
        # The parameters the fix trains, under the names the next run gives them: every instance of
        # the class that ran, with the layer as its attribute.
        suffixes = [p.name.split(".", 1)[1] for p in layer_params if p.requires_grad and "." in p.name]
        claimed = [
            f"{m.path}.{name}.{suffix}"
            for m in trace.modules
            if m.cls.rsplit(".", 1)[-1] == owner.name.value and m.path and not m.path.startswith("<") and m.ran_with_grad
            for suffix in suffixes
        ]
        if not claimed:
            return []
        use = source.replace_node(used, cst.parse_expression(f"self.{name}", config=source.module.config_for_parsing))
        candidates = []
        for description, new_call in built:
            construction = self._construction(source, owner, function, f"self.{name} = {source.module.code_for_node(new_call)}")
            if construction is None:
                return []
            candidates.append(Candidate(
                f"{description}, as self.{name}",
                [Patch(source.path, sorted([construction, use], key=lambda e: e.start))],
                self.applicability,
                claimed,
            ))
        return candidates

    def _built(self, call: cst.Call, moves: list[cst.Call], local: set[str], layer: ModuleFact) -> list[tuple[str, cst.Call]]:
        """The layer's construction as ``__init__`` can write it: as it is, sized by the run, or lazy."""
        built: list[tuple[str, cst.Call]] = []
        if not _uses(call, local):
            built.append(("build it once in __init__", call))
        else:
            size = _size_arg(call)
            rest = [a for a in call.args if a is not size]
            if size is not None and layer.in_size is not None and not any(_uses(a.value, local) for a in rest):
                sized = call.with_changes(args=[a.with_changes(value=cst.Integer(str(layer.in_size))) if a is size else a for a in call.args])
                built.append((f"build it once in __init__, for the input size the run saw ({layer.in_size})", sized))
            lazy = self._lazy(call, local)
            if lazy is not None:
                built.append(("build it once in __init__ as a lazy layer, which takes its input size from the first call", lazy))
        return [(description, _rewrap(new_call, moves)) for description, new_call in built]

    @staticmethod
    def _name(source: SourceFile, used: cst.BaseExpression, layer: ModuleFact, taken: set[str]) -> Optional[str]:
        """The attribute's name: the local it was bound to (``head = nn.Linear(...)``), else its
        class in snake case; numbered when the class already uses it."""
        parent = source.parent(used)
        base = ""
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
            base = parent.targets[0].target.value
        base = base or _snake(layer.cls.rsplit(".", 1)[-1])
        if not base.isidentifier():
            return None
        name, number = base, 2
        while name in taken:
            name, number = f"{base}_{number}", number + 1
        return name

    @staticmethod
    def _construction(source: SourceFile, owner: cst.ClassDef, function: cst.FunctionDef, line: str) -> Optional[Edit]:
        """``line`` at the end of the class's ``__init__``; a class without one gets one."""
        init = next((s for s in owner.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"), None)
        if init is not None:
            if not isinstance(init.body, cst.IndentedBlock) or not init.body.body:
                return None
            last = init.body.body[-1]
            indent = source.indentation(source.range(last).start.line)
            return source.insert_lines(source.range(last).end.line + 1, f"{indent}{line}\n")
        if not isinstance(function.body, cst.IndentedBlock) or not function.body.body:
            return None
        outer = source.indentation(source.range(function).start.line)
        inner = source.indentation(source.range(function.body.body[0]).start.line)
        if not inner.startswith(outer) or inner == outer:
            return None
        first = owner.body.body[0]
        before = first
        if (
            isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1 and isinstance(first.body[0], cst.Expr)
            and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
        ):
            # After the docstring, which must stay first.
            rest = owner.body.body[1:]
            if not rest:
                return None
            before = rest[0]
        # Between the blank lines above the statement and the comments that belong to it.
        leading = list(before.leading_lines)
        commented = next((i for i, empty in enumerate(leading) if empty.comment is not None), len(leading))
        start = source.range(before).start.line - (len(leading) - commented)
        method = (
            f"{outer}def __init__(self, *args, **kwargs):\n"
            f"{inner}super().__init__(*args, **kwargs)\n"
            f"{inner}{line}\n\n"
        )
        return source.insert_lines(start, method)

    def _candidates(self, source: SourceFile, attribute: AttributeFact, layer: ModuleFact) -> list[Candidate]:
        statements = source.statements_on_line(attribute.site.line)  # type: ignore[union-attr]
        statement = statements[0] if statements else None
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return []
        assign = statement.body[0]
        if not isinstance(assign, cst.Assign) or not isinstance(assign.value, cst.Call):
            return []
        forward = next((a for a in source.ancestors(statement) if isinstance(a, cst.FunctionDef)), None)
        owner = next((a for a in source.ancestors(statement) if isinstance(a, cst.ClassDef)), None)
        if forward is None or owner is None:
            return []
        init = next((s for s in owner.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"), None)
        if init is None or not init.body.body:
            return []
        local = _local_names(forward)
        # `nn.Linear(n, 4).to(h.device)`: the move follows what forward() sees; built in __init__,
        # the layer moves with its model. A move that names nothing local is kept.
        call, moves = _peel_moves(assign.value, local)
        built = self._built(call, moves, local, layer)
        last = init.body.body[-1]
        after = source.range(last).end.line + 1
        indent = source.indentation(source.range(last).start.line)
        removal = source.remove_statement(statement)
        candidates = []
        for description, new_call in built:
            line = source.module.code_for_node(statement.with_changes(body=[assign.with_changes(value=new_call)], leading_lines=[]))
            candidates.append(Candidate(
                description, [Patch(source.path, sorted([source.insert_lines(after, indent + line.lstrip()), removal], key=lambda e: e.start))],
                self.applicability,
            ))
        return candidates

    @staticmethod
    def _lazy(call: cst.Call, local: set[str]) -> Optional[cst.Call]:
        if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in _LAZY or not call.args:
            return None
        rest = list(call.args[1:])
        if call.args[0].keyword is not None or any(_uses(a.value, local) for a in rest):
            return None
        if rest:
            rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return call.with_changes(func=call.func.with_changes(attr=cst.Name(_LAZY[call.func.attr.value])), args=rest)
