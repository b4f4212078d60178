"""Rules over an incident record as an artifact: validation problems, and the gate for promotion to review.

Both are pure functions of a parsed ``Artifact`` and never raise on a bad one; they return readable
problems (empty list: fine). ``incident_mcp.validation.composition`` lists both for validation and
promotion.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from incident_mcp.artifacts import Artifact
from incident_mcp.errors import IncidentError
from incident_mcp.incidents.events import Replay, replay
from incident_mcp.incidents.postmortem import postmortem_missing
from incident_mcp.incidents.record import (
    FILE_RE,
    ID_RE,
    INCIDENT_DIR,
    LONG_ID_RE,
    MAX_ID_DIGITS,
    IncidentRecord,
    format_id,
    record_from_meta,
)
from incident_mcp.validation import Problem, RuleInput


def is_incident_record(artifact: Artifact) -> bool:
    """Whether the artifact is an incident record (``id: INC-NNN``, a decision memo)."""
    return bool(artifact.id and ID_RE.match(artifact.id)) and artifact.meta.get("type") == "decision-memo"


def incident_record_problems(artifact: Artifact) -> list[str]:
    """What is wrong with an incident record beyond Company OS's generic rules (empty: nothing)."""
    if artifact.id and LONG_ID_RE.match(artifact.id) and artifact.meta.get("type") == "decision-memo":
        return [f"id {artifact.id[:20]}… has more than {MAX_ID_DIGITS} digits; incident ids are INC- and 3 to "
                f"{MAX_ID_DIGITS} digits (this record is not read as an incident)"]
    if not is_incident_record(artifact):
        return []
    try:
        record = record_from_meta(artifact.meta, artifact.rel)
    except IncidentError as err:
        return [str(err).removeprefix(f"{artifact.rel}: ")]
    problems = _place_problems(artifact.rel, record)
    history = replay(record.timeline, record.detected_at)
    problems.extend(f"timeline: {p}" for p in history.problems)
    if not history.problems:
        problems.extend(_derived_problems(record, history))
    problems.extend(closing_problems(record))
    return problems


def _place_problems(rel: str, record: IncidentRecord) -> list[str]:
    """The record's folder and file name must match its id (text not read from a file has no place)."""
    if rel == "<text>":
        return []
    problems: list[str] = []
    path = PurePosixPath(rel)
    if path.parent.as_posix() != INCIDENT_DIR:
        problems.append(f"incident records live in {INCIDENT_DIR}/, not {path.parent.as_posix()}/")
    match = FILE_RE.match(path.name)
    if not match or format_id(int(match.group(1))) != format_id(record.number):
        problems.append(f"file name {path.name!r} should start with {record.id}-")
    return problems


def _derived_problems(record: IncidentRecord, history: Replay) -> list[str]:
    """Stored state, severity and key times that differ from what the timeline says."""
    problems: list[str] = []
    for name, stored, derived in (("incident_state", record.incident_state, history.state),
                                  ("acknowledged_at", record.acknowledged_at, history.acknowledged_at),
                                  ("mitigated_at", record.mitigated_at, history.mitigated_at),
                                  ("resolved_at", record.resolved_at, history.resolved_at)):
        if stored != derived:
            problems.append(f"{name} is {stored!r} but the timeline says {derived!r}")
    if history.severity and history.severity != record.severity:
        problems.append(f"severity is {record.severity} but the timeline says {history.severity}")
    return problems


def closing_problems(record: IncidentRecord) -> list[str]:
    """A record closed as a duplicate or false alarm is resolved, and a duplicate names the one it repeats."""
    problems: list[str] = []
    if record.closed_as is not None and record.incident_state != "resolved":
        problems.append(f"closed_as is {record.closed_as!r} but the incident is {record.incident_state}, not resolved")
    if record.closed_as == "duplicate" and not record.duplicate_of:
        problems.append("closed_as is 'duplicate' but duplicate_of does not name the incident it repeats (INC-NNN)")
    if record.duplicate_of and record.closed_as != "duplicate":
        problems.append("duplicate_of is set but closed_as is not 'duplicate'")
    if record.duplicate_of == record.id:
        problems.append("duplicate_of names the record itself")
    return problems


def incident_review_gate(artifact: Artifact, target_status: str) -> list[str]:
    """What an incident record lacks before it may be promoted to ``review`` (empty: it may).

    Only incident records promoted to review are gated: the incident must be resolved and the
    post-mortem complete (five whys answered, impact filled, a remediation action with an owner and
    a due date, lessons learned). Other artifacts and other targets pass untouched.
    """
    if target_status != "review" or not is_incident_record(artifact):
        return []
    try:
        record = record_from_meta(artifact.meta, artifact.rel)
    except IncidentError as err:
        return [str(err)]
    missing: list[str] = []
    if record.incident_state != "resolved" or not record.resolved_at:
        missing.append(f"the incident is not resolved (state: {record.incident_state})")
    missing.extend(postmortem_missing(record))
    return missing


def record_rule(doc: RuleInput) -> list[Problem]:
    """Validation rule: incident-specific problems of a record under artifacts/decision-memos/INC-*."""
    if doc.artifact is None:
        return []
    return [doc.problem("incident.record", message) for message in incident_record_problems(doc.artifact)]

