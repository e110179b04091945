"""The probe: instrumentation installed inside the sandboxed child before the user's script runs.

It patches torch (module construction and calls, optimizers, backward, ``requires_grad``,
``load_state_dict``) and turns what it sees into a :class:`~gradfix.trace.Trace`. Every fact is
tied to the user-code frame that caused it. The probe only observes: it never changes what the
script computes, except that it shortens the script's training loops (loops.py) and ends a run
that still goes on after enough optimizer steps. Each concern it watches has a file of its own:
naming.py (what the user calls things), watch_modules.py, watch_optimizers.py, watch_autograd.py,
watch_weights.py (forwards given their weights, MAML's fast weights),
watch_checkpoint.py (activation checkpointing), watch_copies.py (writes into parameters outside
optimizers: momentum and EMA copies), watch_scaler.py (GradScaler calls), watch_loaders.py (modules
run in DataLoader workers), watch_arguments.py (argparse options declared ``type=bool``),
function_mode.py (every torch call: CUDA on the CPU, graph cuts, in-place ops); this file holds
the state they share, the records of a crash, and the Trace written at the end.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any, Callable, Optional

import torch
import torch.nn as nn

from gradfix.sandbox.channel import NOWHERE
from gradfix.sandbox.facts import (
    UserCode, class_name, dtype_name, torch_class_name, group_tensors, modules_of, named_buffers_of, named_modules_of, named_parameters_of, parameters_of, site_of,
    storage_of,
)
from gradfix.sandbox.naming import Names, _held
from gradfix.sandbox.watch_arguments import ArgumentWatch
from gradfix.sandbox.watch_autograd import AutogradWatch
from gradfix.sandbox.watch_checkpoint import CheckpointWatch
from gradfix.sandbox.watch_gradients import GradientWatch
from gradfix.sandbox.watch_groups import GroupWatch
from gradfix.sandbox.watch_loaders import LoaderWatch
from gradfix.sandbox.watch_copies import CopyWatch
from gradfix.sandbox.watch_copy_grads import CopyGradWatch
from gradfix.sandbox.watch_modules import ModuleWatch, in_size
from gradfix.sandbox.watch_optimizers import OptimizerWatch
from gradfix.sandbox.watch_orphans import OrphanWatch
from gradfix.sandbox.watch_scaler import ScalerWatch
from gradfix.sandbox.watch_steps import StepWatch
from gradfix.sandbox.watch_weights import WeightsWatch
from gradfix.trace import (
    BackwardFact,
    CallEvent,
    Crash,
    GradBuffer,
    Cut,
    InnerNoGradCall,
    Lookup,
    InPlaceOp,
    ModuleFact,
    OptimizerFact,
    ParamFact,
    SchedulerFact,
    Site,
    StepBeforeBackward,
    Trace,
    TypoSet,
)

_TORCH_DIR = os.path.dirname(os.path.realpath(torch.__file__)) + os.sep
# The probe's own frames (a patched op calling torch's) stand between the script and torch.
_PROBE_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__))) + os.sep


def _mistaken_kind(error: BaseException) -> bool:
    """An attribute asked of the wrong kind of value: a string method of a tensor or module, a
    tensor's or module's attribute of a string (``for p, n in model.named_parameters()``, GF058).
    Fewer loop iterations do not make a tensor where a name was, so it is no late stop."""
    if not isinstance(error, AttributeError) or not isinstance(getattr(error, "name", None), str):
        return False
    subject, name = getattr(error, "obj", None), error.name
    if isinstance(subject, (torch.Tensor, nn.Module)):
        return hasattr(str, name)
    return isinstance(subject, str) and (hasattr(torch.Tensor, name) or hasattr(nn.Module, name))


class Probe(Names, ModuleWatch, OptimizerWatch, AutogradWatch, WeightsWatch, CheckpointWatch, GradientWatch, CopyWatch, ScalerWatch, CopyGradWatch, GroupWatch, StepWatch, OrphanWatch, LoaderWatch, ArgumentWatch):
    """The probe: its state, what it records, and the Trace it writes at the end. Each concern it
    watches is a part of its own (naming, watch_modules, watch_optimizers, watch_autograd)."""

    def __init__(
        self,
        script: str,
        argv: list[str],
        user_code: UserCode,
        max_steps: int,
        max_backwards: int,
        on_stop: Callable[[Trace], None],
    ):
        self.script = script
        self.argv = argv
        self.user = user_code
        self.max_steps = max_steps
        self.max_backwards = max_backwards
        self.cap_reached = False  # stopped at max_backwards: what came after (a late step) was not seen
        self.on_stop = on_stop
        # The run's channel to gradfix (channel.py; child.py sets it): each backward() and step
        # and each parameter's first value are told as they happen, for the Trace to be checked.
        self.channel: Any = NOWHERE
        self.finished_ids: list[int] = []  # the id of each parameter of the finished Trace, in its order
        self.events = 0
        self.modules: dict[int, nn.Module] = {}  # id -> module, in construction order
        self.module_sites: dict[int, Optional[Site]] = {}
        self.module_names: dict[int, str] = {}
        self._named_locally: set[int] = set()  # modules whose name came from a function's locals
        self.ran_with_grad: set[int] = set()
        self.eval_with_grad: set[int] = set()  # modules called at the top with gradients on, in evaluation mode
        self.eval_sites: dict[int, list[Site]] = {}  # module id -> where user code called eval() on it
        self.ran_without_grad: set[int] = set()
        self.loaded: set[int] = set()
        self.adopted: set[int] = set()  # recorded without being built: a deepcopy, an unpickled model
        self.loads: list[Site] = []
        self.optimizers: list[tuple[Any, OptimizerFact]] = []
        self.tensor_names: dict[int, str] = {}  # bare tensors handed to optimizers
        self.initial: dict[int, torch.Tensor] = {}  # parameter id -> value when first seen
        self.param_objects: dict[int, torch.Tensor] = {}
        self.got_grad: set[int] = set()
        self.nonzero_grad: set[int] = set()  # held a gradient with a non-zero element at some step
        self.grad_at_step: set[int] = set()  # held a gradient (not None) at a step of its own optimizer
        self.grad_peak: dict[int, float] = {}  # the largest |element| of its gradient at those steps
        self.trainable_at_step: set[int] = set()  # required grad at a step of its own optimizer
        self.lr_zero: set[int] = set()  # held in a group built with a learning rate of 0
        self.reached: set[int] = set()
        self.frozen_at: dict[int, list[Site]] = {}
        self.frozen_callers: dict[int, list[Site]] = {}  # the user call one level up, when there is one
        self.backwards: list[BackwardFact] = []
        self.pending_no_grad: list[Site] = []
        self.pending_no_grad_chain: list[Site] = []  # the user frames around the first of them
        self.depth = 0
        self.outer_grad = True  # grad mode of the module call the current one runs inside
        self.inner_no_grad: dict[tuple[int, int, Optional[int]], InnerNoGradCall] = {}
        self.in_backward = False
        self.crash: Optional[Crash] = None
        self.crash_gradless: dict[str, list[int]] = {}  # the crashed frame's tensors that do not require grad
        self.late_stop = ""  # why the run ended after its loops were shortened, when not by finishing
        self.finished_trace: Optional[Trace] = None
        self.module_events: dict[int, int] = {}
        self.assignments: dict[tuple[int, str], tuple[Optional[Site], Optional[int], int]] = {}
        # parameters (and layers made in a module call) assigned in user code: the frames that made
        # the last assignment, inside a module call or not, that call's batch, how many assignments
        self.made: dict[tuple[int, str], tuple[list[Site], bool, Optional[int], int]] = {}
        # parameters assigned in user code over a different nn.Parameter of the same name
        # (`q.scale = nn.Parameter(stats)`): the optimizers that held the replaced one at that
        # moment, by their Trace ids. They keep stepping a tensor the module no longer uses.
        self.replaced_held: dict[tuple[int, str], list[int]] = {}
        self.root_batch: Optional[int] = None  # the first dimension of the running top-level module call's input
        self.cuts: dict[tuple[str, str, int, Optional[int]], Cut] = {}
        self.cut_leaves: dict[tuple[str, str, int, Optional[int]], list[int]] = {}  # ids, per cut
        self.one_shot_met: dict[tuple[int, int], Any] = {}  # the iterator a group held at its last step()
        self.inplace_ops: dict[tuple[Any, ...], InPlaceOp] = {}  # by (op, user code, instruction) or (op, module)
        self.inplace_count = 0
        self.inplace_leaves: dict[tuple[Any, ...], int] = {}  # leaf in-place op -> the leaf's id
        # a backward() that found a parameter a step() changed since the forward: the fact, and the
        # ids of those parameters (named at the end)
        self.stepped_before_backward: Optional[tuple[StepBeforeBackward, list[int]]] = None
        self.order: list[CallEvent] = []
        self.grad_switches: list[Site] = []
        self.graphless_grads: list[Site] = []
        self.typos: list[TypoSet] = []
        # lines that set requires_grad back to True, before the first backward() and after it
        self.thaws_before_training: dict[tuple[str, int], Site] = {}
        self.thaws_in_training: set[tuple[str, int]] = set()
        self.thawed: set[int] = set()  # ids of parameters user code set requires_grad=True on
        self.schedulers: list[SchedulerFact] = []
        self.step_count = 0
        from gradfix.sandbox.loops import LoopCap

        self.loops = LoopCap(self, max_steps)
        self.cuda_emulated = False
        self.cuda_autocast_emulated = False  # a "cuda" autocast region was opened, as a CPU one
        self.loaded_storage: set[int] = set()  # storages user code copied values into
        from gradfix.sandbox.ranks import Ranks

        self.ranks = Ranks(self)  # the ranks a multi-process script starts (ranks.py)

    # -- frames -----------------------------------------------------------------------------------

    def user_frame(self, frame: Optional[types.FrameType]) -> Optional[types.FrameType]:
        while frame is not None and frame.f_code.co_filename not in self.user:
            frame = frame.f_back
        return frame

    def caller_site(self, depth: int = 2) -> tuple[Optional[Site], Optional[types.FrameType]]:
        frame = self.user_frame(sys._getframe(depth))
        return (site_of(frame) if frame is not None else None), frame

    def site_chain(self, frame: Optional[types.FrameType], limit: int = 3) -> list[Site]:
        """A user frame's site and those of the user frames that called it, innermost first: a
        call made inside a helper is fixed where the helper is called."""
        sites: list[Site] = []
        frame = self.user_frame(frame)
        while frame is not None and len(sites) < limit:
            sites.append(site_of(frame))
            frame = self.user_frame(frame.f_back)
        return sites


    def remember_params(self, params: Any) -> bool:
        """Record each parameter's value when first seen; False if some are still uninitialised
        (a lazy module before its first forward): ask again later."""
        if torch._C._are_functorch_transforms_active():
            return False  # inside vmap/grad the "parameters" are batched stand-ins that must not escape
        complete = True
        first: list[torch.Tensor] = []
        with self.channel.busy():
            for p in params:
                if isinstance(p, nn.parameter.UninitializedTensorMixin):
                    complete = False
                elif isinstance(p, torch.Tensor) and id(p) not in self.initial:
                    # Known is not remembered: all_params() lists every module's parameters when a
                    # step asks, a layer that has not run yet (a later phase's head) among them.
                    self.param_objects.setdefault(id(p), p)
                    self.initial[id(p)] = p.detach().clone()
                    first.append(p)
            if first:
                self.channel.first_seen(first)
        return complete

    # -- installation -----------------------------------------------------------------------------

    def install(self) -> None:
        self._install_module_tracking()
        self._install_freeze_tracking()
        self._install_optimizer_tracking()
        self._install_backward_tracking()
        self._install_weights_tracking()
        self._install_gradient_tracking()
        self._install_attribute_tracking()
        self._install_switch_tracking()
        self._install_typo_tracking()
        self._install_checkpoint_tracking()
        self._install_copy_tracking()
        self._install_copy_grad_tracking()
        self._install_scaler_tracking()
        self._install_group_tracking()
        self._install_step_tracking()
        self._install_orphan_tracking()
        self._install_loader_tracking()
        self._install_argument_tracking()
        from gradfix.sandbox.function_mode import ProbeMode, patch_cuda_runtime, patch_rewraps, patch_sampling

        patch_cuda_runtime(self)
        patch_rewraps(self)
        patch_sampling(self)
        self.loops.install()
        self.ranks.install()
        self.mode = ProbeMode(self)
        self.mode.__enter__()  # active until the process ends


    def record_cut(
        self, op: str, frame: types.FrameType, numbers: bool = False, inputs: tuple = (), distribution: Any = None,
        walks: int = 1,
    ) -> Optional[tuple[str, str, int, Optional[int]]]:
        """A cut in user code, once per site; at its first call (its first ``walks`` calls), the
        trainable leaves its ``inputs`` (the tensors that required grad) reached, and for
        ``sample``, its distribution. Its key, when it is recorded."""
        site = site_of(frame)
        key = (op, site.file, site.line, site.column)
        if key in self.cuts:
            self.cuts[key].count += 1
            if inputs and self.cuts[key].count <= walks:
                # a line inside a layer's forward runs once per layer: each layer's own leaves
                known = set(self.cut_leaves.get(key, []))
                more = [pid for pid, leaf in self.reachable(list(inputs)).items() if isinstance(leaf, nn.Parameter) or pid in self.param_objects]
                self.cut_leaves[key] = [*self.cut_leaves.get(key, []), *(pid for pid in more if pid not in known)]
        elif len(self.cuts) >= 200:
            return None
        else:
            cut = self.cuts[key] = Cut(op=op, site=site, numbers=numbers)
            if distribution is not None:
                cut.distribution, cut.rsample = type(distribution).__name__, bool(distribution.has_rsample)
            if inputs:
                # One walk of the graph per site: named at the end, when it is known which never trained.
                leaves = self.reachable(list(inputs))
                self.cut_leaves[key] = [
                    pid for pid, leaf in leaves.items() if isinstance(leaf, nn.Parameter) or pid in self.param_objects
                ]
        return key

    def note_lookup(self, key: Any, op: str, frame: Optional[types.FrameType]) -> None:
        """The result of this cut (or what was computed from it) gave the indices of a lookup,
        made by the user code at ``frame`` or below it."""
        cut = self.cuts.get(key)
        frame = self.user_frame(frame)
        if cut is None or frame is None or len(cut.lookups) >= 8:
            return
        site = site_of(frame)
        if not any(seen.op == op and seen.site.same_place(site) for seen in cut.lookups):
            cut.lookups.append(Lookup(op=op, site=site))

    def losses_from_cuts(self, keys: Any) -> None:
        """A loss passed to backward() was computed from the results of these cuts."""
        for key in keys:
            cut = self.cuts.get(key)
            if cut is not None:
                cut.to_loss = True

    def record_inplace(
        self,
        op: str,
        frame: types.FrameType,
        module: Optional[nn.Module],
        inplace_arg: bool,
        touched: tuple[str, list[str], list[list[int]]],
        leaf: Optional[torch.Tensor] = None,
        library: bool = False,
    ) -> None:
        """An in-place op on a graph tensor, once per user instruction, or per torch module that did
        it (``frame`` is then that module's forward): where, and what it modified (grad_fn classes
        and shapes, to match against autograd's message). ``leaf``: the op is about to modify a
        leaf that requires grad, which torch refuses; with ``library``, a torch call is about to write
        it with gradients off, which torch allows."""
        self.inplace_count += 1
        key = (op, id(module)) if module is not None else (op, frame.f_code, frame.f_lasti)
        if leaf is not None:
            key = (*key, "library" if library else "leaf")
        event = self.inplace_ops.get(key)
        grad_fn, related, shapes = touched
        if event is None:
            user = self.user_frame(frame) if module is not None else frame
            if user is None or len(self.inplace_ops) >= 64:
                return
            base = op[:-1] if op.endswith("_") and not op.startswith("__") else ""
            event = self.inplace_ops[key] = InPlaceOp(
                op=op,
                site=site_of(user),
                inplace_arg=inplace_arg,
                in_module=module is not None,
                module=class_name(module) if module is not None else None,
                module_site=self.module_sites.get(id(module)) if module is not None else None,
                grad_fn=grad_fn,
                out_of_place=bool(base) and hasattr(torch.Tensor, base),
                count=0,
            )
            if leaf is not None:
                event.leaf, event.library = not library, library
                self.remember_params([leaf])  # named at the end, like the parameters
                self.inplace_leaves[key] = id(leaf)
                outer: Optional[types.FrameType] = user
                while outer is not None and not event.in_forward:
                    event.in_forward = outer.f_code.co_name == "forward" and isinstance(outer.f_locals.get("self"), nn.Module)
                    outer = outer.f_back
        event.count += 1
        event.last = self.inplace_count
        for name in related:
            if name not in event.related and name != event.grad_fn and len(event.related) < 6:
                event.related.append(name)
        for shape in shapes:
            if shape not in event.shapes and len(event.shapes) < 6:
                event.shapes.append(shape)

    def record_call(self, kind: str, optimizer: Optional[int], site: Optional[Site]) -> None:
        if len(self.order) < 200:
            self.order.append(CallEvent(kind=kind, optimizer=optimizer, site=site))


    # -- facts ------------------------------------------------------------------------------------


    def all_params(self) -> dict[int, torch.Tensor]:
        for module in list(self.modules.values()):
            for p in parameters_of(module):
                # First seen here (a model that is never called itself, only copied, or only its
                # submodules): its value now is the one a later step is compared with.
                if id(p) not in self.param_objects and not self.remember_params([p]):
                    self.param_objects.setdefault(id(p), p)
        return self.param_objects


    def record_crash(self, error: BaseException) -> None:
        tb = error.__traceback__
        user_tb = innermost = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename in self.user:
                user_tb = tb
            if not os.path.realpath(tb.tb_frame.f_code.co_filename).startswith(_PROBE_DIR):
                innermost = tb
            tb = tb.tb_next
        if (
            self.loops.cut and self.step_count and innermost is not None
            and not innermost.tb_frame.f_code.co_filename.startswith(_TORCH_DIR) and not _mistaken_kind(error)
            and getattr(error, "_gradfix_failed_op", None) is None
        ):
            # Plain Python failing after gradfix shortened a training loop (an assertion on the
            # final accuracy, an index into a loss history) is the shortening's doing, not the
            # script's: the run ends there, as if it had finished.
            self.late_stop = f"{type(error).__name__} after gradfix shortened the training loops"
            return
        site = None
        scope: dict[str, int] = {}
        graph_locals: dict[str, str] = {}
        grad_buffers: dict[str, list[GradBuffer]] = {}
        if user_tb is not None:
            frame = user_tb.tb_frame
            site = site_of(frame, lasti=user_tb.tb_lasti, lineno=user_tb.tb_lineno)
            self.adopt(frame)  # the model handed to a crashed optimizer may come from torch.load
            self.learn_names(frame)
            scope = self.scope_modules(frame)
            graph_locals = self.graph_locals(frame)
            self.crash_gradless = _gradless_locals(frame)
            grad_buffers = {name: found for name, mid in scope.items() if (found := _grad_buffers(name, self.modules[mid]))}
        self.crash = Crash(
            type=type(error).__name__,
            message=_first_line(error),
            site=site,
            scope_modules=scope,
            module_calls=list(getattr(error, "_gradfix_module_calls", [])),
            graph_locals=graph_locals,
            grad_buffers=grad_buffers,
        )


    def record_exit(self, code: int, message: str = "") -> None:
        if self.loops.cut and self.step_count:
            self.late_stop = f"exit status {code} after gradfix shortened the training loops"
            return
        said = f": {message}" if message else ""
        self.crash = Crash(type="SystemExit", message=f"exited with status {code}{said}", site=None, exit_code=code)

    # -- the end ----------------------------------------------------------------------------------

    def stop(self, stopped_early: bool = False, timed_out: bool = False) -> None:
        self.on_stop(self.finish(stopped_early=stopped_early, timed_out=timed_out))

    def finish(self, stopped_early: bool = False, timed_out: bool = False) -> Trace:
        if self.finished_trace is not None:
            return self.finished_trace
        main = sys.modules.get("__main__")
        if main is not None:
            for name, value in list(vars(main).items()):
                if name.startswith("__"):
                    continue
                # The script's own global names are what its author calls the models: they win
                # over a helper's parameter name (`fit(model, ...)` called for `first`, then `second`).
                # So are the entries of a global dict of modules (`targets["critic"]` handed to
                # `q(net, ...)`).
                for label, held in [(name, value), *_held(name, value)]:
                    if isinstance(held, nn.Module) and id(held) in self._named_locally:
                        self.module_names[id(held)] = label
                        self._named_locally.discard(id(held))
                self._learn(name, value)
        # A lazy parameter still uninitialised has no shape or value: a lazy module never called,
        # or the object that `.to(device)` replaced before the first call filled the new one in.
        params = {pid: p for pid, p in self.all_params().items() if not nn.parameter.is_lazy(p)}
        self.finished_ids = list(params)
        for mid, module in self.modules.items():
            if any(storage_of(p) in self.loaded_storage for p in parameters_of(module, recurse=False)):
                self.loaded.add(mid)
        for mid, copied in self.clones_of_templates().items():
            self.loaded.discard(mid)
            self.module_events[mid] = copied
        children: dict[int, list[int]] = {}
        contained: set[int] = set()
        for mid, module in self.modules.items():
            kids = [id(m) for m in modules_of(module) if m is not module and id(m) in self.modules]
            children[mid] = kids
            contained.update(kids)
        roots = [mid for mid in self.modules if mid not in contained]

        self.only_in_workers = self.worker_modules(self.ran_with_grad | self.ran_without_grad)
        paths = self._module_paths(roots)
        root_names = {mid: paths[mid] for mid in roots}
        owner: dict[int, tuple[int, str]] = {}
        for mid in roots:
            # An unnamed wrapper's module was named by the class the user wrote (naming.py): its
            # parameters take that name too, not `<DistributedDataParallel#1>.module.`.
            held = self.modules[mid]
            named = paths.get(id(getattr(held, "module", None)), "")
            prefix = named if named.startswith("<") and not named.startswith(f"{root_names[mid]}.") else root_names[mid]
            held = held.module if prefix is named else held
            for pname, p in named_parameters_of(held):
                owner.setdefault(id(p), (mid, f"{prefix}.{pname}"))
        self.name_copies(owner)
        for mid in roots:
            for bname, b in named_buffers_of(self.modules[mid]):
                if id(b) in params and id(b) not in owner:
                    # A buffer an optimizer was given (`[b for b in model.buffers() if b.requires_grad]`):
                    # named by its path, as a parameter would be, and not by a loop variable that
                    # last held it, so that a fix's re-run names it as the crashed run did.
                    self.tensor_names[id(b)] = f"{root_names[mid]}.{bname}"
        attributes = self._attribute_facts(paths)
        for fact in attributes:
            if fact.kind == "tensor":
                value = self.modules[fact.owner].__dict__.get(fact.attr)
                if isinstance(value, torch.Tensor):
                    self.tensor_names[id(value)] = f"{fact.owner_name}.{fact.attr}"

        optimizer_of: dict[int, list[int]] = {}
        for optimizer, fact in self.optimizers:
            fact.params = []
            fact.unnamed_params = 0
            fact.group_sizes = [len(group_tensors(group)) for group in optimizer.param_groups]
            for group in optimizer.param_groups:
                for p in group_tensors(group):
                    optimizer_of.setdefault(id(p), []).append(fact.id)
        facts: list[ParamFact] = []
        names_of: dict[int, str] = {}
        for pid, p in params.items():
            if pid in owner:
                module_id, name = owner[pid]
            else:
                module_id, name = None, self.tensor_names.get(pid, f"<tensor#{len(names_of)}>")
            names_of[pid] = name
            initial = self.initial.get(pid)
            if initial is not None and (initial.is_meta or p.is_meta):
                # A meta tensor (a model built on the meta device, materialised later by
                # `to_empty`) has no values to read or compare: it counts as never changed.
                initial = None
            changed = initial is not None and (
                initial.shape != p.shape or not torch.equal(initial, p.detach())
            )
            facts.append(
                ParamFact(
                    name=name,
                    module=module_id,
                    shape=list(p.shape),
                    dtype=dtype_name(p.dtype),
                    requires_grad=bool(p.requires_grad),
                    is_leaf=bool(p.is_leaf),
                    got_grad=pid in self.got_grad,
                    nonzero_grad=pid in self.nonzero_grad,
                    grad_at_step=pid in self.grad_at_step,
                    grad_peak=self.grad_peak.get(pid, 0.0),
                    trainable_at_step=pid in self.trainable_at_step,
                    lr_zero=pid in self.lr_zero,
                    reached=pid in self.reached,
                    optimizers=optimizer_of.get(pid, []),
                    changed=bool(changed),
                    frozen_at=self.frozen_at.get(pid, []),
                    frozen_callers=self.frozen_callers.get(pid, []),
                    thawed=pid in self.thawed,
                    is_parameter=isinstance(p, torch.nn.Parameter),
                    constant=initial is not None and initial.numel() > 0 and bool((initial == initial.reshape(-1)[0]).all()),
                    zeros=initial is not None and initial.numel() > 0 and not bool(initial.any()),
                    nonfinite=bool(changed) and _holds_nonfinite(p),
                )
            )
        for fact, p in zip(facts, params.values()):
            fact.copy_of = self.copied_from(p, names_of)
        for optimizer, fact in self.optimizers:
            for group in optimizer.param_groups:
                written = id(group.get("params")) not in self.torch_made_lists
                for p in group_tensors(group):
                    fact.params.append(names_of.get(id(p), "?"))
                    if written:
                        fact.written_params.append(names_of.get(id(p), "?"))
        for index, (pids, embeddings) in self.dense_for_sparse.items():
            self.optimizers[index][1].dense_grads = [names_of[pid] for pid in pids if pid in names_of]
            self.optimizers[index][1].dense_embeddings = embeddings
        for index, pids in self._reached_names.items():
            self.backwards[index].reached = sorted(names_of[p] for p in pids if p in names_of)
        from gradfix.sandbox.function_mode import SELECTIONS as selections

        for key, pids in self.cut_leaves.items():
            cut = self.cuts[key]
            cut.reach = sum(1 for pid in pids if pid in names_of)
            cut.leaves = sorted(names_of[pid] for pid in pids if pid in names_of and pid not in self.nonzero_grad)[:64]
        for key, pid in self.inplace_leaves.items():
            self.inplace_ops[key].tensor = names_of.get(pid)
        for fact in attributes:
            # A tensor attribute that carries a graph: the trainable leaves it was computed from (GF043).
            value = self.modules[fact.owner].__dict__.get(fact.attr) if fact.kind == "tensor" else None
            if isinstance(value, torch.Tensor) and value.grad_fn is not None:
                fact.leaves = sorted(names_of[pid] for pid in self.reachable([value]) if pid in names_of)[:8]
        if self.crash is not None:
            self.crash.gradless = {
                name: [names_of[i] for i in ids if i in names_of] for name, ids in self.crash_gradless.items()
            }
        self.idle_optimizer_holders()
        stepped = self.stepped_before_backward
        if stepped is not None:
            stepped[0].params = [names_of[pid] for pid in stepped[1] if pid in names_of]

        modules = [
            ModuleFact(
                id=mid,
                cls=class_name(module),
                torch_class=torch_class_name(module),
                name=root_names.get(mid, self.module_names.get(mid)),
                site=self.module_sites.get(mid),
                children=children[mid],
                num_params=sum(1 for _ in parameters_of(module)),
                in_size=in_size(module),
                ran_with_grad=mid in self.ran_with_grad,
                ran_without_grad=mid in self.ran_without_grad,
                eval_with_grad=mid in self.eval_with_grad,
                eval_sites=self.eval_sites.get(mid, []),
                loaded=mid in self.loaded,
                path=paths.get(mid),
                created_event=self.module_events.get(mid, 0),
                scope_optimizers=self.module_optimizer_names.get(mid, {}),
                grad_calls=self.grad_calls.get(mid, []),
                in_workers=self.only_in_workers.get(mid, (None, None))[0],
                workers_site=self.only_in_workers.get(mid, (None, None))[1],
            )
            for mid, module in self.modules.items()
        ]
        typos = [
            TypoSet(name=names_of.get(int(t.name), self.tensor_names.get(int(t.name), "?")), value=t.value, site=t.site, attr=t.attr, on_module=t.on_module)
            for t in self.typos
        ]
        self.finished_trace = Trace(
            script=self.script,
            argv=self.argv,
            torch_version=torch.__version__,
            finished=self.crash is None and not timed_out,
            stopped_early=stopped_early or bool(self.loops.cut),
            backward_cap=self.max_backwards if self.cap_reached else 0,
            loops_cut=self.loops.cut,
            unstepped_loops=list(self.loops.unstepped.values()),
            empty_loaders=list(self.empty_loaders.values()),
            unreached_branches=self.loops.unreached_branches(),
            late_stop=self.late_stop,
            timed_out=timed_out,
            events=self.events,
            crash=self.crash,
            modules=modules,
            params=facts,
            optimizers=[fact for _, fact in self.optimizers],
            backwards=self.backwards,
            loads=self.loads,
            attributes=attributes,
            cuts=[c for c in self.cuts.values() if c.op not in selections],
            loose_terms=self.loose_term_facts(names_of),
            selections=[c for c in self.cuts.values() if c.op in selections],
            one_element_norms=self.mode.normalising.facts(names_of),
            inplace_ops=list(self.inplace_ops.values()),
            order=self.order,
            grad_switches=self.grad_switches,
            graphless_grads=self.graphless_grads,
            inner_no_grad_calls=list(self.inner_no_grad.values()),
            own_weights_forwards=list(self.own_weights.values()),
            typos=typos,
            setup_thaws=[
                site for key, site in self.thaws_before_training.items() if key not in self.thaws_in_training
            ],
            stepped_before_backward=stepped[0] if stepped is not None else None,
            schedulers=self.schedulers,
            checkpoints=self.checkpoint_facts(names_of),
            param_writes=self.param_write_facts(names_of),
            cuda_emulated=self.cuda_emulated,
            grad_wipes=self.gradient_wipes(names_of),
            scaler_calls=self.scaler_facts(),
            optional_arg_calls=list(self.optional_calls.values()),
            copy_backwards=self.copy_backward_facts(names_of),
            group_clash=self.group_clash_fact(names_of),
            step_calls=list(self.step_calls.values()),
            condition_tests=self.condition_facts(),
            orphaned_optimizers=self.orphan_facts(names_of),
            bool_options=self.bool_option_facts(),
            half_autocasts=self.half_autocast_facts(),
            enabled_scalers=self.enabled_scalers,
            scaler_steps=self.scaler_steps,
            scaler_skips=self.scaler_skips,
            singular_inputs=list(self.mode.singular.values()),
            mixed_dtype_losses=list(self.mode.mixed_losses.values()),
        )
        self.finished_trace = self.ranks.complete(self.finished_trace)
        return self.finished_trace


def _grad_buffers(name: str, module: nn.Module, limit: int = 64) -> list[GradBuffer]:
    """A module with no parameter: its floating-point buffers that require grad, each with the class
    of the submodule that registered it. Weights kept as buffers, which parameters() never yields."""
    if next(iter(parameters_of(module)), None) is not None:
        return []
    found: list[GradBuffer] = []
    for path, sub in named_modules_of(module):
        for bname, b in named_buffers_of(sub, recurse=False):
            if len(found) >= limit:
                return found
            if b.is_floating_point() and b.requires_grad and b.is_leaf:
                found.append(GradBuffer(f"{name}.{path}.{bname}" if path else f"{name}.{bname}", class_name(sub), list(b.shape)))
    return found


def _gradless_locals(frame: types.FrameType, limit: int = 64) -> dict[str, list[int]]:
    """Names in a frame bound to tensors that do not require grad, or to small lists and tuples
    holding some: the ids of those tensors (named at the end, when parameters have their names)."""
    names = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
    names.update(frame.f_locals)
    found: dict[str, list[int]] = {}
    for name, value in names.items():
        if len(found) >= limit:
            break
        if name.startswith("__"):
            continue
        if isinstance(value, torch.Tensor):
            if not value.requires_grad:
                found[name] = [id(value)]
        elif type(value) in (list, tuple) and 0 < len(value) <= 256 and all(isinstance(v, torch.Tensor) for v in value):
            ids = [id(v) for v in value if not v.requires_grad]
            if ids:
                found[name] = ids
    return found


def _first_line(error: BaseException) -> str:
    """What an error says, in one line. An error a DataLoader worker raised comes back as "Caught
    RuntimeError in DataLoader worker process 0.", with the worker's traceback below it: its last
    line is what the worker's code said (stack(): ... don't support automatic differentiation),
    which is what the rules read."""
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return ""
    if lines[0].startswith("Caught ") and " in DataLoader worker process " in lines[0] and len(lines) > 2 and lines[1].startswith("Original Traceback"):
        said = lines[-1].partition(": ")[2] or lines[-1]
        return f"{said} (raised in {lines[0].partition(' in ')[2].rstrip('.')})"
    return lines[0]


def _holds_nonfinite(p: torch.Tensor) -> bool:
    """A parameter whose values at the end hold NaN or inf (GF092): a floating tensor read whole."""
    try:
        return p.is_floating_point() and not bool(torch.isfinite(p.detach()).all())
    except Exception:  # a tensor subclass or layout whose values cannot be read this way
        return False
