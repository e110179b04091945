"""Notebooks: their code cells as one program with an exact map back to cells, IPython syntax
neutralised and listed, bad notebooks refused in one line before torch loads, findings and diffs
named by cell, and fixes written into the edited cells' sources with every other byte unchanged."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("IPython")

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output  # noqa: E402

from gradfix import notebook  # noqa: E402
from gradfix.edits import Edit, Position  # noqa: E402

from conftest import ROOT  # noqa: E402

FAULTY = [
    "import torch\nfrom torch import nn",
    "model = nn.Linear(4, 1)\nopt = torch.optim.Adam([], lr=1e-3)",
    "for step in range(5):\n    x = torch.randn(8, 4)\n    loss = model(x).pow(2).mean()\n    opt.zero_grad()\n    loss.backward()\n    opt.step()",
]


def write_notebook(folder: Path, cells: list, name: str = "nb.ipynb", **metadata: object) -> Path:
    """A notebook of ``cells`` (strings are code cells) in a project folder, as Jupyter writes it."""
    (folder / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    made = [new_code_cell(c) if isinstance(c, str) else c for c in cells]
    nb = new_notebook(cells=made, metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}, **metadata})
    path = folder / name
    nbformat.write(nb, str(path))
    return path


def gradfix(*args: str, cwd: Path) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "gradfix", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


# -- the program and its map ------------------------------------------------------------------------


def test_code_cells_make_one_program_line_for_line(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, [new_markdown_cell("# Training"), *FAULTY])
    layout = notebook.read(str(path))
    assert layout.program == "\n".join(FAULTY) + "\n"
    assert [(c.number, c.first_line, c.lines) for c in layout.cells] == [(2, 1, 2), (3, 3, 2), (4, 5, 6)]
    located = layout.locate(Position(4, 6))
    assert located is not None and (located.cell.number, located.line, located.column) == (3, 2, 6)
    assert layout.skipped == []


def test_ipython_syntax_is_neutralised_and_listed_never_run(tmp_path: Path) -> None:
    cells = [
        "%matplotlib inline\n!pip install torch\nimport torch",
        "files = !ls\n%time y = 2 + 2\nmodel?\nif True:\n    !rm -rf /\nx = 1",
        "%%bash\necho hi",
        "%%time\nz = y + 1",
        "%load_ext \\\n    autoreload\nw = 3",
    ]
    layout = notebook.read(str(write_notebook(tmp_path, cells)))
    assert layout.program.splitlines() == [
        "pass", "pass", "import torch",
        "files = []", "y = 2 + 2", "pass", "if True:", "    pass", "x = 1",
        "# %%bash", "# echo hi",
        "", "z = y + 1",
        "pass", "", "w = 3",
    ]
    assert [(s.cell, s.line, s.text) for s in layout.skipped] == [
        (1, 1, "%matplotlib inline"), (1, 2, "!pip install torch"),
        (2, 1, "files = !ls"), (2, 3, "model?"), (2, 5, "!rm -rf /"),
        (3, 1, "%%bash"), (5, 1, "%load_ext \\ autoreload"),
    ]
    cells_by_number = {c.number: c for c in layout.cells}
    assert cells_by_number[1].rewritten == {1, 2}
    assert cells_by_number[5].rewritten == {1, 2}
    # A fix may not change a line IPython rewrote, nor span two cells.
    assert "IPython syntax in cell 1" in (layout.writable([Edit(Position(1, 0), Position(1, 4), "x")]) or "")
    assert "spans cells" in (layout.writable([Edit(Position(3, 0), Position(4, 3), "")]) or "")
    assert layout.writable([Edit(Position(3, 0), Position(3, 6), "import")]) is None


BAD_NOTEBOOKS = {
    "invalid JSON": (b'{"cells": [', "not a notebook: invalid JSON"),
    "empty": (b"\n", "the file is empty; nothing to diagnose"),
    "version 3": (json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}).encode(), "a version 3 notebook; gradfix reads version 4"),
    "no code cells": (None, "no code cells; nothing to run"),
    "an R kernel": (None, "its kernel runs R; gradfix diagnoses Python notebooks"),
    "a syntax error": (None, "cell 2: syntax error at line 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_NOTEBOOKS))
def test_a_bad_notebook_is_one_line_and_exit_2_before_torch(tmp_path: Path, case: str) -> None:
    content, expected = BAD_NOTEBOOKS[case]
    if case == "no code cells":
        write_notebook(tmp_path, [new_markdown_cell("# only words")])
    elif case == "an R kernel":
        write_notebook(tmp_path, ["x <- 1"], kernelspec={"name": "ir", "language": "R", "display_name": "R"})
    elif case == "a syntax error":
        write_notebook(tmp_path, ["import torch", "def broken(:\n    pass"])
    else:
        (tmp_path / "nb.ipynb").write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gradfix", "suggest", "nb.ipynb"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}, timeout=120,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "torch" not in imported
    [message] = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert message.startswith("gradfix: nb.ipynb: ") and expected in message, message


def test_missing_ipython_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_notebook(tmp_path, FAULTY)
    monkeypatch.setitem(sys.modules, "IPython.core", None)
    notebook._cache.clear()
    with pytest.raises(notebook.NotebookProblem, match=r"needs nbformat and IPython .*pip install 'gradfix\[notebook\]'"):
        notebook.read(str(path))


# -- suggest and apply ------------------------------------------------------------------------------

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def rich_notebook(folder: Path) -> Path:
    """The faulty notebook with what a real one carries: outputs (text and an image), execution
    counts, cell metadata, a markdown cell with an attachment, notebook metadata."""
    plot = new_code_cell(
        "import matplotlib\nprint('plotted')", execution_count=4, metadata={"tags": ["plot"], "collapsed": False},
        outputs=[
            new_output("stream", name="stdout", text="plotted\n"),
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure size 640x480 with 1 Axes>"}, metadata={"image/png": {"width": 640}}),
        ],
    )
    notes = new_markdown_cell("![chart](attachment:chart.png)\nThe loss stays flat.", attachments={"chart.png": {"image/png": PNG}})
    first = new_code_cell(FAULTY[0], execution_count=1, outputs=[new_output("execute_result", data={"text/plain": "ok"}, execution_count=1)])
    second = new_code_cell(FAULTY[1], execution_count=2, metadata={"scrolled": True})
    third = new_code_cell(FAULTY[2], execution_count=3, outputs=[new_output("stream", name="stderr", text="warning: flat loss\n")])
    path = write_notebook(folder, [notes, first, second, third, plot], language_info={"name": "python", "version": "3.11.9"})
    os.chdir(folder)  # names as a user in the notebook's folder sees them (each test's cwd is restored)
    return path


def invoke(*args: str):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from gradfix.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(autouse=True)
def keep_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(os.getcwd())


def test_suggest_names_the_cell_and_diffs_per_cell(tmp_path: Path) -> None:
    path = rich_notebook(tmp_path)
    before = path.read_bytes()
    result = invoke("suggest", str(path))
    assert result.exit_code == 1, result.output
    out = result.output
    assert f"nb.ipynb:cell 3:2:6: GF001 optimizer built with an empty parameter list" in out
    assert f"--- a/nb.ipynb (cell 3)\n+++ b/nb.ipynb (cell 3)\n@@ -1,2 +1,2 @@\n" in out
    assert "-opt = torch.optim.Adam([], lr=1e-3)\n+opt = torch.optim.Adam(model.parameters(), lr=1e-3)" in out
    assert "No newline" not in out
    assert path.read_bytes() == before


def test_apply_writes_only_the_edited_cell_source(tmp_path: Path) -> None:
    path = rich_notebook(tmp_path)
    before_text = path.read_text()
    before = json.loads(before_text)
    result = invoke("apply", str(path), "--yes")
    assert result.exit_code == 0, result.output
    assert "fixed" in result.output and ":cell 3:2: GF001" in result.output
    after_text = path.read_text()
    after = json.loads(after_text)
    nbformat.validate(nbformat.reads(after_text, as_version=nbformat.NO_CONVERT))
    # Outside the edited cell's source, every byte is as it was: the one changed line is the fix.
    changed = [(a, b) for a, b in zip(before_text.split("\n"), after_text.split("\n")) if a != b]
    assert len(before_text.split("\n")) == len(after_text.split("\n"))
    assert changed == [('    "opt = torch.optim.Adam([], lr=1e-3)"', '    "opt = torch.optim.Adam(model.parameters(), lr=1e-3)"')]
    assert after["metadata"] == before["metadata"]
    for index, (old, new) in enumerate(zip(before["cells"], after["cells"])):
        if index != 2:
            assert json.dumps(new, sort_keys=True) == json.dumps(old, sort_keys=True)
        else:
            assert {k: v for k, v in new.items() if k != "source"} == {k: v for k, v in old.items() if k != "source"}
            assert "".join(new["source"]) == FAULTY[1].replace("Adam([]", "Adam(model.parameters()")


def test_apply_keeps_a_layout_other_than_jupyters(tmp_path: Path) -> None:
    """A notebook saved with two-space indent and keys in their own order (as some editors do) is
    written back in that layout."""
    path = rich_notebook(tmp_path)
    data = json.loads(path.read_text())
    data = {"metadata": data["metadata"], "nbformat_minor": data["nbformat_minor"], "nbformat": 4, "cells": data["cells"]}
    text = json.dumps(data, indent=2)  # no final newline, ASCII escapes
    path.write_text(text)
    assert invoke("apply", str(path), "--yes").exit_code == 0
    after = path.read_text()
    assert after == text.replace("Adam([], lr=1e-3)", "Adam(model.parameters(), lr=1e-3)")


def test_machine_formats_carry_the_cell(tmp_path: Path) -> None:
    path = rich_notebook(tmp_path)
    report = json.loads(invoke("suggest", str(path), "--format", "json").output)
    [entry] = report["files"]
    [finding] = entry["findings"]
    assert (finding["cell"], finding["line"], finding["column"]) == (3, 2, 6)
    json_line = path.read_text().split("\n")[finding["json_line"] - 1]
    assert "opt = torch.optim.Adam([], lr=1e-3)" in json_line
    [edit] = finding["fix"]["edits"]
    assert edit["cell"] == 3 and edit["start"] == {"line": 2, "column": 23} and edit["replacement"] == "model.parameters()"
    assert finding["fix"]["suggestion"] is None and "(cell 3)" in finding["fix"]["diff"]

    sarif = json.loads(invoke("suggest", str(path), "--format", "sarif").output)
    [result] = sarif["runs"][0]["results"]
    location = result["locations"][0]
    assert location["physicalLocation"]["region"]["startLine"] == finding["json_line"]
    assert location["logicalLocations"][0]["name"] == "cell 3"
    assert result["properties"]["cell"] == 3

    [diagnostic] = json.loads(invoke("suggest", str(path), "--format", "rdjson").output)["diagnostics"]
    assert diagnostic["location"]["range"]["start"]["line"] == finding["json_line"]
    assert diagnostic["message"].startswith("cell 3:2:6: ")
    assert "suggestions" not in diagnostic

    annotations = invoke("suggest", str(path), "--format", "github").output
    assert f"line={finding['json_line']}::" in annotations and ":cell 3:2:7: GF001" in annotations  # 1-based columns, as for scripts


def test_review_posts_a_notebook_fix_with_its_cell_and_diff(tmp_path: Path) -> None:
    from gradfix.review.bot import findings_of, plan

    path = rich_notebook(tmp_path)
    report = json.loads(invoke("suggest", str(path), "--format", "json").output)
    [finding] = findings_of(report)
    assert (finding.cell, finding.suggestion) == (3, None)

    def link(f: object) -> str:
        return "https://example.invalid/nb.ipynb?plain=1#L1"

    # The cell's JSON line is in the diff: an inline comment there (no suggestion block), and the summary.
    decided = plan([finding], {"nb.ipynb": {finding.json_line or 0}}, [], "bot", "sha", link)
    assert decided.review is not None
    [comment] = decided.review["comments"]
    assert comment["line"] == finding.json_line and "```suggestion" not in comment["body"]
    assert "(cell 3, line 2)" in comment["body"] and "+opt = torch.optim.Adam(model.parameters(), lr=1e-3)" in comment["body"]
    assert "nb.ipynb:cell 3:2" in decided.summary and "--- a/nb.ipynb (cell 3)" in decided.summary
    # Outside the diff: the summary alone carries it.
    decided = plan([finding], {}, [], "bot", "sha", link)
    assert decided.review is None
    assert "(verified fix below)" in decided.summary and "+opt = torch.optim.Adam(model.parameters(), lr=1e-3)" in decided.summary


def test_lines_put_between_cells_go_at_the_end_of_the_cell_above(tmp_path: Path) -> None:
    layout = notebook.read(str(write_notebook(tmp_path, FAULTY)))
    moved = [
        Edit(Position(4, 0), Position(5, 0), ""),  # the optimizer leaves cell 2 ...
        Edit(Position(5, 0), Position(5, 0), "opt = torch.optim.Adam(model.parameters(), lr=1e-3)\n"),  # ... for the top of cell 3
    ]
    sources = layout.new_sources(moved)
    assert sources == {1: "model = nn.Linear(4, 1)\nopt = torch.optim.Adam(model.parameters(), lr=1e-3)"}
    diff = layout.diff(moved, "nb.ipynb")
    assert diff.count("--- a/nb.ipynb (cell 2)") == 1 and "(cell 3)" not in diff
    # At the very start, the first cell takes them.
    assert layout.new_sources([Edit(Position(1, 0), Position(1, 0), "import os\n")]) == {0: "import os\n" + FAULTY[0]}


def test_a_crash_before_training_is_said_in_cells(tmp_path: Path) -> None:
    write_notebook(tmp_path, ["%%writefile helpers.py\ndef make():\n    return 1", "import torch\nfrom helpers import make\nmodel = torch.nn.Linear(2, 1)"])
    done = gradfix("suggest", "nb.ipynb", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "ModuleNotFoundError: No module named 'helpers' in cell 2 at line 2" in done.stderr, done.stderr


def test_a_folder_finds_its_training_notebooks(tmp_path: Path) -> None:
    from gradfix.discover import entry_points

    write_notebook(tmp_path, FAULTY, name="train.ipynb")
    write_notebook(tmp_path, ["print('no training here')"], name="notes.ipynb")
    nbformat.write(nbformat.reads((tmp_path / "train.ipynb").read_text(), as_version=4), str(tmp_path / "train.fixed.ipynb"))
    assert entry_points([str(tmp_path)]) == [str(tmp_path / "train.ipynb")]
    # A training notebook cut short is found too, and reported (one line), not skipped in silence.
    (tmp_path / "cut.ipynb").write_text((tmp_path / "train.ipynb").read_text()[:-40])
    assert entry_points([str(tmp_path)]) == [str(tmp_path / "cut.ipynb"), str(tmp_path / "train.ipynb")]
    done = gradfix("suggest", ".", cwd=tmp_path)
    assert "cut.ipynb: not a notebook: invalid JSON" in done.stderr, done.stderr


def test_apply_interactive_shows_the_cell_and_writes_the_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import gradfix.cli as cli

    monkeypatch.setattr(cli, "_terminal", lambda: True)  # the answers come from CliRunner's input
    case = ROOT / "corpus" / "notebooks" / "outputs_images_zero_grad_before_step.ipynb"
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    path = tmp_path / case.name
    shutil.copy(case, path)
    os.chdir(tmp_path)
    from click.testing import CliRunner

    declined = CliRunner().invoke(cli.main, ["apply", path.name, "--interactive"], input="n\n", catch_exceptions=False)
    assert f"{path.name}:cell 4:5:4: GF009" in declined.output and "Apply this fix?" in declined.output
    assert path.read_bytes() == case.read_bytes()
    accepted = CliRunner().invoke(cli.main, ["apply", path.name, "--interactive"], input="y\n", catch_exceptions=False)
    assert accepted.exit_code == 0, accepted.output
    assert path.read_bytes() == case.with_name(case.name.replace(".ipynb", ".fixed.ipynb")).read_bytes()


def test_apply_refuses_a_notebook_whose_code_changed_since(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gradfix import apply as apply_module

    path = rich_notebook(tmp_path)
    real_write = apply_module.write_fixes

    def edit_first(report, accepted):  # type: ignore[no-untyped-def]
        data = json.loads(path.read_text())
        data["cells"][1]["source"] = ["import torch\n", "from torch import nn\n", "import math"]
        path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        return real_write(report, accepted)

    monkeypatch.setattr(apply_module, "write_fixes", edit_first)
    result = invoke("apply", str(path), "--yes")
    assert result.exit_code == 2
    assert "changed since gradfix diagnosed it" in result.output
    assert "Adam([]" in path.read_text()


def test_lines_named_in_a_message_are_said_in_cells(tmp_path: Path) -> None:
    """The rules speak of the program's lines; a notebook's reader sees cells."""
    cells = [
        "import torch\nfrom torch import nn",
        "model = nn.Linear(4, 1)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)",
        "# a wider model, tried later\nmodel = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))",
        "x, y = torch.randn(64, 4), torch.randn(64, 1)\nfor step in range(20):\n"
        "    loss = ((model(x) - y) ** 2).mean()\n    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()",
    ]
    write_notebook(tmp_path, cells)
    result = invoke("suggest", str(tmp_path / "nb.ipynb"))
    assert result.exit_code == 1, result.output
    assert "GF010" in result.output
    assert "replaced at line 2 of cell 3" in result.output, result.output
    assert not re.search(r"\bline \d+\b(?! of cell)", result.output.split("---")[0]), result.output


def test_a_jupytext_percent_script_runs_as_a_script_and_names_the_cell(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        '"""Exported from a notebook."""\n# %%\nimport torch\nfrom torch import nn\n\n'
        "# %% [markdown]\n# The model and its optimizer.\n\n"
        "# %%\nmodel = nn.Linear(4, 1)\noptimizer = torch.optim.SGD([], lr=0.1)\n\n"
        "# %%\nx, y = torch.randn(32, 4), torch.randn(32, 1)\nfor step in range(10):\n"
        "    loss = ((model(x) - y) ** 2).mean()\n    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
    )
    result = invoke("suggest", str(script))
    assert result.exit_code == 1, result.output
    # The file's own lines (editors jump to them), and the cell as jupytext numbers it.
    assert "train.py:11:12: GF001 optimizer built with an empty parameter list (in cell 4)" in result.output
    document = json.loads(invoke("suggest", str(script), "--format", "json").output)
    [finding] = document["files"][0]["findings"]
    assert (finding["line"], finding["cell"]) == (11, 4)
    assert "(in cell" not in invoke("suggest", str(ROOT / "corpus" / "seed" / "empty_optimizer.py")).output


def test_display_by_name_works_as_in_a_kernel(tmp_path: Path) -> None:
    """display() is in a kernel's namespace without an import; a notebook that calls it is diagnosed."""
    cells = [
        "import torch\nfrom torch import nn",
        "model = nn.Linear(4, 1)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\ndisplay(model)",
        "x, y = torch.randn(32, 4), torch.randn(32, 1)\nfor step in range(10):\n"
        "    loss = ((model(x) - y) ** 2).mean()\n    optimizer.zero_grad()\n    loss.backward()\n    display(loss.item())",
    ]
    write_notebook(tmp_path, cells)
    result = invoke("suggest", str(tmp_path / "nb.ipynb"))
    assert result.exit_code == 1, result.output
    assert "GF014" in result.output and "NameError" not in result.output


def test_a_jupytext_header_is_no_cell() -> None:
    header = "# ---\n# jupyter:\n#   kernelspec:\n#     display_name: Python 3\n#     name: python3\n# ---\n\n"
    cells = "# %%\nimport torch\n\n# %% [markdown]\n# Notes.\n\n# %%\nmodel = torch.nn.Linear(2, 1)\n"
    assert notebook.percent_cells(header + cells) == [8, 11, 14]
    assert notebook.percent_cell(notebook.percent_cells(header + cells), 15) == 3
    assert notebook.percent_cells('"""A docstring."""\n' + cells) == [1, 2, 5, 8]
