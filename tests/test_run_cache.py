"""The run cache (``Sandbox(cache=True)``): a run is answered from it only when everything that
decides it is the same (the script's bytes, the Python files beside it, the overlay, the
arguments, the settings), and the answer is a copy the caller may change."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from gradfix.sandbox import Sandbox

SCRIPT = """
import sys
import torch
import torch.nn as nn
import helper

model = nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(3):
    opt.zero_grad()
    model(torch.randn(4, 2)).sum().backward()
    opt.step()
print(helper.WORD, sys.argv[1:])
"""


def test_a_run_is_reused_only_for_the_same_bytes_args_and_settings(write_script: Callable[..., Path]) -> None:
    path = write_script(SCRIPT, helper="WORD = 'one'\n")
    box = Sandbox([str(path.parent)], steps=3, timeout=30, cache=True)
    first = box.run(str(path), [])
    assert first.trace.steps and first.probe_error is None
    again = box.run(str(path), [])
    assert box.cached == 1 and box.runs == 1
    assert again.stdout == first.stdout and again.trace == first.trace
    assert again.trace is not first.trace  # a copy: changing it changes nothing cached
    again.trace.params.clear()
    assert box.run(str(path), []).trace.params

    box.run(str(path), ["--x"])  # other arguments
    box.run(str(path), [], overlay={str(path): SCRIPT + "\n"})  # another text of the script
    (path.parent / "helper.py").write_text("WORD = 'two'\n")  # a file beside it changed
    changed = box.run(str(path), [])
    assert "two" in changed.stdout
    box.steps = 4  # another setting
    box.run(str(path), [])
    assert box.cached == 2 and box.runs == 5


def test_off_by_default(write_script: Callable[..., Path]) -> None:
    path = write_script("print('hi')\n")
    box = Sandbox([str(path.parent)], timeout=30)
    box.run(str(path), [])
    box.run(str(path), [])
    assert box.runs == 2 and box.cached == 0
