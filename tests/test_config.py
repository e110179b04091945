"""[tool.gradfix] in pyproject.toml: scripts and their arguments, limits, ignores; `gradfix config`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradfix.cli import main
from gradfix.config import LIMITS

from conftest import CORPUS

SEED = CORPUS / "seed"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(SEED / "empty_optimizer.py", tmp_path / "train.py")
    shutil.copy(SEED / "accidental_freeze.py", tmp_path / "freeze.py")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def configure(project: Path, table: str) -> None:
    (project / "pyproject.toml").write_text(f"[project]\nname = 'user-project'\n\n[tool.gradfix]\n{table}\n")


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_scripts_and_their_arguments_come_from_the_config(project: Path) -> None:
    (project / "train.py").write_text(
        "import sys\nassert sys.argv[1:] == ['--epochs', '1'], sys.argv\n" + (project / "train.py").read_text()
    )
    configure(project, 'scripts = [{path = "train.py", args = ["--epochs", "1"]}]\nsteps = 2\n')
    result = invoke("suggest", "--format", "json")
    data = json.loads(result.stdout)
    assert [f["path"] for f in data["files"]] == ["train.py"]
    assert [x["code"] for x in data["files"][0]["findings"]] == ["GF001"]


def test_a_folder_run_gives_each_script_its_own_arguments(project: Path) -> None:
    for name, argv in (("train.py", ["--epochs", "1"]), ("freeze.py", ["--seed", "0"])):
        text = (project / name).read_text()
        (project / name).write_text(f"import sys\nassert sys.argv[1:] == {argv!r}, sys.argv\n" + text)
    configure(project, 'scripts = [{path = "train.py", args = ["--epochs", "1"]}]\nargs = ["--seed", "0"]\n')
    data = json.loads(invoke("suggest", ".", "--format", "json").stdout)
    codes = {Path(f["path"]).name: [x["code"] for x in f.get("findings", [])] for f in data["files"]}
    assert codes == {"train.py": ["GF001"], "freeze.py": ["GF004"]}, data


def test_ignore_and_per_file_ignores(project: Path) -> None:
    configure(project, 'ignore = ["GF004"]\n')
    assert invoke("suggest", "freeze.py").exit_code == 0
    configure(project, '[tool.gradfix.per-file-ignores]\n"train.py" = ["GF004"]\n')
    assert "GF004" in invoke("suggest", "freeze.py").output
    configure(project, '[tool.gradfix.per-file-ignores]\n"fr*.py" = ["GF004"]\n')
    result = invoke("suggest", "freeze.py")
    assert result.exit_code == 0 and "GF004" not in result.output


def test_unknown_key_is_a_one_line_error(project: Path) -> None:
    configure(project, "stepz = 3\n")
    result = invoke("suggest", "train.py")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "gradfix: pyproject.toml [tool.gradfix]: unknown key `stepz` "
        "(known: args, ignore, jobs, nproc-per-node, per-file-ignores, scripts, steps, timeout)"
    )
    configure(project, 'ignore = ["GF999"]\n')
    assert "no rule GF999" in invoke("suggest", "train.py").output


def test_config_command_prints_the_config_in_effect(project: Path) -> None:
    configure(project, 'scripts = ["train.py"]\ntimeout = 5\n')
    result = invoke("config")
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    assert shown["timeout"] == 5.0 and shown["scripts"][0]["path"].endswith("train.py")
    assert shown["source"].endswith("pyproject.toml")


def test_no_paths_and_no_config_is_a_usage_error(project: Path) -> None:
    configure(project, "")
    result = CliRunner().invoke(main, ["suggest"])
    assert result.exit_code == 2 and "give the training scripts" in result.output


@pytest.mark.parametrize(
    "table, key",
    [
        ("timeout = -5", "timeout"),
        ("timeout = 0", "timeout"),
        ("timeout = nan", "timeout"),
        ('timeout = "60"', "timeout"),
        ("steps = -1", "steps"),
        ("steps = 2.5", "steps"),
        ("steps = true", "steps"),
        ("jobs = 0", "jobs"),
        ('args = "--epochs 1"', "args"),
        ('ignore = "GF004"', "ignore"),
        ('scripts = "train.py"', "scripts"),
        ('[tool.gradfix.per-file-ignores]\n"*.py" = "GF004"', "per-file-ignores"),
    ],
)
def test_a_bad_value_is_one_line_naming_file_key_and_rule(project: Path, table: str, key: str) -> None:
    configure(project, table)
    for command in (["config"], ["suggest", "train.py"]):
        result = invoke(*command)
        assert result.exit_code == 2, result.output
        assert result.output.count("\n") == 1, result.output
        assert result.output.startswith(f"gradfix: pyproject.toml [tool.gradfix]: `{key}` must be "), result.output


@pytest.mark.parametrize("key, value", [("steps", "-1"), ("steps", "0"), ("jobs", "0"), ("timeout", "-5"), ("timeout", "0.05")])
def test_the_file_and_the_option_apply_one_rule(project: Path, key: str, value: str) -> None:
    configure(project, f"{key} = {value}")
    from_file = invoke("config").output.split(" must be ")[1].strip()
    configure(project, "")
    from_option = invoke("config", f"--{key}", value).output.splitlines()[-1].split(" must be ")[1].strip()
    assert from_file == from_option == f"{LIMITS[key].rule} (it is {value})"


def test_config_shows_the_values_in_effect_and_where_each_came_from(project: Path) -> None:
    configure(project, 'scripts = ["train.py"]\ntimeout = 5\n')
    shown = json.loads(invoke("config", "--jobs", "2").stdout)
    assert (shown["steps"], shown["timeout"], shown["jobs"]) == (3, 5.0, 2)
    assert shown["origin"] == {
        "scripts": "pyproject.toml", "args": "default", "steps": "default", "timeout": "pyproject.toml",
        "jobs": "command line", "nproc-per-node": "default", "ignore": "default", "per-file-ignores": "default",
    }
    configure(project, "")
    shown = json.loads(invoke("config").stdout)
    assert None not in (shown["steps"], shown["timeout"], shown["jobs"])
    assert set(shown["origin"].values()) == {"default"}
