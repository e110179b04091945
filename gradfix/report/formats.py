"""Machine formats for CI and review tools, all rendered from the same findings and edits:
GitHub workflow-command annotations, SARIF 2.1.0 (with ``fixes``), reviewdog's rdjson/rdjsonl.

Lines are 1-based everywhere. SARIF columns are 1-based characters; rdjson columns are 1-based
UTF-8 bytes, as reviewdog specifies.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from gradfix import __version__
from gradfix.edits import Position, Text
from gradfix.findings import Applicability, Report, Result
from gradfix.report.json import diff_path, fingerprint, fix_diff, located
from gradfix.untrusted import workflow_data, workflow_property

DOCS = "https://github.com/gradfix/gradfix/blob/main/docs/rules/{slug}.md"


def _results(outcomes: list) -> Iterator[tuple[Report, Result]]:  # type: ignore[type-arg]
    for outcome in outcomes:
        if isinstance(outcome, Report):
            for result in outcome.results:
                yield outcome, result


def _problems(outcomes: list) -> list:  # type: ignore[type-arg]
    """The scripts that could not be diagnosed (``repair.Problem``): every format reports them too."""
    return [o for o in outcomes if not isinstance(o, Report)]


def _level(result: Result) -> str:
    return "warning" if result.finding.code in ("GF016",) else "error"


# -- GitHub workflow commands ----------------------------------------------------------------------


def github(report: dict) -> str:  # type: ignore[type-arg]
    """Workflow-command annotations from gradfix's JSON report (so the PR bot, which only reads
    that JSON, renders exactly what ``suggest --format github`` prints). The report is untrusted
    (the bot reads a fork's): every text is cut to a length and escaped, so none can end its
    command and start another (``%0A::add-mask::``)."""
    lines = []
    for entry in report.get("files", []):
        path = str(entry.get("path", ""))
        if entry.get("error"):
            lines.append(f"::error title=gradfix,file={workflow_property(path)}::{workflow_data(str(entry['error']))}")
        for finding in entry.get("findings", []):
            fix = finding.get("fix") or {}
            extra = f" [verified {fix.get('applicability')} fix: {fix.get('description')}]" if fix.get("edits") else ""
            line, column = int(finding.get("line", 1)), int(finding.get("column", 0)) + 1
            level = "warning" if finding.get("code") == "GF016" else "error"
            title = workflow_property(f"gradfix ({finding.get('code')})")
            location = f"file={workflow_property(path)},line={line},col={column}"
            where = f"{path}:{line}:{column}"
            if finding.get("cell") is not None:
                # A notebook: the annotation sits on the line of its JSON that holds the cell line.
                location = f"file={workflow_property(path)},line={int(finding.get('json_line') or 1)}"
                where = f"{path}:cell {int(finding['cell'])}:{line}:{column}"
            message = workflow_data(f"{where}: {finding.get('code')} {finding.get('message')}{extra}")
            lines.append(f"::{level} title={title},{location}::{message}")
    return "\n".join(lines) + ("\n" if lines else "")


# -- SARIF ------------------------------------------------------------------------------------------


def _region(start: Position, end: Position) -> dict:
    return {"startLine": start.line, "startColumn": start.column + 1, "endLine": end.line, "endColumn": end.column + 1}


def sarif(outcomes: list) -> str:  # type: ignore[type-arg]
    from gradfix.rules import all_rules

    rules = [
        {
            "id": rule.code,
            "name": rule.slug,
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": " ".join(rule.doc().split("\n\n")[0].split())},
            "help": {"text": rule.doc()},
            "helpUri": DOCS.format(slug=rule.slug),
            "defaultConfiguration": {"level": "warning" if rule.applicability is Applicability.DISPLAY_ONLY else "error"},
        }
        for rule in all_rules()
    ]
    results = []
    for report, result in _results(outcomes):
        finding = result.finding
        if finding.path in report.notebooks:
            results.append(_notebook_result(report, result))
            continue
        entry: dict[str, Any] = {
            "ruleId": finding.code,
            "level": _level(result),
            "message": {"text": finding.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": diff_path(finding.path)},
                    "region": {"startLine": finding.line, "startColumn": finding.column + 1},
                }
            }],
            "partialFingerprints": {"gradfix/v1": fingerprint(finding)},
            "properties": {"params": finding.params},
        }
        if result.fix is not None and result.fix.patches:
            entry["fixes"] = [{
                "description": {"text": f"{result.fix.description} (verified: {result.fix.verdict.reason}; {result.fix.applicability.value})"},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": diff_path(patch.path)},
                        "replacements": [
                            {"deletedRegion": _region(e.start, e.end), "insertedContent": {"text": e.replacement}}
                            for e in patch.edits
                        ],
                    }
                    for patch in result.fix.patches
                ],
            }]
        results.append(entry)
    # A script that could not be diagnosed is a tool execution notification, not a result: SARIF
    # viewers then show that the analysis of that file failed instead of showing it as clean.
    notifications = [
        {
            "level": "error",
            "message": {"text": problem.message},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": diff_path(problem.script)}}}],
        }
        for problem in _problems(outcomes)
    ]
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "gradfix", "semanticVersion": __version__, "informationUri": "https://github.com/gradfix/gradfix", "rules": rules}},
            "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
            "results": results,
        }],
    }
    return json.dumps(document, indent=2)


def _notebook_result(report: Report, result: Result) -> dict:
    """A finding in a notebook: the physical location is the line of the notebook's JSON that holds
    the cell line (GitHub code scanning needs a physical location, and shows a notebook's raw
    file); a logical location names the cell, and the properties say where in it. A fix is
    described, with its per-cell diff, not given as replacements of JSON text."""
    finding = result.finding
    layout = report.notebooks[finding.path]
    place = located(report, finding.path, finding.line, finding.column)
    physical: dict[str, Any] = {"artifactLocation": {"uri": diff_path(finding.path)}}
    properties: dict[str, Any] = {"params": finding.params}
    message = finding.message
    logical = []
    if place is not None:
        json_line = layout.json_line(place)
        if json_line is not None:
            physical["region"] = {"startLine": json_line}
        name = f"cell {place.cell.number}"
        logical = [{"name": name, "fullyQualifiedName": f"{diff_path(finding.path)}:{name}", "kind": "module"}]
        properties.update(cell=place.cell.number, cellId=place.cell.id, cellLine=place.line, cellColumn=place.column + 1)
        message = f"{name}:{place.line}:{place.column}: {message}"
    if result.fix is not None and result.fix.patches:
        message += f" [verified {result.fix.applicability.value} fix: {result.fix.description}]"
        properties["fixDiff"] = fix_diff(report, result.fix.patches)
    location: dict[str, Any] = {"physicalLocation": physical}
    if logical:
        location["logicalLocations"] = logical
    return {
        "ruleId": finding.code,
        "level": _level(result),
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {"gradfix/v1": fingerprint(finding)},
        "properties": properties,
    }


# -- reviewdog rdjson -------------------------------------------------------------------------------


def _byte_position(text: str, position: Position) -> dict:
    lines = Text(text)
    start = lines.line_start(position.line)
    prefix = text[start : start + position.column]
    return {"line": position.line, "column": len(prefix.encode("utf-8")) + 1}


def _diagnostic(report: Report, result: Result) -> dict:
    finding = result.finding
    if finding.path in report.notebooks:
        return _notebook_diagnostic(report, result)
    source = report.originals.get(finding.path)
    if source is None:
        from gradfix.source import SourceFile

        source = SourceFile.read(finding.path).text
    start = _byte_position(source, Position(finding.line, finding.column))
    diagnostic: dict[str, Any] = {
        "message": finding.message,
        "location": {"path": diff_path(finding.path), "range": {"start": start}},
        "severity": _level(result).upper(),
        "source": {"name": "gradfix"},
        "code": {"value": finding.code, "url": DOCS.format(slug=_slug(finding.code))},
    }
    if result.fix is not None and result.fix.patches:
        diagnostic["suggestions"] = [
            {
                "range": {
                    "start": _byte_position(report.originals[patch.path], edit.start),
                    "end": _byte_position(report.originals[patch.path], edit.end),
                },
                "text": edit.replacement,
            }
            for patch in result.fix.patches
            if patch.path == finding.path
            for edit in patch.edits
        ]
    return diagnostic


def _notebook_diagnostic(report: Report, result: Result) -> dict:
    """A finding in a notebook, on the line of its JSON that holds the cell line (reviewdog filters
    by the pull request's diff, which is of the JSON); the message names the cell. No suggestion:
    it would replace JSON text."""
    finding = result.finding
    place = located(report, finding.path, finding.line, finding.column)
    location: dict[str, Any] = {"path": diff_path(finding.path)}
    message = finding.message
    if place is not None:
        message = f"cell {place.cell.number}:{place.line}:{place.column}: {message}"
        json_line = report.notebooks[finding.path].json_line(place)
        if json_line is not None:
            location["range"] = {"start": {"line": json_line, "column": 1}}
    return {
        "message": message,
        "location": location,
        "severity": _level(result).upper(),
        "source": {"name": "gradfix"},
        "code": {"value": finding.code, "url": DOCS.format(slug=_slug(finding.code))},
    }


def _problem_diagnostic(problem: Any) -> dict:
    # No range: reviewdog shows it on the file (with -filter-mode=file or nofilter), not on a line.
    return {"message": problem.message, "location": {"path": diff_path(problem.script)}, "severity": "ERROR", "source": {"name": "gradfix"}}


def _diagnostics(outcomes: list) -> list:  # type: ignore[type-arg]
    return [_problem_diagnostic(p) for p in _problems(outcomes)] + [_diagnostic(r, x) for r, x in _results(outcomes)]


def _slug(code: str) -> str:
    from gradfix.rules import Rule, all_rules

    all_rules()
    rule = Rule.registry.get(code)
    return rule.slug if rule is not None else code


def rdjson(outcomes: list) -> str:  # type: ignore[type-arg]
    return json.dumps(
        {"source": {"name": "gradfix"}, "severity": "ERROR", "diagnostics": _diagnostics(outcomes)},
        indent=2,
    )


def rdjsonl(outcomes: list) -> str:  # type: ignore[type-arg]
    return "".join(json.dumps(diagnostic) + "\n" for diagnostic in _diagnostics(outcomes))


def _github(outcomes: list) -> str:  # type: ignore[type-arg]
    from gradfix.report.json import to_dict

    return github(to_dict(outcomes))


RENDERERS = {"github": _github, "sarif": sarif, "rdjson": rdjson, "rdjsonl": rdjsonl}
