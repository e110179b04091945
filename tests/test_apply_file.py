"""``apply`` and the file on disk (issue 14, item 6): a file the user changes while gradfix works
is left as the user made it, on every write path; line endings, a byte-order mark, a read-only
file, the owner, the mode and a symlink are kept.

The stale tests change the file between diagnosis and write at the two places it can happen: while
a candidate fix runs (from outside, in a real process whose sandboxed run waits while the test
edits the file; and in-process, when the candidate run starts), and at the last moment, once the
new bytes are staged beside the file, just before the rename.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradfix.cli import main

from conftest import CORPUS, ROOT

STEP = CORPUS / "missing_step" / "step_forgotten_main.py"  # the fix inserts `optimizer.step()`
EMPTY = CORPUS / "seed" / "empty_optimizer.py"
MODULE = CORPUS / "misspelled_init" / "encoder_in_models_file"  # the fix is in models.py
NOTEBOOK = CORPUS / "notebooks" / "empty_optimizer_three_cells.ipynb"
EDIT = "# the user's edit, made while gradfix worked\n"


def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def fixed(case: Path) -> bytes:
    return case.with_name(case.name.replace(".py", ".fixed.py").replace(".ipynb", ".fixed.ipynb")).read_bytes()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def user_edit(path: Path) -> bytes:
    """What the user does meanwhile: a line added at the top (every later line moves down one)."""
    data = EDIT.encode() + path.read_bytes()
    path.write_bytes(data)
    return data


def assert_refused_and_kept(result, path: Path, expected: bytes) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    assert f"{path.name} changed since gradfix diagnosed it" in result.output
    assert "nothing written" in result.output
    assert path.read_bytes() == expected
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".gradfix-")]


# -- the file changes while a candidate runs -------------------------------------------------------

CANDIDATE_WAITS = '''\
import ctypes
import sys
import time

import torch
from torch import nn

# The candidate run (its code calls optimizer.step(); the script as written does not) names itself
# where the test, outside the sandbox, can see it, and waits while the test edits this file.
if "step" in sys._getframe().f_code.co_names:
    ctypes.CDLL(None).prctl(15, b"{name}", 0, 0, 0)  # PR_SET_NAME
    time.sleep(4)

model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(3):
    optimizer.zero_grad()
    loss = model(torch.randn(8, 4)).pow(2).mean()
    loss.backward()
'''


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test finds the run by its name in /proc")
def test_an_edit_made_while_a_candidate_runs_is_kept_from_outside(project: Path) -> None:
    name = "gf" + uuid.uuid4().hex[:12]
    script = project / "train.py"
    script.write_text(CANDIDATE_WAITS.replace("{name}", name))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gradfix", "apply", "--yes", "train.py"], cwd=project, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not _running(name):
            assert process.poll() is None, f"gradfix ended before the candidate ran: {process.stdout.read() if process.stdout else ''}"
            assert time.monotonic() < deadline, "the candidate run never started"
            time.sleep(0.01)
        expected = user_edit(script)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 2, output
    assert "train.py changed since gradfix diagnosed it" in output and "nothing written" in output
    assert script.read_bytes() == expected


def _running(name: str) -> bool:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() == name:
                    return True
            except OSError:
                continue
    return False


def test_an_edit_made_when_a_candidate_run_starts_is_kept(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gradfix.sandbox import runner

    script = project / "train.py"
    shutil.copy(STEP, script)
    real_start = runner.Sandbox._start
    edited: list[bytes] = []

    def start(self, path, args, overlay, threads):  # type: ignore[no-untyped-def]
        if overlay and not edited:  # the first candidate run: the script as diagnosed is already read
            edited.append(user_edit(script))
        return real_start(self, path, args, overlay, threads)

    monkeypatch.setattr(runner.Sandbox, "_start", start)
    result = invoke("apply", "--yes", "train.py")
    assert edited
    assert_refused_and_kept(result, script, edited[0])


# -- the file changes just before the rename, on every write path ----------------------------------


def edit_when_staged(monkeypatch: pytest.MonkeyPatch, victim: Path) -> list[bytes]:
    """Edit ``victim`` the moment apply makes its temporary file beside the file it writes: the
    new bytes are ready, the rename is next."""
    real_mkstemp = tempfile.mkstemp
    edited: list[bytes] = []

    def mkstemp(*args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("prefix") == ".gradfix-" and not edited:
            edited.append(user_edit(victim) if victim.suffix == ".py" else _edit_notebook(victim))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    return edited


def _edit_notebook(path: Path) -> bytes:
    data = json.loads(path.read_text())
    code = next(cell for cell in data["cells"] if cell["cell_type"] == "code")
    code["source"] = EDIT + "".join(code["source"])
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return path.read_bytes()


def test_an_edit_just_before_the_rename_is_kept_apply_yes(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = project / "train.py"
    shutil.copy(STEP, script)
    edited = edit_when_staged(monkeypatch, script)
    result = invoke("apply", "--yes", "train.py")
    assert edited
    assert_refused_and_kept(result, script, edited[0])


def test_an_edit_just_before_the_rename_is_kept_apply_interactive(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gradfix.cli as cli

    monkeypatch.setattr(cli, "_terminal", lambda: True)  # the answer comes from CliRunner's input
    script = project / "train.py"
    shutil.copy(STEP, script)
    edited = edit_when_staged(monkeypatch, script)
    result = invoke("apply", "--interactive", "train.py", input="y\n")
    assert "Apply this fix?" in result.output and edited
    assert_refused_and_kept(result, script, edited[0])


def test_an_edit_just_before_the_rename_is_kept_helper_module(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("train.py", "models.py"):
        shutil.copy(MODULE / name, project / name)
    helper = project / "models.py"
    edited = edit_when_staged(monkeypatch, helper)
    result = invoke("apply", "--yes", "train.py")
    assert edited
    assert_refused_and_kept(result, helper, edited[0])


def test_an_edit_just_before_the_rename_is_kept_notebook(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project / NOTEBOOK.name
    shutil.copy(NOTEBOOK, path)
    edited = edit_when_staged(monkeypatch, path)
    result = invoke("apply", "--yes", path.name)
    assert edited
    assert_refused_and_kept(result, path, edited[0])


def test_an_edit_just_before_the_rename_is_kept_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder run writes each script's fixes in turn; the file edited is the second script."""
    (project / "scripts").mkdir()
    first, second = project / "scripts" / "a_empty.py", project / "scripts" / "b_step.py"
    shutil.copy(EMPTY, first)
    shutil.copy(STEP, second)
    real_mkstemp = tempfile.mkstemp
    edited: list[bytes] = []

    def mkstemp(*args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("prefix") == ".gradfix-" and first.read_bytes() != EMPTY.read_bytes() and not edited:
            edited.append(user_edit(second))  # the first script is written: the second is staged
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    result = invoke("apply", "--yes", "scripts")
    assert edited and first.read_bytes() == fixed(EMPTY)
    assert_refused_and_kept(result, second, edited[0])


def test_two_scripts_sharing_a_helper_write_its_fix_once(project: Path) -> None:
    """A folder run: both scripts' fixes are the same edit of models.py; the second script's
    write finds the file as the first one wrote it, not as a file the user changed."""
    for name in ("train.py", "models.py"):
        shutil.copy(MODULE / name, project / name)
    shutil.copy(MODULE / "train.py", project / "train_b.py")
    result = invoke("apply", "--yes", "train.py", "train_b.py")
    assert result.exit_code == 0, result.output
    assert (project / "models.py").read_bytes() == fixed(MODULE / "models.py")


# -- line endings and the byte-order mark ----------------------------------------------------------


def test_a_crlf_file_gets_crlf_in_the_lines_a_fix_inserts(project: Path) -> None:
    script = project / "train.py"
    script.write_bytes(STEP.read_bytes().replace(b"\n", b"\r\n"))
    report = json.loads(invoke("suggest", "--format", "json", "train.py").output)
    diff = report["files"][0]["findings"][0]["fix"]["diff"]
    result = invoke("apply", "--yes", "train.py")
    assert result.exit_code == 0, result.output
    expected = fixed(STEP).replace(b"\n", b"\r\n")
    assert script.read_bytes() == expected
    assert script.read_bytes().count(b"\n") == script.read_bytes().count(b"\r\n")
    # The diff gradfix shows is the change it writes: it applies with git to the same bytes.
    script.write_bytes(STEP.read_bytes().replace(b"\n", b"\r\n"))
    subprocess.run(["git", "init", "-q"], check=True)
    Path("fix.patch").write_bytes(diff.encode())
    subprocess.run(["git", "apply", "fix.patch"], check=True)
    assert script.read_bytes() == expected


def test_a_byte_order_mark_is_kept(project: Path) -> None:
    script = project / "train.py"
    script.write_bytes(b"\xef\xbb\xbf" + EMPTY.read_bytes())
    result = invoke("apply", "--yes", "train.py")
    assert result.exit_code == 0, result.output
    assert script.read_bytes() == b"\xef\xbb\xbf" + fixed(EMPTY)


def test_mixed_endings_each_inserted_line_ends_as_its_neighbours(project: Path) -> None:
    """The loop (where the step goes) ends its lines with \\r\\n, the rest of the file with \\n."""
    lines = STEP.read_bytes().split(b"\n")
    loop = next(i for i, line in enumerate(lines) if b"for epoch" in line)
    script = project / "train.py"
    script.write_bytes(b"\n".join(line + b"\r" if loop <= i < loop + 6 else line for i, line in enumerate(lines)))
    result = invoke("apply", "--yes", "train.py")
    assert result.exit_code == 0, result.output
    written = script.read_bytes()
    assert b"        optimizer.step()\r\n" in written
    assert written.replace(b"\r\n", b"\n") == fixed(STEP)


def test_lone_carriage_returns_are_refused_and_left_alone(project: Path) -> None:
    script = project / "train.py"
    data = EMPTY.read_bytes().replace(b"\n", b"\r")
    script.write_bytes(data)
    result = invoke("apply", "--yes", "train.py")
    assert result.exit_code == 2 and "carriage returns" in result.output
    assert script.read_bytes() == data


# -- read-only files, owner, mode, symlinks ---------------------------------------------------------


def test_a_read_only_file_is_refused_before_any_run_unless_force(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """apply once ran the whole diagnosis, then refused the file: it is checked first, as -o is."""
    import gradfix.sandbox as sandbox

    script = project / "train.py"
    shutil.copy(EMPTY, script)
    script.chmod(0o444)
    with monkeypatch.context() as patched:
        patched.setattr(sandbox, "Sandbox", lambda *args, **kwargs: pytest.fail("the script ran"))
        result = invoke("apply", "--yes", "train.py")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "gradfix: train.py is read-only (mode 0444): apply would write nothing to it; pass --force to write it anyway (its mode is kept)"
    ]
    assert script.read_bytes() == EMPTY.read_bytes()
    forced = invoke("apply", "--yes", "--force", "train.py")
    assert forced.exit_code == 0, forced.output
    assert script.read_bytes() == fixed(EMPTY)
    assert stat.S_IMODE(script.stat().st_mode) == 0o444


def test_the_help_names_force() -> None:
    assert "--force" in invoke("apply", "--help").output


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file to another user needs root")
def test_owner_group_and_mode_are_kept(project: Path) -> None:
    script = project / "train.py"
    shutil.copy(EMPTY, script)
    os.chown(script, 1234, 2345)
    script.chmod(0o2754)  # setgid too: a change of owner clears it; others may read (the run, root without capabilities, reads as them)
    result = invoke("apply", "--yes", "train.py")
    assert result.exit_code == 0, result.output
    after = script.stat()
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (1234, 2345, 0o2754)
    assert script.read_bytes() == fixed(EMPTY)


def test_the_mode_is_kept(project: Path) -> None:
    script = project / "train.py"
    shutil.copy(EMPTY, script)
    script.chmod(0o751)
    assert invoke("apply", "--yes", "train.py").exit_code == 0
    assert stat.S_IMODE(script.stat().st_mode) == 0o751 and script.read_bytes() == fixed(EMPTY)


def test_a_symlink_is_kept_and_its_target_written(project: Path) -> None:
    (project / "src").mkdir()
    target = project / "src" / "train_real.py"
    shutil.copy(EMPTY, target)
    link = project / "train.py"
    link.symlink_to(os.path.join("src", "train_real.py"))
    result = invoke("apply", "--yes", "train.py")
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == os.path.join("src", "train_real.py")
    assert target.read_bytes() == fixed(EMPTY)
