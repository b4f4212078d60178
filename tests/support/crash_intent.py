"""Crash-safety harness: the worker's intent log and its logged writes (see ``crash_worker``).

Every ``atomic_write`` / ``create_exclusive`` the core makes is rerouted through a wrapper that logs the
path and the SHA-256 of the exact bytes about to be written, writes (or plays a test double: ``torn``
dies half-way, ``drop`` writes nothing), then confirms, one ``write(2)`` per line on an ``O_APPEND`` log.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from incident_mcp import workspace
from incident_mcp.validation import composition
from incident_mcp.workspace import Workspace
from tests.support.crash_disk import is_watched, sha

# ---- the intent log and the logged writes --------------------------------------------------------------------


class IntentLog:
    """JSON lines, each written with one ``write(2)`` on an O_APPEND file: a kill never splits a line
    that was started (and a line not started was never acted on)."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, **entry: Any) -> None:
        """Append one entry."""
        os.write(self.fd, (json.dumps(entry, ensure_ascii=True) + "\n").encode("ascii"))


def _die_half_way(target: Path, data: bytes, *, exclusive: bool) -> None:
    """The torn double: a plain in-place write that is killed half-way through."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(target, flags, 0o644)
    os.write(fd, data[: len(data) // 2])
    os.fsync(fd)
    os.kill(os.getpid(), signal.SIGKILL)


def instrument(ws: Workspace, log: IntentLog, double: str | None = None) -> Callable[[Path, str], None]:
    """Route every core module's ``atomic_write`` / ``create_exclusive`` through a logging wrapper.

    The wrapper logs the path and hash of what is about to be written, calls the real function (or
    the double), then confirms. Returns the ``atomic_write`` wrapper for the worker's own config writes.
    """
    writes = _LoggedWrites(ws, log, double)
    assert composition.RULES  # the rules' modules are loaded before their writes are rerouted
    rerouted = _reroute({"atomic_write": (writes.real_write, writes.atomic_write),
                         "create_exclusive": (writes.real_create, writes.create_exclusive)})
    if not rerouted:
        raise RuntimeError("no core module writes through atomic_write any more: the harness sees nothing")
    return writes.atomic_write


class _LoggedWrites:
    """The core's two write functions wrapped: log the intent, write (or play the double), confirm."""

    def __init__(self, ws: Workspace, log: IntentLog, double: str | None) -> None:
        self.ws, self.log, self.double = ws, log, double
        self.real_write, self.real_create = workspace.atomic_write, workspace.create_exclusive

    def _rel(self, target: Path) -> str:
        return Path(target).resolve().relative_to(self.ws.root).as_posix()

    def atomic_write(self, target: Path, text: str) -> None:
        """``workspace.atomic_write``, logged; the doubles tear or drop writes to watched files."""
        data = text.encode("utf-8")
        rel = self._rel(target)
        self.log.write(t="write", path=rel, sha=sha(data))
        try:
            if self.double == "torn" and is_watched(rel):
                _die_half_way(target, data, exclusive=False)
            elif self.double != "drop" or not is_watched(rel):
                self.real_write(target, text)
        except BaseException:
            self.log.write(t="wrote", path=rel, ok=False)
            raise
        self.log.write(t="wrote", path=rel, ok=True)

    def create_exclusive(self, target: Path, text: str) -> bool:
        """``workspace.create_exclusive``, logged; the doubles tear or drop every such write."""
        data = text.encode("utf-8")
        rel = self._rel(target)
        self.log.write(t="write", path=rel, sha=sha(data))
        ok = False
        try:
            if self.double == "torn":
                _die_half_way(target, data, exclusive=True)
            ok = True if self.double == "drop" else self.real_create(target, text)
        finally:
            self.log.write(t="wrote", path=rel, ok=ok)
        return ok


def _reroute(replacements: dict[str, tuple[object, object]]) -> int:
    """In every loaded core module but ``workspace``, replace each name bound to its real function by the wrapper."""
    rerouted = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("incident_mcp") or module is workspace or module is None:
            continue
        for attr, (real, wrapper) in replacements.items():
            if getattr(module, attr, None) is real:
                setattr(module, attr, wrapper)
                rerouted += 1
    return rerouted
