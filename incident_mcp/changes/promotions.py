"""Artifact promotions from Company OS's audit log (``artifacts/.audit-log/promotions.log``).

Lines look like ``[2026-03-01T02:00:00Z] artifacts/rfcs/RFC-001-x.md: review → approved`` (what
``promotion.promote`` and Company OS's ``promote.sh`` write); any other line (links, comments) is ignored.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

from incident_mcp.artifacts import AUDIT_LOG
from incident_mcp.incidents.record import parse_timestamp
from incident_mcp.workspace import Workspace

MAX_TAIL_BYTES = 8_000_000  # only the newest part of a huge log is read
_LINE = re.compile(r"^\[([0-9T:Z+\-.]+)\] (.+?): (\S+) (?:→|->) (\S+)\s*$")


@dataclass(frozen=True)
class Promotion:
    """One status change of an artifact."""

    at: dt.datetime
    file: str
    from_status: str
    to_status: str

    @property
    def artifact(self) -> str:
        """The artifact's id as its file name spells it (``RFC-001`` from ``RFC-001-x.md``)."""
        name = self.file.rsplit("/", 1)[-1]
        match = re.match(r"^([A-Z]+-[0-9]+)", name)
        return match.group(1) if match else name


def read_promotions(ws: Workspace, since: dt.datetime, until: dt.datetime) -> list[Promotion]:
    """Promotions logged in ``[since, until]``, oldest first."""
    try:
        with ws.path(AUDIT_LOG).open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - MAX_TAIL_BYTES))
            text = handle.read().decode("utf-8", "replace")
    except (FileNotFoundError, NotADirectoryError):
        return []
    found: list[Promotion] = []
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        try:
            at = parse_timestamp(match.group(1))
        except ValueError:
            continue
        if since <= at <= until:
            found.append(Promotion(at=at, file=match.group(2), from_status=match.group(3),
                                   to_status=match.group(4)))
    return sorted(found, key=lambda p: p.at)
