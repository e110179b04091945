"""Golden tests over the corpus: each faulty script's fix equals its hand-written ``.fixed.py``
byte for byte, and the fixed script gives every trainable parameter a gradient; every clean
look-alike gives no finding. The default run takes a sample of the cases (conftest.py says which);
``--exhaustive`` runs them all."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from gradfix.edits import apply_edits
from gradfix.findings import Applicability, Report
from gradfix.rules import all_rules
from gradfix.sandbox import Sandbox
from gradfix.verify import loss_independent

from conftest import CLEAN_SAMPLE, CORPUS, FAULTY_SAMPLE, clean_cases, corpus_params, faulty_cases

RULE_OF_FOLDER = {rule.slug: rule.code for rule in all_rules()}
DISPLAY_ONLY = {rule.slug for rule in all_rules() if rule.applicability is Applicability.DISPLAY_ONLY}


def explained(case: Path) -> bool:
    """Cases the rule explains without a fix: a display-only rule's, or one named ``explained_*``
    (the evidence shows the fault but not which change is right)."""
    return folder_of(case) in DISPLAY_ONLY or case.name.startswith("explained_") or case.parent.name.startswith("explained_")


def expected_files(case: Path) -> dict[str, str]:
    """Every file the fix must change, with its expected text."""
    if case.name == "train.py" and case.parent.parent != CORPUS and case.parent.parent.parent == CORPUS:
        fixed = case.parent.glob("*.fixed.py")
    else:
        fixed = [case.with_name(case.stem + ".fixed.py")]
    return {
        str(path.with_name(path.name.replace(".fixed.py", ".py")).resolve()): path.read_text()
        for path in fixed
        if path.exists()
    }


def case_id(case: Path) -> str:
    return str(case.relative_to(CORPUS))


def folder_of(case: Path) -> str:
    return case.relative_to(CORPUS).parts[0]


@pytest.mark.parametrize("case", corpus_params([c for c in faulty_cases() if explained(c)], FAULTY_SAMPLE, case_id))
def test_explained_case_changes_nothing(case: Path, corpus_report: Callable[[Path], Report]) -> None:
    assert not expected_files(case), "an explained case has no .fixed.py"
    report = corpus_report(case)
    code = RULE_OF_FOLDER[folder_of(case)]
    [result] = [r for r in report.results if r.finding.code == code]
    # Candidates may be tried (the re-run is the judge); none of them may have verified.
    assert result.fix is None
    assert result.finding.params


@pytest.mark.parametrize("case", corpus_params([c for c in faulty_cases() if not explained(c)], FAULTY_SAMPLE, case_id))
def test_fix_matches_hand_written_and_trains(case: Path, sandbox: Sandbox, corpus_report: Callable[[Path], Report]) -> None:
    expected = expected_files(case)
    assert expected, f"{case_id(case)} has no hand-written .fixed.py"
    report = corpus_report(case)

    assert report.results, "gradfix found nothing"
    unfixed = [(r.finding.code, r.finding.message, r.rejected, r.note) for r in report.results if r.fix is None]
    assert not unfixed, f"findings without a verified fix: {unfixed}"
    folder = case.relative_to(CORPUS).parts[0]
    if folder in RULE_OF_FOLDER:
        assert RULE_OF_FOLDER[folder] in {r.finding.code for r in report.results}

    fixed: dict[str, list] = {}
    for result in report.results:
        for patch in result.fix.patches:  # type: ignore[union-attr]
            fixed.setdefault(patch.path, []).extend(patch.edits)
    produced = {path: apply_edits(report.originals[path], edits) for path, edits in fixed.items()}
    assert set(produced) == set(expected), "the fix edits other files than the hand-written fix"
    for path, text in expected.items():
        assert produced[path] == text, f"{Path(path).name} differs from its .fixed.py"

    after = sandbox.run(str(case), [], overlay=produced).trace
    assert after.crash is None, after.crash
    # The models being trained: what ran or what an optimizer holds (a replaced, dropped head is neither).
    ran = {m.id for m in after.modules if m.ran_with_grad}
    # A part of that model that never ran and that no loss reaches is no part of this training (an
    # autoencoder's decoder while its classifier fine-tunes, unfrozen by the same loop): held by
    # the optimizer, it cannot receive a gradient.
    layers_ran = {m.path for m in after.modules if m.ran_with_grad and m.path}
    unused = {p.name for p in after.params if not p.reached and p.name.rsplit(".", 1)[0] not in layers_ran}
    trainable = [
        p for p in after.params
        if p.requires_grad and p.is_leaf and (p.optimizers or p.module in ran or (p.module is None and p.reached))
        and p.name not in unused
    ]
    assert trainable
    assert [p.name for p in trainable if not p.got_grad] == []
    if after.steps:
        # A parameter the loss does not depend on (a WGAN critic's last bias cancels out of
        # mean(fake) - mean(real)) gets a gradient of 0, or of rounding noise, beside parameters of
        # its layer that change, and stays as it was: the judge's definition (verify.py).
        independent = loss_independent(after)
        assert [p.name for p in trainable if p.optimizers and not p.changed and p.name not in independent] == []


CLEAN = clean_cases()


@pytest.mark.parametrize("script", corpus_params(CLEAN, CLEAN_SAMPLE, lambda p: str(p.relative_to(CORPUS / "clean"))))
def test_clean_script_gives_no_finding(script: Path, corpus_report: Callable[[Path], Report]) -> None:
    report = corpus_report(script)
    assert [(r.finding.code, r.finding.message) for r in report.results] == []
    assert "stops with" not in report.final_state


def test_corpus_is_big_enough() -> None:
    per_folder: dict[str, int] = {}
    for case in faulty_cases():
        folder = case.relative_to(CORPUS).parts[0]
        per_folder[folder] = per_folder.get(folder, 0) + 1
    for slug in RULE_OF_FOLDER:
        assert per_folder.get(slug, 0) >= 5, f"corpus/{slug} needs at least 5 cases"
    assert len(CLEAN) >= 22
