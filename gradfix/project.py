"""The user's project: which files gradfix may read and edit, and their current candidate texts.

The project root is the nearest folder above the script holding ``.git``, ``pyproject.toml``,
``setup.py`` or ``setup.cfg``; without one, the working directory when it holds the script, else
the script's folder. Files under it are the user's: the probe names what their code names and
follows faults into them. Installed packages and the standard library are never edited, even when
a fault shows up inside them.
"""

from __future__ import annotations

import os
import sys
from collections import OrderedDict
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from gradfix.source import SourceFile

_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")

# Parsed files by (path, exact text), shared by the projects of this process: each round of the
# repair loop, the diagnosis after it and the report's screen make a Project of their own, and a
# file they all see with the same text (the files no fix changed, the text after the last fix) is
# parsed, and its metadata resolved, once. A SourceFile is its text and what is computed from it.
_PARSED: "OrderedDict[tuple[str, str], SourceFile]" = OrderedDict()
_PARSED_MAX = 64


def find_root(script: str, cwd: Optional[str] = None) -> str:
    folder = os.path.dirname(os.path.realpath(script))
    here = folder
    while True:
        if any(os.path.exists(os.path.join(here, marker)) for marker in _MARKERS):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    # No marker: `gradfix suggest scripts/train.py`, run from the project's folder, must see the
    # code beside scripts/ (a lib/ the script puts on sys.path) as the user's, as a marker would
    # make it; with only the script's folder, the model built there is a library's: unnamed
    # (`<Linear#1>.weight`) and not editable. Not `/` or the home folder: everything would be "yours".
    cwd = os.path.realpath(cwd or os.getcwd())
    if folder.startswith(cwd + os.sep) and cwd not in (os.path.dirname(cwd), os.path.realpath(os.path.expanduser("~"))):
        return cwd
    return folder


class Project:
    def __init__(self, root: str, overlay: Optional[dict[str, str]] = None):
        self.root = os.path.realpath(root)
        self.overlay = dict(overlay or {})
        self._sources: dict[str, "SourceFile"] = {}
        installed = {sys.prefix, sys.base_prefix, sys.exec_prefix}
        installed.update(p for p in sys.path if "site-packages" in p or "dist-packages" in p)
        self._installed = [os.path.realpath(p) + os.sep for p in installed if p]

    def is_editable(self, path: str) -> bool:
        real = os.path.realpath(path)
        if not real.startswith(self.root + os.sep):
            return False
        return not any(real.startswith(prefix) for prefix in self._installed)

    def text(self, path: str) -> str:
        path = os.path.realpath(path)
        if path in self.overlay:
            return self.overlay[path]
        return self.source(path).text

    def source(self, path: str) -> "SourceFile":
        """The file as the current round sees it (with the fixes accepted so far)."""
        from gradfix.source import SourceFile

        path = os.path.realpath(path)
        if path not in self._sources:
            fresh = SourceFile(path, self.overlay[path]) if path in self.overlay else SourceFile.read(path)
            key = (path, fresh.text)
            parsed = _PARSED.get(key)
            if parsed is None:
                _PARSED[key] = parsed = fresh
                while len(_PARSED) > _PARSED_MAX:
                    _PARSED.popitem(last=False)
            else:
                _PARSED.move_to_end(key)
            self._sources[path] = parsed
        return self._sources[path]

    def with_overlay(self, overlay: dict[str, str]) -> "Project":
        return Project(self.root, {**self.overlay, **overlay})
