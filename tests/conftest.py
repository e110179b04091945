"""Shared fixtures: a warm sandbox (one per test session, one per xdist worker), the corpus's
cases and their reports (each diagnosed once per session), a helper that runs inline scripts, and
the default run's sample of the corpus.

The default run (``make test``) checks a sample of the corpus, chosen by a stable rule rather than
at random: in every corpus folder, the case of each kind (fixed, explained, several files) whose
path hashes lowest, and the look-alikes whose path hashes to 0 modulo 5. The other cases carry the
``exhaustive`` marker and run with ``--exhaustive`` (``make test-all``, which CI runs), or whenever
``-k``, ``-m`` or a test id chooses the tests (``pytest tests/test_corpus.py -k my_rule`` runs every
case of the folder). A hash of the path, not a position in a list: adding a case does not move
the others in or out of the sample.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import textwrap
import time
import zlib
from pathlib import Path
from typing import Callable

import pytest

from gradfix.findings import Report
from gradfix.repair import repair
from gradfix.sandbox import RunResult, Sandbox

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

# xdist's workers share the cores: torch in each of their runs (the sandbox's children, the warm
# harness's) gets its share of them, set before anything starts torch. A pool as large as the
# machine in every worker's runs spin-waits on the others' cores: measured three times slower.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))))


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    # The corpus does not change while the tests run: a run whose script, files beside it, overlay
    # and settings are those of an earlier run gives that run's result (runner.Sandbox._run_key).
    # The golden test's run of the fixed script is then the repair's own last run of those bytes.
    return Sandbox([str(ROOT)], steps=3, timeout=60, cache=True)


def faulty_cases() -> list[Path]:
    """Each faulty corpus case: a script, or a folder's ``train.py`` when the fix spans modules."""
    cases = []
    for folder in sorted(p for p in CORPUS.iterdir() if p.is_dir() and p.name != "clean"):
        for entry in sorted(folder.iterdir()):
            if entry.is_dir() and (entry / "train.py").exists():
                cases.append(entry / "train.py")
            elif entry.suffix == ".py" and not entry.name.endswith(".fixed.py") and not entry.name.startswith("_"):
                cases.append(entry)
    return cases


def clean_cases() -> list[Path]:
    """Correct look-alikes: scripts, and folders whose ``train.py`` imports the model from a sibling."""
    clean = CORPUS / "clean"
    return sorted(clean.glob("*.py")) + sorted(clean.glob("*/train.py"))


def stable_hash(case: Path) -> int:
    """A number fixed by the case's path in the corpus alone (not by Python's salted ``hash``)."""
    return zlib.crc32(case.relative_to(CORPUS).as_posix().encode())


def case_kind(case: Path) -> tuple[str, bool, bool]:
    """The sample takes one case of each kind: its folder, whether gradfix only explains it (a
    display-only rule's, or ``explained_*``), and whether its fix spans files (a folder case)."""
    folder = case.relative_to(CORPUS).parts[0]
    explained = case.name.startswith("explained_") or case.parent.name.startswith("explained_")
    return folder, explained, case.parent != CORPUS / folder


def sample_of(cases: list[Path], share: int = 0) -> set[Path]:
    """The default run's cases among ``cases``: the one of each kind whose path hashes lowest, and,
    with ``share``, each whose hash is 0 modulo ``share``."""
    lowest: dict[tuple[str, bool, bool], Path] = {}
    for case in cases:
        kind = case_kind(case)
        if kind not in lowest or stable_hash(case) < stable_hash(lowest[kind]):
            lowest[kind] = case
    return set(lowest.values()) | {c for c in cases if share and stable_hash(c) % share == 0}


def corpus_params(cases: list[Path], sample: set[Path], ids: Callable[[Path], str]) -> list:  # type: ignore[type-arg]
    """``cases`` as test parameters: those outside the sample carry the ``exhaustive`` marker."""
    return [pytest.param(c, id=ids(c), marks=() if c in sample else pytest.mark.exhaustive) for c in cases]


FAULTY_SAMPLE = sample_of(faulty_cases())
CLEAN_SAMPLE = sample_of(clean_cases(), share=5)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--exhaustive", action="store_true",
        help="run every corpus case (make test-all), not the default run's sample",
    )


def chosen(config: pytest.Config) -> bool:
    """Whether ``-k``, ``-m`` or test ids choose this run's tests."""
    return bool(config.option.keyword or config.option.markexpr or any("::" in arg for arg in config.args))


def sampling(config: pytest.Config) -> bool:
    """Whether this run leaves out the ``exhaustive`` tests: only when nothing chose the tests."""
    return not (config.getoption("exhaustive") or chosen(config))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test of several minutes starts first: last, it would keep one worker busy while the others idle.
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
    if not sampling(config):
        return
    left_out = [item for item in items if item.get_closest_marker("exhaustive")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("exhaustive")]


def work_unit(nodeid: str) -> str:
    """The tests an xdist worker takes together: the hostile corpus's (one world at a time: two
    would see each other's processes and files in /tmp), and every other test on its own. The
    corpus's golden tests and the schema tests that read the same reports need not share a worker:
    the workers share each report (``corpus_report``)."""
    module, _, name = nodeid.partition("::")
    if module == "tests/test_hostile.py":
        return module
    return nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``-n``: xdist's scheduling by work units (the largest first), with the units above.
    (``--dist loadgroup`` would do it with markers, but it groups nothing on pytest 9.2:
    pytest-xdist issue 1386.)"""
    if config.getvalue("dist") not in ("load", "loadgroup", "loadscope"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return ByWorkUnit(config, log)  # type: ignore[arg-type]


def pytest_report_header(config: pytest.Config) -> list[str]:
    if chosen(config):
        return ["corpus: every case that -k, -m or the test ids select"]
    if config.getoption("exhaustive"):
        return ["corpus: every case (--exhaustive)"]
    return [
        f"corpus: a sample ({len(FAULTY_SAMPLE)} of {len(faulty_cases())} faulty cases, one of each kind per folder; "
        f"{len(CLEAN_SAMPLE)} of {len(clean_cases())} look-alikes); `make test-all` (pytest --exhaustive) runs every case"
    ]


# What a pickled Report is made of besides gradfix's own classes: containers and scalars.
_REPORT_BUILTINS = {"list", "dict", "set", "frozenset", "tuple", "str", "bytes", "int", "float", "bool", "complex", "object"}


class _ReportUnpickler(pickle.Unpickler):
    """A shared report is read back as data: gradfix's own classes (dataclasses and enums, not its
    functions) and plain containers, nothing that runs code while it loads. The folder is this
    session's own (pytest's basetemp, the user's alone); this keeps a stray pickle inert too."""

    def find_class(self, module: str, name: str) -> object:
        if module == "builtins" and name in _REPORT_BUILTINS:
            return super().find_class(module, name)
        if (module == "collections" and name in ("OrderedDict", "defaultdict")) or (module == "copyreg" and name == "_reconstructor"):
            return super().find_class(module, name)
        if module == "gradfix" or module.startswith("gradfix."):
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"not a report's class: {module}.{name}")


def _alive(claim: Path) -> bool:
    """Whether the worker that claimed a case (its pid is in the claim) still runs."""
    try:
        pid = int(claim.read_text() or "0")
    except (OSError, ValueError):
        return True  # written a moment from now
    if not pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass
    return True


@pytest.fixture(scope="session")
def corpus_report(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Report]:
    """gradfix's report on a corpus script, diagnosed once per session (the golden tests and the
    schema tests read the same reports). Under xdist, once for all the workers: the first to ask
    claims the case, diagnoses it and leaves the report in the session's temporary folder (a
    file per case, keyed by its path and bytes); another that asks meanwhile waits for it. A
    claimer that fails leaves a mark, and each worker that asks then diagnoses the case itself."""
    reports: dict[Path, Report] = {}
    shared = None
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # xdist gives each worker <session folder>/popen-gwN: the session folder is theirs alone.
        shared = tmp_path_factory.getbasetemp().parent / "corpus-reports"
        shared.mkdir(exist_ok=True)

    def diagnosed(case: Path) -> Report:
        if shared is None:
            return repair(str(case), [], sandbox)
        key = hashlib.sha256(str(case).encode() + b"\0" + case.read_bytes()).hexdigest()
        done, failed, claim = (shared / f"{key}.{end}" for end in ("report", "failed", "claim"))
        try:
            fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # another worker diagnoses it: wait for its report
            waited = time.monotonic() + 900
            while not done.exists() and not failed.exists() and time.monotonic() < waited and _alive(claim):
                time.sleep(0.1)
            if done.exists():
                with open(done, "rb") as handle:
                    return _ReportUnpickler(handle).load()  # type: ignore[no-any-return]
            return repair(str(case), [], sandbox)  # it failed, or died (killed, out of memory)
        try:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            made = repair(str(case), [], sandbox)
        except BaseException:
            failed.touch()
            raise
        try:
            shared_bytes = pickle.dumps(made)
        except (pickle.PicklingError, AttributeError, TypeError):
            # a report that holds a function (a notebook's position mapping): the others diagnose it
            failed.touch()
            return made
        partial = shared / f"{key}.{os.getpid()}.part"
        try:
            partial.write_bytes(shared_bytes)
            partial.rename(done)
        except OSError:
            failed.touch()
        return made

    def report(case: Path) -> Report:
        if case not in reports:
            reports[case] = diagnosed(case)
        return reports[case]

    return report


@pytest.fixture
def write_script(tmp_path: Path) -> Callable[..., Path]:
    """Write a dedented script (and optional sibling modules) into a fresh project folder."""

    def write(text: str, name: str = "train.py", **modules: str) -> Path:
        (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
        for module, source in modules.items():
            (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def run_script(write_script: Callable[..., Path]) -> Callable[..., RunResult]:
    """Run an inline script under the probe and return what the sandbox saw."""

    def run(text: str, steps: int = 3, **modules: str) -> RunResult:
        path = write_script(text, **modules)
        return Sandbox([str(path.parent)], steps=steps, timeout=30).run(str(path), [])

    return run


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("NO_COLOR", "1")
