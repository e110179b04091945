"""The default run (``make test``) is a sample of the corpus that still reaches every folder, and
``--exhaustive`` (``make test-all``) is everything; CI runs ``make test``, then ``make test-corpus``
(everything but the outside set's cases beyond the sample)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from test_corpus import CLEAN, explained, folder_of

from conftest import CLEAN_SAMPLE, CORPUS, FAULTY_SAMPLE, ROOT, faulty_cases


def test_the_sample_has_every_kind_of_case_of_every_folder() -> None:
    def kind(case: Path) -> tuple[str, bool, bool]:  # its folder; explained or fixed; one file or several
        return folder_of(case), explained(case), case.parent != CORPUS / folder_of(case)

    assert {kind(c) for c in FAULTY_SAMPLE} == {kind(c) for c in faulty_cases()}
    assert len(CLEAN) // 10 <= len(CLEAN_SAMPLE) <= len(CLEAN) // 2


def collected(*args: str) -> tuple[int, int, list[str]]:
    """What a pytest run with ``args`` would run: (selected, deselected, test ids)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    summary = re.search(r"(\d+)(?:/(\d+))? tests? collected(?: \((\d+) deselected\))?", done.stdout)
    assert summary, done.stdout[-500:]
    return len(ids), int(summary.group(3) or 0), ids


CORPUS_TESTS = ["tests/test_corpus.py", "tests/test_outside.py", "tests/test_fork_parity.py", "tests/test_schemas.py"]


def test_the_default_run_leaves_the_exhaustive_cases_to_make_test_all() -> None:
    default, left_out, ids = collected(*CORPUS_TESTS)
    everything, none_left_out, _ = collected(*CORPUS_TESTS, "--exhaustive")
    rest, _, rest_ids = collected(*CORPUS_TESTS, "-m", "exhaustive")
    assert none_left_out == 0 and default + left_out == everything
    assert default * 3 < everything  # the sample is a fraction of the corpus
    assert rest == left_out and not set(rest_ids) & set(ids)  # `-m exhaustive` is exactly the rest
    assert any("a few cases" in i for i in ids) and not any("every folder" in i for i in ids)


def test_a_run_that_picks_its_tests_runs_every_case_it_picks() -> None:
    folder = "missing_from_optimizer"
    picked, _, ids = collected("tests/test_corpus.py", "-k", folder)
    assert picked == sum(1 for c in faulty_cases() if folder_of(c) == folder) + sum(1 for c in CLEAN if folder in c.name)


def test_make_test_runs_on_every_core_and_ci_runs_both() -> None:
    makefile = (ROOT / "Makefile").read_text()
    test = re.search(r"^test: .*\n\t(.*)", makefile, re.M)
    test_all = re.search(r"^test-all: .*\n\t(.*)", makefile, re.M)
    assert test and test_all
    pytest_line = re.search(r"^PYTEST = (.*)", makefile, re.M)
    assert pytest_line and "-n auto" in pytest_line.group(1)
    test_corpus = re.search(r"^test-corpus: .*\n\t(.*)", makefile, re.M)
    assert test_corpus and "-m exhaustive" in test_corpus.group(1)
    assert "--exhaustive" in test_all.group(1) and "--exhaustive" not in test.group(1)
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^(time )?make test$", ci, re.M) and re.search(r"^(time )?make test-corpus$", ci, re.M)
    readme = (ROOT / "README.md").read_text()
    assert all(f"make {target} " in readme for target in ("test", "test-corpus", "test-all"))


def test_tests_that_must_share_an_xdist_worker_are_one_work_unit() -> None:
    from conftest import work_unit

    assert work_unit("tests/test_hostile.py::test_every_attack_ran") == work_unit("tests/test_hostile.py::test_no_secret_reaches_any_output[json]")
    # The corpus's golden tests and the schema tests read the same reports, which the workers
    # share (conftest.corpus_report): they are spread over the workers, not kept on one.
    reports = {
        work_unit("tests/test_corpus.py::test_fix_matches_hand_written_and_trains[seed/integer_input.py]"),
        work_unit("tests/test_corpus.py::test_explained_case_changes_nothing[missing_step/x.py]"),
        work_unit("tests/test_schemas.py::test_sarif_validates_against_the_sarif_2_1_0_schema[sample]"),
    }
    assert len(reports) == 3
    clean = "tests/test_corpus.py::test_clean_script_gives_no_finding[a.py]"
    assert work_unit(clean) == clean and work_unit("tests/test_cli.py::test_apply_needs_a_mode") != work_unit(clean)
