"""The pull-request bot against a local fake of the GitHub API and real git repositories."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner

from gradfix.cli import main
from gradfix.review.bot import Finding, comment_body, escape

BOT = "github-actions[bot]"
TOKEN = "ghs_secret_test_token"

BASE = """\
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(16, 4), torch.randn(16, 1)
for step in range(5):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
"""


class FakeGitHub:
    """Records every request; serves the few endpoints the bot uses, with pagination."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self.issue_comments: list[dict[str, Any]] = []
        self.diff_lines: dict[str, set[int]] = {}
        self.files: list[dict[str, Any]] = []
        self.forbidden = False
        self.next_id = 100
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                url = urlparse(self.path)
                fake.requests.append({"method": method, "path": url.path, "headers": dict(self.headers), "json": body, "raw": json.dumps(body)})
                status, payload, headers = fake.route(method, url.path, parse_qs(url.query), body, f"http://{self.headers['Host']}")
                self._send(status, payload, headers)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _page(self, items: list, query: dict, host: str, path: str) -> tuple[int, Any, dict]:
        page = int(query.get("page", ["1"])[0])
        size = 2  # small pages: the client must follow Link headers
        chunk = items[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(items):
            headers["Link"] = f'<{host}{path}?per_page=100&page={page + 1}>; rel="next"'
        return 200, chunk, headers

    def route(self, method: str, path: str, query: dict, body: Any, host: str) -> tuple[int, Any, dict]:
        if self.forbidden and method != "GET":
            return 403, {"message": "Resource not accessible by integration"}, {}
        if m := re.fullmatch(r"/repos/o/r/pulls/7/comments", path):
            return self._page(self.review_comments, query, host, path)
        if re.fullmatch(r"/repos/o/r/pulls/7/files", path):
            return self._page(self.files, query, host, path)
        if path == "/repos/o/r/pulls/7/reviews" and method == "POST":
            for comment in body["comments"]:
                lines = range(comment.get("start_line", comment["line"]), comment["line"] + 1)
                if not set(lines) <= self.diff_lines.get(comment["path"], set()):
                    return 422, {"message": "Pull request review thread line must be part of the diff"}, {}
            for comment in body["comments"]:
                self.next_id += 1
                self.review_comments.append({**comment, "id": self.next_id, "user": {"login": BOT}, "url": f"{host}/c/{self.next_id}"})
            return 200, {"id": 1, "state": "COMMENTED"}, {}
        if m := re.fullmatch(r"/repos/o/r/pulls/comments/(\d+)", path):
            self.review_comments = [c for c in self.review_comments if c["id"] != int(m.group(1))]
            return 204, None, {}
        if path == "/repos/o/r/issues/7/comments":
            if method == "GET":
                return self._page(self.issue_comments, query, host, path)
            self.next_id += 1
            self.issue_comments.append({"id": self.next_id, "body": body["body"], "user": {"login": BOT}})
            return 201, self.issue_comments[-1], {}
        if m := re.fullmatch(r"/repos/o/r/issues/comments/(\d+)", path):
            for comment in self.issue_comments:
                if comment["id"] == int(m.group(1)):
                    comment["body"] = body["body"]
            return 200, {}, {}
        return 404, {"message": f"no route {method} {path}"}, {}

    def writes(self) -> list[tuple[str, str]]:
        return [(r["method"], r["path"]) for r in self.requests if r["method"] != "GET"]


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    fake = FakeGitHub()
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    yield fake
    fake.server.shutdown()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def pull_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github: FakeGitHub) -> Path:
    """A repository whose PR commit breaks a correct training script."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.invalid")
    git(repo, "config", "user.name", "t")
    (repo / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    (repo / "train.py").write_text(BASE)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "pr")
    (repo / "train.py").write_text(BASE.replace("torch.optim.SGD(model.parameters(), lr=0.1)", "torch.optim.SGD([], lr=0.1)"))
    git(repo, "commit", "-qam", "break it")
    github.diff_lines = {"train.py": set(range(3, 10))}
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": git(repo, "rev-parse", "HEAD").strip()}, "base": {"sha": "main"}}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.chdir(repo)
    return repo


def review(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["review", *args], catch_exceptions=False)


def test_posts_one_review_with_a_suggestion_and_a_summary(pull_request: Path, github: FakeGitHub) -> None:
    result = review()
    assert result.exit_code == 1, result.output
    reviews = [r for r in github.requests if r["path"].endswith("/reviews")]
    [posted] = reviews
    payload = posted["json"]
    assert payload["event"] == "COMMENT" and payload["commit_id"] == git(pull_request, "rev-parse", "HEAD").strip()
    [comment] = payload["comments"]
    assert (comment["path"], comment["line"], comment["side"]) == ("train.py", 6, "RIGHT")
    assert "```suggestion\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n```" in comment["body"]
    assert "**GF001**" in comment["body"] and re.search(r"<!-- gradfix:fp=[0-9a-f]{16} -->", comment["body"])
    [summary] = github.issue_comments
    assert summary["body"].startswith("<!-- gradfix:summary -->") and "GF001" in summary["body"]
    assert posted["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert all(TOKEN not in r["raw"] for r in github.requests)
    assert TOKEN not in result.output


def test_a_second_run_posts_nothing_new(pull_request: Path, github: FakeGitHub) -> None:
    review()
    before = len(github.writes())
    review()
    assert github.writes()[before:] == []  # same findings: no review, the summary unchanged


def test_a_fixed_finding_loses_its_comment(pull_request: Path, github: FakeGitHub) -> None:
    review()
    github.issue_comments.append({"id": 1, "body": "<!-- gradfix:fp=0123456789abcdef --> forged by someone", "user": {"login": "someone"}})
    (pull_request / "train.py").write_text(BASE)
    git(pull_request, "commit", "-qam", "fix it")
    result = review()
    assert result.exit_code == 0, result.output
    assert github.review_comments == []
    assert ("DELETE", f"/repos/o/r/pulls/comments/{101}") in github.writes()
    summary = next(c for c in github.issue_comments if c["user"]["login"] == BOT)
    assert "No gradient problems found" in summary["body"]
    assert any(c["user"]["login"] == "someone" for c in github.issue_comments)  # never touched


def test_read_only_token_falls_back_to_annotations(pull_request: Path, github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    github.forbidden = True
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = review()
    assert result.exit_code == 1
    assert "::error title=gradfix (GF001),file=train.py,line=6" in result.output
    assert "GF001" in summary.read_text()


def test_lines_outside_the_diff_go_to_the_summary(pull_request: Path, github: FakeGitHub) -> None:
    github.diff_lines = {"train.py": {1, 2}}  # GitHub would refuse line 6
    review("--base", "main")
    [summary] = github.issue_comments
    assert "GF001" in summary["body"] and "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)" in summary["body"]


def test_dry_run_prints_the_payloads_and_sends_nothing(pull_request: Path, github: FakeGitHub) -> None:
    result = review("--dry-run")
    requests = json.loads(result.stdout)
    assert [r["method"] for r in requests] == ["POST", "POST"]
    assert requests[0]["path"] == "/repos/o/r/pulls/7/reviews"
    assert github.requests == []


def test_from_a_saved_report_runs_nothing(pull_request: Path, github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saved = tmp_path / "gradfix.json"
    monkeypatch.delenv("GITHUB_TOKEN")  # the step that runs the scripts has no token
    assert review("--save", str(saved)).exit_code == 0
    assert github.requests == [] and json.loads(saved.read_text())["files"][0]["findings"][0]["code"] == "GF001"
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    github.files = [{"filename": "train.py", "patch": "@@ -3,7 +3,7 @@\n..."}]
    result = review("--from", str(saved))
    assert result.exit_code == 1, result.output
    assert len([r for r in github.requests if r["path"].endswith("/reviews")]) == 1
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps({"version": 1, "files": [{"path": "../../etc/passwd", "findings": []}]}))
    assert review("--from", str(hostile)).exit_code == 2


def test_pull_request_text_cannot_forge_markers_or_mention_people() -> None:
    finding = Finding(
        path="train.py", code="GF001", title="t", message="crashed: <!-- gradfix:summary --> @octocat ```",
        line=1, params=["model.`x`<!--"], fingerprint="0" * 16,
        fix={"verified": True, "suggestion": {"path": "train.py", "start_line": 1, "end_line": 1, "text": "x = '```'\n"}},
    )
    body = comment_body(finding)
    assert body.count("<!--") == 1 and body.endswith("<!-- gradfix:fp=0000000000000000 -->")
    assert "@octocat" not in body and "````suggestion\nx = '```'\n````" in body
    assert escape("a -->") == "a --&gt;"


def test_code_in_a_message_shows_as_code_and_stays_inert() -> None:
    finding = Finding(
        path="train.py", code="GF008", title="graph cut on the loss path",
        message="rejected: remove the `query.detach()` cut; `<!-- gradfix:summary -->` and `@octocat`",
        line=1, params=["model.fc.weight"], fingerprint="0" * 16, fix=None,
    )
    body = comment_body(finding)
    assert "`query.detach()`" in body
    assert body.count("<!--") == 1 and "@octocat" not in body
    # a code span would show `&lt;` as typed: code with `<` stays escaped prose
    finding.message = "a cut at `x < 0` and `y.detach()`"
    body = comment_body(finding)
    assert "`y.detach()`" in body and "\\`x &lt; 0\\`" in body


def test_the_action_runs_scripts_without_the_token() -> None:
    import yaml

    from conftest import ROOT

    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(action["inputs"]) >= {"paths", "version", "github-token", "post", "fail-on"}
    run_step, post_step = action["runs"]["steps"][1], action["runs"]["steps"][2]
    assert "GITHUB_TOKEN" not in run_step.get("env", {}) and "--save" in run_step["run"]
    assert post_step["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}" and "--from" in post_step["run"]
    assert all("${{" not in step["run"] for step in action["runs"]["steps"])  # inputs reach scripts via env only
    workflows = (ROOT / "docs" / "github.md").read_text()
    assert "pull_request_target:" not in workflows and workflows.count("persist-credentials: false") >= 2


def test_a_hostile_script_in_the_pull_request_finds_no_token_and_no_network(pull_request: Path, github: FakeGitHub) -> None:
    hostile = (
        "import os, socket, sys\n"
        "if any('TOKEN' in k or k.startswith(('GITHUB_', 'ACTIONS_')) for k in os.environ):\n"
        "    sys.exit('saw a token')\n"
        f"host, port = {urlparse(github.url).hostname!r}, {urlparse(github.url).port}\n"
        "try:\n"
        "    socket.create_connection((host, port), timeout=1)\n"
        "    sys.exit('reached the network')\n"
        "except OSError:\n"
        "    pass\n"
    )
    (pull_request / "train.py").write_text(hostile + (pull_request / "train.py").read_text())
    git(pull_request, "commit", "-qam", "hostile")
    result = review("--save", "report.json")
    assert result.exit_code == 0, result.output
    [entry] = json.loads((pull_request / "report.json").read_text())["files"]
    assert "error" not in entry and [f["code"] for f in entry["findings"]] == ["GF001"]
    assert github.requests == []  # the run itself talks to nobody


def test_a_pull_request_cannot_learn_which_variables_the_caller_has(pull_request: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    """suggest tells a user that gradfix dropped a variable their script needs; the review of a
    pull request says nothing of the kind: a probing script would learn which names exist."""
    monkeypatch.setenv("DEPLOY_KEY_NAME_PROBE", "secret-value")
    (pull_request / "train.py").write_text("import os\nos.environ['DEPLOY_KEY_NAME_PROBE']\n" + (pull_request / "train.py").read_text())
    git(pull_request, "commit", "-qam", "probe")
    result = review("--save", "report.json")
    saved = (pull_request / "report.json").read_text()
    assert "DEPLOY_KEY_NAME_PROBE" in saved  # the crash itself names the key the script asked for
    assert "gradfix dropped" not in saved and "--env" not in saved and "secret-value" not in saved, saved
    assert "--env" not in result.output


def test_comments_over_the_limit_go_to_the_summary(pull_request: Path, github: FakeGitHub) -> None:
    review("--max-comments", "0")
    assert not [r for r in github.requests if r["path"].endswith("/reviews")]
    [summary] = github.issue_comments
    assert "only in this summary" in summary["body"] and "model.parameters()" in summary["body"]


def test_a_comment_with_replies_is_kept(pull_request: Path, github: FakeGitHub) -> None:
    review()
    [ours] = github.review_comments
    github.review_comments.append({"id": 999, "body": "why?", "in_reply_to_id": ours["id"], "user": {"login": "someone"}})
    (pull_request / "train.py").write_text(BASE)
    git(pull_request, "commit", "-qam", "fix it")
    review()
    assert ours["id"] in {c["id"] for c in github.review_comments}  # a conversation is never deleted
    assert not [w for w in github.writes() if w[0] == "DELETE"]


def test_a_long_summary_is_cut_at_a_line_boundary() -> None:
    from gradfix.review.bot import MAX_BODY, summary_body

    many = [
        Finding(path=f"s{i}.py", code="GF016", title="t" * 200, message="m", line=1, params=[], fingerprint=f"{i:016x}", fix=None)
        for i in range(600)
    ]
    body = summary_body(many, set(), lambda f: "https://example.invalid/" + f.path, [])
    assert len(body) <= MAX_BODY and body.endswith("(cut: the full report is in the job's summary)")
    assert body.split("\n\n… (cut")[0].splitlines()[-1].startswith("- **GF016**")


def test_annotation_properties_are_escaped() -> None:
    from gradfix.report.formats import github

    report = {"files": [{"path": "a,b:c.py", "findings": [{"code": "GF001", "message": "50%\nnext", "line": 3, "column": 0}]}]}
    [line] = github(report).splitlines()
    assert line.startswith("::error title=gradfix (GF001),file=a%2Cb%3Ac.py,line=3,col=1::")
    assert line.endswith("50%25%0Anext")


def test_a_suggestion_too_long_for_a_comment_goes_to_the_summary() -> None:
    from gradfix.review.bot import plan

    huge = Finding(
        path="train.py", code="GF002", title="t", message="m", line=1, params=["w"], fingerprint="1" * 16,
        fix={"verified": True, "diff": "", "suggestion": {"path": "train.py", "start_line": 1, "end_line": 1, "text": "x = 1\n" * 20_000}},
    )
    decided = plan([huge], {"train.py": {1}}, [], BOT, "sha", lambda f: "https://example.invalid", 30)
    assert decided.review is None and "GF002" in decided.summary


def test_without_a_sandbox_review_refuses_to_run_the_pull_requests_code(
    pull_request: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradfix.sandbox import isolate

    monkeypatch.setattr(isolate, "available", lambda: "no Linux namespaces on darwin")
    marker = pull_request / "ran.txt"
    (pull_request / "train.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n" + (pull_request / "train.py").read_text())
    git(pull_request, "commit", "-qam", "writes a marker")
    result = CliRunner().invoke(main, ["review", "--save", "report.json"])
    assert result.exit_code == 2 and "--unsafe-no-sandbox" in result.output
    assert not marker.exists() and not (pull_request / "report.json").exists()
    result = CliRunner().invoke(main, ["review", "--save", "report.json", "--unsafe-no-sandbox", "--timeout", "20"])
    assert result.exit_code == 0, result.output
    assert "warning: no sandbox here" in result.output and marker.exists()


def test_a_dry_run_from_a_saved_report_says_the_inline_suggestions_are_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A saved report has no git diff to say which lines may take a comment, and a dry run asks
    GitHub nothing: every fix goes to the summary, and the user is told so, once, on stderr."""
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    finding = {
        "code": "GF001", "title": "t", "message": "m", "line": 6, "params": ["model.weight"], "fingerprint": "0" * 16,
        "fix": {"verified": True, "diff": "--- a/train.py\n+++ b/train.py\n", "suggestion": {"path": "train.py", "start_line": 6, "end_line": 6, "text": "x = 1\n"}},
    }
    saved = tmp_path / "gradfix.json"
    saved.write_text(json.dumps({"version": 1, "files": [{"path": "train.py", "runs": 2, "findings": [finding]}]}))
    result = review("--from", str(saved), "--dry-run", "--repo", "o/r", "--pr", "7")
    assert result.exit_code == 1
    [summary] = json.loads(result.stdout)  # no review: no line was known to take a comment
    assert summary["path"].endswith("/comments") and "GF001 fix for train.py:6" in summary["json"]["body"]
    [note] = result.stderr.splitlines()
    assert note.startswith("gradfix: dry run") and "inline suggestions are left out" in note
    finding["fix"] = None  # nothing that could have been inline: nothing to say
    saved.write_text(json.dumps({"version": 1, "files": [{"path": "train.py", "runs": 2, "findings": [finding]}]}))
    assert review("--from", str(saved), "--dry-run", "--repo", "o/r", "--pr", "7").stderr == ""
