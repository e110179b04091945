"""The machine formats validate against their published schemas, on every report the corpus gives
(fixes across files, several edits, display-only findings; the default run's sample of it, every
case with ``--exhaustive``) and on a script that could not be diagnosed; the GitHub Action and the workflows in docs/github.md validate against SchemaStore's.

Test-only dependencies: the OASIS SARIF 2.1.0 schema (as shipped in ``@microsoft/jest-sarif``) and
reviewdog's rdjson validator ``@umbrelladocs/rdformat-validator`` come from the npm registry
(``tests/schemas/package-lock.json``; ``make test`` installs them); SchemaStore's GitHub schemas
ship inside ``check-jsonschema``. Without the npm packages these tests skip, unless
GRADFIX_REQUIRE_SCHEMAS is set, as CI does, which turns the skip into a failure.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from jsonschema import Draft4Validator
from jsonschema.validators import validator_for

from gradfix.findings import Report
from gradfix.repair import Problem, repair_all
from gradfix.report.formats import rdjson, rdjsonl, sarif
from gradfix.sandbox import Sandbox

from conftest import FAULTY_SAMPLE, ROOT, faulty_cases

NODE_MODULES = ROOT / "tests" / "schemas" / "node_modules"
SARIF_SCHEMA = NODE_MODULES / "@microsoft" / "jest-sarif" / "lib" / "schemas" / "sarif-2.1.0-rtm.5.json"
RDJSON_VALIDATOR = NODE_MODULES / "@umbrelladocs" / "rdformat-validator" / "bin" / "rdformat-validator.js"


def installed(path: Path) -> Path:
    if not path.exists() or (path.suffix == ".js" and shutil.which("node") is None):
        message = f"{path.relative_to(ROOT)} is missing: `make test` installs it (npm ci in tests/schemas), with Node.js"
        if os.environ.get("GRADFIX_REQUIRE_SCHEMAS"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module", params=["sample", pytest.param("corpus", marks=pytest.mark.exhaustive)])
def outcomes(
    request: pytest.FixtureRequest, corpus_report: Callable[[Path], Report], sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory,
) -> list:  # type: ignore[type-arg]
    """The reports on the default run's sample of the corpus, or (``--exhaustive``) on all of it."""
    broken = tmp_path_factory.mktemp("broken") / "train.py"
    broken.write_text("import torch\ndef train(:\n")
    [problem] = repair_all([(str(broken), [])], sandbox)
    assert isinstance(problem, Problem)
    cases = faulty_cases() if request.param == "corpus" else [c for c in faulty_cases() if c in FAULTY_SAMPLE]
    # A notebook's findings carry their cell (a logical location in SARIF, the JSON line elsewhere).
    notebook = corpus_report(ROOT / "corpus" / "notebooks" / "empty_optimizer_three_cells.ipynb")
    assert notebook.results
    return [problem, notebook] + [corpus_report(case) for case in cases]


def sarif_errors(document: dict) -> list[str]:  # type: ignore[type-arg]
    schema = json.loads(installed(SARIF_SCHEMA).read_text())
    validator = Draft4Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(document)]


def test_sarif_validates_against_the_sarif_2_1_0_schema(outcomes: list) -> None:  # type: ignore[type-arg]
    document = json.loads(sarif(outcomes))
    assert sarif_errors(document) == []

    # What was validated holds every shape gradfix writes (else the check above proves little).
    [run] = document["runs"]
    results = run["results"]
    assert any("fixes" not in r for r in results) and any("fixes" in r for r in results)
    assert any(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("/model.py") for r in results)
    assert any(len(c["replacements"]) > 1 for r in results if "fixes" in r for c in r["fixes"][0]["artifactChanges"])
    assert any(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("empty_optimizer_three_cells.ipynb") and r["locations"][0].get("logicalLocations")
        for r in results
    )
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "syntax error" in invocation["toolExecutionNotifications"][0]["message"]["text"]

    # The schema is live: what GitHub would reject, it rejects.
    broken = copy.deepcopy(document)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    del broken["runs"][0]["tool"]["driver"]["name"]
    assert len(sarif_errors(broken)) == 2


def rdjson_errors(*paths: Path) -> tuple[int, Any]:
    validator = installed(RDJSON_VALIDATOR)
    # Into a file, not a pipe: Node exits before a pipe takes more than 64 KiB of its output (the
    # verdict on a few hundred files is longer), while writes to a file are synchronous.
    with tempfile.TemporaryFile("w+") as out:
        completed = subprocess.run(
            ["node", str(validator), "--strict", "--no-extra-fields", "--format", "json", *map(str, paths)],
            stdout=out, stderr=subprocess.PIPE, text=True, timeout=60,
        )
        out.seek(0)
        return completed.returncode, json.loads(out.read())


def test_rdjson_and_rdjsonl_validate_as_reviewdog_diagnostics(outcomes: list, tmp_path: Path) -> None:  # type: ignore[type-arg]
    document = rdjson(outcomes)
    (tmp_path / "all.rdjson").write_text(document)
    lines = rdjsonl(outcomes).splitlines()
    assert len(lines) == len(json.loads(document)["diagnostics"])
    for i, line in enumerate(lines):  # rdjsonl: one Diagnostic per line
        (tmp_path / f"{i}.json").write_text(line)
    code, verdict = rdjson_errors(*sorted(tmp_path.iterdir()))
    assert (code, verdict["totalErrors"], verdict["invalidFiles"]) == (0, 0, 0), verdict
    assert verdict["filesProcessed"] == len(lines) + 1

    diagnostics = json.loads(document)["diagnostics"]
    assert any("suggestions" in d for d in diagnostics) and any("range" not in d["location"] for d in diagnostics)

    broken = json.loads(document)
    broken["diagnostics"][-1]["severity"] = "FATAL"
    (tmp_path / "broken.rdjson").write_text(json.dumps(broken))
    code, verdict = rdjson_errors(tmp_path / "broken.rdjson")
    assert code != 0 and verdict["totalErrors"] == 1


def github_schema(name: str) -> Any:
    schema = json.loads((files("check_jsonschema.builtin_schemas.vendor") / f"{name}.json").read_text())
    return validator_for(schema)(schema)


def test_the_action_and_the_documented_workflows_validate_against_schemastore() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert [e.message for e in github_schema("github-actions").iter_errors(action)] == []

    workflows = [
        yaml.safe_load(block)
        for block in re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "github.md").read_text(), re.S)
    ]
    for workflow in workflows:  # PyYAML reads the key `on:` as True (YAML 1.1); GitHub reads "on"
        workflow["on"] = workflow.pop(True)
    assert len(workflows) == 3  # the simple one, and the fork-safe pair
    validator = github_schema("github-workflows")
    for workflow in workflows:
        assert [e.message for e in validator.iter_errors(workflow)] == [], workflow.get("name")
    assert list(validator.iter_errors({"on": "pull_request", "jobs": {"x": {"steps": []}}}))  # no runs-on
