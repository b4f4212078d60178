"""Safe INC-NNN allocation: the highest INC number found (file names, plus any artifact id) plus one, created
with an exclusive create under the ``incident-ids`` lock, moving on to the next number on collision.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from incident_mcp.artifacts import iter_artifact_files
from incident_mcp.errors import IncidentError
from incident_mcp.incidents.record import (
    ID_RE,
    INCIDENT_DIR,
    MAX_ID_NUMBER,
    IncidentRecord,
    format_id,
    incident_files,
    slugify,
)
from incident_mcp.workspace import Workspace, create_exclusive

MAX_ID_ATTEMPTS = 1000
HEAD_BYTES = 8192  # where an artifact's id: line is looked for
_ID_LINE = re.compile(r"^id:\s*(.*?)\s*$")


def _head_id(head: str) -> str | None:
    """The value of the ``id:`` line in the frontmatter at the start of ``head``, if there is one."""
    lines = head.split("\n")
    if not lines or lines[0].rstrip("\r") != "---":
        return None
    for line in lines[1:]:
        if line.rstrip("\r") == "---":
            return None
        match = _ID_LINE.match(line)
        if match:
            return match.group(1).strip().strip("\"'")
    return None


def known_ids(ws: Workspace) -> set[str]:
    """Every artifact id under artifacts/, read from its ``id:`` line as Company OS's tools do (fast: only
    the head of each file is read, nothing is parsed as a whole)."""
    ids: set[str] = set()
    for path in iter_artifact_files(ws):
        try:
            with path.open("rb") as handle:
                head = handle.read(HEAD_BYTES).decode("utf-8", errors="replace")
        except OSError:
            continue
        ident = _head_id(head)
        if ident is not None:
            ids.add(ident)
    return ids


def next_free_number(taken: set[int]) -> int:
    """One more than the highest id in use, or, when that would pass INC-999999999999 (an id planted at the
    top of the range), one more than the highest id below it that has a free successor."""
    for number in sorted(taken, reverse=True):
        if number < MAX_ID_NUMBER and number + 1 not in taken:
            return number + 1
    return 1 if 1 not in taken else min(set(range(1, len(taken) + 2)) - taken)


def create_record_file(ws: Workspace, record: IncidentRecord, known: set[str],
                       render: Callable[[IncidentRecord], str]) -> tuple[IncidentRecord, str]:
    """Write ``render(record)`` as the file of the next free INC-NNN; the record with its id and the file's
    workspace-relative path. ``known`` holds the artifact ids already in use."""
    slug = slugify(record.title)
    taken = {int(m.group(1)) for ident in known if (m := ID_RE.match(ident))}
    with ws.lock("incident-ids"):
        taken |= {number for number, _ in incident_files(ws)}
        number = next_free_number(taken)
        for _attempt in range(MAX_ID_ATTEMPTS):
            record = record.model_copy(update={"id": format_id(number)})
            rel = f"{INCIDENT_DIR}/{record.id}-{slug}.md"
            if create_exclusive(ws.path(rel), render(record)):
                return record, rel
            taken.add(number)
            number = next_free_number(taken)
    raise IncidentError(f"could not allocate an incident id after {MAX_ID_ATTEMPTS} attempts")
