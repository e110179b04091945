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


def review_repo(world: World, script: Path = HOSTILE / "crash_before_training.py") -> tuple[Path, dict[str, str]]:
    """A repository whose pull request adds a script (the one that crashes before training)."""
    repo = world.base / f"review-{script.stem}"
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
    shutil.copy(script, repo / "train.py")
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


# ---------------------------------------------------------------------------------------------
# Attacks run one at a time (tests/hostile/alone/): each needs something of its own from the test
# (a server, a descriptor, a signal to gradfix), or is too heavy to run once per output format.
# Each is checked from outside: the servers' logs, the host's /proc while it runs, the files, the
# root user's keyring, gradfix's own output.

import signal  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Optional  # noqa: E402

ALONE = HOSTILE / "alone"


@pytest.fixture(scope="module")
def lone() -> Iterator[World]:
    world = make_world()
    for script in ALONE.glob("*.py"):
        shutil.copy(script, world.project / script.name)
    (world.base / "later").mkdir()
    (world.base / "later" / "train.py").write_text(
        "import torch\nmodel = torch.nn.Linear(2, 1)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for _ in range(3):\n    optimizer.zero_grad()\n    model(torch.ones(4, 2)).sum().backward()\n    optimizer.step()\n"
    )
    try:
        yield world
    finally:
        for place in SHARED_PLACES:
            for leftover in place.glob("gfhostile*"):
                shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink()
        shutil.rmtree(world.base, ignore_errors=True)


class Invocation:
    """One gradfix command of a test: its own scratch folder (TMPDIR), by which its processes are
    known (every process it starts has that folder in its environment), and its output in files."""

    def __init__(self, world: World, name: str):
        self.world, self.name = world, name
        self.tmpdir = world.base / "scratch" / name
        self.tmpdir.mkdir()
        self.env = {**world.env, "TMPDIR": str(self.tmpdir)}
        self.process: Optional[subprocess.Popen[bytes]] = None

    def start(self, *args: str, command: Optional[list[str]] = None) -> subprocess.Popen[bytes]:
        """gradfix in a process group of its own (so that a signal to the group is a Ctrl-C)."""
        out = self.world.base / "outputs"
        with open(out / f"{self.name}.stdout", "wb") as stdout, open(out / f"{self.name}.stderr", "wb") as stderr:
            self.process = subprocess.Popen(
                [*(command or [self.world.python, "-m", "gradfix"]), *args], stdout=stdout, stderr=stderr, env=self.env,
                cwd=self.world.project, start_new_session=True,
            )
        return self.process

    def run(self, *args: str, command: Optional[list[str]] = None) -> int:
        return self.start(*args, command=command).wait(timeout=600)

    @property
    def output(self) -> tuple[str, str]:
        out = self.world.base / "outputs"
        return (out / f"{self.name}.stdout").read_text(errors="replace"), (out / f"{self.name}.stderr").read_text(errors="replace")

    def named(self, prefix: str) -> dict[int, str]:
        """Its live processes whose name starts with ``prefix``, by pid: their /proc/<pid>/status.
        (Other agents on the machine may run attacks of the same names.)"""
        found = {}
        for pid in (p for p in os.listdir("/proc") if p.isdigit()):
            try:
                if Path(f"/proc/{pid}/comm").read_text().startswith(prefix) and str(self.tmpdir).encode() in Path(f"/proc/{pid}/environ").read_bytes():
                    status = Path(f"/proc/{pid}/status").read_text()
                    if "zombie" not in status.split("State:", 1)[1].split("\n", 1)[0]:
                        found[int(pid)] = status
            except (OSError, IndexError):
                continue
        return found

    def watch(self, look: Callable[[], object], seconds: float = 300) -> None:
        """Call ``look`` every 20 ms until gradfix ends."""
        assert self.process is not None
        deadline = time.monotonic() + seconds
        while self.process.poll() is None and time.monotonic() < deadline:
            look()
            time.sleep(0.02)
        assert self.process.poll() is not None, "gradfix did not end"

    def wait_for(self, prefix: str, seconds: float = 300) -> None:
        assert self.process is not None
        deadline = time.monotonic() + seconds
        while not self.named(prefix):
            assert self.process.poll() is None, f"gradfix ended before the script started: {self.output}"
            assert time.monotonic() < deadline, f"no {prefix} process appeared"
            time.sleep(0.02)

    def scratch_left(self) -> list[str]:
        return sorted(p.name for p in self.tmpdir.glob("gradfix-*"))

    def survivors(self, seconds: float = 10) -> list[str]:
        """Its processes still alive after ``seconds`` (gradfix's included); then ends them, so
        that a failure here does not spill into the next test."""
        deadline = time.monotonic() + seconds
        while (left := processes_marked([str(self.tmpdir)])) and time.monotonic() < deadline:
            time.sleep(0.1)
        for line in left:
            try:
                os.kill(int(line.split()[0]), signal.SIGKILL)
            except OSError:
                pass
        return left


def fork_option(mode: str) -> list[str]:
    return ["--no-fork"] if mode == "no-fork" else []


class Listener:
    """A server the test starts on the host (127.0.0.1, or a unix socket in a sibling folder of the
    project) that records every connection."""

    def __init__(self, family: int, address: object):
        self.server = socket.socket(family, socket.SOCK_STREAM)
        self.server.bind(address)
        self.server.listen(16)
        self.server.settimeout(0.1)
        self.received: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.received.append(conn.recv(1024) or b"(connected)")
                except OSError:
                    self.received.append(b"(connected)")

    def close(self) -> list[bytes]:
        self.running = False
        self.thread.join()
        self.server.close()
        return self.received


def _keyctl(*args: object) -> int:
    import ctypes

    return ctypes.CDLL(None, use_errno=True).syscall(250, *args)  # keyctl(2)


@pytest.mark.parametrize("mode", ["fork", "no-fork"])
def test_root_in_the_run_cannot_undo_the_walls(lone: World, mode: str) -> None:
    sockets = lone.base / f"sockets-{mode}"  # a sibling folder of the project: no overlay
    sockets.mkdir()
    tcp = Listener(socket.AF_INET, ("127.0.0.1", 0))
    unix = Listener(socket.AF_UNIX, str(sockets / "agent.sock"))
    abstract = Listener(socket.AF_UNIX, f"\0gfhostile-{mode}-{uuid.uuid4().hex}")
    github_env = lone.base / f"github_env-{mode}"
    github_env.write_text("PATH_ADDED=1\n")
    key = f"gfhostile-{uuid.uuid4().hex}"
    before = {"project": snapshot(lone.project), "sibling": snapshot(lone.sibling)}
    seen: dict[int, str] = {}
    run = Invocation(lone, f"escape-{mode}")
    try:
        args = [str(tcp.server.getsockname()[1]), str(sockets / "agent.sock"), abstract.server.getsockname()[1:].decode(), str(github_env), key]
        run.start("suggest", "escape_as_root.py", "--format", "json", "--steps", "1", "--timeout", "30", *fork_option(mode), "--", *args)
        run.watch(lambda: seen.update(run.named("gfhostile-root")))
    finally:
        reached = {"127.0.0.1": tcp.close(), "unix socket": unix.close(), "abstract unix socket": abstract.close()}
        found = _keyctl(10, -4, b"user", key.encode(), 0)  # KEYCTL_SEARCH in the user keyring
        if found >= 0:
            _keyctl(9, found, -4)  # KEYCTL_UNLINK: leave root's keyring as it was
        left = run.survivors()
    stdout, stderr = run.output
    assert "escape_as_root.py" in stdout, stderr[-3000:]
    assert seen, "the script never ran"
    broken: dict[str, object] = {f"reached a server on the host's {where}": data for where, data in reached.items() if data}
    after = {"project": snapshot(lone.project), "sibling": snapshot(lone.sibling)}
    for place in before:
        changed = set(before[place]) ^ set(after[place]) | {f for f in before[place] if before[place][f] != after[place].get(f)}
        if changed:
            broken[f"changed the {place}"] = sorted(changed)
    if github_env.read_text() != "PATH_ADDED=1\n":
        broken["appended to $GITHUB_ENV"] = github_env.read_text()
    if found >= 0:
        broken["added a key to root's user keyring"] = key
    unfiltered = sorted(pid for pid, status in seen.items() if "\nSeccomp:\t2" not in status)
    if unfiltered:
        broken["ran without a seccomp filter"] = unfiltered
    if left:
        broken["left processes"] = left
    assert broken == {}


@pytest.mark.parametrize("mode", ["fork", "no-fork"])
def test_output_channels_are_out_of_reach(lone: World, mode: str) -> None:
    caller_file = lone.base / "outputs" / f"fd7-{mode}.txt"
    run = Invocation(lone, f"channels-{mode}")
    # The caller (a shell here) had descriptor 7 open to a file when it started gradfix.
    shell = ["sh", "-c", 'exec 7>"$0"; exec "$@"', str(caller_file), lone.python, "-m", "gradfix"]
    run.run("suggest", "write_channels.py", "--format", "json", "--steps", "1", "--timeout", "30", *fork_option(mode), command=shell)
    stdout, stderr = run.output
    assert "gfhostile-channel" not in stdout + stderr
    assert "write_channels.py" in json.dumps(json.loads(stdout)), stderr[-3000:]
    assert caller_file.read_bytes() == b""
    assert run.survivors() == []


@pytest.mark.parametrize("mode", ["fork", "no-fork"])
def test_a_script_that_kills_its_parent_is_reported(lone: World, mode: str) -> None:
    run = Invocation(lone, f"kill-{mode}")
    status = run.run("suggest", "kill_parent.py", "--format", "json", "--steps", "1", "--timeout", "30", *fork_option(mode))
    stdout, stderr = run.output
    assert status >= 0, f"gradfix was killed by signal {-status}"
    assert "kill_parent.py" in json.dumps(json.loads(stdout)), stderr[-3000:]
    assert run.survivors() == []
    assert run.scratch_left() == []


@pytest.mark.parametrize(("interrupt", "mode"), [("SIGINT", "fork"), ("SIGINT", "no-fork"), ("SIGTERM", "fork"), ("SIGHUP", "no-fork")])
def test_interrupting_gradfix_during_the_first_run_leaves_nothing(lone: World, mode: str, interrupt: str) -> None:
    heartbeat = lone.sibling / "gfhostile-linger.txt"
    run = Invocation(lone, f"{interrupt}-{mode}")
    gradfix = run.start("suggest", "linger.py", "--timeout", "120", *fork_option(mode))
    try:
        run.wait_for("gfhostile-stay")
        # A Ctrl-C on a terminal signals the foreground process group; the others, gradfix alone.
        (os.killpg if interrupt == "SIGINT" else os.kill)(gradfix.pid, getattr(signal, interrupt))
        gradfix.wait(timeout=30)
    finally:
        left = run.survivors()
    assert left == []
    assert run.scratch_left() == []
    assert not heartbeat.exists()


@pytest.mark.parametrize("mode", ["fork", "no-fork"])
def test_a_killed_gradfix_leaves_no_process_and_the_next_run_sweeps_its_scratch(lone: World, mode: str) -> None:
    run = Invocation(lone, f"SIGKILL-{mode}")
    gradfix = run.start("suggest", "linger.py", "--timeout", "120", *fork_option(mode))
    try:
        run.wait_for("gfhostile-stay")
        os.kill(gradfix.pid, signal.SIGKILL)
        gradfix.wait(timeout=30)
    finally:
        left = run.survivors()
    assert left == []
    assert run.scratch_left(), "the killed run left no scratch folder: nothing to sweep"
    killed_cgroups = empty_run_cgroups()
    run.name += "-later"
    run.run("suggest", str(lone.base / "later" / "train.py"), "--format", "json", "--steps", "1", *fork_option(mode))
    assert "train.py" in run.output[0], run.output
    assert run.scratch_left() == []
    assert set(killed_cgroups) & set(empty_run_cgroups()) == set()  # the killed gradfix's cgroups, swept too


def test_a_sweep_by_another_gradfix_at_the_same_moment_does_not_take_a_new_scratch_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    # Several gradfix processes start at once (a folder of scripts, CI jobs): one sweeps while
    # another has made its folder and its lock file but not yet locked it.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(isolate, "_swept", True)
    real_flock = isolate.fcntl.flock
    raced = []

    def flock_after_a_sweep(fd: int, operation: int) -> None:
        if operation == isolate.fcntl.LOCK_EX and not raced:
            raced.append(True)
            isolate.sweep_scratch()  # the other gradfix: it finds the lock free
        real_flock(fd, operation)

    monkeypatch.setattr(isolate.fcntl, "flock", flock_after_a_sweep)
    folder = isolate.make_scratch()
    try:
        assert raced and os.path.isdir(folder) and os.path.exists(os.path.join(folder, ".owner"))
    finally:
        isolate.remove_scratch(folder)


def test_a_scratch_folder_another_gradfix_removes_during_the_sweep_is_passed_over(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    # Two gradfix processes finishing and starting at once: the folder one lists is gone when it
    # looks at it (CI saw a traceback here). The sweep goes on to the folders still there.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    left = tmp_path / "gradfix-run-left"
    left.mkdir()
    (left / ".owner").write_text("")
    vanishing = tmp_path / "gradfix-run-vanishing"
    vanishing.mkdir()
    real_scandir = isolate.os.scandir

    def scandir_then_another_gradfix_removes_one(path):
        listing = real_scandir(path)
        if path == str(tmp_path):
            listing = list(listing)  # the names are read now, the folder goes after
            vanishing.rmdir()
        return listing

    monkeypatch.setattr(isolate.os, "scandir", scandir_then_another_gradfix_removes_one)
    isolate.sweep_scratch()
    assert not left.exists() and not vanishing.exists()


def empty_run_cgroups() -> list[str]:
    from gradfix.sandbox import limits

    empty = []
    for place in limits.places():
        for folder in Path(place.folder).glob(limits.PREFIX + "*"):
            try:
                if not (folder / "cgroup.procs").read_text().strip():
                    empty.append(str(folder))
            except OSError:
                continue  # removed meanwhile
    return empty


def _private_mib(pid: int) -> float:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    fields = dict(line.split(":", 1) for line in rollup.splitlines()[1:] if ":" in line)
    return sum(int(fields.get(name, "0 kB").split()[0]) for name in ("Private_Clean", "Private_Dirty")) / 1024


RUN_ONE = """
import sys
sys.path.insert(0, sys.argv[1])
from gradfix.sandbox import Sandbox
sandbox = Sandbox([sys.argv[2]], steps=1, timeout=60, memory_mb=int(sys.argv[3]), fork=sys.argv[4] == "fork")
result = sandbox.run(sys.argv[5], sys.argv[6:])
print(result.stdout, result.stderr[-2000:], result.probe_error)
"""


@pytest.mark.parametrize("mode", ["fork"])  # the processes' test below takes the other path
def test_memory_is_limited_for_the_whole_run(lone: World, mode: str) -> None:
    budget = 1024  # MiB: three children of 600 MiB each are within any per-process limit of it
    peak = 0.0

    def look() -> None:
        nonlocal peak
        peak = max(peak, sum(_private_mib(pid) for pid in run.named("gfhostile-mem")))

    run = Invocation(lone, f"memory-{mode}")
    run.start("-c", RUN_ONE, str(ROOT), str(lone.project), str(budget), mode, str(lone.project / "hold_memory.py"), "600", command=[lone.python])
    try:
        run.watch(look)
    finally:
        left = run.survivors()
    assert peak > 0, run.output
    # Unlimited, the three children hold 1800 MiB together. The processes are read one after
    # another, not at one instant: when the kernel kills one child and another grows into what it
    # freed, a look can count that memory twice (1032 MiB was seen once under load). So the bound
    # is the budget with a quarter's slack, still far below what a per-process limit lets through.
    assert peak < budget * 1.25, f"the run's processes held {peak:.0f} MiB together"
    assert left == []


@pytest.mark.parametrize("mode", ["fork", "no-fork"])
def test_processes_are_limited_for_the_whole_run(lone: World, mode: str) -> None:
    peak = 0

    def look() -> None:
        nonlocal peak
        peak = max(peak, len(run.named("gfhostile-fork")))

    # 200 where the budget is smaller (2 cores: 160 processes and threads); more on a bigger machine.
    from gradfix.sandbox import limits

    forks = max(200, limits.task_budget() + 40)
    run = Invocation(lone, f"forks-{mode}")
    run.start("suggest", "fork_many.py", "--steps", "1", "--timeout", "60", *fork_option(mode), "--", str(forks))
    try:
        run.watch(look)
    finally:
        left = run.survivors()
    assert peak > 0, run.output
    assert peak < forks, f"{peak} processes at once"
    assert left == []


def test_where_the_run_cgroups_go(tmp_path: Path) -> None:
    """cgroup v2 where our cgroup's parent hands out memory and pids (ours holds processes, so it
    cannot), cgroup v1 where v2 does not have them (hybrid), nothing where neither is mounted."""
    from gradfix.sandbox import limits

    unified, memory_v1 = tmp_path / "unified", tmp_path / "memory"
    (unified / "system.slice" / "runner.service").mkdir(parents=True)
    (unified / "system.slice" / "cgroup.subtree_control").write_text("cpu memory pids\n")
    (unified / "system.slice" / "runner.service" / "cgroup.subtree_control").write_text("\n")
    (memory_v1 / "job").mkdir(parents=True)
    mountinfo = (
        f"30 23 0:27 / {unified} rw,relatime - cgroup2 cgroup2 rw\n"
        f"31 23 0:28 / {memory_v1} rw,relatime - cgroup cgroup rw,memory\n"
        "32 23 0:29 / /proc rw - proc proc rw\n"
    )
    v2 = limits.find_places("0::/system.slice/runner.service\n", mountinfo)
    assert [(p.controller, p.version, p.folder) for p in v2] == [
        ("memory", 2, str(unified / "system.slice")), ("pids", 2, str(unified / "system.slice")),
    ]
    (unified / "system.slice" / "cgroup.subtree_control").write_text("cpu\n")
    hybrid = limits.find_places("4:memory:/job\n0::/system.slice/runner.service\n", mountinfo)
    assert [(p.controller, p.version, p.folder) for p in hybrid] == [("memory", 1, str(memory_v1 / "job"))]
    assert limits.find_places("0::/\n", "32 23 0:29 / /proc rw - proc proc rw\n") == []


def test_without_libseccomp_gradfix_says_so_once_and_the_walls_stand(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from gradfix.sandbox import seccomp

    def missing() -> None:
        raise OSError("libseccomp.so.2: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(seccomp, "_load_library", missing)
    monkeypatch.setattr(seccomp, "_filter", None)
    monkeypatch.setattr(seccomp, "_problem", None)
    monkeypatch.setattr(isolate, "_available", None)
    seccomp.install()  # nothing to install: no error
    assert seccomp.problem() == "no seccomp filter (libseccomp not found)"
    assert isolate.available() is None
    assert "gradfix: warning: no seccomp filter (libseccomp not found); the runs are walled in without it" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Forged verdicts (issue 14, item 3): the probe lives in the script's process, so a script can lie
# about itself; gradfix reads the run only from a pipe it holds, in messages signed with a key made
# for the run, and checks the Trace against what the run said as it went (gradfix/sandbox/
# channel.py). Whatever it catches is "could not observe": exit 2, no finding, never an all-clear.

FORGERIES = {
    # script: what gradfix says instead of the verdict the script forged
    "forge_trace_file.py": "its messages to gradfix failed their check",
    "restore_torch.py": "the script replaced torch.Tensor.backward",
    "forge_memory.py": "its messages to gradfix failed their check (the Trace says a parameter changed that did not)",
}


@pytest.mark.parametrize("mode", ["fork", "no-fork"])
@pytest.mark.parametrize("script", sorted(FORGERIES))
def test_a_forged_verdict_is_never_an_all_clear(lone: World, script: str, mode: str) -> None:
    run = Invocation(lone, f"{script[:-3]}-{mode}")
    status = run.run("suggest", script, "--steps", "1", "--timeout", "30", *fork_option(mode))
    stdout, stderr = run.output
    assert "No gradient problems found" not in stdout + stderr
    assert status == 2, (stdout, stderr)
    assert f"{script}: gradfix could not observe the run: {FORGERIES[script]}" in stderr, stderr
    run.name += "-json"
    assert run.run("suggest", script, "--format", "json", "--steps", "1", "--timeout", "30", *fork_option(mode)) == 2
    [entry] = json.loads(run.output[0])["files"]
    assert entry["findings"] == [] and FORGERIES[script] in entry["error"], entry
    assert run.survivors() == []
    assert run.scratch_left() == []


@pytest.mark.parametrize("mode", ["fork", "no-fork"])
def test_a_correct_script_is_still_clean(lone: World, mode: str) -> None:
    """No false alarm: the channel and its checks say nothing about a script that tells no lie."""
    run = Invocation(lone, f"honest-{mode}")
    status = run.run("suggest", str(lone.base / "later" / "train.py"), "--steps", "1", *fork_option(mode))
    stdout, stderr = run.output
    assert status == 0, (stdout, stderr)
    assert "No gradient problems found" in stdout, (stdout, stderr)
    assert "could not observe" not in stdout + stderr


def test_review_posts_no_all_clear_for_a_forged_verdict(lone: World) -> None:
    repo, env = review_repo(lone, ALONE / "forge_memory.py")
    done = subprocess.run(
        [lone.python, "-m", "gradfix", "review", "--dry-run", "--base", "main", "--repo", "o/r", "--pr", "7", "--timeout", "30"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    [summary] = [r["json"]["body"] for r in json.loads(done.stdout) if r["path"].endswith("/issues/7/comments")]
    assert "No gradient problems found" not in summary and "could not diagnose 1 script" in summary, summary
    assert "failed their check" in summary


def test_a_verification_run_that_lies_verifies_nothing(lone: World) -> None:
    """The candidate run, where gradfix's fix is in, forges a Trace in which every parameter
    trains: the fix is not offered as verified (nor is any other), and the user is told why."""
    run = Invocation(lone, "forge-verification")
    status = run.run("suggest", "forge_verification.py", "--format", "json", "--steps", "1", "--timeout", "30")
    stdout, stderr = run.output
    [entry] = json.loads(stdout)["files"]
    assert status == 1, stderr  # the crash is a finding; its fix is not verified
    [finding] = entry["findings"]
    assert finding["code"] == "GF001" and finding["fix"] is None, finding
    assert finding["rejected"] and all("could not" in r["reason"] or "failed their check" in r["reason"] for r in finding["rejected"]), finding
    run.name += "-text"
    run.run("suggest", "forge_verification.py", "--steps", "1", "--timeout", "30")
    text = run.output[0]
    assert "verified:" not in text and "0 verified fixes" in text, text
    assert run.survivors() == []


def _frame(key: bytes, stream: int, seq: int, payload: bytes) -> bytes:
    import hmac
    import struct

    header = struct.pack("!IIQ", len(payload), stream, seq)
    return header + hmac.digest(key, header + payload, "sha256") + payload


def _one_backward_run() -> list[bytes]:
    """What a run with one backward() and no parameter says, message by message."""
    from gradfix.trace import Trace

    trace = json.loads(Trace(script="train.py", argv=[]).to_json())
    trace["backwards"] = [{"site": None, "grad_enabled": True, "requires_grad": True, "has_grad_fn": True}]
    end = {"params": [], "replaced": [], "merged": None, "counted": 0}
    return [b"B1", b"T" + json.dumps(trace).encode(), b"x" + json.dumps(end).encode(), b"X"]


def _read(key: bytes, data: bytes, keep_open: bool = False):  # type: ignore[no-untyped-def]
    from gradfix.sandbox.channel import Reader

    read_end, write_end = os.pipe()
    os.write(write_end, data)
    if not keep_open:
        os.close(write_end)
    reader = Reader(read_end, key)
    try:
        reader.pump()
        return reader.done, reader.outcome()
    finally:
        reader.close()
        if keep_open:
            os.close(write_end)


@pytest.mark.parametrize("attack", ["replayed", "gap", "foreign key", "after the end", "garbage", "counts", "quiet"])
def test_the_channel_refuses_what_its_run_did_not_send(attack: str) -> None:
    """The parent's end of the channel, fed by hand: a message replayed, one skipped, one signed
    with another key, one after the end, bytes that are no message, a Trace that claims another
    count than the run's messages, and a run that never ended."""
    from gradfix.sandbox.channel import make_key

    key = make_key()
    messages = _one_backward_run()
    if attack == "counts":
        messages.insert(1, b"B2")
    frames = [_frame(key, 0, seq, payload) for seq, payload in enumerate(messages)]
    if attack == "replayed":
        frames.insert(1, frames[0])
    elif attack == "gap":
        del frames[0]
    elif attack == "foreign key":
        frames[1] = _frame(make_key(), 0, 1, messages[1])
    elif attack == "after the end":
        frames.append(_frame(key, 0, len(frames), b"B2"))
    elif attack == "garbage":
        frames.insert(2, b'{"forged": true}' * 8)
    elif attack == "quiet":
        frames = frames[:-1]
    _, outcome = _read(key, b"".join(frames))
    assert outcome.trace is None
    if attack == "quiet":
        assert outcome.quiet and outcome.problem is None  # the runner says "ended without reporting"
    else:
        assert outcome.problem is not None and "failed their check" in outcome.problem, outcome


def test_the_channel_accepts_what_its_run_sent_and_stops_at_the_end() -> None:
    """A run whose pipe is still open after its end message (a daemon holds it) is read to the end
    message, not to the end of the pipe."""
    from gradfix.sandbox.channel import make_key

    key = make_key()
    frames = b"".join(_frame(key, 0, seq, payload) for seq, payload in enumerate(_one_backward_run()))
    done, outcome = _read(key, frames, keep_open=True)
    assert done and outcome.problem is None
    assert outcome.trace is not None and len(outcome.trace.backwards) == 1
