"""GF018: parameters meant to train ended the run unchanged, and no other rule explains it.

The promise behind "No gradient problems found" is that everything meant to train did change. A
parameter is meant to train when it still requires a gradient at the end of the run, an optimizer
holds it and steps (an optimizer built with a learning rate of 0 counts only when nothing in the
run changed: beside parameters that train, it is a way of freezing), it required a gradient at one
of that optimizer's steps (gates a warm-up thaws at a later epoch than the run saw were asked
nothing yet), and it took part in the run (its module ran, or a loss reached it). A layer that never ran can be unused on purpose, so it
counts only when its instance alone skipped it: the instance's forward ran, and other instances
of the class ran that layer (and all this one ran), as a time-conditioned block inside an
``nn.Sequential`` that passes its input alone. When such parameters end the run as they began
and no other rule explains why, gradfix says so anyway, with the evidence it has: did a loss
reach them, did a gradient arrive, was it ever non-zero, what learning rate the last step used,
which instances ran the layer this one skipped, whether a DataLoader's worker processes ran its
module (its dataset or collate function holds it: those processes send back data, not a graph; the
probe does not see them, so such a module counts as having taken part) (in a
DistributedDataParallel model told to find unused parameters, "a loss reached them" is DDP's doing:
its sink joins every output into the graph). It has no fix of its own (display-only): the
cause is one gradfix has no rule for (a custom autograd.Function whose backward returns None, a
hook that zeroes gradients, clipping to a norm of 0, a loss term weighted 0, a parameter group
whose schedule keeps its rate at 0).

A parameter that received gradients and stayed as it was while another parameter of the same
module changed is left alone: the loss does not depend on it (the bias of a layer followed by batch
norm gets a gradient of rounding noise; a critic's last bias one of exactly zero, as it cancels in
a Wasserstein loss). Not so a parameter that is no bias whose gradient was exactly zero in every
entry at every step: rounding noise is never that, a sigmoid saturated where the value starts (a
threshold initialised at -150) is.

Parameters that no optimizer holds are meant to train too when the evidence says the script left
them out by mistake: they require grad, took part in a run whose optimizers step (a loss reached
them), received gradients that are not zero, ended unchanged, and were not loaded (a loaded network
kept out of the optimizer is a fixed instrument: a perceptual loss, a transfer-attack surrogate).
An optimizer that holds only plain tensors optimises an input (style transfer): the network around
it is not reported. Frozen on purpose is ``requires_grad=False`` and no optimizer, or a module run
under ``no_grad`` in the forward while the optimizer was built over what requires grad
(``gradfix/deliberate_freeze.py``, judged as GF002 judges it); a GAN's discriminator, whose
gradients the generator's step computes, is held by its own optimizer.

Parameters kept in an ``nn.ParameterList`` or ``nn.ParameterDict`` take part when the module that
holds the container runs (the container itself never does): a dict handed whole to an
``autograd.Function``, which autograd does not look into, leaves them without a gradient (a list
handed so is GF085's, with a fix). A model
that never ran while the optimizer that holds it changed another of its parameters was trained by
other means than its forward (``backward()`` called on its last parameter with the critic's action
gradient): the rest of it counts as meant to train. And in a run where nothing changed at all, an
optimizer that steps holding no parameter (its groups built from what required grad, after a helper
froze everything) is reported with the frozen parameters of the modules that ran.

This rule runs once, on the last run of the repair loop, and names only parameters that no other
finding names.
"""

from __future__ import annotations

from typing import Optional

from gradfix.deliberate_freeze import frozen_by_forward_block
from gradfix.findings import Applicability, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.trace import ModuleFact, OptimizerFact, ParamFact, Site, SkippedSubmodule, Trace


def _module_of(name: str) -> str:
    # A parametrized tensor (`critic.2.parametrizations.weight.original`) belongs to the layer
    # that holds the parametrization, as its plain weight would.
    if ".parametrizations." in name:
        return name.split(".parametrizations.", 1)[0]
    return name.rsplit(".", 1)[0] if "." in name else name


def _shift(param: ParamFact) -> bool:
    """A bias: the one kind of parameter a loss can be exactly invariant to."""
    return "bias" in param.name.rsplit(".", 1)[-1]


def _models_that_never_ran(trace: Trace, ran: set[int]) -> list[str]:
    """The paths of whole models (modules no other module holds) that never ran, nor any module
    inside them (a method that runs some of its layers, `autoencoder.reconstruct(x)`, ran the
    model: what it left out may be unused on purpose), not even in a DataLoader's workers."""
    held = {child for m in trace.modules for child in m.children}
    inside_ran = {m.path for m in trace.modules if m.id in ran and m.path}
    return [
        m.path for m in trace.modules
        if m.path and m.id not in held and m.id not in ran and not m.in_workers
        and not any(path.startswith(f"{m.path}.") for path in inside_ran)
    ]


def _trained_around(param: ParamFact, never_ran: list[str], optimizer: OptimizerFact, trace: Trace) -> bool:
    """The parameter's model never ran, and yet the optimizer that holds it changed another of that
    model's parameters: it was trained by other means than its forward (``backward()`` called on
    one parameter), so the rest of it was meant to train as well. A model that never ran and of
    which nothing changed is left alone: it may be unused on purpose."""
    model = next((path for path in never_ran if param.name.startswith(f"{path}.")), None)
    return model is not None and any(
        p.changed and optimizer.id in p.optimizers and p.name.startswith(f"{model}.") for p in trace.params
    )


def _under_ddp(params: list[ParamFact], trace: Trace) -> bool:
    """Every one of these parameters belongs to a model a ``DistributedDataParallel`` wrapper holds."""
    wrappers = [m.path for m in trace.modules if m.cls.endswith(".DistributedDataParallel") and m.path]
    return bool(wrappers) and all(any(p.name.startswith(f"{w}.") for w in wrappers) for p in params)


def _run_in_workers(params: list[ParamFact], trace: Trace) -> Optional[ModuleFact]:
    """The module a DataLoader's workers run that holds one of these parameters, if any."""
    for m in trace.modules:
        if m.in_workers and m.path and any(p.name.startswith(f"{m.path}.") for p in params):
            return m
    return None


# Layers whose weight gradient is the input times the gradient their bias receives.
_INPUT_TIMES_BIAS_GRAD = frozenset({
    "torch.nn.modules.linear.Linear", "torch.nn.modules.linear.LazyLinear",
    "torch.nn.modules.conv.Conv1d", "torch.nn.modules.conv.Conv2d", "torch.nn.modules.conv.Conv3d",
    "torch.nn.modules.conv.ConvTranspose1d", "torch.nn.modules.conv.ConvTranspose2d",
    "torch.nn.modules.conv.ConvTranspose3d", "torch.nn.modules.conv.LazyConv1d",
    "torch.nn.modules.conv.LazyConv2d", "torch.nn.modules.conv.LazyConv3d",
})


def _starved_weight(param: ParamFact, trace: Trace) -> Optional[ModuleFact]:
    """The layer of a weight whose gradient was zero at every step while the layer's bias got a
    gradient that was not and changed: the layer's input was zero at every step."""
    layer, _, leaf = param.name.rpartition(".")
    if leaf != "weight" or not param.got_grad or param.nonzero_grad:
        return None
    bias = trace.param(f"{layer}.bias")
    if bias is None or not (bias.nonzero_grad and bias.changed):
        return None
    return next((m for m in trace.modules if m.path == layer and m.cls in _INPUT_TIMES_BIAS_GRAD), None)


def _why(params: list[ParamFact], optimizer: OptimizerFact, trace: Trace) -> str:
    they, them = ("it", "it") if len(params) == 1 else ("they", "them")
    starved = [p for p in params if _starved_weight(p, trace) is not None]
    if starved and len(starved) == len(params):
        layers = short_list([p.name.rpartition(".")[0] for p in starved])
        return (
            f"{'its' if they == 'it' else 'their'} gradient is zero at every step while the bias of "
            f"{'the same layer' if they == 'it' else 'each of these layers'} trains, so the input of {layers} is zero "
            "at every step (values scaled to [0, 1] and stored in an integer array or cast to an integer "
            "dtype, an all-zero mask, dead ReLUs before it?)"
        )
    if any(p.got_grad for p in params):
        receive = "receives" if they == "it" else "receive"
        last = next((lr for lr in reversed(optimizer.lrs) if lr is not None), None)
        if optimizer.initial_lr == 0 and not any(optimizer.lrs):
            return f"{they} {receive} gradients, but the optimizer was built with a learning rate of 0 and it stayed 0"
        if last == 0:
            return f"{they} {receive} gradients, but the learning rate was 0 at the last step"
        if not any(p.grad_at_step for p in params):
            hold = "holds" if they == "it" else "hold"
            return (
                f"{they} {receive} gradients, but {hold} none when the optimizer steps: the gradient is cleared "
                "(None) at every step, so the backward before each step never reaches "
                f"{them} (the loss of this optimizer leaves {them} out?)"
            )
        if not any(p.nonzero_grad for p in params):
            return (
                f"{they} {receive} gradients, but every one of them is zero at every step (a hook that zeroes "
                "them, clipping to a norm of 0, a loss term weighted 0 or masked out, a sigmoid or a clamp saturated "
                "where the value starts?)"
            )
        return (
            f"{they} {receive} gradients that are not zero, but the steps leave {them} as {they} "
            f"{'was' if they == 'it' else 'were'} (a learning rate of 0 for {'its' if they == 'it' else 'their'} parameter group?)"
        )
    in_workers = _run_in_workers(params, trace)
    if in_workers is not None and not any(p.reached for p in params):
        where = f" the loader iterated at line {in_workers.workers_site.line}" if in_workers.workers_site else " a loader"
        return (
            f"{'its module runs' if they == 'it' else 'their modules run'} only in the DataLoader's worker processes "
            f"({where.strip()} holds `{in_workers.in_workers}`, with num_workers > 0): what "
            f"{'it computes' if they == 'it' else 'they compute'} there reaches the training process as data, without a graph, "
            f"so no loss reaches {them} (call the module in the model's forward, not in the data pipeline)"
        )
    if any(p.reached for p in params) and _under_ddp(params, trace):
        # DDP told to find unused parameters joins every output of the model into the graph
        # (one autograd node over all of them), so "reached" says nothing: an output the loss
        # leaves out still gets no gradient.
        computes = "it computes" if they == "it" else "they compute"
        return (
            f"no loss in this run is computed from what {computes}: the DistributedDataParallel model returns "
            f"it beside the outputs the loss uses, and DDP, told to find unused parameters, skips {them} (a branch "
            "that joins the loss only in a phase the run did not reach, such as after a warm-up, stays as it began)"
        )
    if any(p.reached for p in params):
        return (
            f"a loss reaches {them}, but no gradient arrives (a custom autograd.Function or a hook that "
            "returns None, or a graph rebuilt under no_grad?)"
        )
    if trace.backwards and not any(b.has_grad_fn for b in trace.backwards):
        return "no loss passed to backward() carries a graph (was it built with gradients off, then marked requires_grad?)"
    owners = {p.module for p in params}
    classes = {m.cls for m in trace.modules if m.id in owners}
    names = {p.name for p in params}
    # Made without being built (a deepcopy), or given these parameters' values parameter by
    # parameter (the probe saw each copy made: a load_state_dict of the model's state_dict()).
    copies = sorted({
        m.name or m.cls for m in trace.modules
        if m.id not in owners and any(q.got_grad for q in trace.params_of(m.id))
        and ((m.site is None and m.cls in classes) or any(q.copy_of in names for q in trace.params_of(m.id)))
    })
    if copies:
        return (
            f"no loss reaches {them}: the losses reach copies of the model ({', '.join(copies[:2])}, made by "
            "copy.deepcopy or loaded), whose gradients no step of this optimizer applies"
        )
    return f"no loss reaches {them}, so {they} never {'receives' if they == 'it' else 'receive'} a gradient"


def _skip_hint(trace: Trace, skip: SkippedSubmodule) -> str:
    """What the calls say about why an instance's forward skipped a layer its siblings ran."""
    own = [c for c in trace.optional_arg_calls if c.module == skip.instance.id]
    siblings = {m.id for m in skip.siblings}
    given = {n for c in trace.optional_arg_calls if c.module in siblings for n in c.given}
    if own:
        missing = [n for n in own[0].positions if n in given and not any(n in c.given for c in own)]
        if missing:
            inputs = " and ".join(f"`{n}`" for n in missing)
            return f"its calls pass None for {inputs}, which the other instances' calls give a value"
    parent = next((m for m in trace.modules if m.path and skip.instance.path and m.path == skip.instance.path.rsplit(".", 1)[0]), None)
    if not own and parent is not None and parent.cls == "torch.nn.modules.container.Sequential":
        return "it runs inside an nn.Sequential, which passes it its input alone"
    return "an optional argument not passed to this one, a flag it does not have?"


class UnchangedParameters(Rule):
    code = "GF018"
    title = "parameters meant to train never changed"
    applicability = Applicability.DISPLAY_ONLY
    final = True

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        ran = {m.id for m in trace.modules if m.ran_with_grad or m.ran_without_grad}
        # A parameter is "in" a module that ran when its owner is its module or an ancestor of it:
        # the trace keeps the root owner, and names tell the submodule.
        ran_paths = {m.path for m in trace.modules if m.id in ran and m.path}
        # Modules a DataLoader's worker processes run (its dataset holds them): they took part, in
        # processes the probe does not watch.
        ran_paths |= {m.path for m in trace.modules if m.in_workers and m.path}
        # A ParameterList or ParameterDict never runs itself: its parameters take part when the
        # module that holds it runs (and hands them to an autograd.Function, a functional call).
        ran_paths |= {
            m.path for m in trace.modules
            if m.path and "." in m.path and m.cls.endswith((".ParameterList", ".ParameterDict")) and m.path.rsplit(".", 1)[0] in ran_paths
        }
        changed_modules = {_module_of(p.name) for p in trace.params if p.changed}
        # A layer that an assignment replaced is no longer part of the model: what it held is the
        # business of the finding about that assignment (GF026, GF010), with or without a fix. The
        # trace keeps the last replacement of each attribute; the layers a line in forward() built
        # at earlier calls were replaced too.
        replacing = [a for a in trace.attributes if a.replaced is not None and a.site is not None]
        lines = {(a.site.file, a.site.line) for a in replacing}  # type: ignore[union-attr]
        replaced = {a.replaced for a in replacing} | {
            m.id for m in trace.modules if m.site is not None and (m.site.file, m.site.line) in lines
        }
        # A submodule that one instance of a class never ran while the other instances of the class
        # ran theirs: its forward skipped it in this instance only. A layer no instance runs (a head
        # used in another method, for another task) is not among them: it may be unused on purpose.
        skipped = {
            p.name: skip for skip in trace.skipped_submodules()
            for p in trace.params if p.name.startswith(f"{skip.submodule.path}.")
        }
        # A fixed feature extractor run under no_grad in the forward, with an optimizer built over
        # what requires grad: frozen on purpose, as GF002 judges it.
        on_purpose = frozen_by_forward_block(trace, project)
        never_ran = _models_that_never_ran(trace, ran)
        findings = []
        # A group built with lr=0 beside parameters that train is a way of freezing. When nothing
        # in the whole run changed, the run trained nothing, which nobody means.
        anything_trained = any(p.changed for p in trace.params)
        for optimizer in trace.optimizers:
            # An optimizer that never stepped, in a script where others did: what it holds is
            # meant to train once it receives gradients (a step applied to the wrong optimizer).
            if not optimizer.steps and not trace.steps:
                continue
            # An optimizer that steps while nothing it holds ever receives a gradient is idle: all
            # of it was meant to train, even a model that never ran itself (MAML that backpropagates
            # into a deep copy of it instead).
            idle = optimizer.steps > 0 and not any(p.got_grad for p in trace.params if optimizer.id in p.optimizers)
            stale = [
                p for p in trace.params
                if optimizer.id in p.optimizers and p.requires_grad and p.is_leaf and not p.changed
                and p.name not in self.explained and p.module not in replaced and p.name not in on_purpose
                and not (p.lr_zero and anything_trained)
                # Thawed after the last step the run saw (a warm-up that unfreezes gates at a
                # later epoch): nothing was asked of it yet.
                and (p.trainable_at_step or not optimizer.steps)
                and (p.got_grad if not optimizer.steps else (
                    idle or p.reached or p.got_grad or p.name.rsplit(".", 1)[0] in ran_paths or p.name in skipped
                    # a tensor of no module that the script names, handed to the optimizer: meant
                    # to train (a learned perturbation, a prompt kept as a global), whatever reached
                    # it; not one a module let go of (`<tensor#0>`, replaced after the optimizer)
                    or (p.module is None and not p.name.startswith("<"))
                    or _trained_around(p, never_ran, optimizer, trace)
                ))
            ]
            # A parameter that received gradients and stayed as it was while another parameter of
            # its own module changed: the loss does not depend on it (the bias of a layer followed
            # by batch norm gets a gradient of rounding noise): nothing to train there. A whole
            # module left as it was is another matter: a hook, a clipping or a loss weight of 0
            # took its gradients away. So is a gradient of exactly zero in every entry at every
            # step of a parameter that is not a shift: rounding noise is never that; a saturated
            # sigmoid (a threshold initialised at -150, which underflows to 0) or a clamp at its
            # bound is. A bias can be exactly zero: a critic's last bias cancels in a Wasserstein
            # loss (mean of one batch minus mean of another), a logit bias in a softmax over it.
            # Not so a layer's weight whose gradient was zero at every step while its own bias
            # trained: a Linear's or a convolution's weight gradient is its input times what its
            # bias receives, so the input was zero (pixels scaled to [0, 1] into an integer array,
            # dead ReLUs before it).
            stale = [
                p for p in stale
                if not (p.got_grad and (p.nonzero_grad or _shift(p)) and _module_of(p.name) in changed_modules)
                or _starved_weight(p, trace) is not None
            ]
            if optimizer.steps:
                findings += self._skipped(trace, project, optimizer, [p for p in stale if p.name in skipped], skipped)
                stale = [p for p in stale if p.name not in skipped]
            if not stale:
                continue
            site = optimizer.site or self._step_site(trace, optimizer)
            if site is None or not project.is_editable(site.file):
                continue
            names = [p.name for p in stale]
            one = len(names) == 1
            if optimizer.steps:
                steps = f"{optimizer.steps} step{'s' if optimizer.steps != 1 else ''}"
                why = _why(stale, optimizer, trace)
            else:
                steps, why = "the run", "this optimizer never stepped, while others did"
            message = (
                f"{short_list(names)} {'is' if one else 'are'} held by the optimizer built here and "
                f"{'requires' if one else 'require'} grad, but {'it' if one else 'they'} never changed in "
                f"{steps}: {why}; gradfix knows no rule that explains it"
            )
            findings.append(self.finding(project, site, message, names))
        if not anything_trained:
            findings += self._nothing_held(trace, project, ran_paths)
        return findings + self._unheld(trace, project, replaced, changed_modules)

    def _nothing_held(self, trace: Trace, project: Project, ran_paths: set[str]) -> list[Finding]:
        """An optimizer that steps holding no parameter at all, in a run where nothing changed: it
        was built from what required grad when everything was frozen (a helper that freezes the
        whole model, adapters included), and every step is a no-op. The frozen parameters of the
        modules that ran are named; nothing else in the run says what was meant to train."""
        findings = []
        for optimizer in trace.optimizers:
            if not optimizer.steps or optimizer.params:
                continue
            site = optimizer.site or self._step_site(trace, optimizer)
            if site is None or not project.is_editable(site.file):
                continue
            frozen = [
                p for p in trace.params
                if not p.requires_grad and p.frozen_at and p.name not in self.explained and _module_of(p.name) in ran_paths
            ]
            if not frozen:
                continue
            where = frozen[0].frozen_at[0]
            names = [p.name for p in frozen]
            message = (
                f"the optimizer built here holds no parameter, and its {optimizer.steps} steps changed nothing: every parameter "
                f"of the modules that ran was frozen ({short_list(names)}; first at line {where.line}"
                f"{'' if where.file == site.file else ' of ' + where.file.rsplit('/', 1)[-1]}) before it was built; "
                "gradfix knows no rule that explains it"
            )
            findings.append(self.finding(project, site, message, names))
        return findings

    def _skipped(
        self, trace: Trace, project: Project, optimizer: OptimizerFact, params: list[ParamFact], skipped: dict[str, SkippedSubmodule],
    ) -> list[Finding]:
        """One finding per instance whose forward skipped submodules its siblings ran, at its call
        when the run saw one in user code, else at the line that built it (else the optimizer's)."""
        groups: dict[int, list[str]] = {}
        for p in params:
            groups.setdefault(skipped[p.name].instance.id, []).append(p.name)
        findings = []
        for names in groups.values():
            skip = skipped[names[0]]
            instance, cls = skip.instance, skip.instance.cls.rsplit(".", 1)[-1]
            paths = sorted({f"`{skipped[n].submodule.path}`" for n in names})
            layers = " and ".join(paths)
            calls = [c.site for c in trace.optional_arg_calls if c.module == instance.id and project.is_editable(c.site.file)]
            site = calls[0] if calls else instance.site
            site = site if site is not None and project.is_editable(site.file) else None
            site = site or optimizer.site or self._step_site(trace, optimizer)
            if site is None or not project.is_editable(site.file):
                continue
            one = len(names) == 1
            others = short_list([f"`{m.path}`" for m in skip.siblings], 3)
            steps = f"{optimizer.steps} step{'s' if optimizer.steps != 1 else ''}"
            message = (
                f"{layers} never ran in this {cls} (`{instance.path}`), while the other {cls} "
                f"instances ({others}) ran theirs: its forward skipped {'it' if len(paths) == 1 else 'them'} in this instance only "
                f"({_skip_hint(trace, skip)}), so {short_list(names)} "
                f"{'is' if one else 'are'} held by an optimizer and {'requires' if one else 'require'} grad, but "
                f"never changed in {steps}; gradfix knows no rule that explains it"
            )
            findings.append(self.finding(project, site, message, names))
        return findings

    def _unheld(self, trace: Trace, project: Project, replaced: set[Optional[int]], changed_modules: set[str]) -> list[Finding]:
        """Parameters that receive non-zero gradients in a run whose optimizers step, that no
        optimizer holds, and that end unchanged."""
        stepping = [o for o in trace.optimizers if o.steps]
        if not stepping:
            return []
        # Optimizers over plain tensors only optimise an input: the network is an instrument.
        module_params = {p.name for p in trace.params if p.module is not None or p.is_parameter}
        if not any(set(o.params) & module_params for o in stepping):
            return []
        loaded = [m.path for m in trace.modules if m.loaded and m.path]
        stranded = [
            p for p in trace.params
            if p.requires_grad and p.is_leaf and not p.optimizers and p.got_grad and p.nonzero_grad and p.reached
            and not p.changed and (p.module is not None or p.is_parameter)
            and p.name not in self.explained and p.module not in replaced
            and not any(p.name.startswith(f"{path}.") for path in loaded)
            and _module_of(p.name) not in changed_modules
        ]
        groups: dict[tuple[str, int, Optional[int]], tuple[Site, list[str]]] = {}
        owners: dict[tuple[str, int, Optional[int]], set[Optional[int]]] = {}
        for p in stranded:
            module = trace.module(p.module) if p.module is not None else None
            site = module.site if module is not None and module.site is not None and project.is_editable(module.site.file) else None
            site = site or stepping[0].site or self._step_site(trace, stepping[0])
            if site is None or not project.is_editable(site.file):
                continue
            groups.setdefault((site.file, site.line, site.column), (site, []))[1].append(p.name)
            owners.setdefault((site.file, site.line, site.column), set()).add(p.module)
        findings = []
        for key, (site, names) in groups.items():
            one = len(names) == 1
            built = len(owners[key])
            # The same line built a new module again and again (in a loop, or at every call).
            again = f" ({built} modules built at this line in the run, each one new)" if built > 1 else ""
            message = (
                f"{short_list(names)} {'receives' if one else 'receive'} gradients that are not zero, but no optimizer "
                f"holds {'it' if one else 'them'}{again}, so {'it' if one else 'they'} never changed while the optimizers stepped; "
                f"gradfix knows no rule that explains it (if {'it is' if one else 'they are'} meant to stay fixed, "
                f"set requires_grad=False on {'it' if one else 'them'})"
            )
            findings.append(self.finding(project, site, message, names))
        return findings

    @staticmethod
    def _step_site(trace: Trace, optimizer: OptimizerFact) -> "Site | None":
        return next((e.site for e in trace.order if e.kind == "step" and e.optimizer == optimizer.id and e.site), None)
