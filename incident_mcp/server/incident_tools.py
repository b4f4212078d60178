"""MCP tools for the live incident: classify_severity, open_incident, update_incident, get_incident,
list_incidents, draft_communication, record_postmortem. Thin: each calls one core function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from incident_mcp import changes, incidents
from incident_mcp.incidents import ID_PATTERN
from incident_mcp.incidents.comms import CommKind
from incident_mcp.incidents.record import ClosedAs, IncidentState, MitigationKind, UpdateEventKind
from incident_mcp.server.annotations import APPEND, READ, REPLACE
from incident_mcp.server.common import ServerContext, tool_errors
from incident_mcp.severity import (
    Classification,
    CoreFlow,
    FeatureBroken,
    ImpactSignals,
    Severity,
    StatusRollup,
    UsersAffected,
    classify,
)


def _signal(name: str) -> str:
    return ImpactSignals.model_fields[name].description or name


StateFilter = Literal["open", "investigating", "identified", "monitoring", "resolved"]
IncidentId = Annotated[str, Field(description="Incident id, e.g. INC-001")]
OptionalId = Annotated[str | None, Field(description="Incident id, e.g. INC-001 (default: the latest open one)")]


def _classify_severity(ctx: ServerContext) -> Callable[..., Classification]:
    """The classify_severity tool: a pure rule, so ``ctx`` goes unused."""

    def classify_severity(
        users_affected: Annotated[UsersAffected, Field(description=_signal("users_affected"))] = "unknown",
        outage: Annotated[bool, Field(description=_signal("outage"))] = False,
        data_loss: Annotated[bool, Field(description=_signal("data_loss"))] = False,
        data_integrity_risk: Annotated[bool, Field(description=_signal("data_integrity_risk"))] = False,
        security_breach: Annotated[bool, Field(description=_signal("security_breach"))] = False,
        core_flows_broken: Annotated[list[CoreFlow] | None, Field(description=_signal("core_flows_broken"))] = None,
        feature_broken: Annotated[FeatureBroken, Field(description=_signal("feature_broken"))] = "none",
        workaround_available: Annotated[bool | None, Field(description=_signal("workaround_available"))] = None,
        latency_ms: Annotated[int | None, Field(ge=0, description=_signal("latency_ms"))] = None,
        cosmetic_only: Annotated[bool, Field(description=_signal("cosmetic_only"))] = False,
        status_rollup: Annotated[StatusRollup | None, Field(description=_signal("status_rollup"))] = None,
        unsure_between: Annotated[list[Severity] | None, Field(description=_signal("unsure_between"))] = None,
    ) -> Classification:
        """Classify an incident P0–P3 from impact signals: the level, the rule that matched and why, its
        response and resolution targets and triage steps. When unsure between two levels, the higher wins.

        Use right after check_status, before open_incident; pass its overall state as status_rollup.
        Example: classify_severity(core_flows_broken=["payments"], users_affected="some")
        → {"severity": "P1", "rule": "core-flow-broken", "resolution_target": "4 hours", ...}
        """
        with tool_errors():
            return classify(ImpactSignals(
                users_affected=users_affected, outage=outage, data_loss=data_loss,
                data_integrity_risk=data_integrity_risk, security_breach=security_breach,
                core_flows_broken=core_flows_broken or [], feature_broken=feature_broken,
                workaround_available=workaround_available, latency_ms=latency_ms, cosmetic_only=cosmetic_only,
                status_rollup=status_rollup, unsure_between=unsure_between or []))

    return classify_severity


def _get_incident(ctx: ServerContext) -> Callable[..., changes.IncidentViewWithChanges]:
    """The get_incident tool, reading the workspace through ``ctx``."""

    def get_incident(
        incident_id: OptionalId = None,
        timeline: Annotated[Literal["recent", "all"], Field(
            description="recent: the last 8 events plus counts (default); all: every event")] = "recent",
    ) -> changes.IncidentViewWithChanges:
        """One incident record with computed next actions (acknowledge, status check, communications, next
        update, resolution target, post-mortem), each done, due or overdue now.

        Use after every step of a live incident to know what is due next. Without incident_id: the most
        recently detected open incident (never a resolved, closed or archived one); `chosen` says so and
        `other_open` lists the others. The answer stays small: recent events and counts unless timeline="all".
        Example: get_incident(incident_id="INC-007") → {"id": "INC-007", "next_actions": [{"key":
        "first_communication", "status": "overdue", ...}], "overdue": ["first_communication"]}
        """
        with tool_errors():
            ws = ctx.workspace()
            return changes.changes_hint(ws, incidents.get_incident(ws, incident_id or None, timeline=timeline))

    return get_incident


def _list_incidents(ctx: ServerContext) -> Callable[..., incidents.IncidentList]:
    """The list_incidents tool, reading the workspace through ``ctx``."""

    def list_incidents(
        state: Annotated[list[StateFilter] | None, Field(
            description="Keep these states: open, investigating, identified, monitoring, resolved")] = None,
        severity: Annotated[list[Severity] | None, Field(description="Keep these severities")] = None,
        since: Annotated[str | None, Field(description="Detected at or after this ISO 8601 time")] = None,
        until: Annotated[str | None, Field(description="Detected before this ISO 8601 time")] = None,
        limit: Annotated[int, Field(ge=1, le=100, description="Page size")] = 20,
        offset: Annotated[int, Field(ge=0, description="Skip this many (use next_offset)")] = 0,
    ) -> incidents.IncidentList:
        """Incidents newest first, filtered by state, severity and detection time, one page at a time.

        Use to find an incident's id or review recent incidents; pass next_offset as offset for more pages.
        Example: list_incidents(state=["investigating", "identified"]) → {"incidents": [{"id": "INC-007",
        "severity": "P1", "state": "identified", ...}], "total": 1, "next_offset": null}
        """
        with tool_errors():
            return incidents.list_incidents(ctx.workspace(), states=list(state or []), severities=list(severity or []),
                                            since=since, until=until, limit=limit, offset=offset)

    return list_incidents


def _draft_communication(ctx: ServerContext) -> Callable[..., incidents.Draft]:
    """The draft_communication tool, reading the workspace through ``ctx``."""

    def draft_communication(
        kind: Annotated[CommKind, Field(description="status_page, email (user notification) or postmortem_invite")],
        incident_id: OptionalId = None,
        phase: Annotated[IncidentState | None, Field(
            description="Phase to write for (default: the incident's state)")] = None,
        public_message: Annotated[str, Field(
            max_length=2000, description="Customer-facing impact for this draft, in the phase's tense "
                                         "(default: the record's public_summary)")] = "",
    ) -> incidents.Draft:
        """Draft a copy-paste-ready status-page update, user email or post-mortem invite (for one reviewer).

        Public by construction: only public_message / the record's public_summary, the state, times (company
        timezone, UTC beside) and the product name are used — never titles, notes, root causes or commands.
        Unknowns stay visible [placeholders], listed in `placeholders`. Log it with
        update_incident(event="communication") once sent.
        Example: draft_communication(kind="status_page", incident_id="INC-007", public_message="Sign-in
        fails for some customers.") → {"subject": "Brightdesk - Identified", "text": "...", "placeholders": []}
        """
        with tool_errors():
            return incidents.draft_communication(ctx.workspace(), kind, incident_id or None, phase=phase,
                                                 public_message=public_message)

    return draft_communication


def _open_incident(ctx: ServerContext) -> Callable[..., changes.OpenedWithChanges]:
    """The open_incident tool, reading the workspace through ``ctx``."""

    def open_incident(
        title: Annotated[str, Field(description="Short internal title: what is broken")],
        severity: Annotated[Severity, Field(description="P0–P3 (classify_severity helps)")],
        summary: Annotated[str, Field(description="Internal summary (never shown to customers)")] = "",
        public_summary: Annotated[str, Field(
            description="Customer-facing impact, one sentence (used in status page and email drafts)")] = "",
        services: Annotated[list[str] | None, Field(
            description="Affected services, as named in incident_response.services")] = None,
        detected_at: Annotated[str | None, Field(description="When it was detected, ISO 8601 (default now, UTC)")]
        = None,
        depends_on: Annotated[list[str] | None, Field(
            description="Ids of related artifacts (RFCs, PRDs); each must exist")] = None,
        author: Annotated[str | None, Field(description="Who writes the record")] = None,
        tags: Annotated[list[str] | None, Field(description="Extra tags (plain words)")] = None,
        duplicate_of: Annotated[str | None, Field(
            pattern=ID_PATTERN, description="This report repeats that open incident: keep it closed as its "
                                                  "duplicate")] = None,
        force: Annotated[bool, Field(description="Open even though an open incident covers the same service "
                                                 "(a genuinely separate incident)")] = False,
    ) -> changes.OpenedWithChanges:
        """Open an incident: allocates the next INC-NNN and writes its record; returns the triage checklist for
        its severity with due times and the 3 changes most likely behind it.

        Use once per incident, after classify_severity. Refused while an open incident covers one of the
        services or has the same title: update that one, or pass duplicate_of="INC-NNN" (keep this as its
        duplicate) or force=true (a separate incident).
        Example: open_incident(title="Checkout returns 500", severity="P1", services=["api"],
        public_summary="Some customers cannot pay.") → {"id": "INC-007", "triage": [...], ...}
        """
        with tool_errors():
            ws = ctx.workspace()
            opened = incidents.open_incident(ws, title=title, severity=severity, summary=summary,
                                             services=services, detected_at=detected_at, depends_on=depends_on,
                                             author=author, tags=tags, public_summary=public_summary,
                                             duplicate_of=duplicate_of, force=force)
            return changes.note_recent_changes(ws, opened)

    return open_incident


def _update_incident(ctx: ServerContext) -> Callable[..., incidents.UpdatedIncident]:
    """The update_incident tool, reading the workspace through ``ctx``."""

    def update_incident(
        incident_id: IncidentId,
        event: Annotated[UpdateEventKind | None, Field(
            description="What happened (a state goes in state)")] = None,
        text: Annotated[str, Field(description="What happened (for a note: the note)")] = "",
        at: Annotated[str | None, Field(description="When, ISO 8601 (default now); earlier times are "
                                                    "back-filled in order")] = None,
        mitigation: Annotated[MitigationKind | None, Field(description="With event=mitigation")] = None,
        channel: Annotated[str | None, Field(description="With event=communication: status_page, email, …")]
        = None,
        overall: Annotated[StatusRollup | None, Field(description="With event=status_check")] = None,
        state: Annotated[IncidentState | None, Field(
            description="New state: investigating → identified → monitoring → resolved")] = None,
        severity: Annotated[Severity | None, Field(description="New severity (needs a reason)")] = None,
        reason: Annotated[str, Field(description="Why the severity changed (kept in the timeline)")] = "",
        services: Annotated[list[str] | None, Field(
            description="Services found affected since opening (added; as named in the config)")] = None,
        public_summary: Annotated[str | None, Field(
            description="Customer-facing impact, replaces the record's (used by draft_communication)")] = None,
        closed_as: Annotated[ClosedAs | None, Field(
            description="Close as not a real incident: duplicate (with duplicate_of) or false_alarm")] = None,
        duplicate_of: Annotated[str | None, Field(pattern=ID_PATTERN,
                                                  description="With closed_as=duplicate")] = None,
        force: Annotated[bool, Field(description="Regenerate blocks even if edited by hand")] = False,
        caused_by: Annotated[str | None, Field(description="The change that caused it: a deploy id or commit sha "
                                                           "(see recent_changes)")] = None,
    ) -> incidents.UpdatedIncident:
        """Add a timeline event, change state or change severity (with a reason); returns what is due next.

        Use for everything that happens: acknowledged, root cause, mitigation (rollback / hotfix /
        flag_disable), communication sent, monitoring, resolved, notes. Times may be back-filled with `at`.
        States are set with state=, not event= (root_cause already implies identified, monitoring implies
        monitoring). A duplicate or false alarm is closed with closed_as (no post-mortem needed).
        Example: update_incident(incident_id="INC-007", event="mitigation", mitigation="rollback",
        text="Redeployed the previous image") → {"state": "identified", "mitigated_at": "...", ...}
        """
        with tool_errors():
            return incidents.update_incident(ctx.workspace(), incident_id, event=event, text=text, at=at,
                                             mitigation=mitigation, channel=channel, overall=overall, state=state,
                                             severity=severity, reason=reason, services=services,
                                             public_summary=public_summary, closed_as=closed_as,
                                             duplicate_of=duplicate_of, caused_by=caused_by, force=force)

    return update_incident


def _record_postmortem(ctx: ServerContext) -> Callable[..., incidents.PostmortemResult]:
    """The record_postmortem tool, reading the workspace through ``ctx``."""

    def record_postmortem(
        incident_id: IncidentId,
        whys: Annotated[list[str] | None, Field(max_length=5, description=(
            "The 5 Whys in order, one string each: \"Why did X? Because Y\" (question and answer, "
            "rendered in full) or just the answer to why the previous answer happened"))] = None,
        contributing_factors: Annotated[list[str] | None, Field(description="Contributing factors")] = None,
        impact: Annotated[incidents.Impact | None, Field(
            description="users, revenue, data, reputation (only the fields given are replaced)")] = None,
        remediation: Annotated[list[incidents.RemediationAction] | None, Field(
            description="Actions: horizon immediate/short_term/long_term, action, owner, due YYYY-MM-DD")] = None,
        follow_ups: Annotated[list[incidents.FollowUp] | None, Field(description="Follow-up items")] = None,
        lessons: Annotated[incidents.Lessons | None, Field(
            description="went_well, went_poorly, got_lucky (only the fields given are replaced)")] = None,
        force: Annotated[bool, Field(description="Regenerate blocks even if edited by hand")] = False,
        caused_by: Annotated[str | None, Field(description="The change that caused it: a deploy id or commit sha "
                                                           "(see recent_changes)")] = None,
    ) -> incidents.PostmortemResult:
        """Fill or refine the post-mortem (5 Whys, factors, impact, remediation, follow-ups, lessons); parts not
        given are kept. Says what is still missing before the record can be promoted to review.

        Use after the incident is resolved; call again to refine, then promote_artifact to review.
        Example: record_postmortem(incident_id="INC-007", whys=["Why did webhooks fail? The signing secret
        was renamed."], impact={"users": "~40", "revenue": "none", "data": "none", "reputation": "minimal"})
        → {"complete": false, "missing": ["lessons learned: what went well"]}
        """
        with tool_errors():
            return incidents.record_postmortem(ctx.workspace(), incident_id, whys=whys,
                                               contributing_factors=contributing_factors, impact=impact,
                                               remediation=remediation, follow_ups=follow_ups, lessons=lessons,
                                               force=force, caused_by=caused_by)

    return record_postmortem


# Each tool, in listing order, with its annotations; a factory gives it the context it reads the workspace through.
_TOOLS: tuple[tuple[Callable[[ServerContext], Callable[..., Any]], ToolAnnotations], ...] = (
    (_classify_severity, READ),
    (_get_incident, READ),
    (_list_incidents, READ),
    (_draft_communication, READ),
    (_open_incident, APPEND),
    (_update_incident, APPEND),
    (_record_postmortem, REPLACE),
)


def register(server: MCPServer, ctx: ServerContext) -> None:
    """Register the incident tools (only the read-only ones when the server is read-only)."""
    for make_tool, notes in _TOOLS:
        server.tool(annotations=notes)(make_tool(ctx))
