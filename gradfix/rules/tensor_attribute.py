"""GF007: a module attribute made with ``requires_grad=True`` instead of ``nn.Parameter``.

``self.scale = torch.ones(1, requires_grad=True)`` receives a gradient, but a plain tensor is not
registered: it is not in ``model.parameters()``, no optimizer holds it, it never updates. The fix
wraps it in ``nn.Parameter(...)`` (and drops ``requires_grad=True``, which a Parameter implies). A
tensor meant to stay fixed does not need a gradient: keep it with ``register_buffer``.

The same rule finds the quieter form: ``self.alpha = torch.zeros(emb_size).to(device)`` in
``__init__``, with no ``requires_grad`` at all, multiplied into or added to the activations in
``forward``. Nothing receives a gradient and nothing crashes: the tensor keeps its initial value for
the whole run. The evidence is the source's (a floating-point tensor made by a constant constructor
that the file never writes again, used as a factor or a term) and the module ran with gradients on,
so the finding is a conjecture: it is reported only when the re-run proves it, that is when the
tensor made an ``nn.Parameter`` (the optimizer built over the model's parameters then holds it)
receives a gradient and changes. Masks, indices, ``eps`` and tensors the file updates itself
(in place, by reassignment, under ``no_grad``) are left alone.

A randomly initialised plain tensor (``torch.randn(...) * sigma``) alone is not flagged: a fixed
random projection looks the same. It is when ``forward`` adds it, directly or through a local, to a
constant tensor this rule flags from the same ``__init__`` (``X @ self.W_xh + h @ self.W_hh +
self.b_h``: the weights of that bias). Then two candidates are re-run, the constant alone and all
of them together, and the one after which the most stuck tensors train wins.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from gradfix.expressions import self_attribute
from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import made_from_data, module_alias, without_requires_grad, wrap
from gradfix.trace import AttributeFact, Trace


class TensorAttribute(Rule):
    code = "GF007"
    title = "plain tensor attribute instead of nn.Parameter"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings = []
        plain: dict[tuple[str, int], list[AttributeFact]] = {}
        for attribute in trace.attributes:
            if attribute.kind == "tensor" and not attribute.requires_grad and attribute.is_leaf and attribute.site is not None:
                plain.setdefault((attribute.site.file, attribute.site.line), []).append(attribute)
            if attribute.kind != "tensor" or not attribute.requires_grad or not attribute.is_leaf:
                continue
            if attribute.in_call and attribute.count > 1:
                continue  # made anew at every call of its module: as a Parameter it would be too (GF026)
            if attribute.site is None or not project.is_editable(attribute.site.file):
                continue
            name = f"{attribute.owner_name}.{attribute.attr}"
            param = trace.param(name)
            if param is None or not param.got_grad or param.optimizers or param.changed:
                continue  # changed: updated by hand (a perturbation in free adversarial training)
            source = project.source(attribute.site.file)
            value = source.assigned_value(attribute.site.line, attribute.attr)
            if value is not None and made_from_data(source, value):
                continue  # inputs whose gradient is wanted (a PINN's collocation points), not weights
            nn = module_alias(source, "torch.nn")
            candidates = []
            if value is not None and nn is not None:
                wrapped = wrap(source, f"{nn}.Parameter", without_requires_grad(value))
                candidates.append(self.candidate(f"make it an {nn}.Parameter", source.path, [source.replace_node(value, wrapped)]))
            message = (
                f"`{name}` is a plain tensor with requires_grad=True: it receives a gradient but is not in "
                f"{attribute.owner_name}.parameters(), so no optimizer holds it and it never changes "
                "(if it is meant to stay fixed, keep it with register_buffer instead)"
            )
            findings.append(self.finding(project, attribute.site, message, [name], candidates))
        if trace.optimizers and trace.backwards:
            for attributes in plain.values():
                finding = self._plain(trace, project, attributes, plain)
                if finding is not None:
                    findings.append(finding)
        return findings

    def _plain(
        self, trace: Trace, project: Project, attributes: list[AttributeFact],
        plain: dict[tuple[str, int], list[AttributeFact]],
    ) -> Optional[Finding]:
        """The instances of a plain constant tensor attribute, set by one line of an ``__init__``,
        whose modules ran with gradients on: a conjecture the re-run proves or drops."""
        site = attributes[0].site
        attr = attributes[0].attr
        if site is None or not project.is_editable(site.file):
            return None
        source = project.source(site.file)
        value = source.assigned_value(site.line, attr)
        nn = module_alias(source, "torch.nn")
        if value is None or nn is None:
            return None
        params = _flagged_constant(trace, source, attributes, attr, value)
        cls = _init_class(source, value)
        if params is None or cls is None:
            return None
        wrapped = wrap(source, f"{nn}.Parameter", value)
        candidate = self.candidate(f"make `{attr}` an nn.Parameter", source.path, [source.replace_node(value, wrapped)], params)
        candidates = [candidate]
        # The weights beside the bias: random plain tensors of the same `__init__` that forward
        # combines with a flagged constant (`X @ self.W_xh + self.b_h`). Alone, a random plain
        # tensor may be a fixed projection by design; next to a bias that is plainly meant to learn
        # and in the same expression, it is that layer's weight. Both fixes are re-run; the one
        # after which more tensors train wins, and the other is reported as verified too.
        group = _plain_weights(trace, source, cls, plain)
        random = [name for name, _, _ in group if name != attr and name not in _constant_names(trace, source, cls, plain)]
        if attr in {name for name, _, _ in group} and random:
            edits = [source.replace_node(v, wrap(source, f"{nn}.Parameter", v)) for _, v, _ in group]
            together = sorted({p for _, _, names in group for p in names})
            names = ", ".join(f"`{name}`" for name, _, _ in group)
            candidates.append(self.candidate(f"make {names} nn.Parameters", source.path, edits, together))
        message = (
            f"`{attr}` is a plain tensor set to a constant in `{cls.name.value}.__init__` and used in its forward pass: "
            f"it is not a parameter, no optimizer holds it, and {short_list(params)} "
            f"{'keeps its' if len(params) == 1 else 'keep their'} initial value for the whole run; made an nn.Parameter, "
            f"{'it receives' if len(params) == 1 else 'they receive'} gradients and {'trains' if len(params) == 1 else 'train'} "
            "(if it is meant to stay fixed, keep it with register_buffer)"
        )
        if len(candidates) > 1:
            message += (
                f"; {short_list([f'`{name}`' for name in random])} beside it, random plain "
                f"tensor{'s' if len(random) > 1 else ''} that forward combines with it, "
                f"{'is' if len(random) == 1 else 'are'} not parameters either"
            )
        found = self.finding(project, site, message, params, candidates)
        found.conjecture = True  # the source suggests a learned tensor; only the re-run shows it
        return found


# Constructors whose value is pointless as a fixed constant: zeros (a term that vanishes, a factor
# that kills), ones (a factor that changes nothing) and uninitialised memory. That is the usual
# start of a learned scale, gate or bias. ``torch.full`` is left out: a tensor filled with a value
# is as often a fixed scale (``dim ** -0.5``, a temperature) as a learned one, and the re-run can
# only show that it *can* train.
_CONSTANT = {f"torch.{name}" for name in ("zeros", "ones", "empty", "zeros_like", "ones_like", "empty_like")}
# Calls chained on it that keep it a floating-point tensor of the same values.
_MOVES = {"to", "cuda", "float", "double", "half", "bfloat16"}
_FLOATS = {f"torch.{name}" for name in ("float", "float32", "float64", "double", "half", "float16", "bfloat16")}
# A name that says the tensor is a mask, an index, a position table or a numerical guard: state or a
# constant, never a weight.
_MASKISH = {"mask", "masks", "pos", "idx", "idxs", "index", "indices", "ids", "eps", "epsilon"}
# A name that says the tensor is a fixed distribution's parameter: a VAE's N(0, I) prior, a flow's
# base distribution. Zeros and ones are exactly their values, and they are meant to stay so.
_DISTRIBUTION = {"prior", "mu", "mean", "std", "sigma", "var", "logvar", "loc", "base"}
# What a use of the attribute in the forward pass may go through on the way to an operand.
_VIEWS = {"view", "reshape", "unsqueeze", "squeeze", "expand", "expand_as", "view_as", "to", "type_as", "t"}


def _flagged_constant(
    trace: Trace, source: SourceFile, attributes: list[AttributeFact], attr: str, value: cst.BaseExpression,
) -> Optional[list[str]]:
    """The parameter names a plain constant tensor attribute would get, when the evidence says it is
    a learned tensor left plain: set to a constant in an ``__init__``, used as a factor or a term in
    another method, never written again, in modules that ran with gradients on."""
    if _maskish(attr) or not _constant_tensor(source, value):
        return None
    ran = {m.id for m in trace.modules if m.ran_with_grad}
    owners = [a for a in attributes if a.owner in ran and a.attr == attr and a.owner_name != "?"]
    cls = _init_class(source, value)
    if not owners or cls is None or not _used_as_factor_or_term(cls, attr) or _written(source, attr):
        return None
    return sorted({f"{a.owner_name}.{attr}" for a in owners})


def _init_assignments(
    source: SourceFile, cls: cst.ClassDef, plain: dict[tuple[str, int], list[AttributeFact]],
) -> list[tuple[str, cst.BaseExpression, list[AttributeFact]]]:
    """``self.<name> = value`` statements of the class's ``__init__`` that the run saw store a
    plain tensor: name, value and the attribute facts of that line."""
    found = []
    for function in descendants(cls, cst.FunctionDef):
        if function.name.value != "__init__" or _init_class(source, function.body) is not cls:
            continue
        for assign in descendants(function, cst.Assign):
            if len(assign.targets) != 1 or (name := self_attribute(assign.targets[0].target)) is None:
                continue
            facts = [a for a in plain.get((source.path, source.site(assign).line), []) if a.attr == name]
            if facts:
                found.append((name, assign.value, facts))
    return found


def _constant_names(
    trace: Trace, source: SourceFile, cls: cst.ClassDef, plain: dict[tuple[str, int], list[AttributeFact]],
) -> set[str]:
    return {
        name for name, value, facts in _init_assignments(source, cls, plain)
        if _flagged_constant(trace, source, facts, name, value) is not None
    }


def _plain_weights(
    trace: Trace, source: SourceFile, cls: cst.ClassDef, plain: dict[tuple[str, int], list[AttributeFact]],
) -> list[tuple[str, cst.BaseExpression, list[str]]]:
    """The class's plain weight tensors: the flagged constants, and the random-initialised plain
    tensors that a method other than ``__init__`` combines with one of them in one arithmetic
    expression. Name, assigned value and parameter names, in the order of the ``__init__``."""
    assignments = _init_assignments(source, cls, plain)
    constants = _constant_names(trace, source, cls, plain)
    together = _combined_with(cls, constants)
    ran = {m.id for m in trace.modules if m.ran_with_grad}
    group = []
    for name, value, facts in assignments:
        if name in constants:
            names = _flagged_constant(trace, source, facts, name, value) or []
        elif name in together and _random_tensor(source, value) and not _maskish(name) and not _written(source, name):
            names = sorted({f"{a.owner_name}.{name}" for a in facts if a.owner in ran and a.owner_name != "?"})
        else:
            continue
        if names:
            group.append((name, value, names))
    return group


def _combined_with(cls: cst.ClassDef, names: set[str]) -> set[str]:
    """The ``self.<x>`` attributes added to one of ``names`` in a method other than ``__init__``,
    as a layer's weighted input is added to its bias: ``torch.matmul(X, self.W_xh) + self.b_h``, or
    ``dot + self.user_bias[u]`` with ``dot`` a local computed from ``self.U`` and ``self.V``. Only a
    sum counts: ``self.head(x @ self.R) * self.gate`` scales a projection by a gate, it does not
    add a bias to weights."""
    found: set[str] = set()
    for function in descendants(cls, cst.FunctionDef):
        if function.name.value == "__init__":
            continue
        # `dot = (self.U[u] * self.V[i]).sum(1)`: the attributes each local is computed from.
        flows: dict[str, set[str]] = {}
        for assign in descendants(function, cst.Assign):
            used = _attributes_in(assign.value, flows)
            for target in assign.targets:
                for name in descendants(target.target, cst.Name):
                    flows[name.value] = flows.get(name.value, set()) | used
        operations = list(descendants(function, cst.BinaryOperation))
        inner = {id(n) for op in operations if isinstance(op.operator, cst.Add) for n in (op.left, op.right)}
        for operation in operations:
            if not isinstance(operation.operator, cst.Add) or id(operation) in inner:
                continue
            terms = _terms(operation)
            if not any(_viewed(term) in names for term in terms):
                continue
            for term in terms:
                found |= _attributes_in(term, flows)
    return found


def _terms(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The operands of a chain of additions."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _terms(node.left) + _terms(node.right)
    return [node]


def _attributes_in(node: cst.CSTNode, flows: dict[str, set[str]]) -> set[str]:
    """The ``self.<x>`` an expression reads, directly or through locals computed from them."""
    attributes = descendants(node, cst.Attribute)
    used = {a for n in attributes if (a := self_attribute(n)) is not None}
    spelled = {id(n.attr) for n in attributes}  # the `U` of `self.U` is no local
    for name in descendants(node, cst.Name):
        if id(name) not in spelled:
            used |= flows.get(name.value, set())
    return used


# Random constructors: the start of a from-scratch weight (`torch.randn(n, m) * sigma`), and of a
# fixed random projection; only a flagged sibling tells the two apart.
_RANDOM = {f"torch.{name}" for name in ("randn", "rand", "normal", "randn_like", "rand_like")}
_RANDOM_FILLS = {"normal_", "uniform_"}


def _random_tensor(source: SourceFile, value: cst.BaseExpression) -> bool:
    """``torch.randn(n, m) * sigma``, ``torch.rand(n) / k``, ``torch.empty(n, m).normal_(0, 0.01)``,
    optionally moved with ``.to(...)``: a floating-point tensor of random values."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _MOVES:
        value = value.func.value
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.Multiply, cst.Divide)):
        value = value.left if isinstance(value.left, cst.Call) else value.right
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _RANDOM_FILLS:
        return _constant_tensor(source, value.func.value)
    if not isinstance(value, cst.Call) or not source.qualified_names(value.func) & _RANDOM:
        return False
    return not any(a.keyword is not None and a.keyword.value in ("dtype", "requires_grad", "out") for a in value.args)


def _maskish(attr: str) -> bool:
    return bool(set(re.split(r"[_\d]+", attr.lower())) & (_MASKISH | _DISTRIBUTION))


def _constant_tensor(source: SourceFile, value: cst.BaseExpression) -> bool:
    """``torch.zeros((n,)).to(device)``: a floating-point tensor made by a constant constructor."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _MOVES:
        if value.func.attr.value == "to" and any(
            source.qualified_names(a.value) and not source.qualified_names(a.value) & _FLOATS
            for a in value.args if a.keyword is None or a.keyword.value == "dtype"
            if isinstance(a.value, cst.Attribute)
        ):
            return False  # `.to(torch.long)`
        value = value.func.value
    if not isinstance(value, cst.Call) or not source.qualified_names(value.func) & _CONSTANT:
        return False
    for arg in value.args:
        if arg.keyword is not None and arg.keyword.value in ("dtype", "requires_grad", "out"):
            if arg.keyword.value != "dtype" or not source.qualified_names(arg.value) & _FLOATS:
                return False  # an integer or boolean tensor, or a dtype the file computes
    return True


def _init_class(source: SourceFile, value: cst.BaseExpression) -> Optional[cst.ClassDef]:
    """The class whose ``__init__`` holds the assignment."""
    function = next((a for a in source.ancestors(value) if isinstance(a, cst.FunctionDef)), None)
    if function is None or function.name.value != "__init__":
        return None
    cls = next((a for a in source.ancestors(function) if isinstance(a, (cst.ClassDef, cst.FunctionDef))), None)
    return cls if isinstance(cls, cst.ClassDef) else None


def _used_as_factor_or_term(cls: cst.ClassDef, attr: str) -> bool:
    """``self.alpha * (1 - p) * x`` or ``x + self.bias.view(1, -1)`` in a method other than ``__init__``.
    A subtraction is not counted: ``mu - self.prior_mu`` compares with a fixed reference more often
    than it applies a learned shift."""
    operators = (cst.Multiply, cst.Add)
    for function in descendants(cls, cst.FunctionDef):
        if function.name.value == "__init__":
            continue
        # `slope = self.slope.view(1, -1, 1, 1)` and then `slope * x`: a local that is the attribute.
        aliases = {
            target.target.value
            for assign in descendants(function, cst.Assign) if _viewed(assign.value) == attr
            for target in assign.targets if isinstance(target.target, cst.Name)
        }
        for operation in descendants(function, cst.BinaryOperation):
            if not isinstance(operation.operator, operators):
                continue
            for operand in (operation.left, operation.right):
                operand = _strip_views(operand)
                if self_attribute(operand) == attr or (isinstance(operand, cst.Name) and operand.value in aliases):
                    return True
    return False


def _strip_views(node: cst.BaseExpression) -> cst.BaseExpression:
    """``x.view(1, -1)[..., None]`` -> ``x``."""
    while True:
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _VIEWS:
            node = node.func.value
        elif isinstance(node, cst.Subscript):
            node = node.value
        else:
            return node


def _viewed(node: cst.BaseExpression) -> Optional[str]:
    """The ``self.<name>`` an expression is a view of."""
    return self_attribute(_strip_views(node))


def _written(source: SourceFile, attr: str) -> bool:
    """Does the file write ``<x>.attr`` anywhere but by ``self.attr = ...`` in an ``__init__``: assigned,
    updated in place, reached through ``.data``, given to a function that may write it, or named in a
    string (``register_buffer("alpha", ...)``)?"""
    # `self.alpha = ...` in an `__init__` (this class's if/else, a subclass's, another class's own
    # attribute of that name) sets a starting value; the run's last assignment is the one judged.
    inits = [f for f in descendants(source.module, cst.FunctionDef) if f.name.value == "__init__"]
    allowed = {id(n) for f in inits for n in descendants(f, cst.AssignTarget) if self_attribute(n.target) == attr}
    for target in descendants(source.module, cst.AssignTarget):
        node = target.target
        while isinstance(node, (cst.Subscript, cst.Attribute)) and not (isinstance(node, cst.Attribute) and node.attr.value == attr):
            node = node.value
        if isinstance(node, cst.Attribute) and node.attr.value == attr and (id(target) not in allowed or node is not target.target):
            return True
    for statement in descendants(source.module, cst.AugAssign):
        node = statement.target
        while isinstance(node, (cst.Subscript, cst.Attribute)) and not (isinstance(node, cst.Attribute) and node.attr.value == attr):
            node = node.value
        if isinstance(node, cst.Attribute) and node.attr.value == attr:
            return True
    for node in descendants(source.module, cst.Attribute):
        if node.attr.value != attr:
            continue
        parent = source.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            method = parent.attr.value
            if method == "data" or method.endswith("_"):
                return True
        if isinstance(parent, cst.Arg):
            call = source.parent(parent)
            names = source.qualified_names(call.func) if isinstance(call, cst.Call) else set()
            if not names or not all(n.startswith("torch.") and not n.endswith("_") for n in names) or any(
                a.keyword is not None and a.keyword.value == "out" for a in call.args  # type: ignore[union-attr]
            ):
                return True
    for string in descendants(source.module, cst.SimpleString):
        if string.evaluated_value == attr:
            return True  # `register_buffer("alpha", ...)`, `setattr(self, "alpha", ...)`, `getattr(...)`
    return False

