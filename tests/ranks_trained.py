"""Which parameters trained in each rank of a script that starts its own ranks, seen without
gradfix's probe.

    python tests/ranks_trained.py SCRIPT

Runs SCRIPT as ``__main__``; its ``torch.multiprocessing.start_processes`` (what ``mp.spawn``
calls), or the ``multiprocessing.Process`` objects it starts itself, start the ranks by fork, each
with torch's own public optimizer hooks: the value of every
parameter an optimizer holds before its first step, and after the last. Each rank writes one JSON
line (rank, steps, for each parameter whether it changed and a checksum) to stdout; the ranks'
replicas are equal when the checksums are. This shares no code with gradfix.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import types

import torch
import torch.multiprocessing  # noqa: F401  (its spawn module, below)
import torch.optim.optimizer as optimizer_hooks

# `torch.multiprocessing.spawn` is also the name of a function: the module is found by its full name.
spawn_module = sys.modules["torch.multiprocessing.spawn"]


def _rank(fn, rank, *args):  # type: ignore[no-untyped-def]
    if rank is None:  # a process the script started itself: a rank once it joins a process group
        import torch.distributed as dist

        init, joined = dist.init_process_group, []

        def init_process_group(*a, **k):  # type: ignore[no-untyped-def]
            init(*a, **k)
            joined.append(dist.get_rank())

        dist.init_process_group = init_process_group
    first: dict[int, torch.Tensor] = {}
    held: dict[int, torch.Tensor] = {}
    steps = [0]

    def before(optimizer, args, kwargs):  # type: ignore[no-untyped-def]
        for group in optimizer.param_groups:
            for p in group["params"]:
                if id(p) not in first:
                    first[id(p)] = p.detach().clone()
                    held[id(p)] = p

    def after(optimizer, args, kwargs):  # type: ignore[no-untyped-def]
        steps[0] += 1

    optimizer_hooks.register_optimizer_step_pre_hook(before)
    optimizer_hooks.register_optimizer_step_post_hook(after)
    if rank is None:
        fn()
        if not joined:
            return
        rank = joined[0]
    else:
        fn(rank, *args)
    params = {}
    for index, (pid, p) in enumerate(held.items()):
        flat = p.detach().double().reshape(-1)
        params[index] = {
            "requires_grad": p.requires_grad,
            "changed": not torch.equal(first[pid], p.detach()),
            "checksum": float((flat * torch.linspace(1, 2, flat.numel(), dtype=torch.float64)).sum()),
        }
    # One write per rank, line and all: two ranks share the pipe, and print() writes the text and
    # its newline separately, so their lines could come out joined.
    sys.stdout.flush()
    os.write(1, (json.dumps({"rank": rank, "steps": steps[0], "params": params}) + "\n").encode())


def main() -> None:
    script = sys.argv[1]
    original = spawn_module.start_processes

    def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):  # type: ignore[no-untyped-def]
        return original(functools.partial(_rank, fn), args, nprocs, join, daemon, start_method="fork")

    spawn_module.start_processes = start_processes
    import multiprocessing.popen_fork
    import multiprocessing.process

    start = multiprocessing.process.BaseProcess.start

    def start_process(process):  # type: ignore[no-untyped-def]
        if sys._getframe(1).f_code.co_filename == script:
            process.run = functools.partial(_rank, process.run, None)
            process._Popen = multiprocessing.popen_fork.Popen
        start(process)

    multiprocessing.process.BaseProcess.start = start_process
    sys.argv = [script]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    module = types.ModuleType("__main__")
    module.__file__ = script
    sys.modules["__main__"] = module
    with open(script, encoding="utf-8") as handle:
        exec(compile(handle.read(), script, "exec"), module.__dict__)


if __name__ == "__main__":
    main()
