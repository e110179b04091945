"""The instant checks and the status line: bad input is reported before torch is loaded or any run
starts (the script and the project's own modules it imports are read, decoded and parsed first),
and a terminal is told what gradfix is doing while it works, never a pipe or a machine format."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradfix import precheck
from gradfix.cli import main
from gradfix.sandbox import runner

from conftest import CORPUS, ROOT

BAD = {
    "syntax.py": (b"import torch\ndef broken(:\n", "syntax error at line 2: invalid syntax"),
    "empty.py": (b"", "the file is empty"),
    "latin1.py": (b"import torch\n# caf\xe9\n", "is not UTF-8 text (byte 18)"),
    "null_byte.py": (b"import torch\nx = 1\x00\n", "syntax error at line 2"),
}


def gradfix_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_reported_before_torch_is_imported(tmp_path: Path, name: str) -> None:
    content, expected = BAD[name]
    (tmp_path / name).write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gradfix", "suggest", name],
        capture_output=True, text=True, cwd=tmp_path, env=gradfix_env(), timeout=120,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "torch" not in imported and "gradfix.cli" in imported
    [message] = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert message.startswith(f"gradfix: {name}: ") and expected in message, message


@pytest.fixture
def no_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any run gradfix starts (a warm process, a fresh interpreter) is recorded, and never happens."""
    started: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        started.append(repr(args))
        raise AssertionError("a run was started for bad input")

    monkeypatch.setattr(runner.Sandbox, "_start", refuse)
    monkeypatch.setattr(runner, "Zygote", refuse)
    return started


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_starts_no_run(tmp_path: Path, name: str, no_runs: list[str]) -> None:
    content, expected = BAD[name]
    (tmp_path / name).write_bytes(content)
    result = CliRunner().invoke(main, ["suggest", str(tmp_path / name)])
    assert result.exit_code == 2, result.output
    assert expected in result.output and no_runs == []


def test_a_broken_module_the_script_imports_is_reported_before_any_run(tmp_path: Path, no_runs: list[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("")
    (tmp_path / "models" / "heads.py").write_text("import torch\nclass Head(torch.nn.Module:\n    pass\n")
    (tmp_path / "data.py").write_text("from models import heads\n")
    (tmp_path / "train.py").write_text("import torch\nimport data\nfrom models.heads import Head\n")
    result = CliRunner().invoke(main, ["suggest", str(tmp_path / "train.py")])
    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert "heads.py: syntax error at line 2" in line and "(imported by " in line and no_runs == []


def test_imports_that_may_never_run_are_not_checked(tmp_path: Path) -> None:
    """Python would run these scripts: a broken module imported in a function or a try block, and a
    module in another encoding that declares it."""
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n")
    (tmp_path / "train.py").write_text(
        "import torch\nimport latin\ntry:\n    import broken\nexcept SyntaxError:\n    broken = None\n"
        "def later():\n    import broken\n"
    )
    assert precheck.script_problem(str(tmp_path / "train.py")) is None
    (tmp_path / "eager.py").write_text("import torch\nimport broken\n")
    assert "broken.py: syntax error at line 1" in (precheck.script_problem(str(tmp_path / "eager.py")) or "")


def run_in_terminal(args: list[str], cwd: Path) -> tuple[str, float | None]:
    """Run gradfix with a pseudo-terminal as stdout and stderr: everything it wrote, and when
    (seconds after the start) the status line first said the script was running."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes gradfix
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, "-m", "gradfix", *args], {**gradfix_env(), "TERM": "xterm", "COLUMNS": "100"})
    start, seen, output = time.monotonic(), None, b""
    while True:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        output += data
        if seen is None and b"under the probe (step 2 of 3)" in output:
            seen = time.monotonic() - start
    os.waitpid(pid, 0)
    return output.decode(errors="replace"), seen


def test_a_terminal_sees_what_is_happening(tmp_path: Path) -> None:
    shutil.copy(CORPUS / "seed" / "empty_optimizer.py", tmp_path / "train.py")
    output, seen = run_in_terminal(["suggest", "train.py"], tmp_path)
    assert seen is not None and seen < 5.0, (seen, output[-2000:])  # about 0.1 s when the machine is idle
    assert "running train.py under the probe (step 2 of 3)" in output
    assert "re-running train.py with 1 candidate fix for GF001 (step 3 of 3)" in output
    assert "GF001" in output.split("(step 3 of 3)")[-1]  # the report comes after, the status is gone


def test_no_status_line_in_machine_formats_or_pipes(tmp_path: Path) -> None:
    shutil.copy(CORPUS / "seed" / "empty_optimizer.py", tmp_path / "train.py")
    output, seen = run_in_terminal(["suggest", "train.py", "--format", "json"], tmp_path)
    assert seen is None and "step 2 of 3" not in output
    assert json.loads(output)["files"]
    piped = subprocess.run(
        [sys.executable, "-m", "gradfix", "suggest", "train.py"], capture_output=True, text=True, cwd=tmp_path, env=gradfix_env(), timeout=300,
    )
    assert piped.returncode == 1 and "GF001" in piped.stdout
    assert "step 2 of 3" not in piped.stdout + piped.stderr
