"""The probe's record of the calls around steps (GF055's evidence): the chains of user calls
through which each optimizer's step() ran, the tests of ifs around step()/zero_grad() calls, and
the objects that keep an optimizer that never stepped."""

from __future__ import annotations

from typing import Callable

from gradfix.sandbox import RunResult

Run = Callable[..., RunResult]

TWO_MODELS = """
import torch
import torch.nn as nn

torch.manual_seed(0)
a, b = nn.Linear(4, 1), nn.Linear(4, 1)
opt_a = torch.optim.SGD(a.parameters(), lr=0.1)
opt_b = torch.optim.SGD(b.parameters(), lr=0.1)

def update(loss, optimizer):
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

def train(x, first, second):
    update(a(x).pow(2).mean(), first)
    update(b(x).pow(2).mean(), second)

for i in range(4):
    train(torch.randn(8, 4), opt_a, opt_a)
"""


def test_a_step_through_a_helper_records_its_callers_and_whose_gradients_it_missed(run_script: Run) -> None:
    trace = run_script(TWO_MODELS).trace
    assert trace.crash is None, trace.crash
    calls = sorted(trace.step_calls, key=lambda c: c.sites[1].line)
    assert [[s.function for s in c.sites] for c in calls] == [["update", "train", "<module>"]] * 2
    first, second = calls
    assert {c.optimizer for c in calls} == {0}
    # The second call's step came after a loss that reached only what opt_b holds.
    assert (first.others, first.held_none) == ([], False)
    assert (second.others, second.held_none) == ([1], True)
    # Each frame's names for optimizers: the helper's parameter, train()'s, the script's globals.
    assert second.names[0]["optimizer"] == 0
    assert second.names[1] == {"first": 0, "second": 0}
    assert second.names[2]["opt_b"] == 1


CONDITIONS = """
import torch
import torch.nn as nn

class Wrapper:
    def __init__(self, optimizer, every=1):
        self._optimizer = optimizer
        self.every = every
        self.count = 0

    def step(self):
        self.count += 1
        if self.every > 1 and self.count % self.every == 0:
            self._optimizer.step()

torch.manual_seed(0)
model, head = nn.Linear(4, 4), nn.Linear(4, 1)
wrapped = Wrapper(torch.optim.SGD(model.parameters(), lr=0.1))
head_opt = torch.optim.SGD(head.parameters(), lr=0.1)
seen = []
for i in range(6):
    loss = head(model(torch.randn(8, 4))).pow(2).mean()
    loss.backward()
    wrapped.step()
    if i % 2 == 0 and (seen.append(i) or True):
        head_opt.step()
        head_opt.zero_grad()
assert seen == [0, 2, 4], seen
"""


def test_the_tests_of_ifs_around_steps_are_counted_per_operand_and_run_as_written(run_script: Run) -> None:
    trace = run_script(CONDITIONS, steps=20).trace
    assert trace.crash is None, trace.crash  # the script's own assertion: `and` still stops early
    tests = {(t.site.line, t.site.column): (t.evaluated, t.held) for t in trace.condition_tests}
    # `self.every > 1` never held, so the counter operand after it never ran.
    assert tests[(13, 11)] == (6, 0)
    assert (13, 30) not in tests
    # `if i % 2 == 0 and (...)`: each operand on its own, at its own span (within its parentheses)
    assert tests[(25, 7)] == (6, 3)
    assert tests[(25, 23)] == (3, 3)
    assert len(tests) == 3


def test_the_objects_that_keep_an_optimizer_that_never_stepped_are_found(run_script: Run) -> None:
    trace = run_script(CONDITIONS, steps=20).trace
    idle = [o for o in trace.optimizers if not o.steps]
    assert len(idle) == 1
    assert [(h.cls, h.attr) for h in idle[0].holders] == [("Wrapper", "_optimizer")]
    assert idle[0].reached_as == ["wrapped._optimizer"]
    assert all(not o.holders and not o.reached_as for o in trace.optimizers if o.steps)
