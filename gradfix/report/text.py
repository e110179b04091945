"""The terminal report: where, which parameters, why, the verified diff in colour, and a table."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from gradfix.findings import Applicability, Finding, Report, Result
from gradfix.report.json import display_path, fix_diff, percent_cell
from gradfix.report.json import where as _located
from gradfix.untrusted import clean, output_lines


def where(report: Report, finding: Finding, column: bool = True) -> str:
    """The finding's place, as a line of the terminal: a file's name is the repository's, and
    may hold a line break or an escape sequence."""
    return clean(_located(report, finding, column))


def _shown(path: str) -> str:
    return clean(display_path(path))


def _command(paths: list[str]) -> str:
    """Paths in a command line the user may paste: quoted for the shell."""
    import shlex

    return " ".join(shlex.quote(display_path(path)) for path in paths)


def _mark(value: bool) -> str:
    return "[green]yes[/]" if value else "[red]no[/]"


def diff_text(diff: str) -> Text:
    """A unified diff coloured line by line; never wrapped or cropped, so it can be copied."""
    text = Text()
    for line in diff.splitlines(keepends=True):
        if line.startswith(("---", "+++")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        else:
            style = ""
        text.append(line, style=style)
    text.rstrip()
    return text


def param_table(result: Result) -> Table | None:
    if not result.table:
        return None
    table = Table(box=None, padding=(0, 2), show_edge=False, header_style="bold")
    table.add_column("parameter")
    table.add_column("requires_grad")
    table.add_column("grad")
    table.add_column("updated")
    for row in result.table:
        cells = []
        for index in range(3):
            # A run with no parameter of that name: built only later (the script stopped before),
            # or named otherwise once fixed. Said in words: a `?` would need a legend.
            before = _mark(row.before[index]) if row.before else "[dim]absent[/]"
            after = _mark(row.after[index]) if row.after else "[dim]absent[/]"
            cells.append(before if before == after else f"{before} → {after}")
        table.add_row(escape(row.name), *cells)
    return table


def render_result(console: Console, report: Report, result: Result) -> None:
    finding = result.finding
    cell = percent_cell(report, finding)
    in_cell = f" (in cell {cell})" if cell is not None else ""
    console.print(Text.assemble((where(report, finding), "bold"), ": ", (finding.code, "bold red"), " ", finding.title, in_cell))
    console.print(Text("  " + finding.message))
    fix = result.fix
    if fix is not None and fix.patches:
        safety = "safe fix" if fix.applicability is Applicability.SAFE else "unsafe fix (changes what is trained)"
        console.print(Text.assemble("  ", (safety, "cyan"), ": ", fix.description))
        console.print(diff_text(fix_diff(report, fix.patches)))
        console.print(Text.assemble("  ", ("verified", "bold green"), ": ", fix.verdict.reason))
        if fix.also_verified:
            console.print(Text("  also verified: " + "; ".join(fix.also_verified)))
    elif fix is not None:
        console.print(Text("  " + (result.note or "fixed together with another finding")))
    elif result.note:
        console.print(Text("  " + result.note, style="yellow"))
    for candidate, reason in result.rejected:
        console.print(Text(f"  rejected: {candidate}: {reason}", style="yellow"))
    table = param_table(result)
    if table is not None:
        console.print(Group(Text(""), table))
    console.print()


def render(console: Console, outcomes: list, verbose: bool = False) -> None:  # type: ignore[type-arg]
    """Each script's findings, then the summary. ``outcomes``: the reports and the scripts that
    could not be diagnosed (``repair.Problem``), which the summary counts."""
    for report in (o for o in outcomes if isinstance(o, Report)):
        if report.cuda_emulated:
            console.print(Text(f"{_shown(report.script)}: no GPU here: ran the script's CUDA path on the CPU (as on a GPU machine, torch.cuda.is_available() is True for the script)"))
        if report.distributed:
            console.print(Text(f"{_shown(report.script)}: {clean(report.distributed)}"))
        for path, layout in report.notebooks.items():
            if layout.skipped:
                listed = "; ".join(f"cell {s.cell}:{s.line} {s.text}" for s in layout.skipped[:6])
                more = f" and {len(layout.skipped) - 6} more" if len(layout.skipped) > 6 else ""
                console.print(Text(clean(f"{display_path(path)}: not run (IPython syntax; gradfix runs Python only): {listed}{more}"), style="dim"))
        if verbose:
            for name, text in (("stdout", report.stdout), ("stderr", report.stderr)):
                if text.strip():
                    console.rule(Text(f"{_shown(report.script)} {name}"))
                    console.print(Text(output_lines(text.rstrip())))
            if report.stdout.strip() or report.stderr.strip():
                console.rule()
        for result in report.results:
            render_result(console, report, result)
        for path, line, what in report.unreached:
            console.print(Text(f"{_shown(path)}:{line}: not reached: {clean(what)}", style="yellow"))
    console.print(summary(outcomes))


def _fixes(report: Report) -> list[Result]:
    return [r for r in report.results if r.fix is not None and r.fix.patches]


def summary(outcomes: list) -> Text:  # type: ignore[type-arg]
    reports = [o for o in outcomes if isinstance(o, Report)]
    results = [r for report in reports for r in report.results]
    fixes = [r for report in reports for r in _fixes(report)]
    safe = sum(1 for r in fixes if r.fix and r.fix.applicability is Applicability.SAFE)
    runs = sum(report.runs for report in reports)
    # One script: how its last run ended. A batch: the table below says it per script, one row
    # each, the scripts that could not be diagnosed too.
    undiagnosed = len(outcomes) - len(reports)
    if len(outcomes) == 1 and reports:
        states = reports[0].final_state
    else:
        states = f"{len(outcomes)} scripts" + (f" ({undiagnosed} could not be diagnosed)" if undiagnosed else "")
    if not reports:
        # No script was diagnosed: "No gradient problems found" would read as an all-clear.
        return Text(f"No script could be diagnosed ({len(outcomes)} script{'s' if len(outcomes) != 1 else ''}; why, per script, in the table below).")
    unreached = sum(len(report.unreached) for report in reports)
    if not results and unreached:
        # Not an all-clear: a later phase of the script never ran, or modules whose parameters an
        # optimizer steps never ran.
        branches = all(what.startswith(("the block of", "the else of")) for report in reports for _, _, what in report.unreached)
        what = f"branch{'es' if unreached != 1 else ''} of a training loop" if branches else f"part{'s' if unreached != 1 else ''} of the training"
        return Text(
            f"No gradient problems found in what ran; not an all-clear: {unreached} {what} never ran (above) "
            f"({states}; {runs} sandbox run{'s' if runs != 1 else ''})."
        )
    if not results:
        return Text(f"No gradient problems found ({states}; {runs} sandbox run{'s' if runs != 1 else ''}).")
    text = Text()
    text.append(f"{len(results)} finding{'s' if len(results) != 1 else ''}", style="bold")
    text.append(f", {len(fixes)} verified fix{'es' if len(fixes) != 1 else ''}")
    if fixes:
        text.append(f" ({safe} safe, {len(fixes) - safe} unsafe)")
    text.append(f"; {states}; {runs} sandbox run{'s' if runs != 1 else ''}.")
    if fixes:
        scripts = _command([report.script for report in reports if _fixes(report)])
        hint = f"gradfix apply {scripts} --yes" + (" --unsafe-fixes" if safe < len(fixes) else "")
        text.append(f"\nTo write them: {hint} (or --interactive to review each).")
    return text


def batch_table(outcomes: list) -> Table:  # type: ignore[type-arg]
    """One row per script of a batch: what was found, what was fixed, what it cost."""
    from gradfix.findings import Report

    table = Table(box=None, padding=(0, 2), header_style="bold")
    for column in ("script", "findings", "verified fixes", "sandbox runs", "result"):
        table.add_column(column)
    for outcome in outcomes:
        if not isinstance(outcome, Report):
            table.add_row(escape(_shown(outcome.script)), "-", "-", "-", Text(clean(outcome.message), style="red"))
            continue
        fixes = sum(1 for r in outcome.results if r.fix is not None and r.fix.patches)
        table.add_row(
            escape(_shown(outcome.script)),
            str(len(outcome.results)),
            str(fixes),
            str(outcome.runs),
            escape(outcome.final_state),
        )
    return table


def _where(report: Report, result: Result) -> str:
    finding = result.finding
    cell = percent_cell(report, finding)
    return f"{where(report, finding, column=False)}: {finding.code} {finding.title}" + (f" (in cell {cell})" if cell is not None else "")


def written(report: Report, results: list[Result]) -> Text:
    """``apply``: one line per fix it wrote, with what it fixed and how."""
    return Text("\n".join(f"fixed {_where(report, r)} ({r.fix.description})" for r in results if r.fix is not None))


def unfixed_reason(result: Result) -> str:
    """Why ``apply`` left a finding, in the words ``suggest`` gives it: the note the repair loop
    wrote, or the first candidate the re-run rejected."""
    fix = result.fix
    if fix is not None and fix.patches:
        return "its verified fix was not accepted (declined at the prompt, or verified on top of one that was)"
    if result.note:
        return clean(result.note)
    if result.rejected:
        candidate, reason = result.rejected[0]
        more = f"; and {len(result.rejected) - 1} more" if len(result.rejected) > 1 else ""
        return clean(f"no candidate fix verified: rejected: {candidate}: {reason}{more}")
    return "no automatic fix"


def not_fixed(left: list[tuple[Report, list[Result]]]) -> Text:
    """``apply``: one line per finding it leaves with no fix written, and why (a verified unsafe
    fix that ``--yes`` held back is said by ``held_back``)."""
    return Text("\n".join(f"not fixed: {_where(report, r)} ({unfixed_reason(r)})" for report, results in left for r in results))


def held_back(held: list[tuple[Report, list[Result]]]) -> Text:
    """``apply --yes``: the verified unsafe fixes it did not write, and the command that writes them."""
    lines = [f"not written (unsafe): {_where(report, r)} ({r.fix.description})" for report, results in held for r in results if r.fix is not None]
    scripts = _command([report.script for report, results in held if results])
    if scripts:
        lines.append(f"To write them: gradfix apply {scripts} --yes --unsafe-fixes (or --interactive to review each).")
    return Text("\n".join(lines))


def rule_doc(doc: str, terminal: bool) -> Text:
    """``explain``: a rule's text. On a terminal each paragraph is one line for it to wrap, with
    code in colour; elsewhere plain lines of at most 88 characters, code in backquotes."""
    import textwrap

    paragraphs = [" ".join(p.split()) for p in doc.split("\n\n") if p.strip()]
    if not terminal:
        return Text("\n\n".join(textwrap.fill(p, 88, break_long_words=False, break_on_hyphens=False) for p in paragraphs))
    text = Text()
    for index, paragraph in enumerate(paragraphs):
        if index:
            text.append("\n\n")
        for number, part in enumerate(paragraph.split("`")):
            text.append(part, style="cyan" if number % 2 else "")
    return text
