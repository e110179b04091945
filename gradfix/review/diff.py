"""What a pull request changed, from git: the changed files and, per file, the lines of the new
version that GitHub lets a review comment on (added and context lines inside the diff's hunks)."""

from __future__ import annotations

import re
import subprocess

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


class GitError(Exception):
    pass


def _git(root: str, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'failed'}")
    return done.stdout


def changed_files(root: str, base: str, head: str = "HEAD") -> list[str]:
    return [line for line in _git(root, "diff", "--name-only", "--diff-filter=AM", f"{base}...{head}").splitlines() if line]


def commentable_lines(root: str, base: str, head: str = "HEAD") -> dict[str, set[int]]:
    """Per changed file, the new-file lines inside the diff's hunks."""
    lines: dict[str, set[int]] = {}
    current = None
    for line in _git(root, "diff", "--unified=3", f"{base}...{head}").splitlines():
        if line.startswith("+++ "):
            current = line[6:] if line.startswith("+++ b/") else None
            if current is not None:
                lines.setdefault(current, set())
            continue
        match = _HUNK.match(line)
        if match and current is not None:
            start, count = int(match.group(1)), int(match.group(2) or "1")
            lines[current].update(range(start, start + count))
    return lines


def head_sha(root: str) -> str:
    return _git(root, "rev-parse", "HEAD").strip()


def repo_root(path: str) -> str:
    return _git(path, "rev-parse", "--show-toplevel").strip()
