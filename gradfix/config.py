"""``[tool.gradfix]`` in pyproject.toml: which scripts to run with which arguments, the sandbox's
limits, and which rules to ignore where. Unknown keys are an error, not a silent no-op."""

from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


class ConfigError(Exception):
    """A one-line message naming the file and the key."""


@dataclass
class ScriptEntry:
    path: str
    args: list[str] = field(default_factory=list)


@dataclass
class Config:
    source: Optional[str] = None  # the pyproject.toml it came from
    scripts: list[ScriptEntry] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    steps: Optional[int] = None
    timeout: Optional[float] = None
    jobs: Optional[int] = None
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)

    def ignores(self, code: str, path: str) -> bool:
        if code in self.ignore:
            return True
        base = os.path.dirname(self.source) if self.source else os.getcwd()
        relative = os.path.relpath(os.path.realpath(path), os.path.realpath(base))
        return any(
            code in codes and (fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(os.path.basename(path), pattern))
            for pattern, codes in self.per_file_ignores.items()
        )

    def args_for(self, script: str) -> list[str]:
        """A script's arguments: those of its own entry in `scripts`, else `args` (a folder run
        gives each script its own)."""
        real = os.path.realpath(script)
        for entry in self.scripts:
            if os.path.realpath(entry.path) == real:
                return list(entry.args or self.args)
        return list(self.args)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "scripts": [{"path": s.path, "args": s.args} for s in self.scripts],
            "args": self.args,
            "steps": self.steps,
            "timeout": self.timeout,
            "jobs": self.jobs,
            "ignore": self.ignore,
            "per-file-ignores": self.per_file_ignores,
        }


_KEYS = {"scripts", "args", "steps", "timeout", "jobs", "ignore", "per-file-ignores"}


def find_pyproject(start: str) -> Optional[str]:
    folder = os.path.realpath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load(start: str = ".") -> Config:
    path = find_pyproject(start)
    if path is None:
        return Config()
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{os.path.relpath(path)}: cannot read it: {error}") from None
    table = data.get("tool", {}).get("gradfix")
    if table is None:
        return Config(source=path)
    where = f"{os.path.relpath(path)} [tool.gradfix]"
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key `{unknown[0]}` (known: {', '.join(sorted(_KEYS))})")
    base = os.path.dirname(path)

    def expect(key: str, kind: type | tuple, what: str) -> Any:
        value = table.get(key)
        if value is not None and not isinstance(value, kind):
            raise ConfigError(f"{where}: `{key}` must be {what}")
        return value

    scripts = []
    for entry in expect("scripts", list, "a list of paths or {path, args} tables") or []:
        if isinstance(entry, str):
            scripts.append(ScriptEntry(os.path.join(base, entry)))
        elif isinstance(entry, dict) and isinstance(entry.get("path"), str) and set(entry) <= {"path", "args"}:
            args = entry.get("args", [])
            if not (isinstance(args, list) and all(isinstance(a, str) for a in args)):
                raise ConfigError(f"{where}: `args` of {entry['path']} must be a list of strings")
            scripts.append(ScriptEntry(os.path.join(base, entry["path"]), list(args)))
        else:
            raise ConfigError(f"{where}: each of `scripts` must be a path or a table with `path` (and `args`)")
    args = expect("args", list, "a list of strings") or []
    ignore = expect("ignore", list, "a list of rule codes") or []
    per_file = expect("per-file-ignores", dict, "a table of glob = [rule codes]") or {}
    steps = expect("steps", int, "an integer")
    timeout = expect("timeout", (int, float), "a number of seconds")
    jobs = expect("jobs", int, "an integer")
    from gradfix.rules import Rule, all_rules

    all_rules()
    for code in [*ignore, *(c for codes in per_file.values() for c in codes)]:
        if code not in Rule.registry:
            raise ConfigError(f"{where}: no rule {code} (`gradfix rules` lists them)")
    return Config(
        source=path,
        scripts=scripts,
        args=[str(a) for a in args],
        steps=steps,
        timeout=float(timeout) if timeout is not None else None,
        jobs=jobs,
        ignore=list(ignore),
        per_file_ignores={k: list(v) for k, v in per_file.items()},
    )
