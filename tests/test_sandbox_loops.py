"""The early stop and the phases a loop's progress starts: a loop is not cut before a branch that
waits on its target or its counter has run, within a budget; a branch still never run is named."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from click.testing import CliRunner

from gradfix.cli import main
from gradfix.sandbox import RunResult

Run = Callable[..., RunResult]

LATE_UNFREEZE = """
import torch
import torch.nn as nn

torch.manual_seed(0)
body, head = nn.Linear(8, 8), nn.Linear(8, 1)
body.requires_grad_(False)
optimizer = torch.optim.SGD(list(body.parameters()) + list(head.parameters()), lr=0.1)
x, y = torch.randn(16, 8), torch.randn(16, 1)
step = 0
for epoch in range(EPOCHS):
    if epoch == UNFREEZE_AT:
        body.requires_grad_(True)
    for batch in range(4):
        optimizer.zero_grad()
        nn.functional.mse_loss(head(torch.relu(body(x))), y).backward()
        optimizer.step()
        step += 1
        if (step + 1) % 1000 == 0:
            print("step", step)
print("done")
"""


def _script(epochs: int, unfreeze_at: int) -> str:
    return LATE_UNFREEZE.replace("EPOCHS", str(epochs)).replace("UNFREEZE_AT", str(unfreeze_at))


def test_a_loop_goes_on_past_its_cut_until_a_branch_on_its_epoch_runs(run_script: Run) -> None:
    trace = run_script(_script(8, 5)).trace
    assert trace.crash is None, trace.crash
    # 6 epochs of 3 batches (the inner loop still cut): the unfreezing at epoch 5 ran, the body trained.
    assert trace.steps == 18
    assert trace.param("body.weight").got_grad and trace.param("body.weight").changed
    assert trace.unreached_branches == []


def test_a_branch_the_budget_does_not_reach_is_recorded_where_it_is(run_script: Run) -> None:
    trace = run_script(_script(1000, 500)).trace
    assert trace.crash is None, trace.crash
    [branch] = trace.unreached_branches
    assert (branch.site.line, branch.orelse) == (12, False)  # `if epoch == 500:`
    assert not trace.param("body.weight").got_grad
    assert trace.steps <= 3 * 3 * 10  # 10x the epochs it would have run, each still 3 batches


def test_a_branch_beyond_the_loop_s_own_end_or_that_only_prints_holds_nothing(run_script: Run) -> None:
    # The loop runs 2 epochs of its own: epoch 5 never comes in plain Python either. The print every
    # thousand steps changes no training: the loops are cut as usual.
    trace = run_script(_script(2, 5)).trace
    assert trace.steps == 6 and trace.unreached_branches == []


def test_the_report_names_a_branch_not_reached_and_is_no_all_clear(tmp_path: Path) -> None:
    script = tmp_path / "late_unfreeze.py"
    script.write_text(_script(1000, 500))
    result = CliRunner().invoke(main, ["suggest", str(script)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "late_unfreeze.py:12: not reached: the block of `if epoch == 500:` never ran" in result.output
    assert "No gradient problems found in what ran; not an all-clear: 1 branch of a training loop never ran" in result.output
    assert "No gradient problems found (" not in result.output


KINDS = """
for epoch in range(10):
    if epoch in milestones:                  # 3: the loop's target
        opt.param_groups[0]["lr"] *= 0.1
    elif epoch > cfg.unfreeze_at:            # 5: an elif is its own if
        body.requires_grad_(True)
    if (epoch + 1) % 5 == 0:                 # 7
        save(model)
    else:                                    # its else too
        scheduler.step()
    if epoch == 0:
        print("first epoch")                 # only prints: not watched
    def hook(grad):
        if epoch > 3:                        # runs when called, not per iteration: not watched
            grad.zero_()
    seen = 0
    for batch in loader:
        seen += 1
        global_step += 1
        if seen == 4:                        # 20: `seen` is reset per epoch: the batches loop's
            swap()
        if global_step >= warmup and batch:  # 22: the epochs' (outermost) progress
            aux_on()
"""


def test_the_branches_watched_are_those_that_wait_on_a_loop_s_progress() -> None:
    from gradfix.sandbox import loops

    before = len(loops._branches)
    loops.compile_user_code(KINDS, "kinds.py")
    watched = [(b.test.lineno, b.orelse) for b in loops._branches[before:]]
    assert sorted(watched) == [(3, False), (5, False), (7, False), (7, True), (20, False), (22, False)]
    inner, outer = loops._loops[-2:]
    owners = {loops._branches[n].test.lineno for n in inner.branches}, {loops._branches[n].test.lineno for n in outer.branches}
    assert owners == ({20}, {3, 5, 7, 22})


CALLED = """
class Agent:
    def learn(self, batch, step, every=10):
        if step % every == 0:                     # 4: `step` is given the loop's target
            self.sync()
        if batch is None:                         # 6: `batch` is not the loop's progress
            self.skip()
        self.updates += 1
        if self.updates > self.warmup:            # 9: a counter of its own: not the loop's progress
            self.unfreeze()

    def evaluate(self, step):
        if step % 5 == 0:                         # 13: never called from a loop
            self.sync()

    @staticmethod
    def decay(step, rate):
        if step > 500:                            # 18: a static method's first parameter is its own
            rate = 0.0
        return rate


def schedule(optimizer, epoch):
    if epoch == 3:                                # 24: given by keyword below
        optimizer.param_groups[0]["lr"] = 0.01


for step in range(1000):
    batch = next(batches)
    agent.learn(batch, step)
    schedule(opt, epoch=step // 100)
    lr = Agent.decay(step, lr)
"""


def test_the_ifs_of_functions_a_loop_calls_with_its_progress_wait_on_that_loop() -> None:
    from gradfix.sandbox import loops

    before = len(loops._branches)
    loops.compile_user_code(CALLED, "called.py")
    watched = sorted(b.test.lineno for b in loops._branches[before:])
    assert watched == [4, 18, 24]
    assert {loops._branches[n].test.lineno for n in loops._loops[-1].branches} == {4, 18, 24}


SYNCED_IN_A_METHOD = """
import copy
import torch
import torch.nn as nn

torch.manual_seed(0)
online = nn.Linear(4, 2)
target = copy.deepcopy(online)
optimizer = torch.optim.SGD(online.parameters(), lr=0.1)


def learn(x, step):
    loss = (online(x) - target(x).detach()).pow(2).mean() + online(x).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % SYNC == 0:
        target.load_state_dict(online.state_dict())


for step in range(1, 500):
    learn(torch.randn(8, 4), step)
"""


def test_a_loop_goes_on_until_a_sync_in_a_method_it_calls_has_run(run_script: Run) -> None:
    trace = run_script(SYNCED_IN_A_METHOD.replace("SYNC", "12")).trace
    assert trace.crash is None, trace.crash
    assert 12 <= trace.steps < 30 and trace.unreached_branches == []
    assert trace.param("target.weight").changed and not trace.param("target.weight").got_grad
    far = run_script(SYNCED_IN_A_METHOD.replace("SYNC", "400")).trace
    [branch] = far.unreached_branches
    assert branch.site.line == 17 and far.steps == 30  # `if step % 400 == 0:`, 10x the cut


WHILE_PHASES = """
import torch
import torch.nn as nn

torch.manual_seed(0)
encoder, head = nn.Linear(4, 4), nn.Linear(4, 1)


def pretrain(max_steps):
    optimizer = torch.optim.SGD(encoder.parameters(), lr=0.1)
    step = 0
    while step < max_steps:
        x = torch.randn(8, 4)
        if step % 2:
            step += 1
            continue  # every other batch skipped: `continue` still goes on to the next test
        optimizer.zero_grad()
        encoder(x).pow(2).mean().backward()
        optimizer.step()
        step += 1


def finetune():
    optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
    done = False
    while not done:
        optimizer.zero_grad()
        head(encoder(torch.randn(8, 4))).pow(2).mean().backward()
        optimizer.step()
    else:
        print("never")


pretrain(100000)
print("phase two")
finetune_steps = 0
while True:
    optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
    optimizer.zero_grad()
    head(torch.randn(8, 4)).pow(2).mean().backward()
    optimizer.step()
    finetune_steps += 1
    if finetune_steps >= 100000:
        break
print("end", finetune_steps)
"""


def test_a_while_loop_is_cut_as_a_for_loop_is_and_the_script_goes_on(run_script: Run) -> None:
    result = run_script(WHILE_PHASES)  # finetune() is never called: its `while ... else` is looked at below
    trace = result.trace
    assert trace.crash is None, trace.crash
    # Each `while` ends after 3 iterations that stepped; the skipped batches in between are free.
    assert trace.steps == 6, trace.steps
    assert "phase two" in result.stdout and "end 3" in result.stdout
    assert trace.param("head.weight").changed and trace.param("encoder.weight").changed


def test_a_while_loop_with_an_else_is_left_as_it_is() -> None:
    from gradfix.sandbox import loops

    code = loops.compile_user_code(WHILE_PHASES, "phases.py")
    names = {n for c in [code, *[k for k in code.co_consts if hasattr(k, "co_names")]] for n in c.co_names}
    assert loops.FOREVER in names  # the plain whiles became shortened loops
    finetune = next(k for k in code.co_consts if getattr(k, "co_name", "") == "finetune")
    assert loops.FOREVER not in finetune.co_names  # `while not done: ... else:` kept its own test


ENDLESS_SOURCES = """
import queue
import threading

import torch
import torch.nn as nn

torch.manual_seed(0)
data = [(torch.randn(8, 4), torch.randn(8, 1)) for _ in range(5)]


def cycle():
    i = 0
    while True:
        yield data[i % len(data)]
        i += 1


batches, filled, stop = cycle(), queue.Queue(maxsize=4), threading.Event()


def producer():
    i = 0
    while not stop.is_set():
        try:
            filled.put(data[i % len(data)], timeout=0.1)
        except queue.Full:
            continue
        i += 1


threading.Thread(target=producer, daemon=True).start()
model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(100):
    (x, y), (x2, y2) = next(batches), filled.get()
    loss = nn.functional.mse_loss(model(x), y) + nn.functional.mse_loss(model(x2), y2)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
stop.set()
print("done")
"""


def test_a_while_loop_that_feeds_the_training_is_not_cut(run_script: Run) -> None:
    # The generator's `while True: yield` and the producer thread's `while` span the consumer's
    # steps: cut, they would end the training loop with a StopIteration, or starve it.
    result = run_script(ENDLESS_SOURCES)
    trace = result.trace
    assert trace.crash is None and not trace.timed_out and not trace.late_stop, (trace.crash, trace.late_stop)
    assert trace.steps == 3 and "done" in result.stdout


# 100 epochs of 4 batches whose epoch-gated arms (ARMS) only report: what a user sees is a run of a few
# epochs and a plain all-clear, not a loop held open for 30 epochs and "not an all-clear".
REPORTING = """
import logging
import torch
import torch.nn as nn

logging.basicConfig(level=logging.INFO)
logger = logging.getLogger("train")
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 16), nn.Dropout(0.1), nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x, y = torch.randn(16, 8), torch.randn(16, 1)
x_val, y_val = torch.randn(8, 8), torch.randn(8, 1)
best = float("inf")
history = []
for epoch in range(100):
    model.train()
    for batch in range(4):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
ARMS
print("best", best, len(history))
"""

CHECKPOINT_AND_LOG = """
    if (epoch + 1) % 50 == 0:
        torch.save({"model": model.state_dict(), "epoch": epoch}, f"checkpoint_{epoch + 1}.pt")
        logger.info("epoch %d: loss %.4f, lr %g", epoch, loss.item(), optimizer.param_groups[0]["lr"])
"""

VALIDATION = """
    if (epoch + 1) % 10 == 0:
        model.eval()
        total = 0.0
        with torch.no_grad():
            for start in range(0, 8, 4):
                total += nn.functional.mse_loss(model(x_val[start:start + 4]), y_val[start:start + 4]).item()
        history.append(total)
        if total < best:
            best = total
            torch.save(model.state_dict(), "best.pt")
        model.train()
        print(f"epoch {epoch}: validation {total:.4f}")
"""


def _reporting(arms: str) -> str:
    return REPORTING.replace("ARMS", arms.strip("\n"))


def _suggest(tmp_path: Path, text: str, exit_code: int = 0) -> str:
    script = tmp_path / "train.py"
    script.write_text(text)
    result = CliRunner().invoke(main, ["suggest", str(script)], catch_exceptions=False)
    assert result.exit_code == exit_code, result.output
    return result.output


def test_a_branch_that_only_checkpoints_and_logs_holds_no_loop_open(run_script: Run, tmp_path: Path) -> None:
    trace = run_script(_reporting(CHECKPOINT_AND_LOG)).trace
    assert trace.crash is None, trace.crash
    assert trace.steps == 9 and trace.unreached_branches == []  # 3 epochs of 3 batches, as with no branch
    output = _suggest(tmp_path, _reporting(CHECKPOINT_AND_LOG))
    assert "No gradient problems found (" in output and "not an all-clear" not in output


def test_a_branch_that_only_validates_holds_no_loop_open(run_script: Run, tmp_path: Path) -> None:
    trace = run_script(_reporting(VALIDATION)).trace
    assert trace.crash is None, trace.crash
    assert trace.steps == 9 and trace.unreached_branches == []
    output = _suggest(tmp_path, _reporting(VALIDATION + CHECKPOINT_AND_LOG))
    assert "No gradient problems found (" in output and "not an all-clear" not in output


HELPER_CHANGES_TRAINING = """
import torch
import torch.nn as nn


def unfreeze(module):
    for p in module.parameters():
        p.requires_grad_(True)


def set_learning_rate(optimizer, lr):
    for group in optimizer.param_groups:
        group["lr"] = lr


torch.manual_seed(0)
body, head = nn.Linear(8, 8), nn.Linear(8, 1)
body.requires_grad_(False)
optimizer = torch.optim.SGD(list(body.parameters()) + list(head.parameters()), lr=0.1)
x, y = torch.randn(16, 8), torch.randn(16, 1)
for epoch in range(100):
    if epoch == 5:
        unfreeze(body)
        print("unfrozen")
    if epoch == 7:
        set_learning_rate(optimizer, 0.0)
    for batch in range(4):
        optimizer.zero_grad()
        nn.functional.mse_loss(head(torch.relu(body(x))), y).backward()
        optimizer.step()
"""


def test_a_branch_that_unfreezes_or_zeroes_the_lr_through_a_helper_still_holds_the_loop(run_script: Run, tmp_path: Path) -> None:
    trace = run_script(HELPER_CHANGES_TRAINING).trace
    assert trace.crash is None, trace.crash
    assert trace.unreached_branches == []
    assert trace.steps >= 8 * 3  # epochs 0..7 at least: both helpers ran
    assert trace.param("body.weight").got_grad
    assert "GF019" in _suggest(tmp_path, HELPER_CHANGES_TRAINING, exit_code=1)  # the learning rate set to 0 at epoch 7


ARMS = {
    "print(epoch)": False,
    "writer.add_scalar('loss', loss.item(), epoch)": False,
    "wandb.log({'loss': loss})": False,
    "np.save('w.npy', w.detach().numpy())": False,
    "model.eval()\n        with torch.no_grad():\n            acc = accuracy(model(xv), yv)\n        print(acc)": False,
    "save(model)": True,  # not known to only write
    "opt.add_param_group({'params': head.parameters()})": True,
    "writer.add_scalar('lr', lr)\n        lr = lr * 0.1": True,  # the training reads lr
    "with torch.no_grad():\n            model.weight.mul_(0.5)": True,  # writes a weight
    "with torch.no_grad():\n            model.head = nn.Linear(4, 1)": True,
    "for g in opt.param_groups:\n            g['lr'] = 0.01": True,
    "model.freeze_backbone()": True,
}


def test_which_arms_only_report() -> None:
    from gradfix.sandbox import loops

    for arm, watched in ARMS.items():
        before = len(loops._branches)
        loops.compile_user_code(
            f"import numpy as np\nimport torch\nfor epoch in range(9):\n    if epoch == 5:\n        {arm}\n    step(lr)\n",
            "arms.py",
        )
        assert (len(loops._branches) > before) == watched, arm
