"""GF017: the loss goes through an operation with no gradient (argmax, a comparison, an int cast,
a random draw), or through one whose gradient is 0 everywhere (``round``, ``floor``, ``ceil``, ``sign``).

The modules ran with gradients on, yet the loss has no ``grad_fn``: somewhere on the way an
operation returned a result that carries no gradient — ``argmax``, ``>``, ``==``, ``.long()`` — and
``loss.backward()`` raises "element 0 of tensors does not require grad". There is no mechanical
fix (the loss itself has to be a differentiable function, e.g. cross-entropy instead of an
accuracy): gradfix points at the operation and explains.

A piecewise-constant op does not crash anything: its result keeps a ``grad_fn``, but the gradient
through it is exactly 0, so every parameter before it receives all-zero gradients and never
changes (a latent code quantized with ``torch.round``, binary codes made with ``torch.sign``).
When parameters that a stepping optimizer holds received only zero gradients, and the probe saw
such an op run in user code on a tensor that requires grad, the candidate is the standard
straight-through estimator at that op: ``x + (torch.round(x) - x).detach()`` has the rounded
values forward and passes the gradient through unchanged. It changes the model's training
(unsafe), and it is offered only when ``x`` can be evaluated twice (names, arithmetic, torch's own
pure functions; not a module call). The re-run decides whether it was the op that starved them.

An option can do the same to one input of an op: ``F.grid_sample(image, grid, mode="nearest")``
reads the pixel each position rounds to, so its gradient to the grid is 0 and the network that
produces the grid (a spatial transformer, a flow or homography regressor) never learns. The probe
records the call only under that option and with a grid that requires grad, with the parameters
behind the grid; the candidate sets the option at the call to the value that differentiates in it
(``mode="bilinear"``), whatever expression chose it.

Dropout with a probability of 1 in training zeroes its whole input, and the gradient to all that
comes before it: a TensorFlow keep probability of 1.0 ported as the probability to drop
(``nn.Dropout(cfg["dropout"])`` with ``"dropout": 1.0``). The probe records a dropout call with
``p >= 1`` in training on a tensor that requires grad; the candidate writes ``0.0`` at the literal
the probability comes from (``F.dropout``'s ``p`` at the line, or the ``nn.Dropout`` the line calls
through ``self.<name>``, followed to a constant, a constructor argument or a config dict).

A difference can cancel its own gradient: ``exp(logp - old_logp)`` where both come from the
policy being trained, in the graph, is 1 with a gradient of exactly 0 (what goes back through one
operand comes back negated through the other). The probe records a subtraction or division of two
equal values that both have a grad_fn; the candidate detaches the right operand, the reference
(never the left: that would train with the sign reversed, and the re-run would not tell).

The same ops can starve only a part of the model while the loss reaches the rest: a group norm
whose output only feeds a ``>=`` mask, an encoder whose code is looked up with ``argmin``, a
network whose output is drawn from with ``dist.sample()`` (it draws under ``no_grad``) or with
``torch.normal(mu, sigma)`` (its gradient to ``mu`` and ``sigma`` is 0). The probe records, the
first time such an op runs in user code with gradients on, the parameters its inputs were
computed from, and carries the op to what is computed from its result. A finding needs parameters
that a stepping optimizer holds, that require grad and never held a non-zero gradient, that ended
unchanged, and such an op whose inputs came from them and whose result went into a loss passed to
``backward()`` (an accuracy's ``argmax`` goes into none; REINFORCE's ``sample()`` does, but its
policy trains through ``log_prob``: nothing to say). Parameters also behind a ``.detach()``, a
``.data`` or a re-wrap whose result went into a loss lost their path there (GF008's). The candidates are the same draw, reparameterised: ``dist.rsample()`` where the distribution
has it, ``mu + sigma * torch.randn_like(mu)`` (when one of the two is a number) or
``torch.distributions.Normal(mu, sigma).rsample()``; a loss that crashed for want of a graph
because everything went through such a ``sample()`` gets the same candidate. A position cast to an
integer index whose index the probe saw read a tensor (``gather``, ``x[..., idx]``) is read by
linear interpolation between its floor and the next entry, weighted by the fractional part. A comparison,
``argmax`` or a cast has no mechanical fix: gradfix names the op and its line, and explains.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.torch_api import module_alias
from gradfix.trace import Cut, Trace

_NON_DIFFERENTIABLE = {
    "argmax", "argmin", "gt", "lt", "ge", "le", "eq", "ne", "greater", "less", "greater_equal",
    "less_equal", "equal", "long", "int", "short", "bool", "byte", "to", "type",
}
# Piecewise constant: a grad_fn, and a gradient of 0 wherever it is defined.
_ZERO_GRADIENT = {"round", "floor", "ceil", "sign", "sgn", "trunc", "fix"}
# Ops whose gradient with respect to one input is 0 under an option (the probe records them only
# then, with the parameters behind that input): the option's keyword and position, and the value
# under which the gradient reaches that input. `grid_sample(mode="nearest")` reads the pixel each
# position rounds to; bilinear sampling weighs the four around it, by the position.
_ZERO_GRADIENT_OPTIONS = {"grid_sample": ("mode", 2, "bilinear")}
# A difference or ratio of two equal values that both carry the graph back to the same parameters
# (the probe records it only then): its gradient is 0. `exp(logp - old_logp)` with the old
# log-probabilities computed by the policy being trained, in the graph.
_CANCELLING = {"sub": cst.Subtract, "div": cst.Divide}
# The functional dropouts (the probe records their calls with p >= 1 in training as "dropout").
_DROPOUT_FUNCTIONS = {"dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d"}
# Random draws: `Distribution.sample()` and `torch.multinomial` give a result with no gradient;
# `torch.normal`, `bernoulli` and `poisson` one whose gradient to their mean, std, probabilities or
# rate is 0 (the parameters behind them are reached by the loss, and get gradients of 0).
_DRAWS = {"sample", "normal", "bernoulli", "multinomial", "poisson"}
_ZERO_GRADIENT_DRAWS = {"normal", "bernoulli", "poisson"}
# Where the values of parameters that never trained may have lost their gradient.
_NO_GRADIENT_PATH = _NON_DIFFERENTIABLE | {"argsort", "bucketize"} | _DRAWS
_PLAIN_CUTS = {"detach", "data", "tensor", "as_tensor", "_values"}
_COMPARISONS = {
    "gt": ">", "lt": "<", "ge": ">=", "le": "<=", "eq": "==", "ne": "!=", "greater": ">", "less": "<",
    "greater_equal": ">=", "less_equal": "<=", "equal": "==",
}
# Tensor methods with no side effect and no randomness: an input built with them can be evaluated twice.
_PURE_METHODS = {
    "clamp", "clip", "sigmoid", "tanh", "relu", "abs", "exp", "log", "float", "double", "half", "view",
    "reshape", "flatten", "squeeze", "unsqueeze", "t", "transpose", "permute", "contiguous", "mul", "div",
    "add", "sub", "softmax", "mean", "sum", "neg",
}
_RANDOM = ("rand", "dropout", "bernoulli", "multinomial", "normal", "poisson", "gumbel")
_TIGHT_OPERATORS = (cst.Multiply, cst.Divide, cst.FloorDivide, cst.Modulo, cst.MatrixMultiply, cst.Power)
_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)


def _module_of(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else name


class NondifferentiableLoss(Rule):
    code = "GF017"
    title = "loss computed through a non-differentiable operation"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        found = self._graphless(trace, project) or self._zero_gradients(trace, project)
        if any(f.blocking for f in found):
            return found
        named = {name for f in found for name in f.params}
        return found + self._no_gradient_path(trace, project, named)

    def _graphless(self, trace: Trace, project: Project) -> list[Finding]:
        """backward() crashed: the loss has no grad_fn, and a cut like argmax made it so (explained)."""
        backward = trace.graphless_backward()
        if backward is None or backward.no_grad_forwards or not backward.grad_enabled:
            return []  # a graph switched off is GF002/GF011's
        if not any(m.ran_with_grad for m in trace.modules):
            return []
        params = [p.name for p in trace.params if p.requires_grad and not p.got_grad]
        # A draw without a gradient (`dist.sample()`) that everything went through: the same draw,
        # reparameterised, is the fix.
        origin = backward.graphless_origin
        draws = [
            c for c in trace.cuts
            if c.op in _DRAWS and c.op not in _ZERO_GRADIENT_DRAWS and c.leaves and project.is_editable(c.site.file)
            and (origin is None or (origin.file, origin.line) == (c.site.file, c.site.line))
        ]
        if draws:
            cut = min(draws, key=lambda c: (-len(c.leaves), c.site.file, c.site.line))
            source = project.source(cut.site.file)
            candidates = [self.candidate(d, source.path, [e]) for d, e in _reparameterised(source, cut)]
            message = (
                f"the loss has no grad_fn although the model ran with gradients on: it was computed from "
                f"`{_shown(source, cut)}` here, and backward() crashed: {_why_no_gradient(cut)}"
            )
            return [self.finding(project, cut.site, message, params, candidates, blocking=True)]
        cuts = [c for c in trace.cuts if c.op in _NON_DIFFERENTIABLE and project.is_editable(c.site.file)]
        if not cuts:
            return []
        # The cut nearest before the backward call in the same file is the likeliest culprit.
        site = backward.site
        same_file = [c for c in cuts if site is not None and c.site.file == site.file and c.site.line <= site.line]
        cut = max(same_file, key=lambda c: c.site.line) if same_file else cuts[-1]
        message = (
            f"the loss has no grad_fn although the model ran with gradients on: `{cut.op}` here returns a "
            "result with no gradient, and backward() crashed; use a differentiable loss "
            "(e.g. cross-entropy on the logits instead of an accuracy or a threshold)"
        )
        return [self.finding(project, cut.site, message, params, blocking=True)]

    def _zero_gradients(self, trace: Trace, project: Project) -> list[Finding]:
        """Parameters whose every gradient was 0, behind a round/floor/ceil/sign: straight-through."""
        stepped = {o.id for o in trace.optimizers if o.steps}
        # A parameter that stayed as it was while another one of its module changed gets a zero
        # gradient for another reason (the bias of a layer followed by batch norm): not this.
        changed = {_module_of(p.name) for p in trace.params if p.changed}
        starved = [
            p.name for p in trace.params
            if p.requires_grad and p.is_leaf and p.got_grad and not p.nonzero_grad
            and stepped & set(p.optimizers) and _module_of(p.name) not in changed
        ]
        if not starved:
            return []
        cuts = [
            c for c in trace.cuts if project.is_editable(c.site.file)
            and (c.op in _ZERO_GRADIENT or (c.op in _ZERO_GRADIENT_OPTIONS or c.op in _CANCELLING or c.op == "dropout") and set(c.leaves) & set(starved))
        ]
        if not cuts:
            return []
        cuts.sort(key=lambda c: -c.count)
        candidates: list[Candidate] = []
        for cut in cuts[:5]:
            source = project.source(cut.site.file)
            if cut.op in _ZERO_GRADIENT_OPTIONS:
                made = _option_switched(source, cut)
            elif cut.op in _CANCELLING:
                made = _reference_detached(source, cut)
            elif cut.op == "dropout":
                made = _dropout_off(source, cut)
            else:
                made = self._straight_through(source, cut)
            if made is not None:
                candidates.append(self.candidate(made[0], source.path, [made[1]]))
        together = self.together(candidates, f"a straight-through estimator at all {len(candidates)} of them")
        if together is not None:
            candidates.append(together)
        cut = cuts[0]
        if cut.op in _CANCELLING:
            what = "difference" if cut.op == "sub" else "ratio"
            why = (
                f"the {what} here is of two equal values that both carry the graph back to them, so their gradients "
                f"cancel exactly (an importance ratio whose old log-probabilities come from the policy being trained?); "
                f"the value it is compared with is a constant, detached"
            )
        elif cut.op == "dropout":
            why = (
                "dropout ran here in training mode with a probability of 1: it zeroes its whole input, so nothing before it "
                "learns (a TensorFlow keep probability of 1.0, ported as the probability to drop?)"
            )
        elif cut.op in _ZERO_GRADIENT_OPTIONS:
            option, _, value = _ZERO_GRADIENT_OPTIONS[cut.op]
            why = (
                f"`{cut.op}` ran here with `{option}` set so that its gradient to an input that requires grad is 0 "
                f"everywhere, so nothing before that input learns; `{option}=\"{value}\"` passes a gradient to it"
            )
        else:
            why = (
                f"`{cut.op}` ran here on a tensor that requires grad: its gradient is 0 everywhere, so nothing before it "
                "learns; a straight-through estimator keeps its values forward and passes the gradient through"
            )
        message = f"{short_list(starved)} {'receives' if len(starved) == 1 else 'receive'} gradients, but every one is exactly 0, and {why}"
        return [self.finding(project, cut.site, message, starved, candidates)]

    def _no_gradient_path(self, trace: Trace, project: Project, named: set[str]) -> list[Finding]:
        """Parameters that never trained while the loss reached others, whose values the run saw go
        into an op with no gradient (a comparison, argmax, a cast, a random draw): where they lost it."""
        stepped = {o.id for o in trace.optimizers if o.steps}
        # Zero gradients while another parameter of the module changed have another cause (the
        # bias of a layer followed by batch norm), as in GF018.
        changed = {_module_of(p.name) for p in trace.params if p.changed}
        replaced = {a.replaced for a in trace.attributes if a.replaced is not None}  # GF026's, GF010's
        picked = set(trace.params_only_selected())  # a router's scores used only to pick: GF060's
        untrained = {
            p.name for p in trace.params
            if p.requires_grad and p.is_leaf and not p.changed and not p.nonzero_grad and not p.lr_zero
            and stepped & set(p.optimizers) and p.name not in named and p.module not in replaced and p.name not in picked
            and not (p.got_grad and _module_of(p.name) in changed)
        }
        if not untrained:
            return []
        # An op with no gradient explains parameters no loss reached; one whose gradient is 0 (a
        # normal draw) explains parameters a loss reached and gave gradients of 0, and no others.
        # Parameters behind a plain cut whose result went into a loss (`torch.tensor(log_probs)`)
        # had another path to it, cut there: GF008's.
        reached = {p.name for p in trace.params if p.reached}
        cut_elsewhere = {name for c in trace.cuts if c.op in _PLAIN_CUTS and c.to_loss for name in c.leaves}

        def explains(cut: Cut) -> set[str]:
            behind = (untrained - cut_elsewhere) & set(cut.leaves)
            return behind & reached if cut.op in _ZERO_GRADIENT_DRAWS else behind - reached

        # Only an op whose result went into a loss: an accuracy's argmax is no path to it.
        cuts = [c for c in trace.cuts if c.op in _NO_GRADIENT_PATH and c.to_loss and explains(c) and project.is_editable(c.site.file)]
        if not cuts:
            return []
        # The op nearest to them first: the one whose inputs reached the fewest parameters that did
        # train (a comparison of the loss itself reaches them all); in a tie, the first in the file.
        cuts.sort(key=lambda c: (c.reach - len(explains(c)), c.site.file, c.site.line, c.site.column or 0))
        cuts = cuts[:5]
        lost = {name for c in cuts for name in explains(c)}
        params = [p.name for p in trace.params if p.name in lost]
        candidates: list[Candidate] = []
        firsts: list[Candidate] = []  # one form per draw, for all of them together
        for cut in cuts:
            source = project.source(cut.site.file)
            forms = [
                self.candidate(description, source.path, [edit], at=(source.path, cut.site.line, cut.site.column or 0))
                for description, edit in _reparameterised(source, cut)
            ]
            candidates += forms
            firsts += forms[:1]
            made = _interpolated(source, cut)
            if made is not None:
                candidates.append(self.candidate(made[0], source.path, made[1], at=(source.path, cut.site.line, cut.site.column or 0)))
        together = self.together(firsts, f"all {len(firsts)} draws reparameterised")
        if together is not None:
            candidates.append(together)
        cut = cuts[0]
        source = project.source(cut.site.file)
        one = len(params) == 1
        if any(p.got_grad for p in trace.params if p.name in lost):
            state = f"{'receives' if one else 'receive'} only gradients that are 0"
        else:
            state = f"never {'gets' if one else 'get'} a gradient"
        others = [f"`{_shown(project.source(c.site.file), c)}` at line {c.site.line}" for c in cuts[1:] if c.site.file == cut.site.file]
        also = f" (and {', '.join(others)})" if others else ""
        message = (
            f"{short_list(params)} {state}: the values computed from {'it' if one else 'them'} lose the gradient at "
            f"`{_shown(source, cut)}` here{also}: {_why_no_gradient(cut)}"
        )
        return [self.finding(project, cut.site, message, params, candidates)]

    @staticmethod
    def _straight_through(source: SourceFile, cut: Cut) -> Optional[tuple[str, Edit]]:
        """``torch.round(x)`` / ``x.round()`` -> ``x + (torch.round(x) - x).detach()``."""
        calls = source.nodes_at(cut.site, cst.Call)
        if not calls:
            return None
        call = calls[-1]
        if source.qualified_names(call.func) & {f"torch.{cut.op}"} and call.args and call.args[0].keyword is None and not call.args[0].star:
            value = call.args[0].value
        elif isinstance(call.func, cst.Attribute) and call.func.attr.value == cut.op:
            value = call.func.value
        else:
            return None
        if not _pure(source, value):
            return None  # `torch.round(self.encoder(x))`: written twice, the encoder would run twice
        code = source.code(value)
        if not (isinstance(value, _ATOMIC) or value.lpar or _tight(value)):
            code = f"({code})"
        text = f"{code} + ({source.code(call)} - {code}).detach()"
        try:
            new = cst.parse_expression(text, config=source.module.config_for_parsing)
        except cst.ParserSyntaxError:
            return None
        parent = source.parent(call)
        if not isinstance(parent, (cst.Arg, cst.Assign, cst.Return, cst.AugAssign, cst.AnnAssign, cst.Element, cst.Expr)):
            new = new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        description = f"straight-through estimator at `{source.code(call)}`: its values forward, the gradient of `{code}` backward"
        return description, source.replace_node(call, new)


def _option_switched(source: SourceFile, cut: Cut) -> Optional[tuple[str, Edit]]:
    """``F.grid_sample(x, grid, mode=self.mode)`` -> ``mode="bilinear"`` at the call: whatever chose
    the mode, the call then differentiates in the input the gradient was 0 for. It changes what
    the forward computes (unsafe, as GF017 is); the re-run decides whether the parameters train."""
    option, position, value = _ZERO_GRADIENT_OPTIONS[cut.op]
    calls = source.nodes_at(cut.site, cst.Call)
    call = next((c for c in reversed(calls) if _called_name(c) == cut.op), None)
    if call is None:
        return None
    given = next((a for a in call.args if a.keyword is not None and a.keyword.value == option), None)
    if given is None:
        positional = [a for a in call.args if a.keyword is None]
        if len(positional) <= position or any(a.star for a in positional[: position + 1]):
            return None
        given = positional[position]
    new = cst.SimpleString(f'"{value}"')
    description = f'`{option}="{value}"` in `{cut.op}`: its gradient reaches `{source.code(given.value)}`\'s input'
    return description, source.replace_node(given.value, new)


def _dropout_off(source: SourceFile, cut: Cut) -> Optional[tuple[str, Edit]]:
    """A dropout probability of 1 -> 0.0, at the literal it comes from: the ``p`` of
    ``F.dropout`` at the line, or of the ``nn.Dropout`` the line calls through ``self.<name>``,
    followed to a constant, a constructor argument or a config dict (``literal_behind``). 0.0 is
    what a keep probability of 1.0 meant; the re-run decides."""
    for call in reversed(source.nodes_at(cut.site, cst.Call)):
        name = _called_name(call)
        if isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name) and call.func.value.value == "self":
            built = _built_as(source, call, call.func.attr.value)  # `self.dropout(h)`: a module
            passed = call_argument(built, 0, "p") if built is not None else None
            given = passed.value if passed is not None else None
        elif name is not None and name.rstrip("_") in _DROPOUT_FUNCTIONS:
            passed = call_argument(call, 1, "p")
            given = passed.value if passed is not None else None
        else:
            continue
        behind = source.literal_behind(given) if given is not None else None
        if isinstance(behind, (cst.Integer, cst.Float)) and float(behind.value) >= 1:
            description = f"a dropout probability of 0.0 instead of {behind.value} (line {source.range(behind).start.line}): 1 drops everything"
            return description, source.replace_node(behind, cst.Float("0.0"))
    return None


def _built_as(source: SourceFile, near: cst.CSTNode, attr: str) -> Optional[cst.Call]:
    """The dropout call ``self.<attr>`` was assigned in the class around ``near``, when once."""
    function = source.enclosing_function(near)
    owner = source.parent(source.parent(function)) if function is not None else None
    if not isinstance(owner, cst.ClassDef):
        return None
    built = [
        a.value for a in descendants(owner, cst.Assign)
        if len(a.targets) == 1 and isinstance(a.targets[0].target, cst.Attribute)
        and isinstance(a.targets[0].target.value, cst.Name) and a.targets[0].target.value.value == "self"
        and a.targets[0].target.attr.value == attr
    ]
    if len(built) != 1 or not isinstance(built[0], cst.Call):
        return None
    name = _called_name(built[0])
    return built[0] if name is not None and name.lower().endswith("dropout") else None


def _reference_detached(source: SourceFile, cut: Cut) -> Optional[tuple[str, Edit]]:
    """``logp - old_logp`` -> ``logp - old_logp.detach()``: the value a difference (a ratio) is
    taken against is the reference, a constant of the step, as PPO's old log-probabilities and a
    baseline are. Only the right operand: detaching the left one would train the reference's sign
    the wrong way round, and the re-run would not tell."""
    operator = _CANCELLING[cut.op]
    found = [n for n in source.nodes_at(cut.site, cst.BinaryOperation) if isinstance(n.operator, operator)]
    if len(found) != 1:
        return None
    right = found[0].right
    code = source.code(right)
    if not (isinstance(right, _ATOMIC) or right.lpar):
        code = f"({code})"
    try:
        new = cst.parse_expression(f"{code}.detach()", config=source.module.config_for_parsing)
    except cst.ParserSyntaxError:
        return None
    description = f"`{code}.detach()`: the reference it is compared with is a constant, and the gradient no longer cancels"
    return description, source.replace_node(right, new)


def _called_name(call: cst.Call) -> Optional[str]:
    if isinstance(call.func, cst.Attribute):
        return call.func.attr.value
    if isinstance(call.func, cst.Name):
        return call.func.value
    return None


# Integer casts a position is made an index with, and the roundings that may come before them.
_INTEGER_CASTS = {"long", "int"}
_ROUNDINGS = {"round", "floor", "ceil", "trunc"}
# Methods that only reshape or broadcast an index: the entries a gather reads stay where they were.
_SHAPE_METHODS = {"view", "reshape", "expand", "expand_as", "unsqueeze", "squeeze", "flatten", "repeat", "contiguous", "permute", "transpose"}


def _interpolated(source: SourceFile, cut: Cut) -> Optional[tuple[str, list[Edit]]]:
    """A position cast to an integer index (``idx = pos.round().long()``) whose index the probe saw
    read a tensor (``x.gather(d, idx...)``, ``x[..., idx]``): read it at ``floor(pos)`` and the next
    entry, weighted by the fractional part (linear interpolation), so the position gets the
    gradient of the values around it. Off integer positions the values change: unsafe, as GF017 is."""
    if cut.op not in _INTEGER_CASTS:
        return None
    reads = [lookup for lookup in cut.lookups if lookup.op in ("gather", "getitem") and lookup.site.file == source.path]
    if len(reads) != 1:
        return None  # read in several places: each would need the weights
    calls = source.nodes_at(cut.site, cst.Call)
    if not calls:
        return None
    cast = calls[-1]
    if not (isinstance(cast.func, cst.Attribute) and cast.func.attr.value == cut.op and not cast.args):
        return None
    position = cast.func.value
    if isinstance(position, cst.Call) and isinstance(position.func, cst.Attribute) and position.func.attr.value in _ROUNDINGS and not position.args:
        position = position.func.value
    elif isinstance(position, cst.Call) and len(position.args) == 1 and source.qualified_names(position.func) & {f"torch.{r}" for r in _ROUNDINGS}:
        position = position.args[0].value
    if not _pure(source, position):
        return None
    assign = source.parent(cast)
    if not isinstance(assign, cst.Assign) or assign.value is not cast or len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return None
    index = assign.targets[0].target.value
    statement = source.parent(assign)
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    function = next((a for a in source.ancestors(statement) if isinstance(a, cst.FunctionDef)), None)
    read_calls = source.nodes_at(reads[0].site, cst.Call) if reads[0].op == "gather" else []
    read_subscripts = source.nodes_at(reads[0].site, cst.Subscript) if reads[0].op == "getitem" else []
    if reads[0].op == "gather" and read_calls:
        read: cst.BaseExpression = read_calls[-1]
        parts = _gather_parts(source, read_calls[-1])
    elif read_subscripts:
        read = read_subscripts[-1]
        parts = _last_axis_parts(source, read_subscripts[-1])
    else:
        return None
    if parts is None or function is None:
        return None
    table, dim, index_node, rebuild = parts
    if _names_in(index_node).count(index) != 1 or not _only_reshaped(source, index_node, index):
        return None  # the index is more than the cast position reshaped: the weights would not match it
    later = source.statement_of(read)
    if later is None or source.range(later).start.line <= source.range(statement).end.line:
        return None
    if next((a for a in source.ancestors(later) if isinstance(a, cst.FunctionDef)), None) is not function:
        return None
    taken = source.bindings
    frac = next(n for n in (f"{index}_frac", f"{index}_weight", f"{index}_frac_") if n not in taken)
    code = source.operand_code(position)
    floor = source.replace_node(cast, cst.parse_expression(f"{code}.floor().{cut.op}()", config=source.module.config_for_parsing))
    fraction = f"{code} - {index}.to({code}.dtype)"
    weights = fraction if isinstance(index_node, cst.Name) else _with_name(source, index_node, index, f"({fraction})")
    indent = source.indentation(source.range(later).start.line)
    weighted = source.insert_lines(source.range(later).start.line, f"{indent}{frac} = {weights}\n")
    upper = _with_name(source, index_node, index, f"({index} + 1).clamp(max={source.operand_code(table)}.size({dim}) - 1)")
    text = f"(1 - {frac}) * {source.code(read)} + {frac} * {rebuild(upper)}"
    new = cst.parse_expression(text, config=source.module.config_for_parsing)
    if not isinstance(source.parent(read), (cst.Arg, cst.Assign, cst.Return, cst.AugAssign, cst.AnnAssign, cst.Element, cst.Expr)):
        new = new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    description = (
        f"linear interpolation: `{source.code(read)}` read at `{code}.floor()` and the entry after it, weighted by the "
        f"fractional part, so `{source.code(position)}` gets a gradient"
    )
    return description, [floor, weighted, source.replace_node(read, new)]


def _gather_parts(source: SourceFile, call: cst.Call):  # type: ignore[no-untyped-def]
    """``x.gather(d, i)`` / ``torch.gather(x, d, i)``: the tensor read, the dim, the index, and how to
    write the same read with another index."""
    args = list(call.args)
    if any(a.star or a.keyword is not None for a in args):
        return None
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "gather" and "torch.gather" not in source.qualified_names(call.func) and len(args) == 2:
        table, dim, index = call.func.value, args[0].value, args[1].value
        rebuild = lambda text: f"{source.operand_code(table)}.gather({source.code(dim)}, {text})"
    elif "torch.gather" in source.qualified_names(call.func) and len(args) == 3:
        table, dim, index = args[0].value, args[1].value, args[2].value
        rebuild = lambda text: f"{source.code(call.func)}({source.code(table)}, {source.code(dim)}, {text})"
    else:
        return None
    if not _pure(source, table) or not isinstance(dim, (cst.Integer, cst.UnaryOperation, cst.Name)):
        return None
    return table, source.code(dim), index, rebuild


def _last_axis_parts(source: SourceFile, subscript: cst.Subscript):  # type: ignore[no-untyped-def]
    """``x[..., i]``: the tensor read, the last axis, the index, and the same read with another index."""
    elements = list(subscript.slice)
    if len(elements) != 2 or not all(isinstance(e.slice, cst.Index) for e in elements):
        return None
    first, index = elements[0].slice.value, elements[1].slice.value  # type: ignore[union-attr]
    if not isinstance(first, cst.Ellipsis) or not _pure(source, subscript.value):
        return None
    table = subscript.value
    rebuild = lambda text: f"{source.operand_code(table)}[..., {text}]"
    return table, "-1", index, rebuild


def _names_in(node: cst.CSTNode) -> list[str]:
    return [n.value for n in descendants(node, cst.Name) if not _is_attribute_name(node, n)]


def _is_attribute_name(root: cst.CSTNode, name: cst.Name) -> bool:
    """``name`` is the attribute part of an ``a.name`` (a method's name), not a value."""
    return any(a.attr is name for a in descendants(root, cst.Attribute))


def _only_reshaped(source: SourceFile, node: cst.BaseExpression, index: str) -> bool:
    """``node`` is ``index`` with only reshaping methods called on it (their arguments free of it)."""
    while isinstance(node, cst.Call):
        if not (isinstance(node.func, cst.Attribute) and node.func.attr.value in _SHAPE_METHODS):
            return False
        node = node.func.value
    return isinstance(node, cst.Name) and node.value == index


def _with_name(source: SourceFile, node: cst.BaseExpression, name: str, text: str) -> str:
    """``node``'s code with its one ``name`` replaced by ``text``."""
    replaced = node.visit(_Renamer(name, cst.parse_expression(text, config=source.module.config_for_parsing)))
    return source.module.code_for_node(replaced)  # type: ignore[arg-type]


class _Renamer(cst.CSTTransformer):
    def __init__(self, name: str, new: cst.BaseExpression):
        self.name, self.new = name, new

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:  # type: ignore[override]
        return self.new if original.value == self.name else updated

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:  # type: ignore[override]
        return updated.with_changes(attr=original.attr)  # a method's name is no value


def _tight(node: cst.BaseExpression) -> bool:
    """Binds tighter than ``+`` and ``-``: safe on either side of them without parentheses."""
    if isinstance(node, cst.UnaryOperation):
        return True
    return isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _TIGHT_OPERATORS)


def _pure(source: SourceFile, node: cst.BaseExpression) -> bool:
    """Evaluating ``node`` twice gives the same tensor and does nothing else."""
    if isinstance(node, (cst.Name, cst.Integer, cst.Float)):
        return True
    if isinstance(node, cst.Attribute):
        return _pure(source, node.value)
    if isinstance(node, cst.Subscript):
        parts = []
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                parts.append(element.slice.value)
            else:
                parts += [p for p in (element.slice.lower, element.slice.upper, element.slice.step) if p is not None]
        return _pure(source, node.value) and all(_pure(source, p) for p in parts)
    if isinstance(node, cst.BinaryOperation):
        return _pure(source, node.left) and _pure(source, node.right)
    if isinstance(node, cst.UnaryOperation):
        return _pure(source, node.expression)
    if isinstance(node, cst.Call):
        if not all(_pure(source, a.value) for a in node.args) or any(a.star for a in node.args):
            return False
        names = source.qualified_names(node.func)
        if any(n.startswith("torch.") and n.rsplit(".", 1)[-1].islower() and not any(r in n for r in _RANDOM) for n in names):
            return True
        return isinstance(node.func, cst.Attribute) and node.func.attr.value in _PURE_METHODS and not names and _pure(source, node.func.value)
    return False


def _shown(source: SourceFile, cut: Cut) -> str:
    """The op as the file writes it (``reweights >= self.threshold``), when short; else its name."""
    nodes = [n for n in source.nodes_at(cut.site, cst.BaseExpression) if isinstance(n, (cst.Call, cst.Comparison))]
    if cut.site.end_line is not None and nodes:
        code = source.code(nodes[0])
        if "\n" not in code and len(code) <= 60:
            return code
    if cut.op == "sample":
        return f"{cut.distribution or 'distribution'}.sample()"
    return _COMPARISONS.get(cut.op, cut.op)


def _why_no_gradient(cut: Cut) -> str:
    """Why the op passes no gradient, and what would."""
    if cut.op == "sample":
        if cut.rsample:
            return (
                f"`{cut.distribution}.sample()` draws without a gradient; `rsample()` draws from the same "
                "distribution with the reparameterisation trick and passes the gradient to its parameters"
            )
        return (
            f"`{cut.distribution or 'the distribution'}.sample()` draws without a gradient, and it has no "
            "reparameterised `rsample()`: train its parameters through `log_prob` of the draw (REINFORCE), or "
            "draw from a relaxed distribution (Gumbel-softmax, RelaxedBernoulli)"
        )
    if cut.op == "normal":
        return (
            "`torch.normal`'s gradient to its mean and std is 0; the reparameterised draw "
            "`mean + std * noise` passes it on"
        )
    if cut.op in _DRAWS:
        return (
            "a random draw has no gradient to its probabilities or rate; train them through `log_prob` of the "
            "draw (REINFORCE), or draw from a relaxed distribution (Gumbel-softmax, RelaxedBernoulli)"
        )
    if cut.op in _COMPARISONS:
        return (
            "a comparison's boolean result has no gradient, so a hard mask or threshold made from them passes "
            "nothing back; use the soft values, or a straight-through estimator if the hard values are meant"
        )
    if cut.op in ("argmax", "argmin", "argsort", "bucketize"):
        return (
            f"`{cut.op}` returns indices, with no gradient, so what is chosen or looked up with them passes nothing "
            "back; use soft weights (a softmax), or a straight-through estimator if the hard choice is meant"
        )
    if cut.op in _INTEGER_CASTS and any(lookup.op in ("gather", "getitem", "index_select", "take_along_dim") for lookup in cut.lookups):
        return (
            "an integer index has no gradient, so the position it was made from learns nothing from what is read "
            "there; read the entries on both sides of the position, weighted by its fractional part (linear interpolation)"
        )
    return "an integer or boolean cast has no gradient; keep the values floating point where they must learn"


def _reparameterised(source: SourceFile, cut: Cut) -> list[tuple[str, Edit]]:
    """The same draw with the reparameterisation trick: ``dist.sample(...)`` -> ``dist.rsample(...)``
    (when the distribution has it); ``torch.normal(mean, std)`` -> ``mean + std * torch.randn_like(mean)``
    (when the noise has the result's shape: one of the two is a number) or
    ``torch.distributions.Normal(mean, std).rsample()``."""
    calls = source.nodes_at(cut.site, cst.Call)
    if not calls:
        return []
    call = calls[-1]
    if cut.op == "sample":
        if not cut.rsample or not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "sample"):
            return []
        edit = source.replace_node(call.func.attr, cst.Name("rsample"))
        return [("`.rsample()` instead of `.sample()`: the same draw, reparameterised, passes the gradient", edit)]
    if cut.op != "normal" or "torch.normal" not in source.qualified_names(call.func):
        return []
    values = _mean_and_std(call)
    if values is None:
        return []
    mean, std = values
    found: list[tuple[str, Edit]] = []
    torch_name = source.code(call.func.value) if isinstance(call.func, cst.Attribute) else module_alias(source, "torch")
    if torch_name is None or not all(part.isidentifier() for part in torch_name.split(".")):
        return []
    shaped = std if _number(source, mean) else mean if _number(source, std) else None
    if shaped is not None and _pure(source, shaped):
        text = f"{_arithmetic_operand(source, mean)} + {_arithmetic_operand(source, std)} * {torch_name}.randn_like({source.code(shaped)})"
        found.append(_rewritten(source, call, text, "the reparameterised draw"))
    normal = module_alias(source, "torch.distributions.Normal") or module_alias(source, "torch.distributions.normal.Normal")
    if normal is None:
        distributions = module_alias(source, "torch.distributions")
        normal = f"{distributions}.Normal" if distributions is not None else f"{torch_name}.distributions.Normal"
    if all(part.isidentifier() for part in normal.split(".")):
        text = f"{normal}({source.code(mean)}, {source.code(std)}).rsample()"
        found.append(_rewritten(source, call, text, "a reparameterised draw"))
    return found


def _mean_and_std(call: cst.Call) -> Optional[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """``torch.normal(mean, std)`` given exactly these two (by position or by name), nothing else."""
    if len(call.args) != 2 or any(a.star for a in call.args):
        return None
    named = {a.keyword.value if a.keyword is not None else ("mean", "std")[i]: a.value for i, a in enumerate(call.args)}
    if set(named) != {"mean", "std"} or (call.args[0].keyword is not None and call.args[1].keyword is None):
        return None
    return named["mean"], named["std"]


def _number(source: SourceFile, node: cst.BaseExpression) -> bool:
    """A number, not a tensor: a literal, arithmetic of them, or a name the file binds once, to one
    (``NOISE = 0.05``): the draw then has the other argument's shape."""
    if isinstance(node, (cst.Integer, cst.Float)):
        return True
    if isinstance(node, cst.UnaryOperation):
        return _number(source, node.expression)
    if isinstance(node, cst.BinaryOperation):
        return _number(source, node.left) and _number(source, node.right)
    if isinstance(node, cst.Name):
        bindings = [
            target for target in descendants(source.module, cst.Name)
            if target.value == node.value and isinstance(source.parent(target), (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.Param, cst.AsName, cst.Global))
        ]
        if len(bindings) != 1:
            return False
        target = source.parent(bindings[0])
        assign = source.parent(target) if isinstance(target, cst.AssignTarget) else None
        return isinstance(assign, cst.Assign) and len(assign.targets) == 1 and _number(source, assign.value) and not isinstance(assign.value, cst.Name)
    return False


def _arithmetic_operand(source: SourceFile, node: cst.BaseExpression) -> str:
    """``node`` as an operand of ``*`` (and of ``+``): parenthesised unless it binds tighter.
    A number stays bare, which :meth:`~gradfix.source.SourceFile.operand_code` would parenthesise."""
    code = source.code(node)
    if isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)) or node.lpar:
        return code
    return f"({code})"


def _rewritten(source: SourceFile, call: cst.Call, text: str, what: str) -> tuple[str, Edit]:
    new = cst.parse_expression(text, config=source.module.config_for_parsing)
    parent = source.parent(call)
    if isinstance(new, cst.BinaryOperation) and not isinstance(parent, (cst.Arg, cst.Assign, cst.Return, cst.AugAssign, cst.AnnAssign, cst.Element, cst.Expr)):
        new = new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return f"{what}: `{source.module.code_for_node(new)}` instead of `{source.code(call)}`", source.replace_node(call, new)
