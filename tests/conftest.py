"""Shared fixtures: a warm sandbox (one per test session), the corpus's cases and their reports
(each diagnosed once per session), and a helper that runs inline scripts."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Callable

import pytest

from gradfix.findings import Report
from gradfix.repair import repair
from gradfix.sandbox import RunResult, Sandbox

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    return Sandbox([str(ROOT)], steps=3, timeout=60)


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


@pytest.fixture(scope="session")
def corpus_report(sandbox: Sandbox) -> Callable[[Path], Report]:
    """gradfix's report on a corpus script, diagnosed once per session (the golden tests and the
    schema tests read the same reports)."""
    reports: dict[Path, Report] = {}

    def report(case: Path) -> Report:
        if case not in reports:
            reports[case] = repair(str(case), [], sandbox)
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
