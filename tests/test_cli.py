"""The command line as users and other tools meet it: output, exit codes, JSON, apply, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradfix.cli import main

from conftest import CORPUS

SEED = CORPUS / "seed"


def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the seed examples in a project of their own, safe to write to."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    for script in SEED.glob("*.py"):
        if not script.name.endswith(".fixed.py"):
            shutil.copy(script, tmp_path / script.name)
    return tmp_path


def test_suggest_prints_location_params_and_verified_diff(project: Path) -> None:
    result = invoke("suggest", str(project / "empty_optimizer.py"))
    assert result.exit_code == 1
    out = result.output
    assert "empty_optimizer.py:16:12: GF001" in out
    assert "model.linear.weight" in out and "model.linear.bias" in out
    assert "-optimizer = optim.SGD([], lr=0.01)" in out
    assert "+optimizer = optim.SGD(model.parameters(), lr=0.01)" in out
    assert "verified: model.linear.weight, model.linear.bias now receive gradients" in out


def test_suggest_never_modifies_the_script(project: Path) -> None:
    script = project / "accidental_freeze.py"
    before = script.read_bytes()
    invoke("suggest", str(script))
    assert script.read_bytes() == before


def test_suggest_json_contract(project: Path) -> None:
    result = invoke("suggest", str(project / "integer_input.py"), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["version"] == 1
    [entry] = data["files"]
    assert entry["path"].endswith("integer_input.py")
    [finding] = entry["findings"]
    assert finding["code"] == "GF003"
    assert (finding["line"], finding["column"]) == (11, 9)
    assert finding["params"] == ["model.weight", "model.bias"]
    fix = finding["fix"]
    assert fix["verified"] is True and fix["applicability"] == "safe"
    [edit] = fix["edits"]
    assert edit["start"] == {"line": 9, "column": 60}
    assert edit["replacement"] == "torch.float32"
    assert fix["diff"].startswith("--- a/")


def test_clean_script_exits_zero(tmp_path: Path) -> None:
    script = tmp_path / "ok.py"
    shutil.copy(CORPUS / "clean" / "two_models_two_optimizers.py", script)
    result = invoke("suggest", str(script))
    assert result.exit_code == 0, result.output
    assert "No gradient problems found" in result.output


def test_printed_diff_applies_with_git_apply(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    subprocess.run(["git", "init", "-q"], check=True)
    for name in ("backward_under_no_grad.py", "accidental_freeze.py", "integer_input.py"):
        data = json.loads(invoke("suggest", name, "--format", "json").output)
        diff = data["files"][0]["findings"][0]["fix"]["diff"]
        assert diff.startswith(f"--- a/{name}\n+++ b/{name}\n")
        Path("fix.patch").write_text(diff)
        subprocess.run(["git", "apply", "fix.patch"], check=True)
        assert Path(name).read_text() == (SEED / name.replace(".py", ".fixed.py")).read_text()


def test_apply_yes_writes_safe_fix(project: Path) -> None:
    script = project / "empty_optimizer.py"
    result = invoke("apply", str(script), "--yes")
    assert result.exit_code == 0, result.output
    assert script.read_text() == (SEED / "empty_optimizer.fixed.py").read_text()


def test_apply_yes_leaves_unsafe_fix_without_opt_in(project: Path) -> None:
    script = project / "accidental_freeze.py"
    before = script.read_text()
    result = invoke("apply", str(script), "--yes")
    assert result.exit_code == 1
    assert "--unsafe-fixes" in result.output
    assert script.read_text() == before
    result = invoke("apply", str(script), "--yes", "--unsafe-fixes")
    assert result.exit_code == 0
    assert script.read_text() == (SEED / "accidental_freeze.fixed.py").read_text()


def test_apply_interactive_answers(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gradfix.cli as cli

    monkeypatch.setattr(cli, "_terminal", lambda: True)  # the answers come from CliRunner's input
    script = project / "integer_input.py"
    before = script.read_text()
    declined = invoke("apply", str(script), "--interactive", input="n\n")
    assert "Apply this fix?" in declined.output
    assert script.read_text() == before
    accepted = invoke("apply", str(script), "--interactive", input="y\n")
    assert accepted.exit_code == 0
    assert script.read_text() == (SEED / "integer_input.fixed.py").read_text()


def test_apply_interactive_says_once_what_each_answer_does(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gradfix.cli as cli

    monkeypatch.setattr(cli, "_terminal", lambda: True)
    scripts = [str(project / "integer_input.py"), str(project / "empty_optimizer.py")]
    result = invoke("apply", *scripts, "--interactive", input="y\ny\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Apply this fix?") == 2
    [legend] = [line for line in result.output.splitlines() if line.startswith("y = apply this fix")]
    assert "n = do not apply it" in legend and "a = apply it and the rest" in legend and "q = stop reviewing" in legend
    assert result.output.index(legend) < result.output.index("Apply this fix?")


def test_apply_refuses_a_file_changed_since_diagnosis(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gradfix.cli as cli

    script = project / "empty_optimizer.py"
    real = cli._diagnose

    def diagnose_then_edit(*args, **kwargs):  # type: ignore[no-untyped-def]
        outcomes = real(*args, **kwargs)
        script.write_text(script.read_text() + "\n# edited meanwhile\n")
        return outcomes

    monkeypatch.setattr(cli, "_diagnose", diagnose_then_edit)
    result = CliRunner().invoke(main, ["apply", str(script), "--yes"])
    assert result.exit_code == 2
    assert "changed since gradfix diagnosed it" in result.output
    assert script.read_text().endswith("# edited meanwhile\n")


def test_apply_needs_a_mode(project: Path) -> None:
    result = CliRunner().invoke(main, ["apply", str(project / "empty_optimizer.py")])
    assert result.exit_code == 2


def test_ignore_comment_silences_the_finding(project: Path) -> None:
    script = project / "empty_optimizer.py"
    text = script.read_text().replace(
        "optimizer = optim.SGD([], lr=0.01) # Incorrect: Empty parameter list",
        "optimizer = optim.SGD([], lr=0.01)  # gradfix: ignore[GF001]",
    )
    script.write_text(text)
    result = invoke("suggest", str(script))
    # No finding is reported (the crash it causes is named with its ignore: the test below).
    assert "GF001" not in result.stdout and result.exit_code != 1
    other = text.replace("ignore[GF001]", "ignore[GF004]")
    script.write_text(other)
    assert "GF001" in invoke("suggest", str(script)).output


GRAD_OFF_SCRIPT = """\
import torch

model = torch.nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
torch.set_grad_enabled(False){comment}
for _ in range(3):
    optimizer.zero_grad()
    model(torch.randn(8, 4)).pow(2).mean().backward()
    optimizer.step()
"""


def test_a_crash_whose_finding_is_silenced_names_the_ignore(tmp_path: Path) -> None:
    """A silenced finding that crashes the script is named with what silenced it, not called a
    crash gradfix cannot explain; still exit 2, since nothing after the crash was diagnosed."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    script = tmp_path / "train.py"
    script.write_text(GRAD_OFF_SCRIPT.format(comment="  # gradfix: ignore[GF011]"))
    result = invoke("suggest", str(script))
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert "knows no gradient fault" not in line
    assert "GF011" in line and "at line 5, by its `# gradfix: ignore[GF011]` comment" in line
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n[tool.gradfix]\nignore = ['GF011']\n")
    script.write_text(GRAD_OFF_SCRIPT.format(comment=""))
    result = invoke("suggest", str(script))
    assert result.exit_code == 2, result.output
    assert "GF011" in result.stderr and "by `ignore` or `per-file-ignores` in [tool.gradfix]" in result.stderr


BAD_INPUTS = {
    "missing": (None, "no such file"),
    "directory": ("<dir>", "no training scripts found"),
    "notes.txt": ("import torch\n", "not a Python file"),
    "syntax.py": ("import torch\ndef broken(:\n", "syntax error at line 2: invalid syntax"),  # Python's words
    "unclosed.py": ("import torch\nx = (1,\n", "syntax error at line 2: '(' was never closed"),
    "latin1.py": (b"import torch\n# caf\xe9\n", "not UTF-8"),
    "empty.py": ("", "empty"),
    "no_torch.py": ("print('hello')\n", "nothing to diagnose"),
    "hangs.py": ("import torch, time\nwhile True:\n    time.sleep(0.01)\n", "hang"),
    "hangs_after_optimizer.py": (
        "import torch, time\nm = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(m.parameters(), lr=0.1)\nwhile True:\n    time.sleep(0.01)\n",
        "built an optimizer but ran no backward() within 2 s",
    ),
    # Training began, then the script hung: the steps it ran are no all-clear for what came after.
    "hangs_in_loop.py": (
        "import torch\nm = torch.nn.Linear(4, 1)\nopt = torch.optim.SGD(m.parameters(), lr=0.1)\nfor step in range(10):\n"
        "    opt.zero_grad(); m(torch.randn(8, 4)).pow(2).mean().backward(); opt.step()\n    if step == 1:\n        while True:\n            pass\n",
        "stopped at the time limit (2 s) after 2 optimizer steps: it may hang, or be slow (raise --timeout)",
    ),
    "needs_args.py": (
        "import argparse, torch\np = argparse.ArgumentParser()\np.add_argument('--data', required=True)\np.parse_args()\n",
        "needs arguments",
    ),
    "exits_early.py": ("import sys, torch\nsys.exit(3)\n", "exited with status 3"),
    "mac_endings.py": (b"import torch\rx = 1\r", "carriage returns"),
    "crashes_early.py": ("import torch\nopen('/nonexistent/data.csv')\n", "crashed before training"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    content, expected = BAD_INPUTS[name]
    path = tmp_path / name
    if content == "<dir>":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = CliRunner().invoke(main, ["suggest", str(path), "--timeout", "2"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and name.split(".")[0] in lines[0], result.output


@pytest.mark.parametrize("name", ["missing", "directory", "syntax.py", "empty.py"])
def test_bad_input_to_apply_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    """apply once added "0 fix(es) written, 0 finding(s) left." to the error of a script it never ran."""
    content, expected = BAD_INPUTS[name]
    path = tmp_path / name
    if content == "<dir>":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    result = CliRunner().invoke(main, ["apply", str(path), "--yes", "--timeout", "2"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.output


def test_script_args_are_passed_after_double_dash(tmp_path: Path) -> None:
    script = tmp_path / "args.py"
    shutil.copy(SEED / "empty_optimizer.py", script)
    text = script.read_text().replace(
        "import torch\n", "import argparse\nimport torch\nargparse.ArgumentParser().add_argument('--lr', required=True)\n", 1
    )
    text = "import sys\nassert sys.argv[1:] == ['--lr', '0.1'], sys.argv\n" + text
    script.write_text(text)
    result = invoke("suggest", str(script), "--", "--lr", "0.1")
    assert result.exit_code == 1, result.output
    assert "GF001" in result.output


def test_no_fork_gives_the_same_json(project: Path) -> None:
    for name in ("empty_optimizer.py", "integer_input.py"):
        forked = invoke("suggest", str(project / name), "--format", "json").output
        fresh = invoke("suggest", str(project / name), "--format", "json", "--no-fork").output
        assert json.loads(forked) == json.loads(fresh)


def test_installed_command_runs_as_a_real_process(project: Path) -> None:
    exe = shutil.which("gradfix", path=os.path.dirname(sys.executable)) or shutil.which("gradfix")
    assert exe, "the gradfix console script is not installed"
    done = subprocess.run([exe, "suggest", str(project / "empty_optimizer.py")], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "GF001" in done.stdout and done.stdout.rstrip().endswith("to review each).")  # all of it, flushed
    module = subprocess.run([sys.executable, "-m", "gradfix", "rules"], capture_output=True, text=True)
    assert module.returncode == 0 and "GF004" in module.stdout
    # The exit codes survive the fast exit: 2 for bad input, with its one-line message.
    missing = subprocess.run([exe, "suggest", str(project / "nope.py")], capture_output=True, text=True)
    assert missing.returncode == 2 and missing.stderr.strip().endswith("no such file")
    piped = subprocess.run([exe, "suggest", str(project / "empty_optimizer.py"), "--format", "json", "-o", str(project / "out.json")])
    assert piped.returncode == 1 and json.loads((project / "out.json").read_text())["files"]


def test_gpu_script_is_diagnosed_on_the_cpu_and_fixed_in_its_own_terms(tmp_path: Path) -> None:
    script = tmp_path / "gpu.py"
    script.write_text(
        "import torch\n"
        "device = torch.device('cuda')\n"
        "w = torch.randn(3, requires_grad=True).cuda()\n"
        "opt = torch.optim.SGD([w], lr=0.1)\n"
        "x = torch.randn(8, 3).to(device)\n"
        "for _ in range(3):\n"
        "    opt.zero_grad()\n"
        "    (x @ w).pow(2).mean().backward()\n"
        "    opt.step()\n"
    )
    result = invoke("suggest", str(script))
    assert result.exit_code == 1, result.output
    assert "no GPU here: ran the script's CUDA path on the CPU" in result.output
    assert '+w = torch.randn(3, device="cuda", requires_grad=True)' in result.output
    assert "verified: w now receive" in result.output


def test_many_scripts_in_one_run_with_a_summary(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    for name in ("empty_optimizer.py", "integer_input.py"):
        shutil.copy(SEED / name, tmp_path / name)
    shutil.copy(CORPUS / "clean" / "two_models_two_optimizers.py", tmp_path / "clean_one.py")
    (tmp_path / "helpers.py").write_text("import torch\n\ndef scale(x):\n    return x * 2\n")  # no training: skipped
    (tmp_path / "broken.py").write_text("import torch\nloss.backward(\n")
    result = invoke("suggest", str(tmp_path), "--format", "json")
    data = json.loads(result.stdout)
    paths = sorted(Path(f["path"]).name for f in data["files"])
    assert paths == ["broken.py", "clean_one.py", "empty_optimizer.py", "integer_input.py"]
    by_name = {Path(f["path"]).name: f for f in data["files"]}
    assert "syntax error" in by_name["broken.py"]["error"]
    assert [f["code"] for f in by_name["empty_optimizer.py"]["findings"]] == ["GF001"]
    assert by_name["clean_one.py"]["findings"] == []
    assert result.exit_code == 1  # findings win over the script that could not be diagnosed (listed)
    text = invoke("suggest", str(tmp_path / "empty_optimizer.py"), str(tmp_path / "integer_input.py"))
    assert text.exit_code == 1
    assert "sandbox runs" in text.output and "GF001" in text.output and "GF003" in text.output


def test_jobs_do_not_change_the_results(project: Path) -> None:
    def findings(jobs: str) -> list:  # type: ignore[type-arg]
        data = json.loads(invoke("suggest", str(project), "--format", "json", "--jobs", jobs).stdout)
        return [f["findings"] for f in data["files"]]  # run counts differ: parallel tries every candidate

    assert findings("1") == findings("2")


def test_env_passes_a_variable_the_sandbox_would_drop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "needs_env.py"
    script.write_text("import os\n" + (SEED / "empty_optimizer.py").read_text().replace("import torch\n", "import torch\ndata = os.environ['DATA_DIR']\n", 1))
    monkeypatch.setenv("DATA_DIR", "/data")
    assert "KeyError" in invoke("suggest", str(script)).output
    assert "GF001" in invoke("suggest", str(script), "--env", "DATA_DIR").output
    assert "GF001" in invoke("suggest", str(script), "--env", "DATA_DIR=/elsewhere").output


def test_a_failing_rule_is_reported_and_the_others_still_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gradfix.rules.accidental_freeze import AccidentalFreeze

    def broken(self, trace, project):  # type: ignore[no-untyped-def]
        raise ValueError("boom")

    monkeypatch.setattr(AccidentalFreeze, "check", broken)
    result = invoke("suggest", str(project / "empty_optimizer.py"))
    assert result.exit_code == 1 and "GF001" in result.stdout
    assert "rule GF004 failed (ValueError: boom)" in result.stderr and "Traceback" not in result.output


def test_suggest_warns_in_one_line_where_there_is_no_sandbox(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gradfix.sandbox import isolate

    monkeypatch.setattr(isolate, "available", lambda: "no Linux namespaces on darwin")
    result = CliRunner().invoke(main, ["suggest", str(project / "empty_optimizer.py"), "--format", "json"])
    assert result.exit_code == 1
    [warning] = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warning.startswith("gradfix: warning: no sandbox here (no Linux namespaces on darwin)")
    assert json.loads(result.stdout)["files"]


def test_a_finding_before_the_time_limit_is_still_reported(tmp_path: Path) -> None:
    """The time limit makes an all-clear exit 2; what the steps before it showed is still a finding."""
    script = tmp_path / "hangs_after_a_fault.py"
    script.write_text(
        "import torch\nimport torch.nn as nn\nmodel = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))\n"
        "for param in model[0].parameters():\n    param.requires_grad = False\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for step in range(10):\n    opt.zero_grad(); model(torch.randn(8, 4)).pow(2).mean().backward(); opt.step()\n"
        "    if step == 1:\n        while True:\n            pass\n"
    )
    result = invoke("suggest", str(script), "--timeout", "3")
    assert result.exit_code == 1, result.output
    assert "GF004" in result.stdout and "stopped at the time limit" in result.stdout
