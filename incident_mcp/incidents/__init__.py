"""Live incidents: open, update, next actions, communications, post-mortem — records in
``artifacts/decision-memos/INC-NNN-<slug>.md`` whose frontmatter is the source of truth.

Modules: ``record`` (models, paths, reading), ``times`` (timestamps), ``events`` (timeline replay), ``store``
(locked writes), ``document`` and ``mermaid`` (the Markdown body), ``lifecycle`` (open/update), ``allocation``
(INC-NNN ids), ``duplicates`` (refusing and closing duplicates), ``status_events`` (status checks on the
timeline), ``queries`` (get/list), ``next_actions``, ``comms``, ``postmortem``, ``rules`` (validation and the
review gate), ``settings``.
"""

from incident_mcp.incidents.comms import COMM_KINDS, Draft, draft_communication
from incident_mcp.incidents.lifecycle import OpenedIncident, UpdatedIncident, open_incident, update_incident
from incident_mcp.incidents.next_actions import NextAction, TriageItem, next_actions
from incident_mcp.incidents.postmortem import PostmortemResult, postmortem_missing, record_postmortem
from incident_mcp.incidents.postmortem_input import PostmortemFields, parse_postmortem_document, postmortem_fields
from incident_mcp.incidents.queries import IncidentList, IncidentSummary, IncidentView, get_incident, list_incidents
from incident_mcp.incidents.record import (
    ID_PATTERN,
    FollowUp,
    Impact,
    IncidentRecord,
    Lessons,
    Postmortem,
    RemediationAction,
    TimelineEvent,
    read_incident,
)
from incident_mcp.incidents.rules import incident_record_problems, incident_review_gate, is_incident_record
from incident_mcp.incidents.settings import IncidentSettings, load_settings
from incident_mcp.incidents.status_events import record_status_check

__all__ = [
    "COMM_KINDS",
    "ID_PATTERN",
    "Draft",
    "FollowUp",
    "Impact",
    "IncidentList",
    "IncidentRecord",
    "IncidentSettings",
    "IncidentSummary",
    "IncidentView",
    "Lessons",
    "NextAction",
    "OpenedIncident",
    "Postmortem",
    "PostmortemFields",
    "PostmortemResult",
    "RemediationAction",
    "TimelineEvent",
    "TriageItem",
    "UpdatedIncident",
    "draft_communication",
    "get_incident",
    "incident_record_problems",
    "incident_review_gate",
    "is_incident_record",
    "list_incidents",
    "load_settings",
    "next_actions",
    "open_incident",
    "parse_postmortem_document",
    "postmortem_fields",
    "postmortem_missing",
    "read_incident",
    "record_postmortem",
    "record_status_check",
    "update_incident",
]
