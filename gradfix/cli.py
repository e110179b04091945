"""The command line: parses arguments, calls the repair API, prints. Nothing more.

Exit codes: 0 no findings (or every finding fixed by ``apply``), 1 findings, 2 bad input or usage.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Union

import click

from gradfix import __version__
from gradfix.config import LIMITS
from gradfix.discover import entry_points
from gradfix.project import find_root

# The rest (libcst, rich, the rules) is imported once the first run is under way: a child forked
# from the warm parent runs the script while this process loads them, on the other core. The
# sandbox is imported once the instant checks have passed and the status line shows.
if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from gradfix.findings import Report, Result
    from gradfix.repair import Problem

    Outcome = Union[Report, Problem]


class ScriptCommand(click.Command):
    """Everything after ``--`` belongs to the script, not to gradfix."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta["script_args"] = args[cut + 1 :]
            args = args[:cut]
        return super().parse_args(ctx, args)


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"gradfix: {message}", err=True)
    sys.exit(code)


def _check_output(option: str, path: str | None) -> None:
    """An output file that cannot be written fails now, in one line, not after the whole analysis."""
    if path is None:
        return
    folder = os.path.dirname(path) or "."
    if os.path.isdir(path):
        why = "is a folder; give a file name"
    elif not os.path.exists(folder):
        why = f"no such folder {folder}"
    elif not os.path.isdir(folder):
        why = f"{folder} is not a folder"
    elif not os.access(path if os.path.exists(path) else folder, os.W_OK):
        why = "not writable" if os.path.exists(path) else f"cannot create a file in {folder}"
    else:
        return
    _fail(f"{option} {path}: {why}")


class LimitOption(click.ParamType):
    """``--steps``, ``--timeout``, ``--jobs``: checked by the rule [tool.gradfix] uses (config.LIMITS)."""

    def __init__(self, key: str):
        self.limit = LIMITS[key]
        self.name = "seconds" if self.limit.kind is float else "n"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return self.limit.parse(value, typed=False)
        except ValueError as error:
            self.fail(f"must be {error} (it is {value})", param, ctx)


# What --steps and --timeout bound (suggest, apply, review): the early stop is per training loop
# (sandbox/loops.py); the time limit is per run and starts with the script, so gradfix's own
# start-up (the warm process importing torch) and each re-run add to the wall time.
STEPS_HELP = "End each training loop after N iterations that stepped an optimizer (default 3); a run ends after 20 x N steps in all."
TIMEOUT_HELP = (
    "Seconds each run of the script may take, from its start (default 60); gradfix's start-up and the re-runs that verify fixes come on top."
)


def sandbox_options(command: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--steps", type=LimitOption("steps"), help=STEPS_HELP)
    @click.option("--timeout", type=LimitOption("timeout"), help=TIMEOUT_HELP)
    @click.option("-j", "--jobs", type=LimitOption("jobs"), default=None, help="Runs at a time (default: the number of cores).")
    @click.option("--no-fork", is_flag=True, help="Start a fresh interpreter per run instead of forking a warm one.")
    @click.option(
        "--nproc-per-node", type=LimitOption("nproc-per-node"), expose_value=False,
        callback=lambda ctx, param, value: ctx.meta.__setitem__("nproc_per_node", value),
        help="Run the script as `torchrun --nproc-per-node N` would (RANK, LOCAL_RANK, WORLD_SIZE set), every rank under the probe.",
    )
    @click.option("--env", "env", multiple=True, metavar="NAME[=VALUE]", help="Give the script this environment variable (the sandbox drops all but a few).")
    @click.option("-v", "--verbose", is_flag=True, help="Show the script's own output.")
    @click.argument("paths", nargs=-1, type=click.Path())
    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        return command(**kwargs)

    return wrapper


def _diagnose(
    paths: tuple[str, ...], steps: int | None, timeout: float | None, no_fork: bool, jobs: int | None, env: tuple[str, ...] = (),
    refuse_without_sandbox: bool = False, verbose: bool = False, untrusted: bool = False, progress: bool = False,
    check_scripts: Callable[[list[str]], None] = lambda _: None,
) -> list["Outcome"]:
    """``check_scripts``: given the scripts to diagnose before anything runs (it may `_fail`)."""
    from gradfix.config import ConfigError, load

    try:
        config = load(paths[0] if paths else ".")
    except ConfigError as error:
        _fail(str(error))
    given = click.get_current_context().meta.get("script_args")
    if paths:
        scripts = entry_points(paths)
        if not scripts:
            _fail(f"no training scripts found in {' '.join(paths)}")
    elif config.scripts:
        scripts = [s.path for s in config.scripts]
    else:
        raise click.UsageError("give the training scripts (or list them as `scripts` in [tool.gradfix])")
    if given is not None and len(scripts) > 1:
        # Scripts of one folder rarely share a command line: one script's arguments given to
        # every script would make the others fail, each with an argument error.
        _fail(
            f"arguments after -- are for one script, and these paths give {len(scripts)} "
            f"({', '.join(os.path.relpath(s) for s in scripts[:4])}{', ...' if len(scripts) > 4 else ''}); "
            "give each script its own as `scripts = [{path = ..., args = [...]}]` in [tool.gradfix]"
        )
    check_scripts(scripts)
    entries = [(s, given if given is not None else config.args_for(s)) for s in scripts]
    # The instant checks: bad input is reported before torch is loaded or anything runs.
    from gradfix import precheck

    bad = [precheck.script_problem(s) for s, _ in entries]
    runnable = [entry for entry, problem in zip(entries, bad) if problem is None]
    if not runnable:
        return [_bad_input(s, problem or "") for (s, _), problem in zip(entries, bad)]
    # On a terminal, the status line shows from here on (about 0.1 s after the start); the
    # sandbox's own imports and its isolation check come after it.
    with _Status(runnable if progress else []) as status:
        from gradfix.sandbox import Sandbox

        nproc = click.get_current_context().meta.get("nproc_per_node")
        limits = {key: value for key, (value, _) in config.limits(steps=steps, timeout=timeout, jobs=jobs, **{"nproc-per-node": nproc}).items()}
        sandbox = Sandbox(
            sorted({find_root(s) for s, _ in runnable}),
            steps=limits["steps"], timeout=limits["timeout"], fork=not no_fork, jobs=limits["jobs"],
            nproc_per_node=int(limits["nproc-per-node"]),
        )
        if not sandbox.isolated:
            # Without namespaces the script can write anywhere the user can and reach the network.
            why = sandbox.why_not_isolated
            if refuse_without_sandbox:
                _fail(f"no sandbox here ({why}); refusing to run a pull request's code: pass --unsafe-no-sandbox to run it anyway")
            status.warn(f"gradfix: warning: no sandbox here ({why}): the script may write outside its scratch folder and use the network")
        sandbox.untrusted = untrusted
        for item in env:
            name, _, value = item.partition("=")
            if item.count("=") or name in os.environ:
                sandbox.env[name] = value if "=" in item else os.environ[name]
        dropped = sandbox.dropped_environment()
        if verbose and dropped:
            status.warn(f"gradfix: not passed to the scripts (--env NAME passes one): {' '.join(dropped)}")
        script, args = runnable[0]
        first = sandbox.start(script, args)
        from gradfix.repair import repair_all

        found = iter(repair_all(runnable, sandbox, on_start=status.start, first=first, ignore=config.ignores, on_progress=status.say))
    return [_bad_input(s, problem) if problem is not None else next(found) for (s, _), problem in zip(entries, bad)]


def _bad_input(script: str, message: str) -> "Problem":
    from gradfix.repair import Problem

    return Problem(os.path.realpath(script), message)


class _Status:
    """What gradfix is doing, on the terminal's last line while it works: on stderr, and only when
    both streams are a terminal (never in a pipe, a file or a machine format). Empty: shows nothing."""

    def __init__(self, entries: list[tuple[str, list[str]]]):
        self.total = len(entries)
        self.started = 0  # scripts started so far
        self.live: Any = None
        if entries:
            from rich.console import Console

            name = os.path.basename(entries[0][0])
            self.live = Console(stderr=True, highlight=False).status(self._line(f"running {name} under the probe (step 2 of 3)"))

    def __enter__(self) -> "_Status":
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.live is not None:
            self.live.stop()

    def _line(self, text: str) -> "Text":
        from rich.text import Text

        prefix = f"[{max(self.started, 1)}/{self.total}] " if self.total > 1 else ""
        # One line, cut short rather than wrapped: a wrapped status leaves lines behind.
        return Text(prefix + text, no_wrap=True, overflow="ellipsis")

    def start(self, script: str) -> None:
        self.started += 1

    def say(self, text: str) -> None:
        if self.live is not None:
            self.live.update(self._line(text))

    def warn(self, text: str) -> None:
        """A line on stderr, above the status line when there is one."""
        if self.live is not None:
            from rich.text import Text

            self.live.console.print(Text(text))
        else:
            click.echo(text, err=True)


def _problems(outcomes: list["Outcome"]) -> list["Problem"]:
    from gradfix.repair import Problem

    problems = [o for o in outcomes if isinstance(o, Problem)]
    for problem in problems:
        click.echo(f"gradfix: {problem.message}", err=True)
    return problems


class Gradfix(click.Group):
    """Ctrl-C exits 130, as shells expect, not 1 (which means "findings" here)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("standalone_mode", None)
        try:
            super().main(*args, standalone_mode=False, **kwargs)
        except (click.exceptions.Abort, KeyboardInterrupt):
            click.echo("gradfix: interrupted", err=True)
            sys.exit(130)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        sys.exit(0)


@click.group(cls=Gradfix, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gradfix")
def main() -> None:
    """gradfix: find why PyTorch parameters get no gradient, fix the script, prove the fix."""


@main.command(cls=ScriptCommand)
@click.option(
    "--format", "output_format", default="text", show_default=True,
    type=click.Choice(["text", "json", "github", "sarif", "rdjson", "rdjsonl"]),
    help="text for people; json (gradfix's own), github (workflow annotations), sarif, rdjson/rdjsonl (reviewdog) for tools.",
)
@click.option("-o", "--output", type=click.Path(), help="Write the report to a file instead of stdout.")
@sandbox_options
def suggest(
    paths: tuple[str, ...], output_format: str, output: str | None, steps: int | None, timeout: float | None, jobs: int | None,
    no_fork: bool, env: tuple[str, ...], verbose: bool,
) -> None:
    """Run training scripts under the probe and print verified fixes. Changes nothing.

    PATHS are scripts or folders (searched for training entry points). Arguments after -- are
    passed to the script (one script: in a folder run, each script takes its own from
    [tool.gradfix]).
    """
    _check_output("-o", output)
    terminal = output_format == "text" and output is None and sys.stdout.isatty() and sys.stderr.isatty()
    outcomes = _diagnose(paths, steps, timeout, no_fork, jobs, env, verbose=verbose, progress=terminal)
    from rich.console import Console

    from gradfix.findings import Report
    from gradfix.repair import exit_code
    from gradfix.report import json as json_report
    from gradfix.report import text as text_report

    try:
        target = open(output, "w", encoding="utf-8") if output else None
    except OSError as error:
        _fail(f"-o {output}: {error.strerror or error}")
    # Piped or written to a file, lines are as long as they need to be (no wrapping at 80).
    width = None if sys.stdout.isatty() and target is None else 200
    console = Console(highlight=False, soft_wrap=True, file=target, width=width) if target else Console(highlight=False, soft_wrap=True, width=width)
    reports = [o for o in outcomes if isinstance(o, Report)]
    problems = _problems(outcomes)
    if output_format != "text":
        from gradfix.report.formats import RENDERERS

        rendered = json_report.render(outcomes) + "\n" if output_format == "json" else RENDERERS[output_format](outcomes)
        (target or sys.stdout).write(rendered)
    elif reports or len(outcomes) > 1:  # a batch gets its table even when no script could be diagnosed
        text_report.render(console, outcomes, verbose=verbose)
        if len(outcomes) > 1:
            console.print()
            console.print(text_report.batch_table(outcomes))
    if target is not None:
        target.close()
    sys.exit(exit_code(any(r.results for r in reports), problems))


@main.command(cls=ScriptCommand)
@click.option("-i", "--interactive", is_flag=True, help="Review each verified fix: y(es), n(o), a(ll), q(uit).")
@click.option("-y", "--yes", is_flag=True, help="Write every verified safe fix without asking.")
@click.option("--unsafe-fixes", is_flag=True, help="With --yes, also write verified unsafe fixes.")
@click.option("--force", is_flag=True, help="Write read-only files too (their owner and mode are kept); a file changed since it was diagnosed is still refused.")
@sandbox_options
def apply(
    paths: tuple[str, ...],
    interactive: bool,
    yes: bool,
    unsafe_fixes: bool,
    force: bool,
    steps: int | None,
    timeout: float | None,
    jobs: int | None,
    no_fork: bool,
    env: tuple[str, ...],
    verbose: bool,
) -> None:
    """Diagnose training scripts and write their verified fixes.

    Every file is written at the end, atomically, and only if its bytes on disk are still those
    diagnosed; its owner and mode are kept (a symlink's target is written). A read-only file is
    refused unless --force.
    """
    if interactive == yes:
        raise click.UsageError("choose one of --interactive or --yes")
    if interactive and not _terminal():
        # Checked before any run: the prompt would read the end of the input and stop there.
        # Which fixes are unsafe is not known yet, and --yes alone leaves those: name both.
        _fail("--interactive needs a terminal to ask; without one, --yes writes the verified safe fixes, --yes --unsafe-fixes the unsafe ones too")
    outcomes = _diagnose(
        paths, steps, timeout, no_fork, jobs, env, verbose=verbose, progress=sys.stdout.isatty() and sys.stderr.isatty(),
        check_scripts=lambda scripts: None if force else _refuse_read_only(scripts),
    )
    from rich.console import Console
    from rich.text import Text

    from gradfix.apply import Refused, fixable, left_unfixed, session, split_by_safety, write_fixes
    from gradfix.findings import Report, Result
    from gradfix.repair import exit_code
    from gradfix.report import json as json_report
    from gradfix.report import text as text_report

    console = Console(highlight=False, soft_wrap=True)
    problems = _problems(outcomes)
    written_total = 0
    remaining = 0
    held: list[tuple[Report, list[Result]]] = []
    left: list[tuple[Report, list[Result]]] = []
    prompted = False  # the answers are explained once, at the first prompt
    with session(force=force):  # one apply: a file an earlier script's fixes wrote is known as such
        for report in (o for o in outcomes if isinstance(o, Report)):
            if yes:
                accepted, unsafe = split_by_safety(report, unsafe_fixes)
                held.append((report, unsafe))
            else:
                offered = fixable(report)
                accepted, unsafe = _review(console, report, offered, legend=not prompted), []
                prompted = prompted or bool(offered)
            try:
                written = write_fixes(report, accepted)
            except Refused as refused:
                _fail(str(refused))
            except OSError as error:
                _fail(f"could not write {json_report.display_path(error.filename or report.script)}: {error.strerror or error}")
            if accepted:
                console.print(text_report.written(report, accepted))
            for file in written:
                console.print(Text(f"wrote {json_report.display_path(file)}"))
            written_total += len(accepted)
            unfixed = left_unfixed(report, accepted)
            remaining += len(unfixed)
            left.append((report, [r for r in unfixed if not any(r is u for u in unsafe)]))  # held back: said below
    if any(results for _, results in left):
        console.print(text_report.not_fixed(left))
    if any(results for _, results in held):
        console.print(text_report.held_back(held))
    if any(isinstance(o, Report) for o in outcomes):  # nothing was diagnosed: the errors say all
        console.print(f"{written_total} fix(es) written, {remaining} finding(s) left.")
    sys.exit(exit_code(bool(remaining), problems))


def _refuse_read_only(scripts: list[str]) -> None:
    """A script apply could not write fails now, in one line, not after the whole diagnosis (a
    helper module a fix touches is only known then, and is checked then)."""
    from gradfix.apply import read_only

    for script in scripts:
        why = read_only(script)
        if why is not None:
            _fail(why)


def _terminal() -> bool:
    """Whether someone can answer a prompt: the input is a terminal."""
    return sys.stdin.isatty()


# What each answer does, said before the first prompt: `n` also withholds the later fixes (each
# was verified with the ones before it applied); `a` and `q` are about one script's fixes.
ANSWERS = (
    "y = apply this fix, n = do not apply it (nor this script's later fixes, verified on top of it), "
    "a = apply it and the rest of this script's fixes, q = stop reviewing this script (the fixes accepted so far are written)"
)


def _review(console: "Console", report: "Report", fixable: list["Result"], legend: bool = True) -> list["Result"]:
    from rich.text import Text

    from gradfix.report import text as text_report

    accepted: list["Result"] = []
    accept_all = False
    for index, result in enumerate(fixable):
        text_report.render_result(console, report, result)
        if accept_all:
            accepted.append(result)
            continue
        if legend:
            console.print(Text(ANSWERS))
            legend = False
        answer = click.prompt("Apply this fix?", type=click.Choice(["y", "n", "a", "q"]), default="n")
        if answer == "q":
            break
        if answer == "n":
            later = len(fixable) - index - 1
            if later:
                # Each fix was verified with the ones before it applied: without this one, the
                # later fixes are unverified, and gradfix writes nothing unverified.
                console.print(
                    f"{later} later fix(es) were verified on top of this one and are not offered; "
                    "run gradfix again after your own change to verify them"
                )
            break
        accepted.append(result)
        accept_all = answer == "a"
    return accepted


@main.command(cls=ScriptCommand)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--base", help="Base of the pull request (default: from the GitHub event, else origin/main).")
@click.option("--from", "from_file", type=click.Path(exists=True, dir_okay=False), help="Post a saved `suggest --format json` report; run nothing.")
@click.option("--repo", help="owner/name (default: $GITHUB_REPOSITORY).")
@click.option("--pr", type=int, help="Pull request number (default: from $GITHUB_EVENT_PATH).")
@click.option("--sha", help="The analysed head commit (default: from the event, else HEAD).")
@click.option("--api-url", help="GitHub API base (default: $GITHUB_API_URL or https://api.github.com).")
@click.option("--bot-login", default="github-actions[bot]", show_default=True, help="The account the token posts as.")
@click.option("--max-comments", default=30, show_default=True, type=click.IntRange(0), help="Inline comments per review.")
@click.option(
    "--fail-on", type=click.Choice(["error", "never"]), default="error", show_default=True,
    help="Exit 1 when there are findings, 2 when a script could not be diagnosed.",
)
@click.option("--dry-run", is_flag=True, help="Print the exact request payloads instead of sending them.")
@click.option("--save", type=click.Path(dir_okay=False), help="Write the JSON report to a file and post nothing (for a separate posting job).")
@click.option("--steps", type=LimitOption("steps"), help=STEPS_HELP)
@click.option("--timeout", type=LimitOption("timeout"), help=TIMEOUT_HELP)
@click.option("-j", "--jobs", type=LimitOption("jobs"), default=None, help="Runs at a time.")
@click.option("--no-fork", is_flag=True, help="A fresh interpreter per run.")
@click.option("--unsafe-no-sandbox", is_flag=True, help="Run the scripts even where no sandbox can be built (they may write anywhere and use the network).")
def review(
    paths: tuple[str, ...], base: str | None, from_file: str | None, repo: str | None, pr: int | None, sha: str | None,
    api_url: str | None, bot_login: str, max_comments: int, fail_on: str, dry_run: bool, save: str | None,
    steps: int | None, timeout: float | None, jobs: int | None, no_fork: bool, unsafe_no_sandbox: bool,
) -> None:
    """Comment verified fixes on a pull request, as GitHub suggestions.

    Diagnoses the training scripts the pull request changes (and those listed in [tool.gradfix]),
    then posts one review with a suggestion per fix on the diff and one summary comment.
    """
    import json

    _check_output("--save", save)
    from gradfix.review.post import Target, post

    event: dict = {}
    if os.environ.get("GITHUB_EVENT_PATH") and os.path.isfile(os.environ["GITHUB_EVENT_PATH"]):
        with open(os.environ["GITHUB_EVENT_PATH"], encoding="utf-8") as handle:
            event = json.load(handle)
    pull = event.get("pull_request", {})
    repo = repo or os.environ.get("GITHUB_REPOSITORY")
    pr = pr or pull.get("number")
    token = os.environ.get("GITHUB_TOKEN", "")
    if not (dry_run or save) and not (repo and pr and token):
        raise click.UsageError("need the repository, the pull request and GITHUB_TOKEN (or --dry-run)")
    commentable = None
    if from_file:
        report = _read_report(from_file)
    else:
        from gradfix.review.diff import GitError, changed_files, commentable_lines, head_sha, repo_root

        try:
            root = repo_root(".")
            base = base or pull.get("base", {}).get("sha") or "origin/main"
            changed = [os.path.join(root, f) for f in changed_files(root, base)]
            commentable = commentable_lines(root, base)
            sha = sha or pull.get("head", {}).get("sha") or head_sha(root)
        except GitError as error:
            _fail(str(error))
        from gradfix.config import ConfigError, load
        from gradfix.discover import is_training_script

        try:
            configured = [s.path for s in load(root).scripts]
        except ConfigError as error:
            _fail(str(error))
        wanted = [f for f in changed if f.endswith((".py", ".ipynb")) and is_training_script(f)]
        wanted += [s for s in configured if s not in wanted]
        if paths:
            wanted = entry_points(paths)
        outcomes = _diagnose(tuple(wanted), steps, timeout, no_fork, jobs, refuse_without_sandbox=not unsafe_no_sandbox, untrusted=True) if wanted else []
        from gradfix.report.json import to_dict

        report = to_dict(outcomes)
    from gradfix.review.bot import undiagnosed_of
    from gradfix.untrusted import clean

    undiagnosed = undiagnosed_of(report)
    for script in undiagnosed:
        click.echo(clean(f"gradfix: could not diagnose {script.path}: {script.message}"), err=True)
    if save:
        try:
            with open(save, "w", encoding="utf-8") as out:
                json.dump(report, out, indent=2)
        except OSError as error:
            _fail(f"--save {save}: {error.strerror or error}")
        # The report is written: this step did its part. The verdict, findings and scripts that
        # could not be diagnosed alike, is the posting step's (`--from`) to say and to exit with.
        sys.exit(0)
    sha = sha or pull.get("head", {}).get("sha") or ""
    target = Target(
        repo=repo or "OWNER/REPO",
        pr=int(pr or 0),
        sha=sha,
        api_url=api_url or os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        server_url=os.environ.get("GITHUB_SERVER_URL", "https://github.com"),
        bot_login=bot_login,
    )
    findings = post(report, target, token, commentable, dry_run, max_comments, click.echo, warn=lambda line: click.echo(line, err=True))
    # A script that could not be diagnosed is no all-clear: exit 2, as `suggest` does (findings
    # first: 1). Computed here, not by importing the repair loop: posting needs neither torch nor libcst.
    verdict = 1 if findings else 2 if undiagnosed else 0
    sys.exit(verdict if fail_on == "error" else 0)


def _read_report(path: str) -> dict:  # type: ignore[type-arg]
    """A saved report is untrusted data (it may come from a fork's workflow): check its shape."""
    import json

    if os.path.getsize(path) > 20 * 1024 * 1024:
        _fail(f"{path}: larger than 20 MB; not a gradfix report")
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except (OSError, ValueError) as error:
        _fail(f"{path}: not a gradfix JSON report ({error})")
    if not isinstance(report, dict) or report.get("version") != 1 or not isinstance(report.get("files"), list):
        _fail(f"{path}: not a gradfix JSON report (version 1)")
    for entry in report["files"]:
        path_of = str(entry.get("path", "")) if isinstance(entry, dict) else ""
        if not path_of or path_of.startswith(("/", "..")) or ".." in path_of.split("/"):
            _fail(f"{path}: a file path outside the repository: {path_of!r}")
    return report


@main.command(name="config")
@click.argument("path", required=False, default=".", type=click.Path())
@click.option("--steps", type=LimitOption("steps"), help="As given to `suggest`.")
@click.option("--timeout", type=LimitOption("timeout"), help="As given to `suggest`.")
@click.option("-j", "--jobs", type=LimitOption("jobs"), help="As given to `suggest`.")
def show_config(path: str, steps: int | None, timeout: float | None, jobs: int | None) -> None:
    """Print the settings in effect and where each comes from.

    PATH defaults to here. Each value is the one a run would use, and `origin` says whether it is
    the default, from [tool.gradfix] in pyproject.toml, or from the command line.
    """
    import json

    from gradfix.config import ConfigError, load

    try:
        config = load(path)
    except ConfigError as error:
        _fail(str(error))
    click.echo(json.dumps(config.as_dict(steps=steps, timeout=timeout, jobs=jobs), indent=2))


@main.command(name="rules")
def list_rules() -> None:
    """List the rules gradfix knows."""
    from gradfix.rules import all_rules

    for rule in all_rules():
        click.echo(f"{rule.code}  {rule.slug:<28} {rule.title} [{rule.applicability.value}]")


@main.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Print what a rule looks for and how it fixes it.

    RULE is a code or a name, as `gradfix rules` lists them: GF004 or accidental_freeze.
    """
    from rich.console import Console

    from gradfix.report import text as text_report
    from gradfix.rules import all_rules

    wanted = rule.strip().lower().replace("-", "_")
    for known in all_rules():
        if wanted in (known.code.lower(), known.slug):
            console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
            console.print(text_report.rule_doc(known.doc(), console.is_terminal))
            return
    _fail(f"no rule {rule}; `gradfix rules` lists them")


def entry() -> None:
    """The ``gradfix`` program (and ``python -m gradfix``). Once everything is written, it ends the
    process at once: the interpreter's own shutdown, with torch loaded, takes about half a second
    and has nothing left to do (every run has been collected, every file written and closed)."""
    try:
        main(prog_name="gradfix")
        code = 0
    except SystemExit as done:
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    runner = sys.modules.get("gradfix.sandbox.runner")
    if runner is not None:
        runner.end_runs()  # an interrupted run (Ctrl-C, SIGTERM) ends here, with its scratch folder
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`gradfix suggest | head`)
            pass
    os._exit(code)
