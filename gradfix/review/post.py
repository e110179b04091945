"""Running the bot against GitHub: read what is there, post what is new, degrade gracefully.

On 403 (a fork's read-only token) the findings become workflow annotations and the job summary;
on 422 (GitHub refused an inline comment) the fixes move into the summary comment. No finding is
lost either way.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import quote

from gradfix.review.bot import SUMMARY_MARKER, Finding, diagnosed_of, findings_of, plan, summary_body, undiagnosed_of
from gradfix.review.github_api import ApiError, GitHub


@dataclass
class Target:
    repo: str
    pr: int
    sha: str
    api_url: str
    server_url: str
    bot_login: str


def patch_lines(files: list[dict[str, Any]]) -> dict[str, set[int]]:
    """Commentable new-file lines from the pull request's files (their ``patch`` hunks)."""
    import re

    lines: dict[str, set[int]] = {}
    for entry in files:
        found = lines.setdefault(entry["filename"], set())
        for match in re.finditer(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", entry.get("patch", ""), re.MULTILINE):
            start, count = int(match.group(1)), int(match.group(2) or "1")
            found.update(range(start, start + count))
    return lines


def post(
    report: dict[str, Any],
    target: Target,
    token: str,
    commentable: Optional[dict[str, set[int]]],
    dry_run: bool,
    max_comments: int,
    say: Callable[[str], None],
    warn: Callable[[str], None] = lambda _: None,
) -> list[Finding]:
    """Post the review and the summary (``dry_run``: print their payloads instead). ``say`` prints
    the payloads and what was posted; ``warn`` gets the one-line notes for stderr."""
    findings = findings_of(report)
    # Scripts that could not be diagnosed are said first in the summary, whatever else it says.
    undiagnosed, diagnosed = undiagnosed_of(report), diagnosed_of(report)

    def permalink(finding: Finding) -> str:
        # The path is the report's (untrusted): quoted, it cannot end the Markdown link it is in.
        path = quote(finding.path, safe="/")
        if finding.cell is not None:  # a notebook: its raw JSON, at the line that holds the cell line
            return f"{target.server_url}/{target.repo}/blob/{target.sha}/{path}?plain=1#L{int(finding.json_line or 1)}"
        return f"{target.server_url}/{target.repo}/blob/{target.sha}/{path}#L{int(finding.line)}"

    if dry_run:
        if commentable is None and any(f.suggestion or f.cell_fix for f in findings):
            # The lines a comment may go on come from the pull request's file list, which only the
            # API gives: a dry run asks it nothing, so every fix goes to the summary instead.
            warn(
                "gradfix: dry run without the pull request's changed lines (a saved report reads no git diff, and a dry "
                "run asks GitHub nothing): the inline suggestions are left out; each fix is in the summary's payload instead"
            )
        decided = plan(findings, commentable or {}, [], target.bot_login, target.sha, permalink, max_comments, None, undiagnosed, diagnosed)
        requests = []
        if decided.review:
            requests.append({"method": "POST", "path": f"/repos/{target.repo}/pulls/{target.pr}/reviews", "json": decided.review})
        requests.append({"method": "POST", "path": f"/repos/{target.repo}/issues/{target.pr}/comments", "json": {"body": decided.summary}})
        say(json.dumps(requests, indent=2))
        return findings

    api = GitHub(target.api_url, token)
    try:
        if commentable is None:
            commentable = patch_lines(list(api.paginate(f"/repos/{target.repo}/pulls/{target.pr}/files")))
        existing = list(api.paginate(f"/repos/{target.repo}/pulls/{target.pr}/comments"))
        decided = plan(findings, commentable, existing, target.bot_login, target.sha, permalink, max_comments, None, undiagnosed, diagnosed)
        for comment_id in decided.delete:
            api.request("DELETE", f"/repos/{target.repo}/pulls/comments/{comment_id}")
        summary = decided.summary
        if decided.review is not None:
            try:
                api.request("POST", f"/repos/{target.repo}/pulls/{target.pr}/reviews", decided.review)
            except ApiError as error:
                if error.status != 422:
                    raise
                # GitHub refused a line; the fixes go to the summary instead, none is lost.
                posted = decided.inline - {c["body"].rsplit("fp=", 1)[-1][:16] for c in decided.review["comments"]}
                summary = summary_body(
                    findings, posted, permalink, [f"GitHub refused the inline comments ({error}); the fixes are below."], undiagnosed, diagnosed,
                )
        _upsert_summary(api, target, summary)
        say(f"gradfix: posted {len(decided.review['comments']) if decided.review else 0} inline suggestion(s) and the summary")
    except ApiError as error:
        if error.status not in (401, 403, 404):
            raise
        say(f"gradfix: cannot write to the pull request ({error.status}: read-only token, e.g. a fork); reporting as annotations")
        from gradfix.report.formats import github as annotations

        say(annotations(report).rstrip("\n"))
        summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            with open(summary_path, "a", encoding="utf-8") as out:
                out.write(summary_body(findings, set(), permalink, [], undiagnosed, diagnosed) + "\n")
    finally:
        api.close()
    return findings


def _upsert_summary(api: GitHub, target: Target, body: str) -> None:
    for comment in api.paginate(f"/repos/{target.repo}/issues/{target.pr}/comments"):
        if comment.get("user", {}).get("login") == target.bot_login and comment.get("body", "").startswith(SUMMARY_MARKER):
            if comment["body"] != body:
                api.request("PATCH", f"/repos/{target.repo}/issues/comments/{comment['id']}", {"body": body})
            return
    api.request("POST", f"/repos/{target.repo}/issues/{target.pr}/comments", {"body": body})
