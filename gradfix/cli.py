"""The command line: parses arguments, calls the repair API, prints. Nothing more.

Exit codes: 0 no findings (or every finding fixed by ``apply``), 1 findings, 2 bad input or usage.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable

import click
from rich.console import Console

from gradfix import __version__
from gradfix.apply import StaleFile, write_fixes
from gradfix.findings import Applicability, Report, Result
from gradfix.repair import ScriptProblem, repair
from gradfix.report import json as json_report
from gradfix.report import text as text_report
from gradfix.sandbox import Sandbox
from gradfix.project import find_root


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"gradfix: {message}", err=True)
    sys.exit(code)


def sandbox_options(command: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--steps", default=3, show_default=True, type=click.IntRange(1), help="Stop the script after N optimizer steps.")
    @click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=0.1), help="Seconds each run may take.")
    @click.option("--no-fork", is_flag=True, help="Start a fresh interpreter per run instead of forking a warm one.")
    @click.option("-v", "--verbose", is_flag=True, help="Show the script's own output.")
    @click.argument("path", type=click.Path())
    @click.argument("script_args", nargs=-1, type=click.UNPROCESSED)
    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        return command(**kwargs)

    return wrapper


def _diagnose(path: str, script_args: tuple[str, ...], steps: int, timeout: float, no_fork: bool) -> Report:
    try:
        root = find_root(path)
        sandbox = Sandbox([root], steps=steps, timeout=timeout, fork=not no_fork)
        return repair(path, list(script_args), sandbox)
    except ScriptProblem as problem:
        _fail(str(problem), problem.exit_code)
        raise  # unreachable: _fail exits


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gradfix")
def main() -> None:
    """gradfix: find why PyTorch parameters get no gradient, fix the script, prove the fix."""


@main.command()
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@sandbox_options
def suggest(path: str, script_args: tuple[str, ...], output_format: str, steps: int, timeout: float, no_fork: bool, verbose: bool) -> None:
    """Run PATH under the probe and print verified fixes. Changes nothing.

    Arguments after -- are passed to the script.
    """
    report = _diagnose(path, script_args, steps, timeout, no_fork)
    if output_format == "json":
        click.echo(json_report.render([report]))
    else:
        text_report.render(Console(highlight=False, soft_wrap=True), [report], verbose=verbose)
    sys.exit(1 if report.results else 0)


@main.command()
@click.option("-i", "--interactive", is_flag=True, help="Review each verified fix: y(es), n(o), a(ll), q(uit).")
@click.option("-y", "--yes", is_flag=True, help="Write every verified safe fix without asking.")
@click.option("--unsafe-fixes", is_flag=True, help="With --yes, also write verified unsafe fixes.")
@sandbox_options
def apply(
    path: str,
    script_args: tuple[str, ...],
    interactive: bool,
    yes: bool,
    unsafe_fixes: bool,
    steps: int,
    timeout: float,
    no_fork: bool,
    verbose: bool,
) -> None:
    """Diagnose PATH and write its verified fixes (atomically, at the end)."""
    if interactive == yes:
        raise click.UsageError("choose one of --interactive or --yes")
    report = _diagnose(path, script_args, steps, timeout, no_fork)
    console = Console(highlight=False, soft_wrap=True)
    fixable = [r for r in report.results if r.fix is not None and r.fix.patches]
    accepted: list[Result] = []
    if yes:
        accepted = [r for r in fixable if unsafe_fixes or r.fix and r.fix.applicability is Applicability.SAFE]
        skipped = len(fixable) - len(accepted)
        if skipped:
            console.print(f"{skipped} verified unsafe fix(es) not written: add --unsafe-fixes to write them.")
    else:
        accept_all = False
        for result in fixable:
            text_report.render_result(console, report, result)
            if accept_all:
                accepted.append(result)
                continue
            answer = click.prompt("Apply this fix?", type=click.Choice(["y", "n", "a", "q"]), default="n")
            if answer == "q":
                break
            if answer in ("y", "a"):
                accepted.append(result)
            accept_all = answer == "a"
    try:
        written = write_fixes(report, accepted)
    except StaleFile as stale:
        _fail(str(stale))
    for file in written:
        console.print(f"wrote {json_report.display_path(file)}")
    # Results that another accepted fix carries (merged edits) count as fixed too.
    fixed = {id(r) for r in accepted} | {id(r) for r in report.results if r.fix is not None and not r.fix.patches}
    remaining = [r for r in report.results if id(r) not in fixed]
    console.print(f"{len(accepted)} fix(es) written, {len(remaining)} finding(s) left.")
    sys.exit(1 if remaining else 0)


@main.command(name="rules")
def list_rules() -> None:
    """List the rules gradfix knows."""
    from gradfix.rules import all_rules

    for rule in all_rules():
        click.echo(f"{rule.code}  {rule.slug:<28} {rule.title} [{rule.applicability.value}]")


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Print the documentation of rule CODE (e.g. GF001)."""
    from gradfix.rules import all_rules

    for rule in all_rules():
        if rule.code == code.upper():
            click.echo(rule.doc())
            return
    _fail(f"no rule {code}; `gradfix rules` lists them")
