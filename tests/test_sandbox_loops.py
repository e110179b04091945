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
        model.train()
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
