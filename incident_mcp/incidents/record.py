"""The incident record: its frontmatter as typed data, where its file lives, reading and writing it.

The frontmatter is the source of truth (severity, state, times, timeline, post-mortem); the body's
managed blocks are rendered from it (``document.py``). Timestamps are ISO 8601 UTC strings with ``Z``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from incident_mcp.artifacts import Artifact, FrontmatterError, parse_artifact, reference_ids
from incident_mcp.errors import ArtifactNotFoundError, IncidentError
from incident_mcp.frontmatter.reading import read_utf8
from incident_mcp.incidents.times import CLOCK_SKEW as CLOCK_SKEW
from incident_mcp.incidents.times import DateText as DateText
from incident_mcp.incidents.times import Timestamp as Timestamp
from incident_mcp.incidents.times import event_time as event_time
from incident_mcp.incidents.times import format_timestamp as format_timestamp
from incident_mcp.incidents.times import parse_timestamp as parse_timestamp
from incident_mcp.incidents.times import utc_now as utc_now
from incident_mcp.severity import Severity, StatusRollup
from incident_mcp.workspace import Workspace, is_temp_name

INCIDENT_DIR = "artifacts/decision-memos"
MAX_ID_DIGITS = 12  # an id has 3 to 12 digits, wherever it comes from; longer ones are never int()-ed
MAX_ID_NUMBER = 10**MAX_ID_DIGITS - 1
# ASCII digits only: "INC-٠٠١" is not INC-001. Ids and file names outside these rules are not incidents.
ID_RE = re.compile(rf"^INC-([0-9]{{3,{MAX_ID_DIGITS}}})$")
FILE_RE = re.compile(rf"^INC-([0-9]{{3,{MAX_ID_DIGITS}}})(?:-[a-z0-9-]*)?\.md$")
# The shape of an id as tool schemas declare it; the digit bounds are enforced by ID_RE when it is used.
ID_PATTERN = r"^INC-\d{3,}$"
LONG_ID_RE = re.compile(rf"^INC-[0-9]{{{MAX_ID_DIGITS + 1},}}(?:-|\.md$|$)")  # looks like one, too many digits
MAX_TEXT = 200_000  # characters in one free-text field: room for a pasted stack trace, not a core dump
MAX_LIST = 200  # items in one list field (services, factors, actions)
SLUG_MAX = 48
MAX_RECORD_BYTES = 16_000_000  # refuse to load a record larger than this (it is not one we wrote)
# What the tools write stays far below what the reader accepts, so a record they wrote can always be read,
# updated and resolved: one event holds at most MAX_EVENT_BYTES of text; a change that would grow the record
# past MAX_RECORD_WRITE_BYTES is refused, except the one resolution, which may use the rest of the room
# (one event, even escaped and repeated in the body's timeline table, is far smaller than that room).
MAX_EVENT_BYTES = 262_144
MAX_RECORD_WRITE_BYTES = 8_000_000

IncidentState = Literal["investigating", "identified", "monitoring", "resolved"]
STATES: tuple[IncidentState, ...] = ("investigating", "identified", "monitoring", "resolved")
EventKind = Literal["detected", "acknowledged", "status_check", "root_cause", "mitigation", "communication",
                    "monitoring", "state_change", "severity_change", "resolved", "note"]
# The events a caller may add (detected, state and severity changes are written by open/state=/severity=).
UpdateEventKind = Literal["acknowledged", "status_check", "root_cause", "mitigation", "communication", "monitoring",
                          "resolved", "note"]
MitigationKind = Literal["rollback", "hotfix", "flag_disable", "other"]
# How a record was closed when it was not a real incident (absent for real ones; metrics leave these out).
ClosedAs = Literal["duplicate", "false_alarm"]
Horizon = Literal["immediate", "short_term", "long_term"]


def _free_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text contains a lone surrogate (not valid Unicode text)") from None
    return value


FreeText = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_free_text)]


def as_list(value: Any) -> Any:
    """A lone value a human wrote where a list belongs (``services: api``) is a one-item list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TimelineEvent(_Model):
    """One event on the incident timeline."""

    at: Timestamp
    kind: EventKind
    text: FreeText = ""
    mitigation: MitigationKind | None = None
    channel: FreeText | None = None
    overall: StatusRollup | None = None
    state: IncidentState | None = None
    severity: Severity | None = Field(default=None, description="The severity at opening (detected event)")
    severity_from: Severity | None = None
    severity_to: Severity | None = None


class Impact(_Model):
    """Impact assessment: each field free text ("none" is an answer; empty means not filled)."""

    users: FreeText = ""
    revenue: FreeText = ""
    data: FreeText = ""
    reputation: FreeText = ""


class RemediationAction(_Model):
    """One remediation action; immediate ones were done during the incident."""

    horizon: Horizon
    action: FreeText = Field(min_length=1)
    owner: FreeText = ""
    due: DateText = ""
    done: bool = False


class FollowUp(_Model):
    """One follow-up item."""

    item: FreeText = Field(min_length=1)
    owner: FreeText = ""
    due: DateText = ""
    status: Literal["open", "done"] = "open"


class Lessons(_Model):
    """Lessons learned."""

    went_well: FreeText = ""
    went_poorly: FreeText = ""
    got_lucky: FreeText = ""


class Postmortem(_Model):
    """The post-mortem as data; each why answers "why did the previous answer happen?"."""

    whys: list[FreeText] = Field(default_factory=list, max_length=5)
    contributing_factors: list[FreeText] = Field(default_factory=list, max_length=MAX_LIST)
    impact: Impact = Field(default_factory=Impact)
    remediation: list[RemediationAction] = Field(default_factory=list, max_length=MAX_LIST)
    follow_ups: list[FollowUp] = Field(default_factory=list, max_length=MAX_LIST)
    lessons: Lessons = Field(default_factory=Lessons)


class IncidentRecord(BaseModel):
    """The incident fields of the frontmatter (Company OS fields plus ours)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    title: FreeText
    status: str = "draft"
    author: FreeText = ""
    depends_on: Annotated[list[str], BeforeValidator(reference_ids)] = Field(default_factory=list)
    severity: Severity
    incident_state: IncidentState
    services: Annotated[list[FreeText], BeforeValidator(as_list)] = Field(default_factory=list, max_length=MAX_LIST)
    summary: FreeText = ""
    public_summary: FreeText = Field(default="", description="Customer-facing impact text (public)")
    detected_at: Timestamp
    acknowledged_at: Timestamp | None = None
    mitigated_at: Timestamp | None = None
    resolved_at: Timestamp | None = None
    caused_by: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, description="The change that caused it: a deploy id (dep-…) or a commit sha")
    closed_as: ClosedAs | None = None
    duplicate_of: str | None = Field(default=None, pattern=r"^INC-[0-9]{3,}$")
    timeline: list[TimelineEvent] = Field(default_factory=list)
    postmortem: Postmortem = Field(default_factory=Postmortem)
    opened_by: FreeText | None = None  # "watch" when incident-mcp watch opened it; absent: by hand or an agent

    @property
    def number(self) -> int:
        """The NNN of INC-NNN."""
        match = ID_RE.match(self.id)
        return int(match.group(1)) if match else 0

    @property
    def is_open(self) -> bool:
        """Not resolved yet."""
        return self.incident_state != "resolved"

    @property
    def is_real(self) -> bool:
        """A real incident: not closed as a duplicate or a false alarm."""
        return self.closed_as is None


# Key order of a record's frontmatter: Company OS fields first, then ours; a change touches its own lines.
KEY_ORDER = ("id", "type", "title", "status", "created", "author", "parent", "children", "depends_on", "blocks",
             "tags", "severity", "incident_state", "services", "summary", "public_summary", "detected_at",
             "acknowledged_at", "mitigated_at", "resolved_at", "opened_by", "caused_by", "closed_as", "duplicate_of",
             "timeline", "postmortem")
# Written only when set, so records of real incidents keep their old shape.
OPTIONAL_KEYS = ("public_summary", "opened_by", "caused_by", "closed_as", "duplicate_of")


def record_fields(record: IncidentRecord) -> dict[str, Any]:
    """Our structured fields as plain data for the frontmatter (no empty post-mortem)."""
    data: dict[str, Any] = {
        "severity": record.severity,
        "incident_state": record.incident_state,
        "services": list(record.services),
        "summary": record.summary,
        "detected_at": record.detected_at,
        "acknowledged_at": record.acknowledged_at,
        "mitigated_at": record.mitigated_at,
        "resolved_at": record.resolved_at,
        "timeline": [event.model_dump(exclude_none=True) for event in record.timeline],
    }
    for key in OPTIONAL_KEYS:
        if getattr(record, key):
            data[key] = getattr(record, key)
    if record.postmortem != Postmortem():
        data["postmortem"] = record.postmortem.model_dump()
    return data


def merged_meta(old: dict[str, Any], record: IncidentRecord) -> dict[str, Any]:
    """``old`` frontmatter with our fields replaced: existing keys keep their place, new ones follow KEY_ORDER."""
    fields = record_fields(record)
    meta = dict(old)
    for key, value in fields.items():
        meta[key] = value
    for key in ("postmortem", *OPTIONAL_KEYS):
        if key not in fields:
            meta.pop(key, None)
    return meta


def json_safe(meta: dict[str, Any]) -> dict[str, Any]:
    """YAML gives dates and datetimes for unquoted values a human typed; the model wants strings."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if isinstance(value, dt.datetime):
            out[key] = format_timestamp(value)
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        elif isinstance(value, list):
            out[key] = [json_safe(v) if isinstance(v, dict) else _scalar(v) for v in value]
        elif isinstance(value, dict):
            out[key] = json_safe(value)
        else:
            out[key] = value
    return out


def _scalar(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def validation_message(err: ValidationError, prefix: str = "") -> str:
    """One readable line from a pydantic error: the field path and what is wrong."""
    first = err.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    where = f"{prefix}{loc}" if loc else prefix.rstrip(".")
    return f"{where}: {message}" if where else message


def record_from_meta(meta: dict[str, Any], rel: str) -> IncidentRecord:
    """The typed record from parsed frontmatter; IncidentError names the file and the bad field."""
    try:
        return IncidentRecord.model_validate(json_safe(meta))
    except ValidationError as err:
        raise IncidentError(f"{rel}: not a valid incident record: {validation_message(err)}") from None


@dataclass
class Incident:
    """A record as read from disk: typed fields plus the artifact (text, full frontmatter, body)."""

    record: IncidentRecord
    artifact: Artifact

    @property
    def rel(self) -> str:
        """Workspace-relative path of the file."""
        return self.artifact.rel


def slugify(title: str) -> str:
    """A file-name slug from a title: lowercase ASCII words joined by hyphens, bounded, never empty."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > SLUG_MAX:
            if not slug:
                slug = word[:SLUG_MAX]
            break
        slug = candidate
    return slug or "incident"


def check_incident_id(incident_id: str) -> str:
    """``INC-NNN`` (3 to 12 ASCII digits), normalised to upper case; IncidentError otherwise.

    Only ASCII is accepted before upper-casing, so a look-alike ("ınc-001", "INC-００１") is refused
    rather than quietly taken for INC-001.
    """
    value = incident_id.strip() if isinstance(incident_id, str) else ""
    value = value.upper() if value.isascii() else ""
    if not ID_RE.match(value) or len(value) > len("INC-") + MAX_ID_DIGITS:
        given = incident_id[:40] + "…" if isinstance(incident_id, str) and len(incident_id) > 40 else incident_id
        raise IncidentError(f"incident id {given!r} is not of the form INC-NNN (e.g. INC-001; "
                            f"3 to {MAX_ID_DIGITS} digits)")
    return value


def format_id(number: int) -> str:
    """``INC-007``."""
    return f"INC-{number:03d}"


def incident_dir(ws: Workspace) -> Path:
    """The decision-memos folder (confined to the workspace)."""
    return ws.path(INCIDENT_DIR)


def incident_files(ws: Workspace) -> Iterator[tuple[int, Path]]:
    """(number, path) of every ``INC-NNN*.md`` file, lowest number first; temp files never listed."""
    folder = incident_dir(ws)
    if not folder.is_dir():
        return
    found: list[tuple[int, Path]] = []
    with os.scandir(folder) as listing:  # the folder is confined already: only a link can lead out of it
        for entry in listing:
            match = FILE_RE.match(entry.name)
            if not match or is_temp_name(entry.name) or not entry.is_file():
                continue
            path = folder / entry.name
            if not entry.is_symlink() or ws.contains(path):
                found.append((int(match.group(1)), path))
    yield from sorted(found)


def long_id_files(ws: Workspace) -> list[str]:
    """Names in the records folder that look like incident files but have more digits than an id may."""
    folder = incident_dir(ws)
    if not folder.is_dir():
        return []
    with os.scandir(folder) as listing:
        return sorted(entry.name for entry in listing if LONG_ID_RE.match(entry.name))


def find_incident_file(ws: Workspace, incident_id: str) -> Path:
    """The file of ``INC-NNN``; ArtifactNotFoundError when there is none, IncidentError when two claim it."""
    wanted = check_incident_id(incident_id)
    number = int(wanted[4:])
    matches = [path for num, path in incident_files(ws) if num == number]
    if not matches:
        raise ArtifactNotFoundError(f"no incident {wanted} (no {INCIDENT_DIR}/{wanted}-*.md file)")
    if len(matches) > 1:
        names = ", ".join(path.name for path in matches)
        raise IncidentError(f"more than one file claims {wanted}: {names}; rename or merge them")
    return matches[0]


def read_incident(ws: Workspace, incident_id: str) -> Incident:
    """Read and parse one incident record by id."""
    path = find_incident_file(ws, incident_id)
    return read_incident_file(ws, path)


def read_incident_file(ws: Workspace, path: Path) -> Incident:
    """Read and parse one incident record file."""
    rel = ws.rel(path)
    size = path.stat().st_size
    if size > MAX_RECORD_BYTES:
        raise IncidentError(f"{rel}: file is {size:,} bytes; incident records are at most {MAX_RECORD_BYTES:,}")
    text = read_utf8(path, lambda message: IncidentError(f"{rel}: {message}"))  # "\r\n" kept as written
    try:
        artifact = parse_artifact(text, rel)
    except FrontmatterError as err:
        raise IncidentError(f"{rel}: {err}") from None
    record = record_from_meta(artifact.meta, rel)
    match = FILE_RE.match(path.name)
    if match and format_id(int(match.group(1))) != record.id and int(match.group(1)) != record.number:
        raise IncidentError(f"{rel}: file name says INC-{match.group(1)} but its id is {record.id}")
    return Incident(record=record, artifact=artifact)
