"""The probe's record of gradients that pile up across steps (GF030's evidence): backward() calls
that add onto gradients an earlier step() already applied, when the next step() applies them."""

from __future__ import annotations

from typing import Callable

import pytest

from gradfix.sandbox import RunResult

Run = Callable[..., RunResult]

LOOP = """
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
head = nn.Linear(1, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
head_optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
x, y = torch.randn(64, 4), torch.randn(64, 1)
for epoch in range(3):
    {epoch}
    for i in range(0, 64, 8):
        {batch}
        loss = (head(model(x[i : i + 8])) - y[i : i + 8]).pow(2).mean()
        loss.backward()
        optimizer.step()
        head_optimizer.step()
        {after}
"""


def stale(run: Run, epoch: str = "pass", batch: str = "pass", after: str = "pass") -> list[int]:
    trace = run(LOOP.format(epoch=epoch, batch=batch, after=after)).trace
    assert trace.crash is None, trace.crash
    return [o.stale_backwards for o in trace.optimizers]


@pytest.mark.parametrize(
    "epoch, batch, after",
    [
        ("pass", "optimizer.zero_grad(); head_optimizer.zero_grad()", "pass"),
        ("pass", "pass", "optimizer.zero_grad(); head_optimizer.zero_grad()"),
        ("pass", "model.zero_grad(set_to_none=False); head.zero_grad(set_to_none=False)", "pass"),
        ("pass", "for p in [*model.parameters(), *head.parameters()]: p.grad = None", "pass"),
        ("pass", "pass", "[p.grad.zero_() for p in [*model.parameters(), *head.parameters()]]"),
    ],
)
def test_every_kind_of_clear_leaves_nothing_stale(run_script: Run, epoch: str, batch: str, after: str) -> None:
    assert stale(run_script, epoch, batch, after) == [0, 0]


def test_no_clear_counts_every_backward_after_the_first_step(run_script: Run) -> None:
    trace = run_script(LOOP.format(epoch="pass", batch="pass", after="pass")).trace
    first = trace.optimizers[0]
    # 3 epochs of 3 batches (the shortened loops): every backward but the very first.
    assert first.stale_backwards == 8
    assert [s.line for s in first.stale_backward_sites] == [16]
    assert first.stale_step_site is not None and first.stale_step_site.line == 17


def test_a_clear_per_epoch_or_of_one_model_only_is_not_enough(run_script: Run) -> None:
    per_epoch = stale(run_script, epoch="optimizer.zero_grad(); head_optimizer.zero_grad()")
    assert per_epoch == [6, 6]  # the second and third batch of each epoch
    assert stale(run_script, batch="model.zero_grad()") == [0, 8]


def test_a_zero_grad_without_parentheses_clears_nothing(run_script: Run) -> None:
    assert stale(run_script, batch="optimizer.zero_grad; head_optimizer.zero_grad()") == [8, 0]


ACCUMULATION = """
import torch
import torch.nn as nn

model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for i in range(40):
    loss = model(torch.randn(8, 4)).pow(2).mean() / 4
    loss.backward()
    if (i + 1) % 4 == 0:
        optimizer.step()
        {clear}
"""


def test_intended_accumulation_is_not_stale_and_a_forgotten_clear_is(run_script: Run) -> None:
    assert run_script(ACCUMULATION.format(clear="optimizer.zero_grad()")).trace.optimizers[0].stale_backwards == 0
    assert run_script(ACCUMULATION.format(clear="pass")).trace.optimizers[0].stale_backwards == 8


GAN = """
import torch
import torch.nn as nn

G, D = nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
bce = nn.BCELoss()
for it in range(10):
    {clear_d}
    fake = G(torch.randn(16, 2))
    loss_d = bce(D(torch.randn(16, 2) + 2), torch.ones(16, 1)) + bce(D(fake.detach()), torch.zeros(16, 1))
    loss_d.backward()
    opt_d.step()
    G.zero_grad()
    loss_g = bce(D(fake), torch.ones(16, 1))  # adds onto D's applied gradients
    loss_g.backward()
    opt_g.step()
"""


def test_a_gan_generator_loss_through_the_cleared_discriminator_is_not_stale(run_script: Run) -> None:
    trace = run_script(GAN.format(clear_d="D.zero_grad()")).trace
    assert [o.stale_backwards for o in trace.optimizers] == [0, 0]
    # Without the discriminator's clear, its step applies the generator loss's gradients too.
    trace = run_script(GAN.format(clear_d="pass")).trace
    d = trace.optimizers[1]
    assert trace.optimizers[0].stale_backwards == 0 and d.stale_backwards > 0
    # The generator's backward (after D's step) and D's own, in the order they ran.
    assert [s.line for s in d.stale_backward_sites] == [16, 12]
