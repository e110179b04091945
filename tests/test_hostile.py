"""The hostile corpus (tests/hostile/): every attack runs under gradfix as a user would run it (the
CLI, in a real process, with fake secrets in its environment), and everything is checked from
outside the sandbox: gradfix's outputs in every format, the files on disk, the processes left, and
a later gradfix process.

The attacks run in a throw-away world: a project holding the scripts, a sibling folder, a home, and
a virtual environment whose site-packages is gradfix's (the real one is reached through a ``.pth``),
so that a sandbox that fails lets the attacks damage only that world. It lives outside /tmp where
it can (/var/tmp): /tmp is one of the sandbox's overlays, and the point is that the rest of the
file system is read-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from gradfix.sandbox import isolate

from conftest import ROOT

HOSTILE = Path(__file__).resolve().parent / "hostile"
SECRET_NAMES = [
    "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "NPM_TOKEN", "HF_TOKEN", "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL", "MY_DB_PASSWORD", "CORP_CREDENTIALS",
]
FORMATS = ["text", "json", "sarif", "github", "rdjson", "rdjsonl"]
# Where the attacks write besides the world itself (each file is named gfhostile-*).
SHARED_PLACES = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path("/etc"), Path("/opt")]

if isolate.available() is not None and os.environ.get("CI"):
    raise RuntimeError(f"CI must run the hostile corpus, but no sandbox can be built here: {isolate.available()}")
# Under xdist, every test here runs on one worker (tests/conftest.py, work_unit): one world at a time.
pytestmark = pytest.mark.skipif(isolate.available() is not None, reason=f"no sandbox here: {isolate.available()}")


@dataclass
class World:
    base: Path
    python: str
    secrets: dict[str, str]
    env: dict[str, str]
    site_packages: Path
    marker: Path
    before: dict[str, dict[str, bytes]] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # format -> everything gradfix printed or wrote
    survivors: list[str] = field(default_factory=list)

    @property
    def project(self) -> Path:
        return self.base / "project"

    @property
    def sibling(self) -> Path:
        return self.base / "sibling"

    def gradfix(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.python, "-m", "gradfix", *args], capture_output=True, text=True, env=self.env, cwd=self.project, timeout=600,
        )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder and its bytes (symlinks by target)."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            files[str(path.relative_to(folder))] = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    return files


def processes_marked(marks: list[str]) -> list[str]:
    """Live processes whose name, command line or environment carries one of the marks."""
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
            state = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if "zombie" not in state and any(mark in comm or mark in cmdline or mark in environ for mark in marks):
            found.append(f"{pid} {comm} {cmdline[:120]}")
    return found


def make_world() -> World:
    var_tmp = Path("/var/tmp")
    base = Path(tempfile.mkdtemp(prefix="gradfix-hostile-", dir=var_tmp if os.access(var_tmp, os.W_OK) else None))
    for name in ("project", "sibling", "home", "scratch", "outputs"):
        (base / name).mkdir()
    for script in HOSTILE.glob("*.py"):
        shutil.copy(script, base / "project" / script.name)
    (base / "project" / "pyproject.toml").write_text("[project]\nname = 'hostile'\n")
    for folder in (base / "project", base / "sibling"):
        (folder / "data.txt").write_text("the user's data\n")
        (folder / "keep.txt").write_text("keep me\n")
        (folder / "delete-me.txt").write_text("do not delete\n")
    (base / "home" / ".bashrc").write_text("# the user's shell\n")
    # A virtual environment of its own, on gradfix's packages: what the attacks plant lands here.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(base / "venv")], check=True)
    python = str(base / "venv" / "bin" / "python")
    site_packages = Path(subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True,
    ).stdout.strip())
    (site_packages / "gradfix_real_packages.pth").write_text(f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    marker = site_packages / f"gradfix_hostile_marker_{uuid.uuid4().hex}.txt"
    marker.write_text("the sandbox must not touch this\n")
    secrets = {name: f"gfsecret-{name}-{uuid.uuid4().hex}" for name in SECRET_NAMES}
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        **secrets,
        "PYTHONPATH": str(ROOT),
        "HOME": str(base / "home"),
        "TMPDIR": str(base / "scratch"),  # gradfix's scratch folders: none may survive
        "NO_COLOR": "1",
    }
    world = World(base, python, secrets, env, site_packages, marker)
    world.before = {
        "project": snapshot(world.project), "sibling": snapshot(world.sibling), "home": snapshot(base / "home"),
        "site-packages": snapshot(site_packages), "gradfix": snapshot(ROOT / "gradfix"),
    }
    return world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    world = make_world()
    try:
        for output_format in FORMATS:
            out = world.base / "outputs" / f"report.{output_format}"
            extra = ["-v"] if output_format == "text" else ["-o", str(out)]
            done = world.gradfix("suggest", ".", "--format", output_format, "--steps", "1", "--timeout", "20", *extra)
            written = out.read_text() if out.exists() else ""
            world.outputs[output_format] = done.stdout + done.stderr + written
        # The fresh-interpreter path has walls of its own to prove (the attacks on secrets and writes).
        done = world.gradfix("suggest", "read_secrets.py", "write_outside.py", "--no-fork", "--format", "json", "--steps", "1", "--timeout", "30")
        world.outputs["json --no-fork"] = done.stdout + done.stderr
        # Every process gradfix started has the world's scratch folder in its environment block.
        world.survivors = processes_marked(["gfhostile", str(world.base / "scratch")])
        # A later gradfix process on the same interpreter, with the real secrets, outside every sandbox.
        done = world.gradfix("rules")
        world.outputs["later process"] = done.stdout + done.stderr
        yield world
    finally:
        for place in SHARED_PLACES:
            for leftover in place.glob("gfhostile*"):
                shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink()
        shutil.rmtree(world.base, ignore_errors=True)


def test_every_attack_ran(world: World) -> None:
    text = world.outputs["text"]
    assert "read_secrets found []" in text, text[-3000:]  # it looked, and found nothing
    assert "refused: RuntimeError" in text  # 30 GiB: the memory limit said no at once
    for script in HOSTILE.glob("*.py"):
        assert script.name in world.outputs["json"], script.name
    assert "could not observe" not in text  # each run reported, whatever its processes did


@pytest.mark.parametrize("output_format", [*FORMATS, "json --no-fork"])
def test_no_secret_reaches_any_output(world: World, output_format: str) -> None:
    output = world.outputs[output_format]
    assert output.strip(), "gradfix printed nothing"
    assert [name for name, value in world.secrets.items() if value in output] == []


def test_no_secret_in_any_file_left_anywhere(world: World) -> None:
    places = [world.base, *SHARED_PLACES]
    leaked = []
    for place in places:
        for path in (place.rglob("*") if place == world.base else place.glob("gfhostile*")):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                leaked += [f"{name} in {path}" for name, value in world.secrets.items() if value.encode() in data]
    assert leaked == []


def test_nothing_changed_outside_the_scratch(world: World) -> None:
    after = {
        "project": snapshot(world.project), "sibling": snapshot(world.sibling), "home": snapshot(world.base / "home"),
        "site-packages": snapshot(world.site_packages), "gradfix": snapshot(ROOT / "gradfix"),
    }
    for place, files in world.before.items():
        changed = sorted(set(files) ^ set(after[place]) | {f for f in files if f in after[place] and files[f] != after[place][f]})
        assert changed == [], place
    assert world.marker.read_text() == "the sandbox must not touch this\n"
    assert not [str(p) for place in SHARED_PLACES for p in place.glob("gfhostile*")]
    assert [p.name for p in (world.base / "scratch").glob("gradfix-*")] == []  # no scratch folder survives


def test_no_process_is_left_behind(world: World) -> None:
    # The fork bomb, the SIGTERM-proof child, the setsid daemon, the subprocess, the warm process.
    assert world.survivors == []
    heartbeat = world.sibling / "gfhostile-heartbeat.txt"
    assert not heartbeat.exists()


def test_code_planted_in_site_packages_never_runs_later(world: World) -> None:
    assert "gfsecret" not in world.outputs["later process"]
    assert not (world.base / "planted-code-ran.txt").exists()
    for name in ("gfhostile.pth", "sitecustomize.py", "usercustomize.py", "click.py"):
        assert not (world.site_packages / name).exists()


# -- What comes back from a run is data (issue 14: text the script chose, and review's verdict) -----

BOUND_TOKEN = "ghp_" + hashlib.sha256(b"gradfix hostile bound secret").hexdigest()[:32]  # as secret_in_messages.py makes it
COMMAND_LINE = re.compile(r"^\s*::")  # a line GitHub's runner reads as a workflow command


def saved_report(world: World) -> dict:  # type: ignore[type-arg]
    return json.loads((world.base / "outputs" / "report.json").read_text())


def findings_for(world: World, script: str) -> list[dict]:  # type: ignore[type-arg]
    [entry] = [e for e in saved_report(world)["files"] if e["path"] == script]
    return entry["findings"]


def test_a_name_that_is_an_expression_never_becomes_code(world: World) -> None:
    [finding] = findings_for(world, "injected_names.py")
    assert finding["code"] == "GF001" and finding["fix"] is None, finding
    assert finding["rejected"] and all("not run" in r["reason"] for r in finding["rejected"]), finding["rejected"]
    for output_format, output in world.outputs.items():
        assert "gfinjected" not in output and "or holder[0]" not in output, output_format
    # What the run gave is replaced in the messages, and said to be so.
    assert "<hidden name #" in finding["message"] and all(p.startswith("<hidden name #") for p in finding["params"])


def test_a_name_the_script_bound_to_a_secret_reaches_no_output(world: World) -> None:
    [finding] = findings_for(world, "secret_in_messages.py")
    assert finding["code"] == "GF001" and finding["fix"] is None
    leaked = [fmt for fmt, output in world.outputs.items() if BOUND_TOKEN[4:] in output]
    assert leaked == []
    assert "in scope: <hidden name #" in finding["message"]


def test_no_output_line_is_a_workflow_command_but_gradfix_own(world: World) -> None:
    """The script prints a workflow command and raises one; only the annotations gradfix itself
    writes (``--format github``) may start a line with ``::``, and no escape sequence survives."""
    for output_format, output in world.outputs.items():
        commands = [line for line in output.splitlines() if COMMAND_LINE.match(line)]
        if output_format == "github":
            commands = [line for line in commands if not re.match(r"::(error|warning) title=gradfix[ ,(]", line)]
        assert commands == [], output_format
        assert "\x1b" not in output and "\x07" not in output, output_format
    assert "::warning title=gfhostile::forged from stdout" in world.outputs["text"]  # shown, disarmed


def review_repo(world: World) -> tuple[Path, dict[str, str]]:
    """A repository whose pull request adds the script that crashes before training."""
    repo = world.base / "review"
    repo.mkdir()
    env = {k: v for k, v in world.env.items() if not k.startswith("GITHUB_")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout

    git("init", "-q", "-b", "main")
    (repo / "pyproject.toml").write_text("[project]\nname = 'reviewed'\n")
    git("add", ".")
    git("commit", "-qm", "base")
    git("checkout", "-qb", "pr")
    shutil.copy(HOSTILE / "crash_before_training.py", repo / "train.py")
    git("add", ".")
    git("commit", "-qm", "a script that crashes")
    return repo, env


def test_review_never_posts_an_all_clear_for_a_script_it_could_not_diagnose(world: World) -> None:
    repo, env = review_repo(world)

    def gradfix(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([world.python, "-m", "gradfix", "review", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=600)

    saved = gradfix("--save", "report.json", "--base", "main", "--timeout", "20")
    assert saved.returncode == 0, saved.stderr  # the report is written; the verdict is the posting step's
    assert "could not diagnose train.py" in saved.stderr
    report = json.loads((repo / "report.json").read_text())
    [entry] = report["files"]
    assert entry["path"] == "train.py" and entry["error"] and entry["findings"] == []

    posted = {
        "--from": gradfix("--from", "report.json", "--dry-run", "--repo", "o/r", "--pr", "7", "--sha", "0" * 40),
        "run and post": gradfix("--dry-run", "--base", "main", "--repo", "o/r", "--pr", "7", "--timeout", "20"),
    }
    for how, done in posted.items():
        assert done.returncode == 2, (how, done.stdout, done.stderr)
        requests = json.loads(done.stdout)
        [summary] = [r["json"]["body"] for r in requests if r["path"].endswith("/issues/7/comments")]
        assert "No gradient problems found in the" not in summary and "could not diagnose 1 script" in summary, summary
        assert "train.py" in summary and "RuntimeError" in summary
        # The crash message is the script's: it is quoted as inert text.
        assert summary.count("<!--") == 1 and summary.startswith("<!-- gradfix:summary -->")
        assert "@octocat" not in summary and "](https://gfhostile" not in summary and "**No gradient" not in summary
        assert "\x1b" not in summary and not [line for line in summary.splitlines() if COMMAND_LINE.match(line)]
    assert gradfix("--from", "report.json", "--dry-run", "--repo", "o/r", "--pr", "7", "--fail-on", "never").returncode == 0

    # The action's annotation mode renders the same report: one gradfix annotation, nothing forged.
    from gradfix.report.formats import github

    [annotation] = github(report).splitlines()
    assert annotation.startswith("::error title=gradfix,file=train.py::") and "%250A::warning" in annotation
