"""The probe in every rank of a multi-process run, and the one Trace made of theirs.

A script that starts its own ranks (``torch.multiprocessing.spawn`` / ``start_processes``) gets
them from torch's own ``start_processes``, asked to fork instead of starting fresh interpreters:
each rank is then a copy of the probed process, with the same patches and the same shortened
loops, and runs the script's function as it would have. Each rank writes its own Trace into a
folder of the sandbox's ``/tmp``; the launching process merges them when it ends (:func:`merge`).
``--nproc-per-node`` (torchrun's way) is the same, with torch's elastic agent forking the ranks
(:func:`run_as_torchrun`). A script that starts ``multiprocessing.Process`` objects itself gets
them forked the same way, whatever their context; each becomes a rank when it joins a process
group and says so in memory shared with the launcher (a process that never joins one, a logger or
a data-loading helper, runs as it would and is no rank). Lightning's ``strategy="ddp"``, which
would run the script again per rank, starts them as its ``ddp_fork`` does, through ``start_processes``.

What the ranks ask for that this machine lacks is given in kind and said: ``nccl`` becomes
``gloo``, a ``cuda:N`` model stays on the CPU (function_mode.py), so ``device_ids`` are dropped.
A rank blocked in a collective when the run's time is up is killed by the launching process,
which says which rank and where: each rank keeps a line saying what it is waiting in, in memory
it shares with the launcher.

Each rank also records what DDP's own rules need: modules called past their wrapper (GF046);
each ``no_sync()`` call, whether the wrapper's forwards ran inside it (DDP decides there whether
the backward all-reduces) and which optimizer steps applied gradients it kept local (GF048); and
what user code changed in a wrapped module after the wrapping, layers and parameters assigned
into it or converted (GF049).
"""

from __future__ import annotations

import functools
import importlib.abc
import inspect
import mmap
import os
import signal
import struct
import sys
import tempfile
import time
import types
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable, Optional

import torch
import torch.nn as nn

from gradfix.sandbox.facts import modules_of, parameters_of
from gradfix.trace import Crash, NoSyncUse, RankFact, Site, Trace, WrapperBypass, WrapperChange

if TYPE_CHECKING:
    from gradfix.sandbox.probe import Probe

_SLOT = 256  # bytes of shared memory per rank: what it is waiting in
_COLLECTIVES = (
    "all_reduce", "broadcast", "barrier", "all_gather", "all_gather_into_tensor", "reduce",
    "reduce_scatter", "reduce_scatter_tensor", "gather", "scatter", "all_to_all", "all_to_all_single",
    "all_gather_object", "broadcast_object_list", "gather_object", "scatter_object_list", "send", "recv",
)

# The gathers without autograd, with the names of their output and input parameters
_GATHERS = {"all_gather": ("tensor_list", "tensor"), "all_gather_into_tensor": ("output_tensor", "input_tensor")}

# What gloo says when the other end of a collective is gone or never answers.
_PEER_GONE = ("/gloo/transport/", "Connection closed by peer", "Connection reset by peer", "Timed out waiting")
_MEMBER = struct.Struct("ii")  # a rank of a direct launch, as it says when it joins: its pid, the world size
_DIRECT_RANKS = 64  # the most ranks a script's own multiprocessing.Process objects are followed in

_UseKey = tuple[str, int, Optional[int], int]  # a no_sync() call: its file, line, column, and the wrapper


class _Wrap:
    """A DDP wrapper as it was built: where, by which code, and the parameters it holds then (with
    their dtype and device), to tell what user code changed in its module afterwards."""

    def __init__(self, wrapper: nn.Module, module: nn.Module, frame: Optional[types.FrameType], site: Optional[Site]):
        self.wrapper = wrapper
        self.module = module
        self.code = frame.f_code if frame is not None else None
        self.site = site
        self.module_names = _names_bound(frame, module) if frame is not None else []
        self.params = {id(p): (p.dtype, p.device) for p in parameters_of(module)}


class _NoSync:
    """A wrapper's ``no_sync()`` context as the script enters it: while it is open, the wrapper's
    forwards are this use's (what ``require_backward_grad_sync`` alone cannot say: which call)."""

    def __init__(self, ranks: "Ranks", key: _UseKey, context: Any):
        self.ranks, self.key, self.context = ranks, key, context

    def __enter__(self) -> Any:
        entered = self.context.__enter__()
        self.ranks.no_sync_open.append(self.key)
        return entered

    def __exit__(self, *exc: Any) -> Any:
        opened = self.ranks.no_sync_open
        for index in range(len(opened) - 1, -1, -1):
            if opened[index] == self.key:
                del opened[index]
                break
        return self.context.__exit__(*exc)


class Launch:
    """One ``start_processes`` call, as the launching process knows it; or (``direct``) the
    ``multiprocessing.Process`` objects the script started itself, which are ranks only once they
    join a process group: each says then, in memory shared with the launcher, its rank, its pid
    and the world size, since the launcher cannot know them from what it started."""

    def __init__(self, nprocs: int, direct: bool = False):
        self.nprocs = nprocs  # direct: room for this many ranks, until a rank says its world size
        self.room = nprocs  # slots in the shared memory
        self.direct = direct
        self.owner = os.getpid()  # only the process that launched them may join or end them
        self.folder = tempfile.mkdtemp(prefix="gradfix-ranks-")
        # shared with the forked ranks: what each waits in, then (direct) its pid and the world size
        self.status = mmap.mmap(-1, (_SLOT + _MEMBER.size) * nprocs)
        self.processes: list[Any] = []
        self.started = False

    def trace_path(self, rank: int) -> str:
        return os.path.join(self.folder, f"rank{rank}.json")

    def waiting(self, rank: int) -> str:
        raw = self.status[rank * _SLOT : (rank + 1) * _SLOT]
        return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")

    def join(self, rank: int, world_size: int) -> bool:
        """In a process of a direct launch that joined a process group: it is ``rank`` of
        ``world_size``. False when there is no room for it (it then runs as it would, unreported)."""
        if not 0 <= rank < world_size <= self.room:
            return False
        _MEMBER.pack_into(self.status, self._member(rank), os.getpid(), world_size)
        self.nprocs = world_size  # this rank's own copy: the world it reports in
        return True

    def members(self) -> dict[int, int]:
        """Direct launch, in the launcher: rank -> pid of each process that joined as that rank."""
        found = {}
        for rank in range(self.room):
            pid, _ = _MEMBER.unpack_from(self.status, self._member(rank))
            if pid:
                found[rank] = pid
        return found

    def world_size(self) -> int:
        if not self.direct:
            return self.nprocs
        return max(_MEMBER.unpack_from(self.status, self._member(rank))[1] for rank in range(self.room))

    def _member(self, rank: int) -> int:
        return self.room * _SLOT + rank * _MEMBER.size

    def rank_processes(self) -> dict[int, Any]:
        """rank -> its process (None: not started)."""
        if not self.direct:
            return dict(enumerate(self.processes))
        by_pid = {process.pid: process for process in self.processes}
        return {rank: by_pid.get(pid) for rank, pid in self.members().items()}

    def traces(self) -> dict[int, Trace]:
        found = {}
        for rank in range(self.world_size()):
            try:
                with open(self.trace_path(rank)) as handle:
                    found[rank] = Trace.from_json(handle.read())
            except (OSError, ValueError, KeyError, TypeError):
                pass  # killed before it wrote: it counts as missing
        return found


class Ranks:
    """The probe's part that knows about ranks: launching them, what each waits in, the DDP
    wrappers and the modules called past them, and the merge at the end."""

    def __init__(self, probe: "Probe"):
        self.probe = probe
        self.deadline: Optional[float] = None  # time.monotonic() when the run's time is up
        self.rank: Optional[int] = None  # in a rank: its number
        self.launch: Optional[Launch] = None  # in a rank: the launch it belongs to
        # in a process the script started itself: the launch it becomes a rank of if it joins a group
        self.pending: Optional[Launch] = None
        self.launches: list[Launch] = []  # in a launcher: what it started
        # in a launcher: the launch whose ranks' Traces it merged, and those ranks
        self.merged: Optional[tuple[int, list[int]]] = None
        self.notes: list[str] = []
        self.failed_in = ""  # in a rank: the collective that failed when its peer went (see _failed)
        self.wrapped: dict[int, Any] = {}  # id(module inside a DDP wrapper) -> the wrapper
        self.wrapper_depth = 0
        self.bypasses: dict[tuple[str, int, Optional[int]], WrapperBypass] = {}
        # GF048: no_sync() uses, the wrapper forwards since the last backward (synced or not, whose
        # use), and whether the gradients the next step applies were left local by a use
        self.no_sync_uses: dict[_UseKey, NoSyncUse] = {}
        self.no_sync_open: list[_UseKey] = []
        self.forwards: list[tuple[bool, Optional[_UseKey]]] = []
        self.local_since_step: Optional[_UseKey] = None
        self.backward_since_step = False
        self.synced_steps = 0
        self.own_reductions = 0  # collectives the script ran itself on wrapped parameters or gradients
        # GF049: each wrapper as it was built, the modules it holds (id -> the wrapper's id), and
        # the changes user code made to them afterwards (with the ids of the parameters concerned)
        self.wraps: dict[int, _Wrap] = {}
        self.held: dict[int, int] = {}
        self.converting = False
        self.changes: dict[tuple[str, str, int, Optional[int]], tuple[WrapperChange, list[int]]] = {}

    # -- installation -----------------------------------------------------------------------------

    def install(self) -> None:
        spawn_module = sys.modules.get("torch.multiprocessing.spawn")
        if spawn_module is None:
            import torch.multiprocessing.spawn as spawn_module  # type: ignore[no-redef]
        original = spawn_module.start_processes

        def start_processes(fn: Callable[..., Any], args: tuple = (), nprocs: int = 1, join: bool = True,
                            daemon: bool = False, start_method: str = "spawn") -> Any:
            if self.rank is not None:  # a rank that starts processes of its own: as it would
                return original(fn, args, nprocs, join, daemon, start_method)
            return self._start(original, fn, args, nprocs, join, daemon)

        spawn_module.start_processes = start_processes  # spawn() looks it up here
        torch.multiprocessing.start_processes = start_processes
        self._install_process_start()
        self._install_lightning()
        self._install_distributed()
        nn.modules.module.register_module_forward_pre_hook(self._on_forward)

    def _start(self, original: Callable[..., Any], fn: Callable[..., Any], args: tuple, nprocs: int, join: bool, daemon: bool) -> Any:
        launch = Launch(nprocs)
        self.launches.append(launch)
        entry = functools.partial(_rank_entry, self, launch, fn)
        # Fork: each rank is this process, probe and all; torch's own start_processes does the rest.
        context = original(entry, args, nprocs, False, daemon, start_method="fork")
        launch.processes, launch.started = list(context.processes), True
        if not join:
            return context
        while not context.join():
            pass
        return None

    def _install_process_start(self) -> None:
        """``multiprocessing.Process`` objects the script starts itself (``torch.multiprocessing``'s
        are the same class, any context's a subclass): forked as ``start_processes`` is asked to,
        whatever the context, so each is a copy of the probed process; each becomes a rank when it
        joins a process group (:meth:`joined`), and runs as it would if it never does (a
        data-loading helper, a logger). Processes started by library code (DataLoader workers,
        torch's own launchers) are started as they would be."""
        import multiprocessing.popen_fork
        import multiprocessing.process

        ranks = self
        start = multiprocessing.process.BaseProcess.start

        def start_process(process: Any) -> None:
            caller = sys._getframe(1).f_code.co_filename
            if ranks.rank is not None or ranks.pending is not None or caller not in ranks.probe.user:
                return start(process)  # a rank's own processes, library code's: as they would be
            launch = ranks._direct_launch()
            process.run = functools.partial(_process_entry, ranks, launch, process.run)
            process._Popen = multiprocessing.popen_fork.Popen  # shadows the context's own
            start(process)
            launch.processes.append(process)

        multiprocessing.process.BaseProcess.start = start_process  # type: ignore[method-assign]

    def _install_lightning(self) -> None:
        """Lightning's ``strategy="ddp"`` re-runs the script in fresh interpreters, one per rank
        (``_SubprocessScriptLauncher``), which would run without the probe. Here it starts its
        ranks as its own ``ddp_fork`` does: the same DDP strategy, with ``start_method="fork"``,
        so ``start_processes`` forks them from this process, as for ``ddp_spawn``. Only when
        Lightning would start the processes itself: under ``--nproc-per-node`` (``LOCAL_RANK`` is
        set) every rank already runs the script under the probe."""
        ranks = self

        def patch(module: types.ModuleType) -> None:
            strategy_class = getattr(module, "DDPStrategy", None)
            configure = getattr(strategy_class, "_configure_launcher", None)
            if configure is None:
                return

            @functools.wraps(configure)
            def configure_launcher(strategy: Any) -> None:
                environment = getattr(strategy, "cluster_environment", None)
                if (
                    ranks.rank is None and getattr(strategy, "_start_method", None) == "popen"
                    and environment is not None and not environment.creates_processes_externally
                    and getattr(strategy, "num_processes", 1) > 1 and getattr(strategy, "num_nodes", 1) == 1
                ):
                    strategy._start_method = "fork"
                    ranks._note('Lightning\'s strategy="ddp" forks its ranks here, as "ddp_fork" does, instead of running the script again')
                configure(strategy)

            strategy_class._configure_launcher = configure_launcher

        _after_import({"lightning.pytorch.strategies.ddp": patch, "pytorch_lightning.strategies.ddp": patch})

    def _direct_launch(self) -> Launch:
        """The launch a script's own processes belong to: the one started last, unless all its
        processes have ended (a second training after the first)."""
        last = next((launch for launch in reversed(self.launches) if launch.direct), None)
        if last is not None and any(process.is_alive() for process in last.processes):
            return last
        launch = Launch(_DIRECT_RANKS, direct=True)
        self.launches.append(launch)
        return launch

    def joining(self, init: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> None:
        """A process the script started itself, calling ``init_process_group`` with its rank and
        the world size (given, or in ``RANK`` and ``WORLD_SIZE``, as ``env://`` reads them): a rank
        from here on, so that a rendezvous that never completes is named with it."""
        launch = self.pending
        if launch is None or self.rank is not None:
            return
        try:
            given = inspect.signature(init).bind_partial(*args, **kwargs).arguments
            rank, world_size = int(given.get("rank", -1)), int(given.get("world_size", -1))
            if given.get("store") is None and str(given.get("init_method") or "env://").startswith("env://"):
                rank = rank if rank >= 0 else int(os.environ.get("RANK", -1))
                world_size = world_size if world_size >= 0 else int(os.environ.get("WORLD_SIZE", -1))
        except (TypeError, ValueError):
            return
        if launch.join(rank, world_size):
            self.become(rank, launch)

    def joined(self, distributed: Any) -> None:
        """A process the script started itself joined a process group: it is a rank from here on
        (if :meth:`joining` could not tell before)."""
        launch = self.pending
        if launch is None or self.rank is not None:
            return
        try:
            rank, world_size = distributed.get_rank(), distributed.get_world_size()
        except (RuntimeError, ValueError):
            return
        if launch.join(rank, world_size):
            self.become(rank, launch)

    def become(self, rank: int, launch: Launch) -> None:
        """In a freshly forked rank: report as that rank, on its own clock."""
        from gradfix.sandbox.channel import rank_stream

        # The rank tells gradfix what it sees on a stream of its own (channel.py).
        index = next((i for i, known in enumerate(self.launches) if known is launch), 0)
        self.probe.channel.become(rank_stream(index, rank))
        self.rank, self.launch, self.launches, self.pending = rank, launch, [], None
        self.probe.on_stop = self._stop_rank
        self.say("")
        if self.deadline is not None:
            # The rank reports before the launcher's own time is up (which kills what is left).
            signal.setitimer(signal.ITIMER_REAL, max(0.5, self.deadline - time.monotonic() - 1.5))

    def say(self, what: str) -> None:
        """What this rank is waiting in now (empty: nothing), for the launcher to read at a timeout."""
        if self.launch is None or self.rank is None:
            return
        data = what.encode("utf-8", errors="replace")[: _SLOT - 1]
        start = self.rank * _SLOT
        self.launch.status[start : start + _SLOT] = data + b"\0" * (_SLOT - len(data))

    def write_rank(self, trace: Trace) -> None:
        assert self.launch is not None and self.rank is not None
        path = self.launch.trace_path(self.rank)
        # The file is what the launcher merges; the channel is what gradfix checks the merge by,
        # so it goes first: a rank killed in between is merged by neither.
        self.probe.channel.end(trace, self.probe.finished_ids)
        with open(path + ".part", "w") as out:
            out.write(trace.to_json())
        os.replace(path + ".part", path)

    def _stop_rank(self, trace: Trace) -> None:
        self.write_rank(trace)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(0)

    # -- torch.distributed and DDP ----------------------------------------------------------------

    def _where(self) -> str:
        site, _ = self.probe.caller_site(3)
        return f" at line {site.line}" if site is not None else ""

    def _install_distributed(self) -> None:
        import torch.distributed as dist

        if not dist.is_available():
            return
        ranks = self
        init = dist.init_process_group

        @functools.wraps(init)
        def init_process_group(*args: Any, **kwargs: Any) -> Any:
            backend = kwargs.get("backend", args[0] if args else None)
            if isinstance(backend, str) and "nccl" in backend.lower() and not torch.cuda.is_available():
                ranks._note("NCCL is not available without a GPU: the ranks use gloo instead")
                kwargs["backend"] = "gloo"
                args = args[1:]
                kwargs.pop("device_id", None)
            if "timeout" not in kwargs and ranks.deadline is not None:
                # A collective that waits for a rank that is gone fails before the run's time is
                # up, in the rank that waited, with its line, instead of hanging to the end.
                kwargs["timeout"] = timedelta(seconds=max(5.0, ranks.deadline - time.monotonic() - 3.0))
            ranks.joining(init, args, kwargs)
            waiting = f"torch.distributed.init_process_group(){ranks._where()}"
            ranks.say(waiting)  # the rendezvous waits for every rank
            try:
                result = init(*args, **kwargs)
            except BaseException as error:
                ranks._failed(waiting, error)
                raise
            finally:
                ranks.say("")
            ranks.joined(dist)
            return result

        dist.init_process_group = init_process_group
        for name in _COLLECTIVES:
            function = getattr(dist, name, None)
            if function is not None:
                said = self._saying(f"torch.distributed.{name}()", function)
                setattr(dist, name, self._gathering(name, said) if name in _GATHERS else said)

        from torch.nn.parallel import DistributedDataParallel as DDP

        build, forward = DDP.__init__, DDP.forward

        def ddp_init(wrapper: Any, module: nn.Module, *args: Any, **kwargs: Any) -> None:
            on_cpu = all(p.device.type == "cpu" for p in parameters_of(module))
            given = kwargs.get("device_ids", args[0] if args else None)
            if on_cpu and given is not None and not torch.cuda.is_available():
                # The model a GPU script moved to cuda:N is on the CPU here (emulated), where DDP
                # refuses device_ids: the same model, replicated over the CPU.
                ranks._note("device_ids dropped: the model stays on the CPU here")
                kwargs.pop("device_ids", None)
                kwargs.pop("output_device", None)
                args = ()
            build(wrapper, module, *args, **kwargs)
            ranks.wrapped[id(module)] = wrapper
            ranks._wrapped_now(wrapper, module)

        def ddp_forward(wrapper: Any, *args: Any, **kwargs: Any) -> Any:
            if torch.is_grad_enabled():
                # DDP decides here, not at backward(), whether this graph's gradients are all-reduced.
                synced = bool(getattr(wrapper, "require_backward_grad_sync", True))
                use = None if synced else next((k for k in reversed(ranks.no_sync_open) if k[3] == id(wrapper)), None)
                ranks.forwards = [*ranks.forwards[-63:], (synced, use)]
            ranks.wrapper_depth += 1
            try:
                return forward(wrapper, *args, **kwargs)
            finally:
                ranks.wrapper_depth -= 1

        no_sync = DDP.no_sync

        def ddp_no_sync(wrapper: Any) -> Any:
            context = no_sync(wrapper)
            frame = ranks.probe.user_frame(sys._getframe(1))
            if frame is None:
                return context
            from gradfix.sandbox.facts import site_of

            site = site_of(frame)
            key = (site.file, site.line, site.column, id(wrapper))
            if key not in ranks.no_sync_uses and len(ranks.no_sync_uses) < 16:
                ranks.no_sync_uses[key] = NoSyncUse(site=site, wrapper=id(wrapper), wrapper_names=_names_bound(frame, wrapper))
            return _NoSync(ranks, key, context) if key in ranks.no_sync_uses else context

        DDP.__init__ = ddp_init  # type: ignore[method-assign]
        DDP.forward = ddp_forward  # type: ignore[method-assign]
        DDP.no_sync = ddp_no_sync  # type: ignore[method-assign]
        self._install_change_tracking()
        from torch.optim.optimizer import register_optimizer_step_pre_hook

        register_optimizer_step_pre_hook(self._on_step)
        backward = torch.Tensor.backward

        def tensor_backward(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            if ranks.forwards:
                ranks._backward()
            if ranks.rank is None:
                return backward(tensor, *args, **kwargs)
            waiting = f"backward(){ranks._where()}, where DDP all-reduces the gradients"
            ranks.say(waiting)
            try:
                return backward(tensor, *args, **kwargs)
            except BaseException as error:
                ranks._failed(waiting, error)
                raise
            finally:
                ranks.say("")

        torch.Tensor.backward = tensor_backward  # type: ignore[method-assign]

    def _backward(self) -> None:
        """A backward() of the wrapper graphs built since the last one: a synced one all-reduces
        every gradient accumulated so far; one built inside no_sync() leaves them local."""
        forwards, self.forwards = self.forwards, []
        local = [use for synced, use in forwards if not synced and use is not None]
        if any(synced for synced, _ in forwards):
            self.local_since_step = None
        elif local:
            self.local_since_step = local[-1]
        self.backward_since_step = True
        if not local:
            return
        site, _ = self.probe.caller_site(3)
        for key in dict.fromkeys(local):
            use = self.no_sync_uses[key]
            use.backwards += 1
            use.backward_site = use.backward_site or site

    def _on_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        if self.local_since_step is not None:
            self.no_sync_uses[self.local_since_step].steps += 1
        elif self.backward_since_step:
            self.synced_steps += 1
        self.local_since_step, self.backward_since_step = None, False

    def _wrapped_now(self, wrapper: nn.Module, module: nn.Module) -> None:
        frame = self.probe.user_frame(sys._getframe(2))
        from gradfix.sandbox.facts import site_of

        self.wraps[id(wrapper)] = _Wrap(wrapper, module, frame, site_of(frame) if frame is not None else None)
        for inner in modules_of(module):
            self.held.setdefault(id(inner), id(wrapper))

    def _install_change_tracking(self) -> None:
        """Layers and parameters assigned into a wrapped module (torch's global registration hooks,
        which ``__setattr__``, ``add_module`` and ``register_parameter`` call before they store the
        value), and conversions of its parameters (``to``, ``double``, ``half`` ... all go through
        ``Module._apply``), made by user code after the wrapping."""
        ranks = self
        module_apply = nn.Module._apply

        def registering(module: nn.Module, name: str, value: Any) -> None:
            wrapper = ranks.held.get(id(module)) if ranks.held else None
            if wrapper is None or ranks.wrapper_depth or value is None:
                return None
            wrap = ranks.wraps[wrapper]
            made = list(parameters_of(value)) if isinstance(value, nn.Module) else [value]
            old = module._modules.get(name) if isinstance(value, nn.Module) else module._parameters.get(name)
            gone = list(parameters_of(old)) if isinstance(old, nn.Module) else [old] if old is not None else []
            kept = {id(p) for p in made}
            new = [p for p in made if id(p) not in wrap.params]
            dropped = any(id(p) in wrap.params and id(p) not in kept for p in gone)
            if new or dropped:
                ranks._changed(wrap, "assigned", sys._getframe(1), new, dropped)
            return None  # the value is stored as it is

        def apply_(module: nn.Module, *args: Any, **kwargs: Any) -> Any:
            wrapper = (ranks.held.get(id(module)) or (id(module) if id(module) in ranks.wraps else None)) if ranks.held else None
            if wrapper is None or ranks.converting:
                return module_apply(module, *args, **kwargs)
            before = {id(p): (p.dtype, p.device) for p in parameters_of(module)}
            ranks.converting = True
            try:
                result = module_apply(module, *args, **kwargs)
            finally:
                ranks.converting = False
            changed = [p for p in parameters_of(module) if before.get(id(p)) != (p.dtype, p.device)]
            if changed:
                ranks._changed(ranks.wraps[wrapper], "converted", sys._getframe(1), changed, False)
            return result

        from torch.nn.modules.module import register_module_module_registration_hook, register_module_parameter_registration_hook

        register_module_module_registration_hook(registering)
        register_module_parameter_registration_hook(registering)
        nn.Module._apply = apply_  # type: ignore[method-assign]

    def _changed(self, wrap: _Wrap, kind: str, caller: Optional[types.FrameType], params: list[torch.Tensor], dropped: bool) -> None:
        frame = self.probe.user_frame(caller)
        if frame is None:
            return
        sites = self.probe.site_chain(frame, limit=6)
        key = (kind, sites[0].file, sites[0].line, sites[0].column)
        if key not in self.changes:
            if len(self.changes) >= 16:
                return
            index, outer = None, frame
            for position in range(len(sites)):
                if outer is None:
                    break
                if outer.f_code is wrap.code:
                    index = position
                    break
                outer = self.probe.user_frame(outer.f_back)
            self.changes[key] = (WrapperChange(
                sites=sites, wrapper=id(wrap.wrapper), kind=kind, wrap_site=wrap.site, wrapping_frame=index,
                wrapper_names=_names_bound(outer, wrap.wrapper) if index is not None and outer is not None else [],
                module_names=list(wrap.module_names),
            ), [])
        change, ids = self.changes[key]
        change.count += 1
        change.dropped = change.dropped or dropped
        self.probe.remember_params(params)  # a new layer's first value: what its training changes
        ids.extend(id(p) for p in params if id(p) not in ids)

    def _saying(self, what: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            if self.wraps and args and isinstance(args[0], torch.Tensor) and self._of_wrapped(args[0]):
                self.own_reductions += 1
            waiting = f"{what}{self._where()}"
            self.say(waiting)
            try:
                return function(*args, **kwargs)
            except BaseException as error:
                self._failed(waiting, error)
                raise
            finally:
                self.say("")

        return call

    def _gathering(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``all_gather(out, x)`` writes plain copies of every rank's ``x`` into ``out``, this
        rank's own included: what user code computes from ``out`` has no graph back to ``x``. A
        cut, like ``.detach()``, where user code gathers a tensor that requires grad (GF097)."""
        output, given = _GATHERS[name]
        probe = self.probe

        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1)
            tensor = args[1] if len(args) > 1 else kwargs.get(given)
            key = None
            if isinstance(tensor, torch.Tensor) and tensor.requires_grad and torch.is_grad_enabled() and caller.f_code.co_filename in probe.user:
                key = probe.record_cut(name, caller, inputs=(tensor,))
            result = function(*args, **kwargs)
            if key is not None:
                into = args[0] if args else kwargs.get(output)
                for copy in into if isinstance(into, (list, tuple)) else [into]:
                    probe.mode.remember_cut_result(copy, frozenset([key]))
            return result

        return call

    def _failed(self, waiting: str, error: BaseException) -> None:
        """A collective that failed because a peer is gone or never answered (gloo's transport
        closed or timed out), not because of what this rank gave it: the rank says where it
        waited, and its crash is the peer's doing (:func:`merge` reports the peer's)."""
        if self.rank is None or self.failed_in:
            return
        text = str(error)
        kinds = {kind.__name__ for kind in type(error).__mro__}
        if kinds & {"DistNetworkError", "DistStoreError"} or any(sign in text for sign in _PEER_GONE):
            self.failed_in = waiting

    def _of_wrapped(self, tensor: torch.Tensor) -> bool:
        """A wrapped module's parameter or gradient (the script reducing them by hand)."""
        pointer = tensor.data_ptr()
        for wrap in self.wraps.values():
            for p in parameters_of(wrap.module):
                if p.data_ptr() == pointer or (p.grad is not None and p.grad.data_ptr() == pointer):
                    return True
        return False

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def _on_forward(self, module: nn.Module, args: Any) -> None:
        """A module that a DDP wrapper holds, called from user code with gradients on while the
        wrapper is not running: its gradients will not be all-reduced."""
        wrapper = self.wrapped.get(id(module))
        if wrapper is None or self.wrapper_depth or not torch.is_grad_enabled() or len(self.bypasses) >= 16:
            return
        frame = self.probe.user_frame(sys._getframe(1))
        if frame is None:
            return
        from gradfix.sandbox.facts import site_of

        site = site_of(frame)
        key = (site.file, site.line, site.column)
        bypass = self.bypasses.get(key)
        if bypass is None:
            bypass = self.bypasses[key] = WrapperBypass(
                site=site, module=id(module), wrapper=id(wrapper),
                module_names=_names_bound(frame, module), wrapper_names=_names_bound(frame, wrapper),
            )
        bypass.count += 1

    # -- the end ----------------------------------------------------------------------------------

    def complete(self, trace: Trace) -> Trace:
        """The Trace this process reports: a rank's own, with its checksums; a launcher's, merged
        with its ranks'; anything else as it was."""
        trace.wrapper_bypasses = [b for b in self.bypasses.values() if b.wrapper in {m.id for m in trace.modules}]
        trace.distributed_notes = list(self.notes)
        trace.no_sync_uses = [use for use in self.no_sync_uses.values() if use.backwards]
        trace.synced_steps = self.synced_steps
        trace.own_reductions = self.own_reductions
        names = self._param_names(trace)
        for change, ids in self.changes.values():
            change.params = [names[pid] for pid in ids if pid in names]
        trace.wrapper_changes = [change for change, _ in self.changes.values() if change.params or change.dropped]
        if self.rank is not None:
            if trace.crash is not None:
                trace.crash.rank = self.rank
            trace.rank = self.rank
            trace.world_size = self.launch.nprocs if self.launch is not None else 0
            trace.ranks = [RankFact(
                rank=self.rank, finished=trace.finished, timed_out=trace.timed_out, crash=trace.crash,
                steps=trace.steps, checksums=self._checksums(trace),
                waiting_in=self.failed_in if trace.crash is not None else "",
            )]
            return trace
        mine = [launch for launch in self.launches if launch.owner == os.getpid()]
        if not trace.timed_out:
            for launch in mine:
                if launch.direct:
                    self._await(launch)
        launch = next((launch for launch in mine if launch.started or launch.direct and launch.members()), None)
        if launch is None:
            return trace
        hung = self._end_ranks(launch)
        traces = launch.traces()
        self.merged = (self.launches.index(launch), sorted(traces))
        return merge(trace, traces, launch.world_size(), hung)

    def _param_names(self, trace: Trace) -> dict[int, str]:
        """id of each parameter object -> its name in the Trace."""
        objects = list(self.probe.param_objects.values())
        if len(objects) != len(trace.params):
            return {}
        return {id(tensor): fact.name for fact, tensor in zip(trace.params, objects)}

    def _checksums(self, trace: Trace) -> dict[str, float]:
        """A number per parameter that two replicas share only when their values are equal."""
        objects = list(self.probe.param_objects.values())
        if len(objects) != len(trace.params):
            return {}
        sums = {}
        with torch.no_grad():
            for fact, tensor in zip(trace.params, objects):
                if tensor.is_meta:
                    continue  # no values to compare across replicas
                flat = tensor.detach().to("cpu", torch.float64).reshape(-1)
                weights = torch.linspace(1.0, 2.0, flat.numel(), dtype=torch.float64) if flat.numel() > 1 else 1.0
                sums[fact.name] = float((flat * weights).sum())
        return sums

    def _await(self, launch: Launch) -> None:
        """A script's own processes at its end: Python joins those that are not daemons before it
        exits (multiprocessing's exit handler, which the sandbox's exit skips), so they finish
        their work, until the run's time is nearly up."""
        for process in launch.processes:
            left = None if self.deadline is None else self.deadline - time.monotonic() - 1.0
            if process.daemon or left is not None and left <= 0:
                continue
            try:
                process.join(left)
            except (AssertionError, OSError, ValueError):
                pass

    def _end_ranks(self, launch: Launch) -> list[str]:
        """Ranks still running when the launcher ends (its time is up): killed, each named with
        what it was waiting in."""
        hung = []
        for rank, process in sorted(launch.rank_processes().items()):
            if process is None or not process.is_alive():
                continue
            waiting = launch.waiting(rank)
            hung.append(f"rank {rank} was still running at the time limit" + (f", waiting in {waiting}" if waiting else ""))
            try:
                process.kill()
                process.join(2.0)
            except (OSError, ValueError):
                pass
        return hung


def run_as_torchrun(ranks: Ranks, nproc_per_node: int, run_script: Callable[[], None]) -> None:
    """Run the script as ``torchrun --standalone --nproc-per-node N`` would: torch's elastic agent
    (``torch.distributed.launcher``) starts the workers, with ``RANK``, ``LOCAL_RANK``,
    ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` set, on a free port of the run's own
    loopback; it forks them, so each runs the script under this process's probe."""
    import socket

    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    launch = Launch(nproc_per_node)
    launch.started = True
    ranks.launches.append(launch)
    config = LaunchConfig(
        min_nodes=1, max_nodes=1, nproc_per_node=nproc_per_node, run_id=f"gradfix-{os.getpid()}",
        rdzv_backend="c10d", rdzv_endpoint=f"127.0.0.1:{port}", rdzv_configs={"is_host": True},
        max_restarts=0, monitor_interval=0.1, start_method="fork",
    )
    def worker() -> None:  # the agent names its workers after the entry point
        _torchrun_entry(ranks, launch, run_script)

    worker.__name__ = worker.__qualname__ = "gradfix_rank"
    elastic_launch(config, worker)()


def _torchrun_entry(ranks: Ranks, launch: Launch, run_script: Callable[[], None]) -> None:
    """A torchrun worker: the script as ``__main__``, under the probe, then its Trace."""
    _run_rank(ranks, launch, int(os.environ.get("RANK", "0")), run_script)


def _rank_entry(ranks: Ranks, launch: Launch, fn: Callable[..., Any], rank: int, *args: Any) -> None:
    """The function each forked rank runs: the script's, under the probe, then its Trace."""
    _run_rank(ranks, launch, rank, lambda: fn(rank, *args))


def _process_entry(ranks: Ranks, launch: Launch, run: Callable[[], None]) -> None:
    """What a ``multiprocessing.Process`` the script started runs, forked: its own ``run()``; it
    reports as a rank if it joined a process group on the way, else as it would (not at all)."""
    ranks.pending, ranks.launches = launch, []  # the launcher's processes are not this one's to end
    _reporting(ranks, run)


def _run_rank(ranks: Ranks, launch: Launch, rank: int, body: Callable[[], None]) -> None:
    """One rank: ``body`` under the probe; its Trace is written however it ends."""
    ranks.become(rank, launch)
    _reporting(ranks, body)


def _reporting(ranks: Ranks, body: Callable[[], None]) -> None:
    """``body``, and then, in a rank, its Trace, however it ends."""
    probe = ranks.probe
    try:
        body()
    except SystemExit as exit_:
        code = exit_.code
        if ranks.rank is not None:
            if code not in (None, 0):
                probe.record_exit(code if isinstance(code, int) else 1, "" if isinstance(code, int) else str(code))
            ranks.write_rank(probe.finish())
        raise
    except BaseException as error:
        if ranks.rank is not None:
            probe.record_crash(error)
            ranks.write_rank(probe.finish())
        raise
    if ranks.rank is not None:
        ranks.write_rank(probe.finish())


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls ``patches[name](module)`` once the module ``name`` has been executed, wherever it
    is imported from: a library the script imports after the probe was installed."""

    def __init__(self, patches: dict[str, Callable[[types.ModuleType], None]]):
        self.patches = patches

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        patch = self.patches.get(name)
        if patch is None:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None) if finder is not self else None
            spec = find(name, path, target) if find is not None else None
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        execute = getattr(loader, "exec_module", None)
        if execute is None:
            return spec

        def exec_module(module: types.ModuleType) -> None:
            execute(module)
            patch(module)

        loader.exec_module = exec_module  # this module's loader only
        return spec


def _after_import(patches: dict[str, Callable[[types.ModuleType], None]]) -> None:
    """``patches`` applied to the modules already imported, and to the others when they are."""
    for name, patch in patches.items():
        module = sys.modules.get(name)
        if module is not None:
            patch(module)
    later = {name: patch for name, patch in patches.items() if name not in sys.modules}
    if later:
        sys.meta_path.insert(0, _AfterImport(later))


def _names_bound(frame: types.FrameType, value: Any) -> list[str]:
    """Names the frame binds to ``value``: its locals (globals at module level), and ``self.x``."""
    scope = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
    scope.update(frame.f_locals)
    names = [name for name, held in scope.items() if held is value and name.isidentifier() and not name.startswith("__")]
    owner = frame.f_locals.get("self")
    if owner is not None and not isinstance(owner, nn.Module):
        names += [f"self.{name}" for name, held in vars(owner).items() if held is value and name.isidentifier()] if hasattr(owner, "__dict__") else []
    return names[:4]


def merge(parent: Trace, ranks: dict[int, Trace], world_size: int, hung: list[str]) -> Trace:
    """One Trace for a multi-process run. The facts are those of the first rank that crashed, else
    of the lowest that reported; a parameter got a gradient, was reached, changed only when it did
    in every rank that has it; a fault the same in every rank is therefore seen once."""
    if not ranks:
        parent.world_size = world_size
        parent.hung = "; ".join(hung)
        parent.timed_out = parent.timed_out or bool(hung)
        return parent
    crashed = [rank for rank in sorted(ranks) if ranks[rank].crash is not None]
    # A rank whose collective failed because its peer was gone crashed because another did: the
    # other's crash is the one to report.
    causes = [rank for rank in crashed if not (ranks[rank].ranks and ranks[rank].ranks[0].waiting_in)]
    chosen = (causes or crashed or [min(ranks)])[0]
    base = ranks[chosen]
    for fact in base.params:
        for rank, other in ranks.items():
            if rank == chosen:
                continue
            twin = other.param(fact.name)
            if twin is None:
                continue
            fact.got_grad = fact.got_grad and twin.got_grad
            fact.reached = fact.reached and twin.reached
            fact.changed = fact.changed and twin.changed
            fact.nonzero_grad = fact.nonzero_grad and twin.nonzero_grad
            fact.grad_at_step = fact.grad_at_step and twin.grad_at_step
            fact.grad_peak = max(fact.grad_peak, twin.grad_peak)
            fact.trainable_at_step = fact.trainable_at_step or twin.trainable_at_step
    facts = {rank: trace.ranks[0] if trace.ranks else RankFact(rank=rank) for rank, trace in ranks.items()}
    waiting = {int(line.split()[1]): line for line in hung}
    base.ranks = [facts.get(rank) or RankFact(rank=rank, waiting_in=waiting.get(rank, "")) for rank in range(world_size)]
    base.replicas_differ = _differing(list(facts.values()))
    base.rank, base.world_size = chosen, world_size
    base.hung = "; ".join(hung)
    base.timed_out = base.timed_out or parent.timed_out or any(t.timed_out for t in ranks.values()) or bool(hung)
    base.finished = all(t.finished for t in ranks.values()) and len(ranks) == world_size and parent.finished
    if base.crash is None and parent.crash is not None and not _about_ranks(parent.crash):
        base.crash = parent.crash  # the script failed after its ranks did their work
    elif base.crash is None and parent.crash is not None and len(ranks) < world_size:
        base.crash = parent.crash  # a rank died without a word (killed, out of memory)
    base.stopped_early = base.stopped_early or parent.stopped_early or any(t.stopped_early for t in ranks.values())
    base.events = parent.events + sum(t.events for t in ranks.values())
    base.cuda_emulated = parent.cuda_emulated or any(t.cuda_emulated for t in ranks.values())
    base.missing_env = sorted(set(parent.missing_env).union(*(t.missing_env for t in ranks.values())))
    base.distributed_notes = list(dict.fromkeys([*parent.distributed_notes, *(n for t in ranks.values() for n in t.distributed_notes)]))
    return base


def _about_ranks(crash: Crash) -> bool:
    """The launcher's own exception that only says a rank failed (the rank's crash says why)."""
    return crash.type in ("ProcessRaisedException", "ProcessExitedException", "ChildFailedError")


def _differing(facts: list[RankFact]) -> list[str]:
    reported = [f.checksums for f in facts if f.checksums]
    if len(reported) < 2:
        return []
    names = [name for name in reported[0] if all(name in sums for sums in reported[1:])]
    return [
        name for name in names
        if any(abs(sums[name] - reported[0][name]) > 1e-9 * max(1.0, abs(reported[0][name])) for sums in reported[1:])
    ]
