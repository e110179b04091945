"""``[tool.gradfix]`` in pyproject.toml: which scripts to run with which arguments, the sandbox's
limits, and which rules to ignore where. Unknown keys are an error, not a silent no-op.

The limits (``steps``, ``timeout``, ``jobs``) are defined once, in :data:`LIMITS`: the file and the
command line's options check a value with the same rule, and their defaults are these."""

from __future__ import annotations

import fnmatch
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


class ConfigError(Exception):
    """A one-line message naming the file and the key."""


Number = Union[int, float]


@dataclass(frozen=True)
class Limit:
    """A sandbox limit, set by ``[tool.gradfix]`` or by the option ``--<key>``."""

    key: str
    kind: type  # int, or float (which an integer also gives)
    minimum: Number
    default: Callable[[], Number]
    unit: str = ""  # what the value counts, when it is not plain

    @property
    def rule(self) -> str:
        what = "an integer" if self.kind is int else "a number"
        return f"{what}{' of ' + self.unit if self.unit else ''} >= {self.minimum}"

    def parse(self, value: Any, typed: bool = True) -> Number:
        """The value as this limit's type; ValueError (the rule) when it breaks it. A file's value
        has its TOML type (``"60"`` is not a number, ``true`` is not ``1``); the command line's
        (``typed=False``) is text."""
        if isinstance(value, str) and not typed:
            try:
                value = int(value) if self.kind is int else float(value)
            except ValueError:
                raise ValueError(self.rule) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(self.rule)
        if self.kind is int and not isinstance(value, int):
            raise ValueError(self.rule)
        if not math.isfinite(value) or value < self.minimum:
            raise ValueError(self.rule)
        return self.kind(value)


LIMITS: dict[str, Limit] = {
    limit.key: limit
    for limit in (
        Limit("steps", int, 1, lambda: 3),
        Limit("timeout", float, 0.1, lambda: 60.0, "seconds"),
        # What runner.Sandbox takes when given none.
        Limit("jobs", int, 1, lambda: os.cpu_count() or 1),
        # Run each script as `torchrun --nproc-per-node N` would (0: as a plain script, whose own
        # mp.spawn, if any, starts its ranks).
        Limit("nproc-per-node", int, 1, lambda: 0, "processes"),
    )
}


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
    nproc_per_node: Optional[int] = None
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    keys: frozenset[str] = frozenset()  # the keys the file sets

    def limits(self, **given: Optional[Number]) -> dict[str, tuple[Number, str]]:
        """Each limit in effect and where it came from: the command line (``given``, already
        checked by its option), else the file, else the default."""
        settled = {}
        for key, limit in LIMITS.items():
            if given.get(key) is not None:
                settled[key] = (given[key], "command line")
            elif key in self.keys:
                settled[key] = (getattr(self, key.replace("-", "_")), "pyproject.toml")
            else:
                settled[key] = (limit.default(), "default")
        return settled

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

    def as_dict(self, **given: Optional[Number]) -> dict[str, Any]:
        """The configuration in effect (defaults filled in) and, under ``origin``, where each
        value came from: ``default``, ``pyproject.toml`` or ``command line``."""
        limits = self.limits(**given)
        shown: dict[str, Any] = {
            "source": self.source,
            "scripts": [{"path": s.path, "args": s.args} for s in self.scripts],
            "args": self.args,
            **{key: value for key, (value, _) in limits.items()},
            "ignore": self.ignore,
            "per-file-ignores": self.per_file_ignores,
        }
        origin = {key: "pyproject.toml" if key in self.keys else "default" for key in shown if key != "source"}
        origin.update({key: where for key, (_, where) in limits.items()})
        shown["origin"] = origin
        return shown


_KEYS = {"scripts", "args", "ignore", "per-file-ignores", *LIMITS}


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
    tool = data.get("tool", {})
    table = tool.get("gradfix") if isinstance(tool, dict) else None
    if table is None:
        return Config(source=path)
    where = f"{os.path.relpath(path)} [tool.gradfix]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table of settings")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key `{unknown[0]}` (known: {', '.join(sorted(_KEYS))})")
    base = os.path.dirname(path)

    def broken(key: str, rule: str) -> ConfigError:
        return ConfigError(f"{where}: `{key}` must be {rule} (it is {_toml(table[key])})")

    def strings(value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)

    limits = {}
    for key, limit in LIMITS.items():
        if key in table:
            try:
                limits[key] = limit.parse(table[key])
            except ValueError:
                raise broken(key, limit.rule) from None
    scripts = []
    if not isinstance(table.get("scripts", []), list):
        raise broken("scripts", "a list of paths or {path, args} tables")
    for entry in table.get("scripts", []):
        if isinstance(entry, str):
            scripts.append(ScriptEntry(os.path.join(base, entry)))
        elif isinstance(entry, dict) and isinstance(entry.get("path"), str) and set(entry) <= {"path", "args"}:
            args = entry.get("args", [])
            if not strings(args):
                raise ConfigError(f"{where}: `args` of {entry['path']} must be a list of strings (it is {_toml(args)})")
            scripts.append(ScriptEntry(os.path.join(base, entry["path"]), list(args)))
        else:
            raise ConfigError(f"{where}: each of `scripts` must be a path or a table with `path` (and `args`) (one is {_toml(entry)})")
    for key in ("args", "ignore"):
        if not strings(table.get(key, [])):
            raise broken(key, "a list of strings" if key == "args" else "a list of rule codes")
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict) or not all(strings(codes) for codes in per_file.values()):
        raise broken("per-file-ignores", "a table of glob = [rule codes]")
    ignore = table.get("ignore", [])
    from gradfix.rules import Rule, all_rules

    all_rules()
    for code in [*ignore, *(c for codes in per_file.values() for c in codes)]:
        if code not in Rule.registry:
            raise ConfigError(f"{where}: no rule {code} (`gradfix rules` lists them)")
    return Config(
        source=path,
        scripts=scripts,
        args=list(table.get("args", [])),
        steps=limits.get("steps"),  # type: ignore[arg-type]
        timeout=limits.get("timeout"),
        jobs=limits.get("jobs"),  # type: ignore[arg-type]
        nproc_per_node=limits.get("nproc-per-node"),  # type: ignore[arg-type]
        ignore=list(ignore),
        per_file_ignores={k: list(v) for k, v in per_file.items()},
        keys=frozenset(table),
    )


def _toml(value: Any) -> str:
    """A value as the file spells it (``true``, ``"abc"``, ``-5``), cut short: the message is one line."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    elif isinstance(value, list):
        text = "[" + ", ".join(_toml(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."
