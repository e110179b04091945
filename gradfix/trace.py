"""The Trace: plain, JSON-serialisable facts that the probe saw while the user's script ran.

The probe (inside the sandbox) writes it; rules and verification read it. It knows nothing
about how to fix anything. Parameters are identified by the name a user would write
(``model.linear.weight``) so that traces of two runs can be compared.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass, field
from typing import Any, Optional

TRACE_VERSION = 1


@dataclass(frozen=True)
class Site:
    """Where in user code something happened: 1-based lines, 0-based columns (None before 3.11)."""

    file: str
    line: int
    column: Optional[int] = None
    end_line: Optional[int] = None
    end_column: Optional[int] = None
    function: str = ""

    def same_place(self, other: "Site") -> bool:
        return (self.file, self.line, self.column) == (other.file, other.line, other.column)


@dataclass
class ModuleFact:
    id: int
    cls: str  # qualified class name, e.g. "torch.nn.modules.linear.Linear"
    name: Optional[str]  # the expression that names it in user code, e.g. "model" or "self.net"
    site: Optional[Site]  # where it was constructed
    children: list[int] = field(default_factory=list)
    num_params: int = 0
    ran_with_grad: bool = False
    ran_without_grad: bool = False
    # called at the top with gradients on while in evaluation mode (`training` False), and where
    # user code called `eval()` on it (GF081)
    eval_with_grad: bool = False
    eval_sites: list[Site] = field(default_factory=list)
    loaded: bool = False  # load_state_dict() was called on it or on a module that contains it
    path: Optional[str] = None  # its full name from its root, e.g. "model.encoder.0"
    created_event: int = 0  # the event counter when it was built: orders it against optimizers
    in_size: Optional[int] = None  # in_features / in_channels / num_features ...: the input size it was built for
    # names bound to optimizers in the frame that built it, when some optimizer existed then (a
    # Trainer's `optimizer` argument): what a param group for it can be added through, there
    scope_optimizers: dict[str, int] = field(default_factory=dict)
    # the user calls that ran it with gradients on (a few distinct ones, from its first calls),
    # each as its user frames, innermost first: where its output went (GF056)
    grad_calls: list[list[Site]] = field(default_factory=list)
    # held by a DataLoader's dataset or collate function and iterated with num_workers > 0: the
    # path it was found by (``dataset.vocab.embedding``) and the user line that iterated the loader
    in_workers: Optional[str] = None
    workers_site: Optional[Site] = None
    # the first torch class in its class's MRO: itself for torch's own modules, the torch layer a
    # user class extends (`class FreezableBN(nn.BatchNorm2d)`), "torch.nn.modules.module.Module"
    torch_class: str = ""


@dataclass
class ParamFact:
    name: str
    module: Optional[int]  # id of the root module that owns it, None for a bare tensor
    shape: list[int]
    dtype: str
    requires_grad: bool  # at the end of the run
    is_leaf: bool
    got_grad: bool = False  # .grad was set after some backward call
    nonzero_grad: bool = False  # at some optimizer step its gradient had a non-zero element
    grad_at_step: bool = False  # at some step of an optimizer that holds it, its .grad was set (not None)
    grad_peak: float = 0.0  # the largest |element| of its gradient at the steps of an optimizer that holds it
    # it required grad at some step of an optimizer that holds it (False: frozen at every step the
    # run saw, thawed after the last one, as a warm-up that unfreezes a part at a later epoch)
    trainable_at_step: bool = False
    lr_zero: bool = False  # an optimizer holds it in a group whose learning rate was 0 when it was built
    reached: bool = False  # some loss graph reached it
    optimizers: list[int] = field(default_factory=list)  # ids of optimizers that hold it
    changed: bool = False  # its value at the end differs from its value when first seen
    frozen_at: list[Site] = field(default_factory=list)  # where requires_grad was set to False
    frozen_callers: list[Site] = field(default_factory=list)  # the user calls one level further out
    thawed: bool = False  # user code set requires_grad to True on it: the script chose to train it
    is_parameter: bool = False  # an nn.Parameter (made to be trained), not a plain tensor
    constant: bool = False  # every element had the same value when first seen (a norm layer's 1s and 0s)
    zeros: bool = False  # every element was 0 when first seen
    nonfinite: bool = False  # its value at the end holds NaN or inf (a NaN gradient stepped into it)
    # the parameter its value was copied from: `copy.deepcopy` of its module, or `load_state_dict`
    # given another module's `state_dict()` (a MAML learner, a per-task fine-tuned copy)
    copy_of: Optional[str] = None


@dataclass
class OptimizerFact:
    id: int
    cls: str
    site: Optional[Site]
    name: Optional[str]  # the variable it was bound to, when known
    params: list[str] = field(default_factory=list)
    unnamed_params: int = 0
    steps: int = 0
    steps_without_grad: int = 0  # steps at which none of its parameters held a non-zero gradient
    built_event: int = 0
    scope_modules: dict[str, int] = field(default_factory=dict)  # modules bound to names where it was built
    initial_lr: Optional[float] = None  # the largest learning rate of its groups when it was built
    loaded: Optional[Site] = None  # the user line that loaded a saved state into it (load_state_dict)
    lrs: list[Optional[float]] = field(default_factory=list)  # the largest learning rate of its groups at each step
    # backward() calls that added onto gradients an earlier step() of this optimizer had already
    # applied, nothing clearing them since, and that a later step() then applied again
    stale_backwards: int = 0
    # where they ran, up to the first step() that applied them again (a few, distinct, in order): a
    # GAN's generator loss adds onto the discriminator's gradients too, but its own loss is the one
    # to clear before
    stale_backward_sites: list[Site] = field(default_factory=list)
    stale_step_site: Optional[Site] = None  # the step() that first applied them again
    # how many parameters each param group holds, in order (``params`` lists them group by group)
    group_sizes: list[int] = field(default_factory=list)
    # for an optimizer that takes only sparse gradients (SparseAdam): the parameters that held a
    # dense gradient at its first step that met one, and the embeddings (module ids) whose weight
    # is one of them (tied to a Linear, used through F.embedding or `.weight`)
    dense_grads: list[str] = field(default_factory=list)
    dense_embeddings: list[int] = field(default_factory=list)
    # its class's step() takes a `closure` without a default (read from its signature: L-BFGS, a
    # line search of the script's own); and the user call of step() made without a closure that
    # never returned (it raised): a step that needs one, stepped the plain way (GF053)
    needs_closure: bool = False
    unclosed_step: Optional[Site] = None
    # for an optimizer that had not stepped when the probe looked (at a new chain of calls to
    # another optimizer's step(), and at the end): the user objects that keep it, directly or
    # through another (a wrapper's `self._optimizer`), and the dotted names user scopes reach it
    # by (`optimizer._optimizer`); what a step() call meant for it is written with (GF055)
    holders: list[OptimizerHolder] = field(default_factory=list)
    reached_as: list[str] = field(default_factory=list)
    # the user calls that led to its construction, outermost last (a helper `build_optimizer(model)`
    # called by the script, a wrapper's `create` called by that helper), each with the modules its
    # frame had names for: where a param group can be added by a frame that names what its own
    # frame does not (GF013)
    callers: list[OptimizerCaller] = field(default_factory=list)
    # its param groups whose "params" was a one-shot iterator at a step() (a script's
    # `param_groups[0]["params"] = model.parameters()` after the optimizer was built): the first
    # zero_grad()/step() uses it up, every later one reads nothing (GF066)
    one_shot_groups: list[OneShotGroup] = field(default_factory=list)
    # the parameters it holds through a group whose "params" the script wrote after the optimizer
    # was built (`param_groups[0]["params"] = list(model.parameters())`), not a list torch made
    written_params: list[str] = field(default_factory=list)


@dataclass
class OneShotGroup:
    """A param group of an optimizer whose ``params`` was an iterator when a step() ran."""

    group: int  # its index in ``param_groups``
    kind: str  # the iterator's class: `generator`, `filter`, `list_iterator`
    step: Optional[Site]  # the first step() that met it
    steps: int = 0  # how many step() calls met it
    # one and the same iterator met by a second step(): the first used it up. A script that puts a
    # fresh `model.parameters()` in before every step() trains (each step reads its own).
    reused: bool = False


@dataclass
class BackwardFact:
    site: Optional[Site]
    grad_enabled: bool
    requires_grad: bool
    has_grad_fn: bool
    reached: list[str] = field(default_factory=list)
    # root-level module calls made with grad disabled since the previous backward call
    no_grad_forwards: list[Site] = field(default_factory=list)
    scope_optimizers: dict[str, int] = field(default_factory=dict)  # names bound to optimizers there
    # for a loss with no grad_fn: the user-code operation where its value lost the graph, computed
    # with gradients off from a tensor that required grad, or (graphless_by_cut) cut from it by
    # `.detach()`, `.data` ...; what was computed from that value carries the same origin
    graphless_origin: Optional[Site] = None
    graphless_by_cut: bool = False
    # the user calls that led to graphless_origin, innermost first (a forward's op, called under a
    # caller's `with torch.no_grad():`)
    graphless_callers: list[Site] = field(default_factory=list)
    # for a loss with no grad_fn: the user frames, innermost first, around the first forward run
    # with gradients off since the previous backward (or around the backward itself, when it ran
    # with them off). A caller further out that switched them off for a function it was handed (an
    # optimizer's `@torch.no_grad()` step calling the closure) is only seen here: GF065.
    grad_off_chain: list[Site] = field(default_factory=list)


@dataclass
class LooseTerm:
    """A scalar tensor with a graph that the frame calling ``backward()`` held, outside the loss it
    passed: a loss term computed and only logged (``.item()``, ``.data``) or kept in a list or dict
    that is never summed (GF063). Seen at the first few backward() calls of each site."""

    site: Site  # the backward() call
    name: str  # as the frame names it: ``loss_kl``, ``out["kl"]``, ``aux_losses`` (a list of them)
    kind: str  # "tensor", or "list" for a list or tuple of scalar tensors
    # the trainable leaves it reached that the loss passed to backward() did not, named as
    # Trace.params names them; at the end of the run, only those that no backward() ever reached
    leaves: list[str] = field(default_factory=list)


@dataclass
class AttributeFact:
    """A module attribute assigned in user code that matters for gradients."""

    owner: int
    owner_name: str  # e.g. "model" or "model.encoder"
    attr: str
    # "tensor" (a plain tensor, not a Parameter), "modules" (a list/dict of modules), "module",
    # "tensors" (a list/dict of trainable leaf tensors, Parameters or not), "parameter" (an nn.Parameter)
    kind: str
    site: Optional[Site]
    requires_grad: bool = False
    is_leaf: bool = True
    members: list[int] = field(default_factory=list)  # module ids held by a list/dict attribute
    mapping: bool = False  # the container was a dict (OrderedDict included), not a list or tuple
    # The dict's keys: "str" (all strings, as nn.ModuleDict wants them; a list's positions too),
    # "range" (the ints 0..n-1 in the order they were written, as a list would hold them) or "other"
    # (ints out of order, tuples: nn.ModuleDict refuses them until they are made strings).
    keys: str = "str"
    # "" when the container holds its modules/tensors itself; "dict" or "list" when every value is
    # itself a dict or a list of them (`self.w[rel] = {"w": nn.Parameter(...), "b": ...}`), which
    # members/tensors then flatten.
    inner: str = ""
    tensors: list[str] = field(default_factory=list)  # names of the tensors a "tensors" container holds
    replaced: Optional[int] = None  # the module this assignment replaced
    event: int = 0
    # For a parameter, a tensor that carries a graph, and a module assigned inside a module call: how
    # many times user code assigned it; the user frames that made the last assignment, innermost
    # first (a parameter made in a forward leads to the call of the model that made it exist);
    # whether that was inside a module call, and then the first dimension of the outermost call's
    # first tensor argument (its batch).
    count: int = 0
    chain: list[Site] = field(default_factory=list)
    in_call: bool = False
    batch: Optional[int] = None
    # For a tensor that carries a graph: the trainable leaves that graph reaches, named as
    # Trace.params names them (a few; only those the run knows: reached by a loss, held by an
    # optimizer or by a module). ``torch.exp(nn.Parameter(t))`` kept as it was made (GF043).
    leaves: list[str] = field(default_factory=list)
    # For a parameter assigned over another nn.Parameter of the same name: the optimizers that held
    # the one it replaced at that moment (`q.scale = nn.Parameter(stats)` after the optimizer was
    # built: they go on stepping the orphaned tensor).
    replaced_held: list[int] = field(default_factory=list)


@dataclass
class Lookup:
    """A lookup with gradients on whose integer indices came out of an op with no gradient: the op
    (embedding, gather, index_select, take_along_dim, getitem) and the user-code call that made it
    (for a torch module, ``nn.Embedding``, the call of the module). Once per op and site."""

    op: str
    site: Site


@dataclass
class Cut:
    """An operation in user code whose result no longer carries the gradient of its input."""

    op: str  # detach, data, item, tolist, numpy, tensor (a re-wrap), Variable, Parameter, argmax, gt, long, ...
    site: Site
    count: int = 1
    numbers: bool = False  # a re-wrap (tensor, as_tensor) of Python numbers or a list, not of one tensor
    # The trainable leaves the op's inputs reached at its first call, named as Trace.params names
    # them, of those only the ones that never held a non-zero gradient (GF017: where the values of
    # parameters that never trained lost their gradient); ``reach``: how many it reached in all.
    leaves: list[str] = field(default_factory=list)
    reach: int = 0
    # ``sample`` of a torch.distributions distribution: its class, and whether it has ``rsample()``
    distribution: str = ""
    rsample: bool = False
    # for the ops GF017 reads: a loss passed to backward() was computed from the op's result
    to_loss: bool = False
    # the torch ops that took the op's result (or what was computed from it) as the indices of a
    # lookup with gradients on: embedding, gather, index_select, take_along_dim, getitem. Indices
    # carry no gradient, so these are where the values were read instead of computed (GF060, GF017).
    lookups: list["Lookup"] = field(default_factory=list)


# Ops whose result only says which entry scored highest (GF060), and the plain cuts of a value's
# graph. The nearest entry (argmin / min of distances: a codebook lookup), a threshold (a
# comparison) and a draw (multinomial) are other faults with other fixes (GF017's).
_PICKS = {"argmax"}
_PICKED_VALUES = {"max", "topk", "kthvalue", "sort"}
_PLAIN_CUTS = {"detach", "data", "tensor", "as_tensor", "_values", "Variable", "Parameter"}


@dataclass
class OneElementNorm:
    """A softmax, log_softmax, softmin or cross-entropy called with gradients on, on a tensor that
    requires grad, over a dimension of size 1: its output is a constant (softmax 1, log_softmax 0, a
    loss of 0) and the gradient it passes back is exactly 0 (GF057). Once per site."""

    op: str  # softmax, log_softmax, softmin, cross_entropy
    site: Site  # the user-code call; for a torch module (nn.Softmax, nn.CrossEntropyLoss), the call of the module
    dim: int  # the dimension normalised over, counted from 0
    shape: list[int]  # the input's shape at the first such call
    count: int = 1
    module: str = ""  # the torch module whose forward made the call (nn.Softmax, nn.CrossEntropyLoss)
    module_site: Optional[Site] = None  # where that module was built
    # the input was the values a ``topk`` / ``max`` / ``kthvalue`` selected (one of them): the
    # selection came before the normalisation
    selected: bool = False
    int_target: bool = False  # cross_entropy given class indices (not probabilities)
    # the trainable leaves the input was computed from, at the first call, named as Trace.params names them
    leaves: list[str] = field(default_factory=list)


@dataclass
class SchedulerFact:
    """A learning-rate scheduler: where it was built, and for which optimizer."""

    cls: str
    site: Optional[Site]
    optimizer: Optional[int]
    steps: int = 0  # step() calls after it was built (the one its construction makes is not counted)
    loaded: Optional[Site] = None  # the user line that loaded a saved state into it (load_state_dict)
    # the user calls that led to its construction, innermost first after ``site`` (a helper
    # ``get_linear_schedule_with_warmup(optimizer, ...)`` of the script's own, called by the script)
    callers: list[Site] = field(default_factory=list)


@dataclass
class InPlaceOp:
    """An in-place operation, made under grad mode, on a tensor that is part of the graph (it
    requires grad and is not a leaf): the cause when backward() finds a saved tensor modified.
    Also one on a leaf that requires grad (``leaf``), which torch refuses at once."""

    op: str  # the torch function: add_ (also for ``+=``), __setitem__, masked_fill_, or relu for relu(inplace=True)
    site: Site  # the user-code line that ran it; for a torch module's own op, the line that called the module
    inplace_arg: bool = False  # a function called with inplace=True (F.relu(x, inplace=True), nn.ReLU(inplace=True))
    in_module: bool = False  # it ran in the forward of a torch module called (directly or not) from that line
    module: Optional[str] = None  # the torch module whose forward did it, e.g. "torch.nn.modules.activation.ReLU"
    module_site: Optional[Site] = None  # where that module was built
    grad_fn: str = ""  # grad_fn class of the modified tensor before the op, e.g. "ReluBackward0"
    # other grad_fn classes of what it touched: the modified view's base, the tensor after the op
    related: list[str] = field(default_factory=list)
    shapes: list[list[int]] = field(default_factory=list)  # shapes of the modified tensor (and its base), a few
    out_of_place: bool = False  # Tensor has the same method without the trailing underscore (add for add_)
    count: int = 1
    last: int = 0  # when it last ran, counted over all in-place ops: the latest one is the likeliest cause
    # the modified tensor was a leaf that requires grad (an nn.Parameter): torch raised at the op
    leaf: bool = False
    tensor: Optional[str] = None  # for a leaf: its name, as the parameters are named
    in_forward: bool = False  # it ran inside a module's forward (not at the script's own level)
    # a torch library call wrote a leaf that requires grad in place, with gradients off inside it
    # (an embedding with max_norm renormalises the rows it looks up): torch allows it, and a
    # backward() through an earlier use of that leaf finds it changed
    library: bool = False


@dataclass
class StepBeforeBackward:
    """backward() found a parameter modified in place since a forward saved it, and an optimizer
    holding it stepped in between (a GAN's D step before the backward of a G loss built on D)."""

    params: list[str]  # parameters the message matches (shape, version) that the step changed
    optimizer: Optional[int]
    step_sites: list[Site]  # the step() call: the innermost user frame first, then its callers
    backward_sites: list[Site]  # the backward() that crashed, likewise
    # calls of the modules holding those parameters whose outputs that backward's graph uses, each
    # as its user frames (innermost first): the forward to run again after the step
    forwards: list[list[Site]] = field(default_factory=list)
    # for each of backward_sites' frames: names bound to tensors that carry no graph there
    graphless: list[list[str]] = field(default_factory=list)


@dataclass
class InnerNoGradCall:
    """A module with trainable parameters called with gradients off from inside the forward of a
    module that ran with them on: a ``with torch.no_grad():`` in a ``forward``, or a helper with
    ``@torch.no_grad()`` that a ``forward`` calls."""

    module: int  # the module called (its ModuleFact id)
    site: Site  # the user-code call


@dataclass
class OwnWeightsForward:
    """A forward that ran with the module's own parameters where the loss needed the weights held
    for it: a module whose ``forward`` takes its weights as an argument (``params=None``,
    ``weights=None``, ``vars=None``: MAML's functional forward) called without them (or with
    others), or a ``torch.func.functional_call`` given another dict. Recorded when a loss built on
    that call left the adapted weights out: ``torch.autograd.grad`` was asked for tensors its graph
    does not reach, or (``silent``) a ``backward()`` reached none of the adapted weights in scope."""

    site: Site  # the user-code call: `model(x)`, `functional_call(model, params, (x,))`
    module: int  # the module it called (its ModuleFact id)
    cls: str
    arg: str  # forward's parameter for the weights (`params`), or functional_call's dict parameter
    position: Optional[int] = None  # index of the call's positional argument that gave it
    given: bool = False  # the call passed a value for it (None, or weights that are not the ones asked for)
    other_weights: bool = False  # what it passed was weights (other ones), not None
    functional: bool = False  # a torch.func.functional_call
    # names the calling frame bound to containers (list, tuple, dict) of the weights the loss left
    # out, those holding the most of them first: names and counts only, never values
    names: list[str] = field(default_factory=list)
    loss_site: Optional[Site] = None  # the autograd.grad() or backward() whose loss left them out
    silent: bool = False  # a backward() whose loss reached none of the adapted weights (no crash)
    unreached: int = 0  # how many tensors autograd.grad was asked for that the loss did not reach
    count: int = 1


@dataclass
class CheckpointCall:
    """Activation checkpointing (``torch.utils.checkpoint.checkpoint`` or ``checkpoint_sequential``)
    called from one user-code site with gradients on, with one variant."""

    site: Site  # the user's call; for checkpoint_sequential, that call (not torch's per-segment ones)
    api: str  # "checkpoint" or "checkpoint_sequential"
    reentrant: bool  # the reentrant variant ran: use_reentrant=True, or not given (torch's old default)
    explicit: bool  # use_reentrant was passed
    calls: int = 0
    # calls none of whose tensor arguments required grad: the reentrant variant then returns an output
    # without a graph, and nothing inside gets a gradient
    graphless_calls: int = 0
    output_requires_grad: bool = False  # the output of some such call required grad all the same
    # index of the first floating-point tensor among the call's positional arguments (the function is 0)
    tensor_arg: Optional[int] = None
    # parameters of the modules that ran inside its calls
    params: list[str] = field(default_factory=list)


@dataclass
class GradWipe:
    """User code that left the gradients a backward() had just computed at 0, or None, before an
    optimizer's step() applied them: a clip with a max of 0, a multiplication by 0, a clearing loop.
    (``zero_grad()`` itself is in ``Trace.order``.)"""

    op: str  # clip_grad_norm_, clip_grad_value_, mul_, zero_, fill_, ... or "grad = None" / "grad = tensor"
    site: Site  # the innermost user-code frame of the call
    optimizer: int  # the optimizer whose step() then found those gradients wiped
    steps: int = 0  # how many of that optimizer's steps found them wiped
    params: list[str] = field(default_factory=list)  # the parameters whose gradients it wiped
    limit: Optional[float] = None  # a clip's max_norm / clip_value, when it is a number
    total_norm: Optional[float] = None  # clip_grad_norm_: the norm it measured before clipping, the first time
    factor: Optional[float] = None  # an in-place op's number argument (the 0 of mul_(0))
    callers: list[Site] = field(default_factory=list)  # the user frames further out, innermost first


@dataclass
class ParamWrite:
    """User code wrote into parameters outside any optimizer's step, once training had begun: a
    momentum, EMA or target-network update (``p_k.data = m * p_k.data + (1 - m) * p_q.data``,
    ``p_k.mul_(m).add_(p_q, alpha=1 - m)``, ``torch._foreach_lerp_(...)``). One per user instruction."""

    sites: list[Site]  # the instruction's user frame, then the user calls around it (innermost first)
    params: list[str]  # the parameters it wrote into, named as Trace.params names them
    count: int = 0


@dataclass
class CopyBackward:
    """A ``backward()`` whose loss reached parameters copied from others (a module copied by
    ``copy.deepcopy``, or given another module's ``state_dict()``), per user-code site: whether
    the gradients it left on the copy were applied to the copy (by an optimizer's step, or a write
    into its parameters) or dropped with it, and what the backward's frame calls the copy and the
    module it was copied from (GF047). Names only, never values."""

    site: Site
    copy: str  # the name bound there to the copied module the loss reached: `learner`, `self.fast`
    source: Optional[str] = None  # the name bound there to the module it was copied from: `model`
    sources: list[str] = field(default_factory=list)  # the parameters the reached copies were copied from
    # zip(source.parameters(), copy.parameters()) pairs each parameter of the copy with its own source
    aligned: bool = False
    complete: bool = False  # every copied parameter the loss reached is one of that copy's
    covers: bool = False  # the loss reached every parameter of the copy
    reached_sources: bool = False  # the loss reached the sources themselves too
    held_grads: bool = False  # the copy's parameters already held gradients when the backward began
    count: int = 0
    applied: int = 0  # calls whose gradients a step() or a write into the copy then applied
    lost: int = 0  # calls whose gradients nothing applied before the copy was dropped or the run ended


@dataclass
class ScalerCall:
    """A ``GradScaler`` method (``unscale_``, ``step`` or ``update``) called from one user-code
    site: each optimizer's unscaled/stepped state lasts until ``update()``, and a second
    ``unscale_``/``step`` before it raises (GF042)."""

    kind: str  # "unscale_", "step" or "update"
    scaler: int  # which GradScaler, numbered in the order the probe first saw them
    enabled: bool  # a disabled scaler does nothing here and never raises
    # the call's user frame, then the user calls around it that called one another directly,
    # innermost first (a library's frame in between ends the list)
    sites: list[Site]
    # for each of ``sites``' frames: the names bound to the scaler there (``scaler``, ``self.scaler``)
    names: list[list[str]] = field(default_factory=list)
    # for each of ``sites``' frames: how many separate calls of its function made this call (a
    # ``train_step`` called once per batch); a module's frame counts once
    invocations: list[int] = field(default_factory=list)
    optimizers: list[int] = field(default_factory=list)  # the optimizers passed (unscale_, step)
    count: int = 0


# What people type for "off" (each is True for bool()): the usual casings as typed, any other
# casing as its lower case. A BoolOption names one of these by its index, never by the script's text.
FALSE_SPELLINGS = ("False", "false", "FALSE", "F", "f", "0", "No", "no", "NO", "N", "n", "Off", "off", "OFF", "")


@dataclass
class BoolOption:
    """An argparse option that user code declared with ``type=bool``, parsed from a string that means
    false ("False", "0", "no", "off", ""): ``bool()`` of any non-empty string is True, so the option
    came out True. Recorded once per ``add_argument`` site, only when that happened."""

    site: Site  # the add_argument call
    parsed: Optional[Site] = None  # the user call that parsed it (parse_args, parse_known_args)
    spelling: int = -1  # the string: its index in FALSE_SPELLINGS (a number, so no text of the run)
    from_default: bool = False  # the string was the option's default (or set_defaults), not an argument
    count: int = 0


@dataclass
class MixedDtypeLoss:
    """A loss function (``huber_loss``, ``mse_loss``, ``binary_cross_entropy``...), called from user
    code with gradients on, given an input and a target of two floating dtypes (float32 predictions,
    a float64 target read from a float64 table). The forward promotes; some losses' backward then
    refuses: "Found dtype Double but expected Float" (GF096). Once per site."""

    op: str
    site: Site
    input_dtype: str
    target_dtype: str


@dataclass
class SingularInput:
    """An op with an infinite (or undefined) derivative at some inputs, called from user code with
    gradients on, on a tensor that requires grad and holds such an input: ``sqrt`` (or a 2-norm)
    at 0, ``log`` at 0 or below, ``acos``/``asin`` at 1 or beyond. Its backward gives inf or NaN
    there, which the chain rule spreads to every parameter behind it (GF092). Once per site."""

    op: str
    site: Site
    count: int = 0


@dataclass
class HalfAutocast:
    """An autocast region user code opened that runs its math in float16 (``dtype=torch.float16``,
    or CUDA's default), enabled: gradients that pass through it are float16 too, and without a
    ``GradScaler`` the small ones round to 0 (GF071). Once per site."""

    site: Site  # the autocast(...) call
    count: int = 0


@dataclass
class OptionalArgsCall:
    """Calls from one user-code site of a module whose ``forward`` has parameters that default to
    None (``time_emb=None``, ``context=None``, ``mask=None``): which of them the calls gave a value
    (not None) and which they never passed. Recorded for a module's first few calls only."""

    module: int  # the module called (its ModuleFact id)
    site: Site  # the user-code call: `self.final_res_block(x)`
    given: list[str] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)  # left out at every call from here (its default None used)
    # where each optional parameter goes among the call's positional arguments (self not counted);
    # -1 for a keyword-only one
    positions: dict[str, int] = field(default_factory=dict)
    count: int = 0


@dataclass
class SkippedSubmodule:
    """A submodule that never ran in one instance of a class whose forward ran with gradients on,
    while the same submodule of other instances of that class ran with them: a branch of forward
    skipped it in this instance only (the query :meth:`Trace.skipped_submodules` finds them)."""

    instance: ModuleFact  # the instance whose forward skipped it
    submodule: ModuleFact  # the submodule that never ran there (the outermost one)
    attr: str  # its path below the instance: `time_mlp`
    siblings: list[ModuleFact]  # other instances of the class in which it ran with gradients on


@dataclass
class CallEvent:
    kind: str  # "backward", "zero_grad", "step"
    optimizer: Optional[int]
    site: Optional[Site]


@dataclass
class TypoSet:
    """``x.require_grad = ...`` (or ``module.requires_grad = True``): an attribute torch ignores."""

    name: str
    value: bool
    site: Site
    attr: str = "require_grad"  # the attribute written
    on_module: bool = False  # set on an nn.Module: `name` is each of its parameters frozen at that moment


@dataclass
class ModuleCall:
    """One module call on the path of an exception, innermost first."""

    module: int
    cls: str
    site: Optional[Site]  # the user-code call that made it
    arg_dtypes: list[Optional[str]]  # dtype of each positional argument that is a tensor
    arg_ids: list[Optional[int]]
    param_dtype: Optional[str]  # dtype of the module's own floating-point parameters


@dataclass
class GradBuffer:
    """A floating-point buffer that requires grad, of a module with no parameter: a weight kept as
    a buffer (``register_buffer("weight", w.requires_grad_())``), which ``parameters()`` never yields."""

    name: str  # the module's name in scope, then its path under it: `model.fc1.weight`
    cls: str  # the qualified class of the module that registered it
    shape: list[int] = field(default_factory=list)


@dataclass
class Crash:
    type: str
    message: str
    site: Optional[Site]  # innermost user-code frame
    # names bound to nn.Module instances in the scope of that frame: name -> module id
    scope_modules: dict[str, int] = field(default_factory=dict)
    module_calls: list[ModuleCall] = field(default_factory=list)
    exit_code: Optional[int] = None  # set when the script called sys.exit with a non-zero code
    # names in that frame bound to a tensor that has a grad_fn ("tensor") or to a tuple or list of
    # tensors, some with one ("tuple", "list"), and such state kept on objects by attribute path
    # ("self.hidden", "model.hidden", "self.model.hidden"): names and kinds only, never values
    graph_locals: dict[str, str] = field(default_factory=dict)
    rank: Optional[int] = None  # in a multi-process run: the rank whose process raised it
    # names in that frame bound to tensors that do not require grad, or to small lists and tuples
    # holding some: for each, the parameters among them, named as Trace.params names them (empty
    # for a tensor that is no parameter): which tensor an autograd API refused (GF052)
    gradless: dict[str, list[str]] = field(default_factory=dict)
    # modules in that frame's scope with no parameter at all, by name: their buffers that require
    # grad (an optimizer over such a module's parameters() got an empty list, GF001)
    grad_buffers: dict[str, list[GradBuffer]] = field(default_factory=dict)


@dataclass
class RankFact:
    """One process of a multi-process run (``torch.multiprocessing.spawn``, ``--nproc-per-node``):
    how it ended, and a cheap checksum of each parameter at its end, to compare the replicas."""

    rank: int
    finished: bool = False
    timed_out: bool = False
    crash: Optional[Crash] = None
    steps: int = 0
    checksums: dict[str, float] = field(default_factory=dict)
    # the collective it was blocked in when the run's time ran out, or that failed because its peer was gone
    waiting_in: str = ""


@dataclass
class OptimizerCaller:
    """A user call further out than an optimizer's construction: where it was, and the names its
    frame had for modules then."""

    site: Site
    scope_modules: dict[str, int] = field(default_factory=dict)


@dataclass
class OptimizerHolder:
    """A user object that keeps an optimizer in an attribute, or keeps an object that does: an
    instance of ``cls`` (a class of the user's code, defined in ``file``) whose ``attr`` leads to it."""

    cls: str  # the class's qualified name: `TZRecOptimizer`, `Trainer.Wrapper`
    file: str
    attr: str


@dataclass
class StepCall:
    """An optimizer's step() calls made through one chain of user calls: the user frame that called
    step() (directly, or through ``scaler.step(opt)``), then the user calls around it, innermost
    first. How a training function or a helper was given the optimizer it steps (GF055)."""

    optimizer: int
    sites: list[Site]
    # for each of ``sites``' frames: the names bound to optimizers there (`self.x` for a non-module self)
    names: list[dict[str, int]] = field(default_factory=list)
    count: int = 0
    # optimizers that hold parameters which the backward() calls since the previous step reached
    # and this step's optimizer does not hold: the gradients were theirs (a discriminator's loss
    # followed by the generator optimizer's step)
    others: list[int] = field(default_factory=list)
    held_none: bool = False  # at one of those steps its optimizer held none of what they reached


@dataclass
class ConditionTest:
    """A test of an ``if`` whose block calls ``step()`` or ``zero_grad()``, in user code, each
    operand of an ``and`` on its own: how many times it ran, and how many of those it held (GF055:
    the step of an optimizer that never stepped sits under a condition that never held)."""

    site: Site  # the operand's exact span
    evaluated: int = 0
    held: int = 0


@dataclass
class UnsteppedLoop:
    """A ``for`` loop of user code that ran to its end with backward() calls in it and no optimizer
    step: a whole epoch of gradient accumulation whose step condition never held (GF014)."""

    site: Site  # the loop's iterable
    passes: int = 0  # how many times it ran to its end so
    backwards: int = 0  # the backward() calls of the last of those passes


@dataclass
class EmptyLoader:
    """A ``DataLoader`` that user code iterated and that had no batch to give: a dataset smaller
    than one batch with ``drop_last=True``, or an empty dataset (GF080)."""

    site: Site  # the user line that iterated it
    samples: int  # len(dataset)
    batch_size: Optional[int]
    drop_last: bool


@dataclass
class UnreachedBranch:
    """An ``if`` in a ``for`` loop whose test waits on the loop's progress (``if epoch ==
    unfreeze_at``), one of whose arms never ran: gradfix cut the loop before it, having gone on past
    the cut as far as its budget allowed. What that arm does (a later phase) was not diagnosed."""

    site: Site  # the if's test
    orelse: bool = False  # the arm that never ran is its else (an elif's test is its own if)


@dataclass
class WrapperBypass:
    """A module wrapped in ``DistributedDataParallel`` called directly (``net(x)``) while the
    wrapper (``model = DDP(net)``) never ran: its gradients are never all-reduced."""

    site: Site  # the user-code call of the bare module
    module: int  # the bare module (its ModuleFact id)
    wrapper: int  # the DDP wrapper that holds it
    module_names: list[str] = field(default_factory=list)  # names that frame binds to the bare module
    wrapper_names: list[str] = field(default_factory=list)  # names that frame binds to the wrapper
    count: int = 0


@dataclass
class NoSyncUse:
    """``no_sync()`` of a ``DistributedDataParallel`` wrapper, called from one user-code site. DDP
    decides at the wrapper's forward whether the backward of that graph all-reduces: a forward run
    inside ``no_sync()`` leaves its gradients on the rank until a later synced backward reduces
    what accumulated. Counted here: the backward() calls of graphs the wrapper built inside it, and
    the optimizer steps that applied such local gradients with no synced backward after them (GF048)."""

    site: Site  # the no_sync() call
    wrapper: int  # the DDP wrapper (its ModuleFact id)
    wrapper_names: list[str] = field(default_factory=list)  # names that frame binds to the wrapper
    backwards: int = 0
    steps: int = 0  # steps whose gradients this use left local (no synced backward came after it)
    backward_site: Optional[Site] = None  # the first of those backward() calls


@dataclass
class WrapperChange:
    """A module that a ``DistributedDataParallel`` wrapper holds, changed by user code after the
    wrapper was built: a layer or a parameter assigned into it (``net.fc = nn.Linear(...)``), or its
    parameters converted (``model.double()``). DDP all-reduces the parameters it was built with, in
    buckets of their dtype: a new parameter is never all-reduced, one taken out never gets a
    gradient again (DDP refuses the next iteration), a converted one is reduced wrongly (GF049)."""

    sites: list[Site]  # the change's user frame, then the user calls around it, innermost first
    wrapper: int  # the DDP wrapper (its ModuleFact id)
    kind: str  # "assigned" (a module or parameter attribute) or "converted" (to, double, half ...)
    wrap_site: Optional[Site] = None  # the DDP(...) call that built the wrapper
    # the index in ``sites`` of the frame that also built the wrapper (the statement a fix moves),
    # the names that frame binds to the wrapper now, and those it bound to the module when it wrapped it
    wrapping_frame: Optional[int] = None
    wrapper_names: list[str] = field(default_factory=list)
    module_names: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)  # parameters it added or converted, as Trace.params names them
    dropped: bool = False  # it took parameters DDP holds out of the module: they get no gradient any more
    count: int = 0


@dataclass
class OrphanedOptimizer:
    """An optimizer that was never built (unpickled, or deep-copied on its own) stepping tensors
    that are copies of a running module's parameters: same shapes, in order, and the same values
    at its first step, while that module's parameters get gradients no optimizer holds. The copy
    or load that made the two apart broke the link between them (GF064)."""

    cls: str
    sites: list[Site]  # the user frame that called step(), then the user calls around it, innermost first
    frame: int  # the index in ``sites`` of the outermost frame that names both the optimizer and the module
    optimizer_path: str  # what that frame calls the optimizer: `optimizer`, `n2.optimizer_`
    module_path: str  # and the module that ran: `model`, `n2.module_`
    groups: int = 1  # its parameter groups
    params: list[str] = field(default_factory=list)  # the module's parameters, as Trace.params names them


@dataclass
class GroupClash:
    """An optimizer refused a parameter group holding parameters that an earlier group of it holds
    (``ValueError: some parameters appear in more than one parameter group``): each group's
    parameters, named as Trace.params names them, in the order torch was given them (GF054)."""

    site: Optional[Site]  # the user call that raised: the optimizer's constructor, or add_param_group
    refused: int  # the index of the group torch refused; the groups before it were accepted
    groups: list[list[str]] = field(default_factory=list)  # the groups after it too, as far as the constructor was given them
    # add_param_group called on an optimizer already built (its OptimizerFact id); None: in the constructor
    optimizer: Optional[int] = None
    unread: list[int] = field(default_factory=list)  # groups whose parameters could not be read without running user code


@dataclass
class Trace:
    script: str
    argv: list[str]
    version: int = TRACE_VERSION
    torch_version: str = ""
    finished: bool = False  # the script ran to its end (or the probe stopped it after enough steps)
    stopped_early: bool = False
    backward_cap: int = 0  # the run was stopped at gradfix's limit of this many backward passes (0: it was not)
    loops_cut: int = 0  # for loops that gradfix ended early (each after a few training iterations)
    late_stop: str = ""  # the script failed in plain Python after its loops were shortened: the run ends there
    timed_out: bool = False
    events: int = 0  # how far the run got: module builds, optimizers, forwards, backwards, steps
    crash: Optional[Crash] = None
    modules: list[ModuleFact] = field(default_factory=list)
    params: list[ParamFact] = field(default_factory=list)
    optimizers: list[OptimizerFact] = field(default_factory=list)
    backwards: list[BackwardFact] = field(default_factory=list)
    loads: list[Site] = field(default_factory=list)
    attributes: list[AttributeFact] = field(default_factory=list)
    cuts: list[Cut] = field(default_factory=list)
    # loss terms with a graph that a backward()'s frame held beside the loss it passed (GF063)
    loose_terms: list[LooseTerm] = field(default_factory=list)
    # max / min / topk / sort / kthvalue over a dimension, per site, as cuts: their indices carry
    # no gradient, their values do (GF060: a router whose scores were only used to pick)
    selections: list[Cut] = field(default_factory=list)
    # softmax / log_softmax / cross-entropy over a dimension of size 1, per site (GF057)
    one_element_norms: list[OneElementNorm] = field(default_factory=list)
    inplace_ops: list[InPlaceOp] = field(default_factory=list)  # in-place ops on graph tensors, a few per site
    order: list[CallEvent] = field(default_factory=list)  # the first calls, in order
    grad_switches: list[Site] = field(default_factory=list)  # set_grad_enabled(False) calls
    # torch.autograd.grad calls asked to differentiate an output that has no graph (no grad_fn),
    # a few per site: a recomputation with gradients off (in a custom Function's backward)
    graphless_grads: list[Site] = field(default_factory=list)
    # module calls with gradients off inside a forward that ran with them on, a few per site
    inner_no_grad_calls: list[InnerNoGradCall] = field(default_factory=list)
    # forwards that ran with the module's own weights where the loss needed the adapted ones (MAML)
    own_weights_forwards: list[OwnWeightsForward] = field(default_factory=list)
    typos: list[TypoSet] = field(default_factory=list)
    # lines that set requires_grad back to True before the first backward() and never after it:
    # set-up that already ran (unfreezing the norm layers), not a schedule still to come
    setup_thaws: list[Site] = field(default_factory=list)
    stepped_before_backward: Optional[StepBeforeBackward] = None
    schedulers: list[SchedulerFact] = field(default_factory=list)
    checkpoints: list[CheckpointCall] = field(default_factory=list)  # activation checkpointing, per site
    # writes into parameters by user code outside any optimizer step (momentum and EMA copies), per site
    param_writes: list[ParamWrite] = field(default_factory=list)
    cuda_emulated: bool = False
    # names the script looked up in os.environ and did not find (256 at most): names
    # only, so a crash on a variable the sandbox dropped can say so
    missing_env: list[str] = field(default_factory=list)
    grad_wipes: list[GradWipe] = field(default_factory=list)
    # GradScaler methods called from user code, per site (GF042)
    scaler_calls: list[ScalerCall] = field(default_factory=list)
    # calls of user-defined modules whose forward has optional (None by default) parameters, per site
    optional_arg_calls: list[OptionalArgsCall] = field(default_factory=list)
    # A multi-process run: the facts above are those of rank ``rank`` (the first that crashed, else
    # the lowest that reported), with a parameter's got_grad / reached / changed true only when
    # true in every rank that has it; ``ranks`` says how each process ended.
    rank: Optional[int] = None
    world_size: int = 0
    ranks: list[RankFact] = field(default_factory=list)
    # parameters whose values differ between the ranks at the end: replicas that drifted apart
    replicas_differ: list[str] = field(default_factory=list)
    hung: str = ""  # one line: the rank that was still blocked (and where) when the time ran out
    wrapper_bypasses: list[WrapperBypass] = field(default_factory=list)
    # what the ranks were given instead of what they asked for on this machine (nccl -> gloo)
    distributed_notes: list[str] = field(default_factory=list)
    # backward() calls into copies of other modules' parameters, per site (GF047)
    copy_backwards: list[CopyBackward] = field(default_factory=list)
    # no_sync() calls of DDP wrappers, per site, and the steps that followed a synced backward (GF048)
    no_sync_uses: list[NoSyncUse] = field(default_factory=list)
    synced_steps: int = 0
    # collectives (all_reduce, broadcast ...) the script ran itself on a wrapped module's parameters
    # or gradients: a reduction by hand (local SGD, averaged gradients) that no_sync() leaves to it
    own_reductions: int = 0
    # modules held by DDP wrappers changed by user code after the wrapping (GF049)
    wrapper_changes: list[WrapperChange] = field(default_factory=list)
    # for loops that ran to their end with backward() calls and no optimizer step, per loop (GF014)
    unstepped_loops: list[UnsteppedLoop] = field(default_factory=list)
    empty_loaders: list[EmptyLoader] = field(default_factory=list)  # iterated, and no batch in them
    # branches waiting on a loop's progress that never ran before gradfix cut the loop: the phases
    # they start were not diagnosed, and the report says so
    unreached_branches: list[UnreachedBranch] = field(default_factory=list)
    # a parameter group an optimizer refused: it shares parameters with another group (GF054)
    group_clash: Optional[GroupClash] = None
    # step() calls per chain of user calls, and the tests of ifs around step()/zero_grad() (GF055)
    step_calls: list[StepCall] = field(default_factory=list)
    condition_tests: list[ConditionTest] = field(default_factory=list)
    # optimizers never built that step copies of a running module's parameters (GF064)
    orphaned_optimizers: list[OrphanedOptimizer] = field(default_factory=list)
    # argparse options declared type=bool that a string meaning false made True (GF070)
    bool_options: list[BoolOption] = field(default_factory=list)
    # float16 autocast regions opened by user code, per site, and how many enabled GradScalers the
    # run made (GF071)
    half_autocasts: list[HalfAutocast] = field(default_factory=list)
    enabled_scalers: int = 0
    # steps of enabled GradScalers, and those it skipped because the gradients held inf or NaN
    scaler_steps: int = 0
    scaler_skips: int = 0
    singular_inputs: list[SingularInput] = field(default_factory=list)
    mixed_dtype_losses: list[MixedDtypeLoss] = field(default_factory=list)

    # -- queries used by rules and verification -------------------------------------------------

    def param(self, name: str) -> Optional[ParamFact]:
        for p in self.params:
            if p.name == name:
                return p
        # The same parameter under a wrapper's `.module` (DDP, DataParallel): a run that crashed
        # before `accelerator.prepare()` or `DDP(model)` named it unwrapped, the re-run past the
        # crash names it wrapped, and a verdict compares the two.
        plain = unwrapped_name(name)
        same = [p for p in self.params if unwrapped_name(p.name) == plain]
        return same[0] if len(same) == 1 else None

    def module(self, module_id: int) -> Optional[ModuleFact]:
        for m in self.modules:
            if m.id == module_id:
                return m
        return None

    @property
    def steps(self) -> int:
        return sum(o.steps for o in self.optimizers)

    def params_of(self, module_id: int) -> list[ParamFact]:
        return [p for p in self.params if p.module == module_id]

    def graphless_backward(self) -> Optional[BackwardFact]:
        """The backward() that crashed because its loss carries no graph (no grad_fn), if any."""
        crash = self.crash
        if crash is None or "does not require grad" not in crash.message or not self.backwards:
            return None
        backward = self.backwards[-1]
        return None if backward.has_grad_fn or backward.requires_grad else backward

    def optimized_params_that_ran(self) -> list[str]:
        """Trainable leaf parameters an optimizer holds whose model ran with gradients on: what a
        backward() that crashed was there to train."""
        ran = {m.id for m in self.modules if m.ran_with_grad}
        return [
            p.name for p in self.params
            if p.requires_grad and p.is_leaf and p.optimizers and (p.module is None or p.module in ran)
        ]

    def copies_trained_instead(self, optimizer: OptimizerFact) -> list[str]:
        """Parameters trained in a ``DistributedDataParallel`` wrapper in place of ``optimizer``'s:
        copies of them, or the parameters they were copied from (``copy.deepcopy``,
        ``load_state_dict``), that receive gradients no optimizer holds, while ``optimizer`` steps
        and none of its own parameters ever receives one (GF050)."""
        held = [p for n in optimizer.params if (p := self.param(n)) is not None]
        if not optimizer.steps or not held or any(p.got_grad for p in held):
            return []
        names = {p.name for p in held}
        sources = {p.copy_of for p in held if p.copy_of}
        wrappers = {m.id for m in self.modules if m.cls.endswith(".DistributedDataParallel") and m.ran_with_grad}
        return [
            p.name for p in self.params
            if p.module in wrappers and p.got_grad and not p.optimizers and (p.copy_of in names or p.name in sources)
        ]

    def meant_to_train(self) -> list[str]:
        """Parameters that require grad and an optimizer holds; when no optimizer holds any (the
        script crashed before it built one), all that require grad."""
        held = [p.name for p in self.params if p.requires_grad and p.optimizers]
        return held or [p.name for p in self.params if p.requires_grad]

    def params_cut_off(self) -> list[str]:
        """Trainable parameters an optimizer holds, of modules that ran with gradients on, that no
        backward() reached: the graph was cut between them and the loss."""
        ran = {m.path for m in self.modules if m.ran_with_grad and m.path}
        return [
            p.name for p in self.params
            if p.requires_grad and not p.reached and p.optimizers and p.name.rsplit(".", 1)[0] in ran
        ]

    def params_in_loose_terms(self) -> list[str]:
        """Of the parameters cut off (``params_cut_off``), those that a loss term held beside the
        loss reached (``loose_terms``): the term was computed and never added (GF063)."""
        # A loss rebuilt from numbers (`torch.tensor(aux.item(), requires_grad=True)`) in the
        # backward()'s function did take the term in, through a cut: GF008's, which keeps the tensor.
        rewrapped = {(c.site.file, c.site.function) for c in self.cuts if c.op in ("tensor", "as_tensor", "Variable", "Parameter")}
        loose = {
            name for term in self.loose_terms if (term.site.file, term.site.function) not in rewrapped for name in term.leaves
        }
        return [name for name in self.params_cut_off() if name in loose]

    def params_without_derivative(self) -> list[str]:
        """Parameters behind a call of a function torch computes without a derivative
        (``torch.special.bessel_j0``; the probe records those as cuts named ``special_*``): what
        cuts them off is that function (GF109's), not an output left unused nor a ``.detach()``."""
        return sorted({name for c in self.cuts if c.op.startswith("special_") for name in c.leaves})

    def params_only_selected(self) -> list[str]:
        """Of the parameters cut off (``params_cut_off``), those whose values went into an op that
        only picks the highest (``argmax``, the indices of ``max``/``topk``), with no ``.detach()``
        or re-wrap of theirs going into a loss: scores used only to choose (GF060)."""
        picked = {name for c in self.selections if c.op in _PICKED_VALUES for name in c.leaves}
        picked |= {name for c in self.cuts if c.op in _PICKS for name in c.leaves}
        cut_elsewhere = {name for c in self.cuts if c.op in _PLAIN_CUTS and c.to_loss for name in c.leaves}
        return [name for name in self.params_cut_off() if name in picked and name not in cut_elsewhere]

    def params_run_without_grad(self) -> list[str]:
        """Trainable parameters of modules that ran with gradients off and never got one."""
        return [
            p.name
            for m in self.modules if m.ran_without_grad
            for p in self.params_of(m.id)
            if p.requires_grad and not p.got_grad
        ]

    def skipped_submodules(self) -> list[SkippedSubmodule]:
        """Submodules with parameters that never ran (with gradients or without) in one instance of
        a user-defined class whose forward ran with gradients on, while the same submodule of other
        instances of the class did run with them. A layer no instance runs (a head used in another
        method, one for another task) and torch's own layers (a MultiheadAttention's out_proj) are
        not among them."""
        by_path = {m.path: m for m in self.modules if m.path}
        ran = {m.path for m in self.modules if m.path and (m.ran_with_grad or m.ran_without_grad)}
        trained = {m.path for m in self.modules if m.path and m.ran_with_grad}

        def any_ran(path: str, paths: set[str]) -> bool:
            # A container (a Sequential, a ModuleList) counts as run when any module inside it ran.
            return path in paths or any(p.startswith(f"{path}.") for p in paths)

        def below(path: str, paths: set[str]) -> set[str]:
            return {p[len(path) + 1 :] for p in paths if p.startswith(f"{path}.")}

        with_params = {p.name.rsplit(".", 1)[0] for p in self.params if "." in p.name}
        found = []
        for sub in self.modules:
            if not sub.path or "." not in sub.path or any_ran(sub.path, ran):
                continue
            if not any(n == sub.path or n.startswith(f"{sub.path}.") for n in with_params):
                continue
            # The outermost module that never ran: its parent ran, so the parent's forward chose
            # not to call it (a parent of torch's own, a Sequential or a ModuleList, chooses nothing).
            parent = by_path.get(sub.path.rsplit(".", 1)[0])
            if parent is None or not parent.path or not parent.ran_with_grad or parent.cls.startswith("torch."):
                continue
            attr = sub.path[len(parent.path) + 1 :]
            # An instance counts when it ran this layer and every layer of its own that this one
            # ran. One that took another branch instead (`else: h = self.norm(h)`) uses the class
            # another way: a layer unused in each instance is then the class's design, not an omission.
            mine = below(parent.path, ran)
            siblings = [
                m for m in self.modules
                if m.cls == parent.cls and m.id != parent.id and m.path and m.ran_with_grad
                and f"{m.path}.{attr}" in by_path and any_ran(f"{m.path}.{attr}", trained)
                and mine & below(m.path, set(by_path)) <= below(m.path, ran)
            ]
            # When nothing of its own ran, the forward may have returned early at random (LayerDrop):
            # only an input its calls never gave, and the siblings' calls did, says it was a branch.
            if siblings and (mine or self._not_given(parent.id, {m.id for m in siblings})):
                found.append(SkippedSubmodule(parent, sub, attr, siblings))
        return found

    def _not_given(self, module: int, others: set[int]) -> list[str]:
        """Optional inputs that no recorded call of ``module`` gave a value and a call of ``others`` did."""
        own = [c for c in self.optional_arg_calls if c.module == module]
        given = {n for c in self.optional_arg_calls if c.module in others for n in c.given}
        return [n for n in own[0].positions if n in given and not any(n in c.given for c in own)] if own else []

    # -- JSON -----------------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Trace":
        return _build(cls, json.loads(text))


@functools.lru_cache(maxsize=None)
def _fields(kind: Any) -> tuple[tuple[str, Any], ...]:
    # get_type_hints evaluates the annotations anew on every call: once per class, not per object.
    import typing

    hints = typing.get_type_hints(kind)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(kind))


def _build(kind: Any, data: Any) -> Any:
    """Rebuild nested dataclasses from the dicts that ``dataclasses.asdict`` produced."""
    return kind(**{name: _convert(hint, data[name]) for name, hint in _fields(kind) if name in data})


def _convert(hint: Any, value: Any) -> Any:
    import typing

    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value)
    if origin is list:
        return [_convert(args[0], v) for v in value]
    if origin is dict:
        return {k: _convert(args[1], v) for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return _build(hint, value)
    # The trace is written by the script's process, which may lie: a number some rule writes into
    # a fix (an input size, a batch size) must be a number, not text that happens to be code.
    if hint is bool and type(value) is not bool:
        raise ValueError(f"trace: expected a bool, got {type(value).__name__}")
    if hint is int and type(value) is not int:
        raise ValueError(f"trace: expected an int, got {type(value).__name__}")
    if hint is float and type(value) not in (int, float):
        raise ValueError(f"trace: expected a number, got {type(value).__name__}")
    if hint is str and type(value) is not str:
        raise ValueError(f"trace: expected a string, got {type(value).__name__}")
    return value


def unwrapped_name(name: str) -> str:
    """A parameter's name without the `.module` segments a data-parallel wrapper adds."""
    return name.replace(".module.", ".")


def path_parts(name: str) -> list[str]:
    """The segments of a module or parameter name as the trace writes it: ``self.q1.0.weight`` ->
    ``["self", "q1", "0", "weight"]``."""
    return name.split(".")


def is_under(name: str, path: list[str]) -> bool:
    """Whether the module or parameter ``name`` lies strictly inside the module whose name has the
    segments ``path`` (``self.q1.0.weight`` is under ``["self", "q1"]``, ``self.q1`` is not). The
    empty path, the script's globals, holds every name."""
    parts = path_parts(name)
    return parts[: len(path)] == path and len(parts) > len(path)

