"""Scripts that start their own ranks (``mp.spawn``), with world size 2 on the CPU: every rank runs
under the probe and the Trace is one; a rank blocked in a collective is named at the time limit
and no process is left behind; the repaired issue scripts train every parameter in every rank
with the replicas equal, checked without gradfix's probe (tests/ranks_trained.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from gradfix.sandbox import RunResult, Sandbox, runner

from conftest import CORPUS, ROOT


def _children(pid: int) -> set[int]:
    return _descendants(pid) - {grandchild for child in _descendants(pid) for grandchild in _descendants(child)}


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def test_every_rank_runs_under_the_probe(sandbox: Sandbox) -> None:
    trace = sandbox.run(str(CORPUS / "wrapper_bypassed" / "spawn_loop_calls_net.py"), []).trace
    assert trace.world_size == 2 and [r.rank for r in trace.ranks] == [0, 1]
    assert all(r.finished and r.steps and r.checksums for r in trace.ranks)
    assert trace.crash is None and trace.rank == 0
    # the bare module trained in each rank, on its own gradients: the replicas drifted
    assert trace.replicas_differ and all(p.got_grad and p.changed for p in trace.params)
    [bypass] = trace.wrapper_bypasses
    assert (bypass.module_names, bypass.wrapper_names, bypass.site.line) == (["net"], ["model"], 22)


def test_a_crash_in_every_rank_is_one_finding(corpus_report: Callable[[Path], object]) -> None:
    report = corpus_report(CORPUS / "distributed" / "empty_optimizer_ddp.py")
    assert [r.finding.code for r in report.results] == ["GF001"]  # type: ignore[attr-defined]
    assert "ran 2 ranks" in report.distributed  # type: ignore[attr-defined]


def test_processes_the_script_starts_itself_are_ranks_under_the_probe(sandbox: Sandbox) -> None:
    faulty = sandbox.run(str(CORPUS / "distributed" / "process_spawn_context_unused_head.py"), [])
    trace = faulty.trace
    assert trace.world_size == 2 and [r.rank for r in trace.ranks] == [0, 1]
    # Both ranks fail the same way; whichever fails first may leave its peer waiting in a
    # collective, so the reported crash is the first cause, from either rank.
    assert trace.crash is not None and trace.crash.rank in (0, 1)
    assert trace.crash.message.startswith("Expected to have finished reduction")
    assert [p.name for p in trace.params if not p.got_grad] == ["model.module.confidence.weight", "model.module.confidence.bias"]
    # The logger joins no process group: it is no rank, and it did its work.
    assert "step 0: loss" in faulty.stdout
    # torch.multiprocessing.Process in the fork context, and a daemon feeding the ranks batches.
    clean = sandbox.run(str(CORPUS / "clean" / "distributed_process_aux_loss_data_helper.py"), []).trace
    assert clean.crash is None and clean.world_size == 2
    assert all(r.finished and r.steps == 3 and r.checksums for r in clean.ranks) and clean.replicas_differ == []


def test_lightning_ddp_starts_its_ranks_under_the_probe(sandbox: Sandbox) -> None:
    # Lightning's strategy="ddp" would run the script again in fresh interpreters, unprobed.
    trace = sandbox.run(str(CORPUS / "distributed" / "lightning_ddp_unused_noise_head.py"), []).trace
    assert trace.world_size == 2 and [r.rank for r in trace.ranks] == [0, 1]
    # Both ranks fail the same way; whichever fails first may leave its peer waiting in a
    # collective, so the reported crash is the first cause, from either rank.
    assert trace.crash is not None and trace.crash.rank in (0, 1)
    assert trace.crash.message.startswith("Expected to have finished reduction")
    assert [p.name for p in trace.params if not p.got_grad] == ["<Denoiser#1>.noise_level.weight", "<Denoiser#1>.noise_level.bias"]
    assert trace.distributed_notes == ['Lightning\'s strategy="ddp" forks its ranks here, as "ddp_fork" does, instead of running the script again']
    clean = sandbox.run(str(CORPUS / "clean" / "distributed_lightning_ddp_noise_head_in_loss.py"), []).trace
    assert clean.crash is None and clean.world_size == 2
    assert all(r.finished and r.steps == 4 and r.checksums for r in clean.ranks) and clean.replicas_differ == []


def test_lightning_ddp_under_nproc_per_node_is_left_to_its_ranks() -> None:
    # LOCAL_RANK is set: Lightning starts nothing, each rank runs the script (torchrun's way).
    script = CORPUS / "clean" / "distributed_lightning_ddp_noise_head_in_loss.py"
    trace = Sandbox([str(ROOT)], steps=3, timeout=60, nproc_per_node=2).run(str(script), []).trace
    assert trace.crash is None and trace.distributed_notes == []
    assert [(r.rank, r.finished, r.steps) for r in trace.ranks] == [(0, True, 4), (1, True, 4)]


NOT_JOINED = '''
import multiprocessing
import os

import torch
import torch.distributed as dist
import torch.nn as nn


def train(rank):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29641"
    dist.init_process_group("gloo", rank=rank, world_size=2)
    model = nn.parallel.DistributedDataParallel(nn.Linear(4, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(5):
        loss = model(torch.randn(2, 4)).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    for rank in range(2):
        multiprocessing.Process(target=train, args=(rank,)).start()
'''


def test_processes_the_script_does_not_join_finish_as_python_would_let_them(run_script: Callable[..., RunResult]) -> None:
    # Python joins a script's non-daemon processes at its exit: they are ranks that finished.
    trace = run_script(NOT_JOINED).trace
    assert trace.world_size == 2 and [(r.rank, r.finished, r.steps) for r in trace.ranks] == [(0, True, 3), (1, True, 3)]
    assert trace.hung == "" and trace.crash is None


HUNG = '''
import os
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29631"
    dist.init_process_group("gloo", rank=rank, world_size=world_size, timeout=timedelta(seconds=600))
    if rank == 0:
        dist.recv(torch.zeros(1), src=1)
    else:
        dist.barrier()


if __name__ == "__main__":
    mp.spawn(worker, args=(2,), nprocs=2)
'''
# The same ranks, started by the script's own multiprocessing.Process objects.
HUNG_PROCESSES = HUNG.replace("    mp.spawn(worker, args=(2,), nprocs=2)", """\
    ranks = [mp.get_context("spawn").Process(target=worker, args=(rank, 2)) for rank in range(2)]
    for process in ranks:
        process.start()
    for process in ranks:
        process.join()""")


@pytest.mark.parametrize("script", [HUNG, HUNG_PROCESSES], ids=["mp.spawn", "multiprocessing.Process"])
def test_a_rank_blocked_in_a_collective_is_named_and_nothing_is_left(script: str, write_script: Callable[..., Path]) -> None:
    path = write_script(script)
    sandbox = Sandbox([str(path.parent)], steps=3, timeout=6)
    sandbox.warm()
    warm = runner._zygote
    # Below the warm process (and its first process inside its PID namespace) waits a run forked
    # ahead of its request (zygote.py); a rank that outlived its run would join it there, or below.
    below = lambda: {run for first in _children(warm.process.pid) for run in _children(first)}  # noqa: E731
    before = below() if warm is not None else set()
    trace = sandbox.run(str(path), []).trace
    assert trace.timed_out
    assert "rank 1 was still running at the time limit, waiting in torch.distributed.barrier() at line 17" in trace.hung
    assert "rank 0 was still running at the time limit, waiting in torch.distributed.recv() at line 15" in trace.hung
    if warm is not None:
        after = below()
        assert len(after) == len(before) and not {pid for run in after for pid in _descendants(run)}  # no rank outlived the run


BLOCKED_RANK = '''
import ctypes
import os
import time

import torch.distributed as dist


def worker(rank, world_size):
    if world_size:  # started by the script: it says where to meet
        os.environ["MASTER_ADDR"] = "127.0.0.1"
        os.environ["MASTER_PORT"] = "29671"
        dist.init_process_group("gloo", rank=rank, world_size=world_size)
    else:
        dist.init_process_group("gloo")
    ctypes.CDLL(None).prctl(15, b"gfranks-rank", 0, 0, 0)  # its name, for the test to find it
    if dist.get_rank() == 0:
        dist.barrier()  # waits for rank 1, which sleeps
    else:
        time.sleep(600)
'''
# How each kind of script starts `worker` in two ranks (torchrun's: gradfix --nproc-per-node 2).
LAUNCH = {
    "torchrun": "\n\nworker(0, 0)\n",
    "mp.spawn": "\n\nif __name__ == '__main__':\n    import torch.multiprocessing as mp\n    mp.spawn(worker, args=(2,), nprocs=2)\n",
    "multiprocessing.Process": (
        "\n\nif __name__ == '__main__':\n    import multiprocessing\n"
        "    ranks = [multiprocessing.Process(target=worker, args=(rank, 2)) for rank in range(2)]\n"
        "    [rank.start() for rank in ranks]\n    [rank.join() for rank in ranks]\n"
    ),
}


def _marked(mark: str, name: str = "") -> list[str]:
    """Live processes of the host whose environment carries ``mark`` (every process of one gradfix
    command has its TMPDIR there), and whose name is ``name`` when given."""
    found = []
    for pid in (entry for entry in os.listdir("/proc") if entry.isdigit()):
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except (OSError, IndexError):
            continue
        if state != "Z" and mark.encode() in environ and (not name or comm == name):
            found.append(f"{pid} {comm}")
    return found


@pytest.mark.parametrize(("launcher", "mode"), [*((launcher, []) for launcher in LAUNCH), ("mp.spawn", ["--no-fork"])])
def test_ctrl_c_while_ranks_run_ends_gradfix_and_every_rank(launcher: str, mode: list[str], tmp_path: Path) -> None:
    import signal
    import time

    project, scratch = tmp_path / "project", tmp_path / "scratch"
    project.mkdir(), scratch.mkdir()
    (project / "train.py").write_text(BLOCKED_RANK + LAUNCH[launcher])
    option = ["--nproc-per-node", "2"] if launcher == "torchrun" else []
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(scratch), "NO_COLOR": "1"}
    with open(tmp_path / "stderr", "wb") as stderr:
        gradfix = subprocess.Popen(
            [sys.executable, "-m", "gradfix", "suggest", "train.py", "--timeout", "120", *option, *mode],
            cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while len(_marked(str(scratch), "gfranks-rank")) < 2:
            assert gradfix.poll() is None, (tmp_path / "stderr").read_text()
            assert time.monotonic() < deadline, "the ranks never started"
            time.sleep(0.05)
        interrupted = time.monotonic()
        os.killpg(gradfix.pid, signal.SIGINT)  # a Ctrl-C on a terminal: the foreground process group
        status = gradfix.wait(timeout=30)
        took = time.monotonic() - interrupted
    finally:
        if gradfix.poll() is None:
            gradfix.kill()
        time.sleep(0.5)  # a process that gradfix ended may take a moment to be reaped
        left = _marked(str(scratch))
        for line in left:  # a failure here must not spill into the next test
            try:
                os.kill(int(line.split()[0]), signal.SIGKILL)
            except OSError:
                pass
    stderr_text = (tmp_path / "stderr").read_text()
    assert (status, stderr_text.strip().splitlines()[-1:]) == (130, ["gradfix: interrupted"]), stderr_text[-3000:]
    assert "Traceback" not in stderr_text and took < 10
    assert left == []
    assert sorted(p.name for p in scratch.glob("gradfix-*")) == []  # the runs' scratch folders


CRASHED_RANK = '''
import os

import torch.distributed as dist


def worker(rank, world_size):
    if world_size:
        os.environ["MASTER_ADDR"] = "127.0.0.1"
        os.environ["MASTER_PORT"] = "29691"
        dist.init_process_group("gloo", rank=rank, world_size=world_size)
    else:
        dist.init_process_group("gloo")
    if dist.get_rank() == 1:
        raise ValueError("rank 1 gives up")
    dist.barrier()  # waits for rank 1, which is gone
'''


@pytest.mark.parametrize("launcher", list(LAUNCH))
def test_a_rank_that_crashes_while_another_waits_is_the_crash_reported(launcher: str, write_script: Callable[..., Path]) -> None:
    import time

    path = write_script(CRASHED_RANK + LAUNCH[launcher])
    started = time.monotonic()
    nproc_per_node = 2 if launcher == "torchrun" else 0
    trace = Sandbox([str(path.parent)], steps=3, timeout=60, nproc_per_node=nproc_per_node).run(str(path), []).trace
    assert not trace.timed_out and time.monotonic() - started < 30  # the other rank did not wait for the time limit
    assert trace.crash is not None and trace.crash.site is not None
    assert (trace.crash.type, trace.crash.message, trace.crash.rank, trace.crash.site.line) == ("ValueError", "rank 1 gives up", 1, 15)
    # Rank 0 failed in the barrier its peer never reached (unless the launcher ended it first),
    # and says so: its crash, gloo's "Connection closed by peer", is not the one reported.
    waited = trace.ranks[0]
    assert waited.crash is None or waited.waiting_in == "torch.distributed.barrier() at line 16"


NEVER_JOINED = '''
import multiprocessing
import os
from datetime import timedelta

import torch.distributed as dist


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29693"
    if rank == 1:
        raise ValueError("rank 1 gives up before it joins")
    dist.init_process_group("gloo", rank=rank, world_size=world_size, timeout=timedelta(seconds=600))


if __name__ == "__main__":
    ranks = [multiprocessing.Process(target=worker, args=(rank, 2)) for rank in range(2)]
    for process in ranks:
        process.start()
    for process in ranks:
        process.join()
'''


def test_a_rank_left_alone_in_the_rendezvous_is_named_at_the_time_limit(write_script: Callable[..., Path]) -> None:
    # A process of the script's own is a rank from its init_process_group(rank=..., world_size=...)
    # call on, not only once the group is complete.
    path = write_script(NEVER_JOINED)
    trace = Sandbox([str(path.parent)], steps=3, timeout=6).run(str(path), []).trace
    assert trace.timed_out and trace.world_size == 2
    assert trace.hung == "rank 0 was still running at the time limit, waiting in torch.distributed.init_process_group() at line 14"


# Two full trainings in plain interpreters: with the corpus's other cases (--exhaustive, or -k).
@pytest.mark.exhaustive
@pytest.mark.parametrize("case", ["distributed/unused_aux_head.fixed.py", "wrapper_bypassed/spawn_loop_calls_net.fixed.py"])
def test_repaired_issue_scripts_train_every_parameter_in_every_rank(case: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "ranks_trained.py"), str(CORPUS / case)],
        capture_output=True, text=True, timeout=120, cwd=str(ROOT),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ranks = sorted(_objects(done.stdout), key=lambda r: r["rank"])
    assert [r["rank"] for r in ranks] == [0, 1]
    for rank in ranks:
        assert rank["steps"] == 20 and rank["params"]
        assert all(p["changed"] for p in rank["params"].values() if p["requires_grad"])
    assert {k: p["checksum"] for k, p in ranks[0]["params"].items()} == {k: p["checksum"] for k, p in ranks[1]["params"].items()}


TORCHRUN = '''
import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


def main():
    local_rank = int(os.environ["LOCAL_RANK"])
    dist.init_process_group("nccl")
    torch.cuda.set_device(local_rank)
    net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1)).cuda(local_rank)
    model = DDP(net, device_ids=[local_rank])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.manual_seed(dist.get_rank())
    for step in range(20):
        x, y = torch.randn(4, 8).cuda(local_rank), torch.randn(4, 1).cuda(local_rank)
        loss = nn.functional.mse_loss(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''


def test_nproc_per_node_runs_a_torchrun_script_in_every_rank(write_script: Callable[..., Path]) -> None:
    path = write_script(TORCHRUN)
    trace = Sandbox([str(path.parent)], steps=3, timeout=60, nproc_per_node=2).run(str(path), []).trace
    assert trace.crash is None and trace.world_size == 2
    assert [(r.rank, r.finished) for r in trace.ranks] == [(0, True), (1, True)]
    assert trace.distributed_notes == [
        "NCCL is not available without a GPU: the ranks use gloo instead",
        "device_ids dropped: the model stays on the CPU here",
    ]
    [bypass] = trace.wrapper_bypasses
    assert bypass.site.line == 20 and trace.replicas_differ


def test_no_sync_uses_and_steps_on_local_gradients_are_recorded(sandbox: Sandbox) -> None:
    faulty = sandbox.run(str(CORPUS / "no_sync_never_left" / "micro_batches_all_inside.py"), []).trace
    [use] = faulty.no_sync_uses
    assert (use.site.line, use.wrapper_names, use.backward_site.line if use.backward_site else None) == (26, ["model"], 28)
    assert use.steps == faulty.steps and faulty.synced_steps == 0 and faulty.replicas_differ
    # The same accumulation with the last micro-batch synced: every step follows a synced backward.
    clean = sandbox.run(str(CORPUS / "clean" / "distributed_no_sync_accumulation.py"), []).trace
    assert [u.steps for u in clean.no_sync_uses] == [0] and clean.synced_steps == clean.steps > 0
    assert clean.replicas_differ == []


def test_a_model_changed_after_wrapping_is_recorded_with_its_wrapping_frame(sandbox: Sandbox) -> None:
    trace = sandbox.run(str(CORPUS / "model_changed_after_wrap" / "vocab_resized_optimizer_first.py"), []).trace
    # Each assignment inside the method, then the method's call in the function that built the wrapper.
    embed, out = trace.wrapper_changes
    assert [[site.line for site in c.sites[:2]] for c in (embed, out)] == [[24, 41], [25, 41]]
    for change in (embed, out):
        assert change.kind == "assigned" and change.dropped and change.wrapping_frame == 1
        assert change.wrap_site is not None and change.wrap_site.line == 40
        assert (change.wrapper_names, change.module_names) == (["ddp_lm"], ["lm"])
    assert (embed.params, out.params) == (["ddp_lm.module.embed.weight"], ["ddp_lm.module.out.weight", "ddp_lm.module.out.bias"])
    assert trace.crash is not None and trace.crash.message.startswith("Expected to have finished reduction")
    converted = sandbox.run(str(CORPUS / "model_changed_after_wrap" / "double_after_wrapping.py"), []).trace
    assert [(c.kind, c.dropped, len(c.params)) for c in converted.wrapper_changes] == [("converted", False, 6)]


# Full trainings in plain interpreters: with the corpus's other cases (--exhaustive, or -k).
@pytest.mark.exhaustive
@pytest.mark.parametrize("case", [
    "no_sync_never_left/micro_batches_all_inside.fixed.py",
    "no_sync_never_left/trainer_if_else_swapped.fixed.py",
    "model_changed_after_wrap/head_index_replaced.fixed.py",
    "model_changed_after_wrap/double_after_wrapping.fixed.py",
    "optimizer_over_unwrapped_copy/deepcopy_to_device_optimizer_first.fixed.py",
    "optimizer_over_unwrapped_copy/param_groups_over_template.fixed.py",
    "distributed/process_spawn_context_unused_head.fixed.py",  # ranks the script's own Processes
    "wrapper_bypassed/process_subclass_calls_module.fixed.py",
])
def test_repaired_ddp_faults_leave_the_replicas_equal(case: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "ranks_trained.py"), str(CORPUS / case)],
        capture_output=True, text=True, timeout=120, cwd=str(ROOT),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ranks = sorted(_objects(done.stdout), key=lambda r: r["rank"])
    assert [r["rank"] for r in ranks] == [0, 1] and all(r["steps"] for r in ranks)
    assert all(p["changed"] for r in ranks for p in r["params"].values() if p["requires_grad"])
    assert {k: p["checksum"] for k, p in ranks[0]["params"].items()} == {k: p["checksum"] for k, p in ranks[1]["params"].items()}


def _objects(text: str) -> list[dict]:  # type: ignore[type-arg]
    """The JSON objects the ranks printed, also when their lines came out interleaved."""
    decoder, found, at = json.JSONDecoder(), [], text.find("{")
    while at >= 0:
        value, end = decoder.raw_decode(text, at)
        found.append(value)
        at = text.find("{", end)
    return found
