"""The outside set: faulty scripts and correct look-alikes written outside this repository from
public bug reports (``corpus/outside/<batch>/cases.toml`` says what each must become).

A repaired case is checked twice: gradfix must offer verified fixes, and the script with those
fixes in must train the modules the case names, seen by ``tests/trained_modules.py``, which
shares no code with gradfix's probe (it runs forked from a process that imported torch once:
tests/warm_harness.py). Known misses are strict xfails: a batch's figure in
docs/accuracy.md and these tests say the same thing, and a miss that starts passing fails until
its status is updated.

The default run takes, in each batch, the repaired case and the look-alike whose paths hash
lowest (conftest.py); ``--exhaustive`` runs them all, the known misses too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from gradfix.edits import apply_edits
from gradfix.findings import Report
from gradfix.repair import ScriptProblem

from conftest import CORPUS, stable_hash
from warm_harness import run_harness

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

OUTSIDE = CORPUS / "outside"


def outside_cases() -> list[tuple[Path, dict[str, Any]]]:
    cases = []
    for manifest in sorted(OUTSIDE.glob("*/cases.toml")):
        for name, case in tomllib.loads(manifest.read_text())["cases"].items():
            cases.append((manifest.parent / f"{name}.py", case))
    return cases


def case_id(case: tuple[Path, dict[str, Any]]) -> str:
    return str(case[0].relative_to(OUTSIDE))


def trained(script: Path, names: list[str], cwd: Path) -> dict[str, Any]:
    """What tests/trained_modules.py saw when the script ran for real."""
    done = run_harness([str(script), *names], cwd, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def repaired_text(report: Report, script: Path) -> str:
    edits = [e for r in report.results if r.fix is not None for p in r.fix.patches if Path(p.path) == script.resolve() for e in p.edits]
    return apply_edits(report.originals.get(str(script.resolve()), script.read_text()), edits)


FAULTY = [c for c in outside_cases() if not c[1].get("clean")]
CLEAN = [c for c in outside_cases() if c[1].get("clean")]


def kind(case: tuple[Path, dict[str, Any]]) -> tuple[str, str]:
    return case[0].parent.name, "clean" if case[1].get("clean") else case[1]["status"]


def _sample() -> set[Path]:
    lowest: dict[tuple[str, str], Path] = {}
    for script, case in outside_cases():
        key = kind((script, case))
        if key[1] != "open" and (key not in lowest or stable_hash(script) < stable_hash(lowest[key])):
            lowest[key] = script
    return set(lowest.values())


SAMPLE = _sample()


def params(cases: list[tuple[Path, dict[str, Any]]]) -> list:  # type: ignore[type-arg]
    return [pytest.param(c, id=case_id(c), marks=() if c[0] in SAMPLE else pytest.mark.exhaustive) for c in cases]


@pytest.mark.parametrize("case", params(FAULTY))
def test_outside_case_is_repaired_and_trains(
    case: tuple[Path, dict[str, Any]], corpus_report: Callable[[Path], Report], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    script, expected = case
    if expected["status"] == "repaired":
        repaired_and_trains(script, expected, corpus_report, tmp_path)
        return
    # A known miss is run too: one that starts passing fails until its status says so, so that
    # docs/accuracy.md's figure and these tests cannot drift apart.
    try:
        repaired_and_trains(script, expected, corpus_report, tmp_path)
    except (AssertionError, ScriptProblem):  # not repaired, or gradfix could not diagnose it at all
        if request.config.option.runxfail:
            raise  # `pytest.xfail` is a no-op under --runxfail: the miss must fail, not pass as "repaired"
        pytest.xfail(f"known miss: {expected['fault']}")  # noqa: PT015
    pytest.fail(f"{case_id(case)} is repaired now: set its status to \"repaired\" in cases.toml")


def repaired_and_trains(script: Path, expected: dict[str, Any], corpus_report: Callable[[Path], Report], tmp_path: Path) -> None:
    report = corpus_report(script)
    assert any(r.fix is not None and r.fix.patches for r in report.results), [(r.finding.code, r.finding.message, r.rejected) for r in report.results]
    fixed = tmp_path / script.name
    fixed.write_text(repaired_text(report, script))
    seen = trained(fixed, expected["must_train"], tmp_path)
    for name in expected["must_train"]:
        module = seen["modules"][name]
        assert module["found"] and module["changed"], (name, seen)
        assert module["late"], f"{name} stops changing halfway through the run: {seen}"
    if expected.get("same_output_as_fixed"):
        assert plain_output(fixed, tmp_path) == plain_output(script.with_suffix(".fixed.py"), tmp_path)


def plain_output(script: Path, cwd: Path) -> str:
    """What the script prints, run by plain Python (no probe, no harness)."""
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=cwd, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("case", params(FAULTY))
def test_outside_case_really_fails_without_the_repair(case: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """The fault is real: run as written, some module that must train does not (or it crashes)."""
    script, expected = case
    done = run_harness([str(script), *expected["must_train"]], tmp_path, timeout=300)
    if done.returncode != 0:
        return  # it crashes
    if expected.get("same_output_as_fixed"):
        # Everything changes, but not as it should: the run differs from the hand-fixed one.
        assert plain_output(script, tmp_path) != plain_output(script.with_suffix(".fixed.py"), tmp_path)
        return
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert not all(m["found"] and m["changed"] and m["late"] for m in seen["modules"].values()), seen


@pytest.mark.parametrize("case", params(CLEAN))
def test_outside_look_alike_gives_no_finding(case: tuple[Path, dict[str, Any]], corpus_report: Callable[[Path], Report]) -> None:
    report = corpus_report(case[0])
    assert [(r.finding.code, r.finding.message) for r in report.results] == []
