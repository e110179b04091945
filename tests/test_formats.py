"""The machine formats (github annotations, SARIF, rdjson) carry the same findings and edits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradfix.cli import main
from gradfix.edits import Edit, Position, apply_edits

from conftest import CORPUS

SEED = CORPUS / "seed"


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    target = tmp_path / "train.py"
    # A non-ASCII comment before the fix on the same line checks byte vs character columns.
    text = (SEED / "integer_input.py").read_text().replace("input_tensor = torch.tensor(", "é = 0; input_tensor = torch.tensor(")
    target.write_text(text)
    monkeypatch.chdir(tmp_path)
    return target


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["suggest", "train.py", *args], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return result.stdout


def test_github_annotations_are_escaped_workflow_commands(script: Path) -> None:
    [line] = run("--format", "github").splitlines()
    assert line.startswith("::error title=gradfix (GF003),file=train.py,line=")
    message = line.split("::", 2)[2]
    assert "\n" not in message and "GF003" in message and "verified safe fix" in message


def test_sarif_has_what_code_scanning_requires_and_the_fix(script: Path) -> None:
    document = json.loads(run("--format", "sarif"))
    assert document["version"] == "2.1.0" and document["$schema"].endswith("sarif-2.1.0.json")
    [run_] = document["runs"]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    assert {"GF001", "GF017"} <= set(rules)
    assert all(r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"] for r in rules.values())
    [result] = run_["results"]
    assert result["ruleId"] == "GF003" and result["message"]["text"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "train.py" and location["region"]["startLine"] >= 1
    [change] = result["fixes"][0]["artifactChanges"]
    [replacement] = change["replacements"]
    region = replacement["deletedRegion"]
    edit = Edit(
        Position(region["startLine"], region["startColumn"] - 1),
        Position(region["endLine"], region["endColumn"] - 1),
        replacement["insertedContent"]["text"],
    )
    assert "dtype=torch.float32" in apply_edits(script.read_text(), [edit])


def test_rdjson_suggestions_use_byte_columns(script: Path) -> None:
    document = json.loads(run("--format", "rdjson"))
    [diagnostic] = document["diagnostics"]
    assert diagnostic["code"]["value"] == "GF003" and diagnostic["location"]["path"] == "train.py"
    [suggestion] = diagnostic["suggestions"]
    start = suggestion["range"]["start"]
    line = script.read_text().splitlines()[start["line"] - 1]
    assert line.encode()[start["column"] - 1 :].startswith(b"torch.int32")
    lines = run("--format", "rdjsonl").splitlines()
    assert [json.loads(x)["code"]["value"] for x in lines] == ["GF003"]


def test_output_file(script: Path, tmp_path: Path) -> None:
    assert run("--format", "sarif", "-o", str(tmp_path / "out.sarif")) == ""
    assert json.loads((tmp_path / "out.sarif").read_text())["version"] == "2.1.0"


def test_json_names_the_other_candidates_that_verified() -> None:
    # gamma=0 -> 1 and dropping gamma both make the rate positive again: the first in the rule's
    # order is the fix, the other is reported as verified too.
    case = CORPUS / "outside" / "batch1" / "11_steplr_gamma_zero.py"
    result = CliRunner().invoke(main, ["suggest", str(case), "--format", "json"], catch_exceptions=False)
    [finding] = [f for entry in json.loads(result.stdout)["files"] for f in entry["findings"]]
    assert finding["code"] == "GF019"
    assert finding["fix"]["description"].startswith("`gamma=1`")
    assert finding["fix"]["also_verified"] == ["drop `gamma=0`: StepLR's default gamma"]
