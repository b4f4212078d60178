"""The post-mortem: what is still missing from it, and recording it (callable repeatedly to refine).

A call replaces the parts it is given and keeps the rest; within ``impact`` and ``lessons`` only the
fields given are replaced. The same call twice writes the same file (no timestamps are added).
"""

from __future__ import annotations

from pydantic import BaseModel, Field, ValidationError

from incident_mcp.errors import IncidentError
from incident_mcp.incidents.record import (
    FollowUp,
    Impact,
    IncidentRecord,
    Lessons,
    Postmortem,
    RemediationAction,
    validation_message,
)
from incident_mcp.incidents.store import editing, save
from incident_mcp.workspace import Workspace

IMPACT_NAMES = {"users": "users affected", "revenue": "revenue", "data": "data", "reputation": "reputation"}
LESSON_NAMES = {"went_well": "what went well", "went_poorly": "what went poorly", "got_lucky": "where we got lucky"}


def postmortem_missing(record: IncidentRecord) -> list[str]:
    """What the post-mortem still lacks before review; empty when complete (resolution is checked elsewhere)."""
    pm = record.postmortem
    missing: list[str] = []
    unanswered = [str(n) for n in range(1, 6) if n > len(pm.whys) or not pm.whys[n - 1].strip()]
    if unanswered:
        missing.append(f"5 Whys: why {', '.join(unanswered)} not answered")
    empty = [label for name, label in IMPACT_NAMES.items() if not getattr(pm.impact, name).strip()]
    if empty:
        missing.append(f"impact assessment: {', '.join(empty)} not filled (write \"none\" if there was none)")
    if not any(a.owner.strip() and a.due for a in pm.remediation):
        missing.append("remediation: no action with both an owner and a due date")
    empty = [label for name, label in LESSON_NAMES.items() if not getattr(pm.lessons, name).strip()]
    if empty:
        missing.append(f"lessons learned: {', '.join(empty)} not filled")
    return missing


def check_whys(whys: list[str]) -> None:
    """Each why builds on the previous answer: no answer may follow an unanswered why."""
    for number in range(2, len(whys) + 1):
        if whys[number - 1].strip() and not whys[number - 2].strip():
            raise IncidentError(f"why {number} is answered but why {number - 1} is not; each why asks why the "
                                "previous answer happened, so answer them in order")


class PostmortemResult(BaseModel):
    """The post-mortem as recorded and what it still lacks before the record can go to review."""

    id: str
    path: str
    postmortem: Postmortem
    complete: bool
    missing: list[str] = Field(description="What is still missing for review (including resolution)")
    warnings: list[str] = Field(default_factory=list)


def _merged(old: Postmortem, *, whys: list[str] | None, contributing_factors: list[str] | None,
            impact: Impact | None, remediation: list[RemediationAction] | None,
            follow_ups: list[FollowUp] | None, lessons: Lessons | None) -> Postmortem:
    data = old.model_dump()
    if whys is not None:
        check_whys(whys)
        data["whys"] = list(whys)
    if contributing_factors is not None:
        data["contributing_factors"] = list(contributing_factors)
    if impact is not None:
        data["impact"].update(impact.model_dump(include=impact.model_fields_set))
    if remediation is not None:
        data["remediation"] = [a.model_dump() for a in remediation]
    if follow_ups is not None:
        data["follow_ups"] = [f.model_dump() for f in follow_ups]
    if lessons is not None:
        data["lessons"].update(lessons.model_dump(include=lessons.model_fields_set))
    try:
        return Postmortem.model_validate(data)
    except ValidationError as err:
        raise IncidentError(f"post-mortem: {validation_message(err)}") from None


def record_postmortem(ws: Workspace, incident_id: str, *, whys: list[str] | None = None,
                      contributing_factors: list[str] | None = None, impact: Impact | None = None,
                      remediation: list[RemediationAction] | None = None, follow_ups: list[FollowUp] | None = None,
                      lessons: Lessons | None = None, force: bool = False,
                      caused_by: str | None = None) -> PostmortemResult:
    """Fill (or refine) the post-mortem sections of an incident record (and ``caused_by``, the change behind it)."""
    cause = None
    if caused_by is not None:
        from incident_mcp.changes.cause import resolve_cause  # changes imports this package: imported late

        cause = resolve_cause(ws, caused_by)
    with editing(ws, incident_id) as incident:
        pm = _merged(incident.record.postmortem, whys=whys, contributing_factors=contributing_factors,
                     impact=impact, remediation=remediation, follow_ups=follow_ups, lessons=lessons)
        update: dict[str, object] = {"postmortem": pm}
        if cause is not None:
            update["caused_by"] = cause
        saved = save(ws, incident, incident.record.model_copy(update=update), force=force)
    missing = postmortem_missing(saved.record)
    if saved.record.incident_state != "resolved":
        missing.insert(0, f"the incident is not resolved yet (state: {saved.record.incident_state})")
    return PostmortemResult(id=saved.record.id, path=saved.rel, postmortem=saved.record.postmortem,
                            complete=not missing, missing=missing, warnings=saved.warnings)
