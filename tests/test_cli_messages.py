"""What the command line tells a user when something is off: the script's own argument errors,
environment variables the sandbox dropped, output paths that cannot be written, folder runs with
a bad script, and what ``apply --yes`` wrote and held back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradfix.cli import main

from conftest import CORPUS

SEED = CORPUS / "seed"

ARGPARSE_SCRIPT = """\
import argparse
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, required=True)
args = parser.parse_args()
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(args.epochs):
    optimizer.zero_grad()
    model(torch.randn(4, 2)).sum().backward()
    optimizer.step()
"""


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def one_line(result) -> str:  # type: ignore[no-untyped-def]
    assert "Traceback" not in result.output, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def no_runs(monkeypatch: pytest.MonkeyPatch, what: str = "_diagnose") -> None:
    """Starting the analysis (or only the sandbox) fails the test: the check must come first."""
    import gradfix.cli as cli
    import gradfix.sandbox as sandbox

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the analysis ran")

    # The CLI imports the sandbox only once the instant checks have passed.
    monkeypatch.setattr(sandbox if what == "Sandbox" else cli, what, refuse)


# -- 1. the script's argument errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (["--epochs", "abc"], "argument --epochs: invalid int value: 'abc'"),
        (["--epochs", "1", "--bogus", "1"], "unrecognized arguments: --bogus 1"),
    ],
)
def test_argparse_message_is_shown_when_arguments_were_given(tmp_path: Path, given: list[str], said: str) -> None:
    script = tmp_path / "train.py"
    script.write_text(ARGPARSE_SCRIPT)
    result = run("suggest", str(script), "--", *given)
    assert result.exit_code == 2
    line = one_line(result)
    assert said in line and "needs arguments" not in line
    assert "usage: train.py" in line


def test_needs_arguments_only_when_none_were_given(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(ARGPARSE_SCRIPT)
    result = run("suggest", str(script))
    assert result.exit_code == 2
    line = one_line(result)
    assert "the script needs arguments" in line and "the following arguments are required: --epochs" in line
    assert line.endswith("pass them after --")


def test_double_dash_arguments_are_for_one_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(ARGPARSE_SCRIPT)
    no_runs(monkeypatch, "Sandbox")
    result = run("suggest", str(tmp_path), "--", "--epochs", "1")
    assert result.exit_code == 2
    line = one_line(result)
    assert "arguments after -- are for one script" in line and "a.py" in line and "b.py" in line
    assert "[tool.gradfix]" in line


# -- 2. environment variables the sandbox dropped --------------------------------------------------


ENV_SCRIPTS = {
    "key_error.py": "import os, torch\nepochs = int(os.environ['NUM_EPOCHS'])\n",
    "none.py": "import os, torch\nepochs = int(os.getenv('NUM_EPOCHS'))\n",
    "not_set_anywhere.py": "import os, torch\nepochs = int(os.environ['GRADFIX_TEST_UNSET'])\n",
}


@pytest.mark.parametrize("name", sorted(ENV_SCRIPTS))
def test_a_crash_on_a_dropped_variable_says_how_to_pass_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("NUM_EPOCHS", "3")
    monkeypatch.delenv("GRADFIX_TEST_UNSET", raising=False)
    script = tmp_path / name
    script.write_text(ENV_SCRIPTS[name])
    result = run("suggest", str(script))
    assert result.exit_code == 2
    line = one_line(result)
    assert "crashed before training" in line
    if name == "not_set_anywhere.py":  # not gradfix's doing: no word about --env
        assert "--env" not in line
    else:
        assert "gradfix dropped NUM_EPOCHS" in line and "--env NUM_EPOCHS passes it" in line


def test_verbose_lists_the_dropped_names_never_their_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADFIX_TEST_SETTING", "value-that-must-not-show")
    script = tmp_path / "train.py"
    shutil.copy(CORPUS / "clean" / "two_models_two_optimizers.py", script)
    result = run("suggest", str(script), "-v")
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.stderr.splitlines() if "GRADFIX_TEST_SETTING" in line]
    assert "--env NAME" in line
    assert "value-that-must-not-show" not in result.output
    passed = run("suggest", str(script), "-v", "--env", "GRADFIX_TEST_SETTING")
    assert "GRADFIX_TEST_SETTING" not in passed.stderr


# -- 3. output paths are checked before anything runs ----------------------------------------------


def test_unwritable_output_paths_fail_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_runs(monkeypatch)
    script = tmp_path / "train.py"
    script.write_text(ARGPARSE_SCRIPT)
    missing = run("suggest", str(script), "--format", "sarif", "-o", str(tmp_path / "missing" / "out.sarif"))
    assert missing.exit_code == 2
    assert one_line(missing).startswith("gradfix: -o ") and "no such folder" in one_line(missing)
    folder = run("suggest", str(script), "-o", str(tmp_path))
    assert folder.exit_code == 2 and "is a folder" in one_line(folder)
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps({"version": 1, "files": []}))
    review = run("review", "--from", str(saved), "--save", str(tmp_path / "missing" / "r.json"))
    assert review.exit_code == 2
    assert one_line(review).startswith("gradfix: --save ") and "no such folder" in one_line(review)


# -- 4. folder runs --------------------------------------------------------------------------------


def test_folder_run_findings_win_over_a_bad_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    shutil.copy(SEED / "empty_optimizer.py", tmp_path / "empty_optimizer.py")
    shutil.copy(CORPUS / "clean" / "two_models_two_optimizers.py", tmp_path / "clean_one.py")
    (tmp_path / "broken.py").write_text("import torch\nloss.backward(\n")
    monkeypatch.chdir(tmp_path)
    result = run("suggest", ".")
    assert result.exit_code == 1, result.output  # findings: what CI must see
    assert "broken.py" in result.stderr and "syntax error" in result.stderr
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["script", "findings"])
    assert len([line for line in lines[header + 1 :] if line.strip()]) == 3  # one row per script
    assert "3 scripts (1 could not be diagnosed)" in result.stdout
    [hint] = [line for line in result.stdout.splitlines() if line.startswith("To write them:")]
    assert "empty_optimizer.py" in hint and "clean_one.py" not in hint and "broken.py" not in hint


def test_folder_run_where_every_script_fails_still_prints_its_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    (tmp_path / "broken.py").write_text("import torch\nloss.backward(\n")  # refused before any run
    (tmp_path / "needs_args.py").write_text(ARGPARSE_SCRIPT)  # refused by its own run
    monkeypatch.chdir(tmp_path)
    result = run("suggest", ".")
    assert result.exit_code == 2, result.output
    assert "syntax error" in result.stderr and "needs arguments" in result.stderr
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["script", "findings"])
    rows = [line.split()[0] for line in lines[header + 1 :] if line.strip() and not line.startswith(" " * 8)]
    assert rows == ["broken.py", "needs_args.py"]  # one row per script, as when some succeed
    assert "No script could be diagnosed (2 scripts" in result.stdout
    assert "No gradient problems found" not in result.stdout

def test_summary_counts_every_row_and_hints_only_fixable_scripts() -> None:
    from gradfix.findings import Applicability, Finding, Fix, Report, Result, Verdict
    from gradfix.edits import Patch
    from gradfix.repair import Problem
    from gradfix.report.text import summary

    fixed = Result(
        Finding("GF001", "t", "m", "/p/a.py", 3, 0),
        fix=Fix("d", Applicability.SAFE, [Patch("/p/a.py", [])], Verdict(True, "ok")),
    )
    outcomes = [
        Report("/p/a.py", [fixed], {}, runs=2, final_state="ran"),
        Report("/p/clean.py", [], {}, runs=1, final_state="ran"),
        Problem("/p/bad.py", "bad.py: syntax error"),
    ]
    text = summary(outcomes).plain
    assert "3 scripts (1 could not be diagnosed)" in text
    assert "gradfix apply /p/a.py --yes" in text and "clean.py" not in text and "bad.py" not in text


# -- 8. what apply --yes wrote and held back -------------------------------------------------------


def test_apply_yes_names_each_written_and_held_back_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    for name in ("empty_optimizer.py", "accidental_freeze.py"):
        shutil.copy(SEED / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    result = run("apply", "empty_optimizer.py", "accidental_freeze.py", "--yes")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "fixed empty_optimizer.py:16: GF001 optimizer built with an empty parameter list (pass model.parameters() to the optimizer)" in out
    assert "wrote empty_optimizer.py" in out
    [held] = [line for line in out.splitlines() if "GF004" in line]
    assert held.startswith("not written (unsafe): accidental_freeze.py:")
    assert "To write them: gradfix apply accidental_freeze.py --yes --unsafe-fixes" in out
    assert "empty_optimizer.py --yes --unsafe-fixes" not in out


LEARNING_RATE_ZERO = """\
import torch

model = torch.nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 0.0)
for step in range(5):
    optimizer.zero_grad()
    model(torch.randn(8, 4)).pow(2).mean().backward()
    optimizer.step()
    schedule.step()
"""


def test_apply_yes_names_each_finding_it_leaves_and_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """apply once said only "0 fix(es) written, 1 finding(s) left.", not which finding, nor why."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    (tmp_path / "warmup.py").write_text(LEARNING_RATE_ZERO)
    monkeypatch.chdir(tmp_path)
    result = run("apply", "warmup.py", "--yes")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        "not fixed: warmup.py:5: GF019 learning rate set to 0 by a schedule (no automatic fix: the evidence does not say which change is right)",
        "0 fix(es) written, 1 finding(s) left.",
    ]


def test_each_reason_a_finding_is_left_is_worded_as_suggest_words_it() -> None:
    from gradfix.edits import Patch
    from gradfix.findings import Applicability, Finding, Fix, Report, Result, Verdict
    from gradfix.report.text import not_fixed

    def finding(line: int) -> Finding:
        return Finding("GF013", "parameters receive gradients but no optimizer holds them", "m", "/p/a.py", line, 0)

    shown = Result(finding(1), note="display-only: gradfix explains; the change is yours to make")
    tried = Result(finding(2), rejected=[("add model.head to the optimizer", "model.head.weight still does not change"), ("b", "c")])
    declined = Result(finding(3), fix=Fix("d", Applicability.UNSAFE, [Patch("/p/a.py", [])], Verdict(True, "ok")))
    bare = Result(finding(4))
    report = Report("/p/a.py", [shown, tried, declined, bare], {}, runs=2, final_state="ran")
    lines = not_fixed([(report, report.results)]).plain.splitlines()
    assert [line.split(" (", 1)[1] for line in lines] == [
        "display-only: gradfix explains; the change is yours to make)",
        "no candidate fix verified: rejected: add model.head to the optimizer: model.head.weight still does not change; and 1 more)",
        "its verified fix was not accepted (declined at the prompt, or verified on top of one that was))",
        "no automatic fix)",
    ]
    assert all(line.startswith("not fixed: ") and ": GF013 parameters receive gradients" in line for line in lines)


# -- 7. small things that made the output look unfinished --------------------------------------


def test_parameter_table_says_absent_where_a_run_had_no_such_parameter() -> None:
    from rich.console import Console

    from gradfix.findings import Finding, ParamRow, Result
    from gradfix.report.text import param_table

    result = Result(Finding("GF026", "t", "m", "/p/a.py", 3, 0))
    result.table = [ParamRow("model.head.weight", None, (True, True, True)), ParamRow("model.w", (True, False, False), None)]
    console = Console(record=True, width=200)
    console.print(param_table(result))
    shown = console.export_text()
    assert "?" not in shown
    assert "absent → yes" in shown and "no → absent" in shown


LIBRARY = """\
import torch
import torch.nn as nn


class Trainer:
    def __init__(self):
        self.model = nn.Linear(10, 1)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

    def step(self, x):
        loss = self.model(x).pow(2).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
"""

LIBRARY_USER = """\
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lib.trainer import Trainer

trainer = Trainer()
trainer.model.weight.requires_grad = False
for _ in range(3):
    trainer.step(torch.randn(4, 10))
"""


def test_a_project_without_markers_is_the_folder_gradfix_runs_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without .git or pyproject.toml, the code beside scripts/ is the user's too, as it would be
    with a marker: the model it builds is named (`self.model.weight`), not `<Linear#1>.weight`."""
    from gradfix.project import find_root

    (tmp_path / "lib").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "trainer.py").write_text(LIBRARY)
    (tmp_path / "scripts" / "train.py").write_text(LIBRARY_USER)
    script = tmp_path / "scripts" / "train.py"
    markers = (".git", "pyproject.toml", "setup.py", "setup.cfg")
    if any((folder / marker).exists() for folder in tmp_path.resolve().parents for marker in markers):
        pytest.skip("a folder above the test's temporary folder has a project marker")
    monkeypatch.chdir(tmp_path)
    result = run("suggest", "scripts/train.py", "--format", "json")
    [entry] = json.loads(result.stdout)["files"]
    assert [f["params"] for f in entry["findings"]] == [["self.model.weight"]]
    # Run from inside scripts/ (or from anywhere else), the project is the script's own folder.
    assert find_root(str(script), cwd=str(tmp_path)) == str(tmp_path.resolve())
    assert find_root(str(script), cwd=str(tmp_path / "scripts")) == str(script.parent.resolve())
    assert find_root(str(script), cwd="/") == str(script.parent.resolve())


def test_interactive_without_a_terminal_says_so_before_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(SEED / "empty_optimizer.py", tmp_path / "train.py")
    no_runs(monkeypatch)
    result = run("apply", str(tmp_path / "train.py"), "--interactive")  # CliRunner's input is no terminal
    assert result.exit_code == 2
    # `--yes` alone would write no unsafe fix: the line names what writes those too.
    assert one_line(result) == (
        "gradfix: --interactive needs a terminal to ask; without one, --yes writes the verified safe fixes, "
        "--yes --unsafe-fixes the unsafe ones too"
    )


def test_explain_takes_the_names_rules_prints_and_shows_no_markup() -> None:
    from gradfix.rules import all_rules

    listed = run("rules").output.splitlines()
    for rule in all_rules():
        assert any(line.split()[:2] == [rule.code, rule.slug] for line in listed)
        by_name, by_code = run("explain", rule.slug), run("explain", rule.code.lower())
        assert by_name.exit_code == by_code.exit_code == 0
        assert by_name.output == by_code.output
        assert "``" not in by_name.output and ":class:" not in by_name.output, rule.slug
    assert "`requires_grad = False`" in run("explain", "accidental_freeze").output
    assert run("explain", "no_such_rule").exit_code == 2


def test_help_shows_whole_sentences() -> None:
    commands = run("--help").output.split("Commands:")[1].strip().splitlines()
    assert len(commands) == len(main.commands)
    for line in commands:
        assert line.endswith(".") and not line.endswith(("...", "e.g.")), line


@pytest.mark.parametrize("command", ["suggest", "apply", "review"])
def test_help_says_steps_end_each_training_loop(command: str) -> None:
    # The early stop is per loop (docs/performance.md), not N optimizer steps for the whole script.
    text = " ".join(run(command, "--help").output.split())
    assert "End each training loop after N iterations that stepped an optimizer (default 3)" in text
    assert "a run ends after 20 x N steps in all" in text
    assert "after N optimizer steps" not in text

@pytest.mark.parametrize("command", ["suggest", "apply", "review"])
def test_help_says_what_the_timeout_bounds(command: str) -> None:
    # The limit is per run, from the script's start: start-up and re-runs add to the wall time.
    text = " ".join(run(command, "--help").output.split())
    assert "Seconds each run of the script may take, from its start (default 60)" in text
    assert "gradfix's start-up and the re-runs that verify fixes come on top" in text

def test_the_readme_shows_what_make_demo_prints() -> None:
    """The README's block for the command the Makefile's demo target runs is that command's
    output, line for line (trailing spaces aside)."""
    import re
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    recipe = (root / "Makefile").read_text().split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    [command] = re.findall(r"\$\(BIN\)/gradfix ([^;\n]+)", recipe)
    readme = (root / "README.md").read_text()
    opening = f"```text\n$ gradfix {command.strip()}\n"
    assert opening in readme, f"the README shows no block for `gradfix {command.strip()}`, the command make demo runs"
    shown = readme.split(opening, 1)[1].split("\n```", 1)[0].splitlines()
    done = subprocess.run(
        [sys.executable, "-m", "gradfix", *command.split()], cwd=root, capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "PYTHONPATH": str(root)},
    )
    assert done.returncode == 1, done.stderr
    printed = [line.rstrip() for line in done.stdout.splitlines()]
    assert [line.rstrip() for line in shown] == printed


# -- "No gradient problems found" is only said of a run that showed training -------------------------

LONG_ACCUMULATION = """\
import torch

model = torch.nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
accumulate = 4096
for i in range(2 * accumulate):
    (model(torch.randn(2, 4)).pow(2).mean() / accumulate).backward()
    if (i + 1) % accumulate == 0:
        optimizer.step()
        optimizer.zero_grad()
"""


def test_a_run_that_never_reaches_a_step_is_not_called_clean(tmp_path: Path) -> None:
    # The step is due after 4096 micro-batches, past even the longer second run: gradfix saw
    # gradients and no update, so it cannot say that everything meant to train did change.
    script = tmp_path / "long_accumulation.py"
    script.write_text(LONG_ACCUMULATION)
    result = run("suggest", str(script))
    line = one_line(result)
    assert result.exit_code == 2, result.output
    assert "No gradient problems found" not in line
    assert "no optimizer step ran in the first 2048 backward passes" in line


BYPASSED_ADAPTER = """
import math
import torch
import torch.nn as nn

class Adapted(nn.Module):
    def __init__(self, base, r=4):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.down = nn.Parameter(torch.randn(r, base.in_features) / math.sqrt(base.in_features))
        self.up = nn.Parameter(torch.zeros(base.out_features, r))

    @property
    def weight(self):  # what nn.MultiheadAttention reads: the base's, without the update
        return self.base.weight

    @property
    def bias(self):
        return self.base.bias

    def forward(self, x):
        return self.base(x) + x @ self.down.t() @ self.up.t()

torch.manual_seed(0)
attention = nn.MultiheadAttention(16, 2, batch_first=True)
attention.out_proj = Adapted(attention.out_proj)
head = Adapted(nn.Linear(16, 1))
params = [p for p in [*attention.parameters(), *head.parameters()] if p.requires_grad]
optimizer = torch.optim.Adam(params, lr=1e-2)
for step in range(20):
    x = torch.randn(8, 5, 16)
    out, _ = attention(x, x, x)
    loss = head(out).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def test_an_adapter_that_never_ran_while_its_class_did_is_no_all_clear(tmp_path: Path) -> None:
    # The attention reads its out_proj's weight and never calls it: the adapter put there never
    # runs, while the head's adapter of the same class does. No rule calls that a fault (a layer may
    # be unused on purpose), but "No gradient problems found" would promise it trained.
    script = tmp_path / "adapters.py"
    script.write_text(BYPASSED_ADAPTER)
    result = CliRunner().invoke(main, ["suggest", str(script)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "attention.out_proj.down, attention.out_proj.up, held by this optimizer, never changed" in result.output
    assert "not an all-clear: 1 part of the training never ran" in result.output
    assert "head.down" not in result.output


def test_a_scaler_that_skips_every_step_is_said_even_when_no_op_explains_it(tmp_path: Path) -> None:
    # Every step skipped for NaN gradients trains nothing, silently: the finding comes without a
    # fix when the run shows no op at a singular point (here a division by a difference of 0).
    script = tmp_path / "nan.py"
    script.write_text(
        "import torch\n"
        "net = torch.nn.Linear(3, 1)\n"
        "optimizer = torch.optim.SGD(net.parameters(), lr=0.1)\n"
        "scaler = torch.amp.GradScaler('cpu')\n"
        "for step in range(10):\n"
        "    out = net(torch.randn(4, 3))\n"
        "    loss = (out / (out - out)).mean()\n"
        "    optimizer.zero_grad()\n"
        "    scaler.scale(loss).backward()\n"
        "    scaler.step(optimizer)\n"
        "    scaler.update()\n"
    )
    result = CliRunner().invoke(main, ["suggest", str(script)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "GF092" in result.output and "skipped all" in result.output
    assert "no automatic fix: the run shows no op" in result.output


TORCH_ALIASED = """\
import torch as th

model = th.nn.Linear(3, 1)
optimizer = th.optim.SGD(model.parameters(), lr=0.1)
x = th.randn(8, 3)
for _ in range(3):
    optimizer.zero_grad()
    with th.no_grad():
        loss = model(x).sum()
    loss.requires_grad_(True)
    loss.backward()
    optimizer.step()
"""


def test_a_script_that_imports_torch_under_another_name_reads_torch_in_messages(tmp_path: Path) -> None:
    # What the run says about torch's own classes is text, not a name the script binds: a script
    # that imports `torch as th` must not see "torch" in gradfix's own words hidden as a foreign name.
    script = tmp_path / "train.py"
    script.write_text(TORCH_ALIASED)
    result = run("suggest", str(script), "--format", "json")
    messages = [f["message"] for file in json.loads(result.output)["files"] for f in file["findings"]]
    assert messages, result.output
    assert not any("<hidden name" in m for m in messages), messages
