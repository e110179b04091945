"""Golden tests over corpus/notebooks: each faulty notebook, fixed by gradfix and written back,
equals its hand-made ``.fixed.ipynb`` byte for byte, validates with nbformat, and trains when
Jupyter runs it (nbclient and a real kernel, without gradfix's probe): every parameter an
optimizer holds and that requires grad changes. Every look-alike in corpus/notebooks/clean gives
no finding. The default run takes conftest.py's sample; ``--exhaustive`` runs every case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("IPython")

from gradfix import notebook  # noqa: E402
from gradfix.findings import Report  # noqa: E402

from conftest import CORPUS, corpus_params, sample_of  # noqa: E402

NOTEBOOKS = CORPUS / "notebooks"
FAULTY = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.endswith(".fixed.ipynb"))
CLEAN = sorted((NOTEBOOKS / "clean").glob("*.ipynb"))


def case_id(case: Path) -> str:
    return str(case.relative_to(NOTEBOOKS))


# Run first in the kernel: shell commands do nothing (as in gradfix's sandbox: a test must not run
# `pip install`), and each optimizer's parameters are copied when it is built.
PROLOGUE = """\
import torch as _torch
_ip = get_ipython()
_ip.system = lambda *args, **kwargs: None
_ip.getoutput = lambda *args, **kwargs: []
_held = []
_init = _torch.optim.Optimizer.__init__
def _recording_init(self, params, *args, **kwargs):
    _init(self, params, *args, **kwargs)
    for group in self.param_groups:
        for p in group["params"]:
            _held.append((p, p.detach().clone()))
_torch.optim.Optimizer.__init__ = _recording_init
"""

# Run last: which of those parameters (the ones that still require grad) never changed.
EPILOGUE = """\
import json as _json
print("GRADFIX-RESULT " + _json.dumps({
    "held": sum(1 for p, _ in _held if p.requires_grad),
    "unchanged": [i for i, (p, first) in enumerate(_held) if p.requires_grad and _torch.equal(p.detach(), first)],
}))
"""


def run_in_jupyter(text: str, folder: Path) -> dict:  # type: ignore[type-arg]
    """Run a notebook's text as Jupyter's "Restart & Run All" does, with the prologue and epilogue."""
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.reads(text, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PROLOGUE))
    nb.cells.append(nbformat.v4.new_code_cell(EPILOGUE))
    nbclient.NotebookClient(nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    for output in nb.cells[-1].outputs:
        for line in output.get("text", "").splitlines():
            if line.startswith("GRADFIX-RESULT "):
                return json.loads(line.split(" ", 1)[1])
    raise AssertionError("the epilogue printed nothing")


@pytest.mark.parametrize("case", corpus_params(FAULTY, sample_of(FAULTY), case_id))
def test_notebook_fix_matches_hand_made_and_trains_in_jupyter(case: Path, corpus_report: Callable[[Path], Report], tmp_path: Path) -> None:
    expected = case.with_name(case.name.replace(".ipynb", ".fixed.ipynb"))
    assert expected.exists(), f"{case.name} has no .fixed.ipynb"
    report = corpus_report(case)
    assert report.results, "gradfix found nothing"
    unfixed = [(r.finding.code, r.finding.message, r.rejected, r.note) for r in report.results if r.fix is None]
    assert not unfixed, f"findings without a verified fix: {unfixed}"
    edits = [edit for r in report.results for patch in r.fix.patches for edit in patch.edits]  # type: ignore[union-attr]
    path = str(case.resolve())
    assert {patch.path for r in report.results for patch in r.fix.patches} == {path}  # type: ignore[union-attr]
    written = notebook.rewritten(path, edits, report.originals[path])
    assert written == expected.read_text(encoding="utf-8"), f"{case.name}: the written notebook differs from {expected.name}"
    nbformat.validate(nbformat.reads(written, as_version=nbformat.NO_CONVERT))

    after = run_in_jupyter(written, tmp_path)
    assert after["held"] and after["unchanged"] == [], after


@pytest.mark.parametrize("case", corpus_params(CLEAN, sample_of(CLEAN, share=5), case_id))
def test_notebook_look_alike_gives_no_finding(case: Path, corpus_report: Callable[[Path], Report]) -> None:
    report = corpus_report(case)
    assert [(r.finding.code, r.finding.message) for r in report.results] == []
    assert "stops with" not in report.final_state


def test_notebook_corpus_is_big_enough() -> None:
    assert len(FAULTY) >= 10 and len(CLEAN) >= 4
    layouts = {case.name: notebook.read(str(case)) for case in FAULTY}
    assert any(layout.skipped for layout in layouts.values()), "a case with magics"
    assert any(cell.get("outputs") for case in FAULTY for cell in json.loads(case.read_text())["cells"]), "a case with outputs"
