"""``incident-mcp classify`` and ``incident-mcp incident open|update|show|list|comms|postmortem``.

Readable text by default, ``--json`` for the same data the MCP tools return. Text from records is
shown on one line with control characters made visible, so a hostile title cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from incident_mcp import changes, incidents
from incident_mcp.cli.common import add_workspace_option, paint, print_json, workspace_from
from incident_mcp.errors import IncidentError
from incident_mcp.frontmatter.reading import read_utf8
from incident_mcp.incidents.comms import COMM_KINDS
from incident_mcp.incidents.document import event_line, human_time
from incident_mcp.incidents.record import STATES, ClosedAs, MitigationKind, UpdateEventKind, validation_message
from incident_mcp.severity import (
    SEVERITIES,
    CoreFlow,
    FeatureBroken,
    ImpactSignals,
    StatusRollup,
    UsersAffected,
    classify,
)
from incident_mcp.terminal_text import one_line as plain

MAX_INPUT_BYTES = 5_000_000
_STATUS_MARK = {"done": ("✓", "green"), "due": ("·", "yellow"), "overdue": ("!", "red"), "missed": ("x", "red"),
                "optional": ("-", "dim")}


def _emit(args: argparse.Namespace, model: BaseModel, text: str) -> int:
    if args.json:
        print_json(model)
    else:
        print(text)
    return 0


def _common(parser: argparse.ArgumentParser, *, workspace: bool = True) -> None:
    if workspace:
        add_workspace_option(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def add_commands(sub: Any) -> None:
    """Register ``classify`` and ``incident``."""
    _add_classify(sub)
    incident = sub.add_parser("incident", help="open, update, show, list incidents; draft comms; post-mortem")
    isub = incident.add_subparsers(dest="incident_command", metavar="ACTION", required=True)
    for add in (_add_open, _add_update, _add_show, _add_list, _add_comms, _add_postmortem):
        add(isub)


def _add_classify(sub: Any) -> None:
    """``classify``: impact signals as flags."""
    p = sub.add_parser("classify", help="classify an incident P0–P3 from impact signals")
    p.add_argument("--users", choices=get_args(UsersAffected), default="unknown",
                   help="how many users are affected")
    p.add_argument("--outage", action="store_true", help="the product is completely unavailable")
    p.add_argument("--data-loss", action="store_true", help="data was lost or corrupted")
    p.add_argument("--integrity-risk", action="store_true", help="data may become inconsistent")
    p.add_argument("--security-breach", action="store_true", help="confirmed or suspected breach")
    p.add_argument("--core-flow", action="append", choices=get_args(CoreFlow), default=[],
                   help="a core flow that fails (repeatable)")
    p.add_argument("--feature", choices=get_args(FeatureBroken), default="none", help="a broken feature")
    p.add_argument("--workaround", choices=["yes", "no"], help="users can work around it")
    p.add_argument("--latency-ms", type=int, help="typical response time now, in ms")
    p.add_argument("--cosmetic", action="store_true", help="only looks wrong; nothing fails")
    p.add_argument("--status", choices=get_args(StatusRollup), help="overall status-check result")
    p.add_argument("--unsure", nargs="+", choices=SEVERITIES, default=[], help="levels you hesitate between")
    _common(p, workspace=False)
    p.set_defaults(func=_classify)


def _add_open(sub: Any) -> None:
    """``incident open``: title, severity and what the record starts with."""
    p = sub.add_parser("open", help="open an incident (allocates INC-NNN)")
    p.add_argument("--title", required=True, help="short title: what is broken")
    p.add_argument("--severity", required=True, type=str.upper, choices=SEVERITIES)
    p.add_argument("--summary", default="", help="one sentence of user-facing impact")
    p.add_argument("--service", action="append", default=[], help="affected service (repeatable)")
    p.add_argument("--detected", help="when it was detected, ISO 8601 (default now, UTC)")
    p.add_argument("--depends-on", action="append", default=[], help="related artifact id (repeatable)")
    p.add_argument("--author", help="who writes the record")
    p.add_argument("--tag", action="append", default=[], help="extra tag (repeatable)")
    p.add_argument("--public-summary", default="", help="customer-facing impact (used in drafts)")
    p.add_argument("--duplicate-of", metavar="INC-NNN", help="this report repeats that open incident: keep it "
                                                             "closed as its duplicate")
    p.add_argument("--force", action="store_true", help="open even though an open incident covers the same "
                                                        "service (a separate incident)")
    _common(p)
    p.set_defaults(func=_open)


def _add_update(sub: Any) -> None:
    """``incident update``: one event, state or severity change, and the fields that go with it."""
    p = sub.add_parser("update", help="add a timeline event, change state or severity")
    p.add_argument("incident_id", metavar="ID")
    p.add_argument("--event", choices=get_args(UpdateEventKind))
    p.add_argument("--text", default="", help="what happened")
    p.add_argument("--at", help="when, ISO 8601 (default now)")
    p.add_argument("--mitigation", choices=get_args(MitigationKind))
    p.add_argument("--channel", help="with --event communication: status_page, email, …")
    p.add_argument("--overall", choices=get_args(StatusRollup), help="with --event status_check")
    p.add_argument("--state", choices=STATES)
    p.add_argument("--severity", type=str.upper, choices=SEVERITIES)
    p.add_argument("--reason", default="", help="why the severity changed")
    p.add_argument("--service", action="append", default=[], help="add an affected service (repeatable)")
    p.add_argument("--public-summary", help="customer-facing impact (replaces the record's)")
    p.add_argument("--closed-as", choices=get_args(ClosedAs), help="close as not a real incident")
    p.add_argument("--duplicate-of", metavar="INC-NNN", help="with --closed-as duplicate")
    p.add_argument("--caused-by", help="the change that caused it: a deploy id or commit sha")
    p.add_argument("--force", action="store_true", help="regenerate blocks even if edited by hand")
    _common(p)
    p.set_defaults(func=_update)


def _add_show(sub: Any) -> None:
    """``incident show``: one incident (default: the latest open one)."""
    p = sub.add_parser("show", help="one incident with its next actions (default: the latest open one)")
    p.add_argument("incident_id", metavar="ID", nargs="?")
    _common(p)
    p.set_defaults(func=_show)


def _add_list(sub: Any) -> None:
    """``incident list``: filters and paging."""
    p = sub.add_parser("list", help="incidents, newest first")
    p.add_argument("--state", action="append", default=[], choices=["open", *STATES])
    p.add_argument("--severity", action="append", default=[], type=str.upper, choices=SEVERITIES)
    p.add_argument("--since", help="detected at or after (ISO 8601)")
    p.add_argument("--until", help="detected before (ISO 8601)")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--offset", type=int, default=0)
    _common(p)
    p.set_defaults(func=_list)


def _add_comms(sub: Any) -> None:
    """``incident comms``: which draft, for which incident and phase."""
    p = sub.add_parser("comms", help="draft a status-page update, user email or post-mortem invite")
    p.add_argument("kind", choices=COMM_KINDS)
    p.add_argument("incident_id", metavar="ID", nargs="?")
    p.add_argument("--phase", choices=STATES, help="status-page phase (default: the incident's state)")
    p.add_argument("--public-message", default="", help="customer-facing impact for this draft")
    _common(p)
    p.set_defaults(func=_comms)


def _add_postmortem(sub: Any) -> None:
    """``incident postmortem``: a document and/or flags for each section."""
    p = sub.add_parser("postmortem", help="fill or refine the post-mortem")
    p.add_argument("incident_id", metavar="ID")
    p.add_argument("--file", help="YAML or JSON with whys, contributing_factors, impact, remediation, follow_ups, "
                                  "lessons ('-' reads stdin); flags below override it")
    p.add_argument("--why", action="append", help="the next of the 5 Whys, in order (repeatable)")
    p.add_argument("--factor", action="append", help="a contributing factor (repeatable)")
    for name in ("users", "revenue", "data", "reputation"):
        p.add_argument(f"--impact-{name}", help=f"impact on {name}")
    p.add_argument("--action", nargs=4, action="append", metavar=("HORIZON", "ACTION", "OWNER", "DUE"),
                   help="remediation: immediate|short_term|long_term, text, owner, YYYY-MM-DD ('' if none)")
    p.add_argument("--follow-up", nargs=3, action="append", metavar=("ITEM", "OWNER", "DUE"),
                   help="a follow-up item")
    p.add_argument("--went-well")
    p.add_argument("--went-poorly")
    p.add_argument("--got-lucky")
    p.add_argument("--caused-by", help="the change that caused it: a deploy id or commit sha")
    p.add_argument("--force", action="store_true", help="regenerate blocks even if edited by hand")
    _common(p)
    p.set_defaults(func=_postmortem)


def _classify(args: argparse.Namespace) -> int:
    workaround = None if args.workaround is None else args.workaround == "yes"
    try:
        signals = ImpactSignals(
            users_affected=args.users, outage=args.outage, data_loss=args.data_loss,
            data_integrity_risk=args.integrity_risk, security_breach=args.security_breach,
            core_flows_broken=args.core_flow, feature_broken=args.feature, workaround_available=workaround,
            latency_ms=args.latency_ms, cosmetic_only=args.cosmetic, status_rollup=args.status,
            unsure_between=args.unsure)
    except ValidationError as err:
        raise IncidentError(validation_message(err)) from None
    result = classify(signals)
    lines = [paint(result.label, "bold") + f" — rule {result.rule}", f"Why: {result.reason}",
             f"Response: {result.response_time}; resolve within {result.resolution_target}"]
    if result.acknowledge_within:
        lines.append(f"Acknowledge within {result.acknowledge_within}")
    if result.first_communication_within:
        lines.append(f"First communication within {result.first_communication_within}")
    if result.update_every:
        lines.append(f"Updates every {result.update_every}")
    lines.append("Triage:")
    lines.extend(f"  {n}. {step}" for n, step in enumerate(result.triage, start=1))
    return _emit(args, result, "\n".join(lines))


def _actions_text(actions: list[incidents.NextAction]) -> list[str]:
    lines = []
    for action in actions:
        mark, colour = _STATUS_MARK[action.status]
        when = f" by {human_time(action.due_at)}" if action.due_at and action.status != "done" else ""
        lines.append(f"  {paint(mark + ' ' + action.status.ljust(8), colour)} {action.title}{when}")
        if action.detail:
            lines.append(f"             {plain(action.detail, 300)}")
    return lines


def _warnings(warnings: list[str]) -> None:
    for warning in warnings:
        print(f"incident-mcp: warning: {plain(warning, 500)}", file=sys.stderr)


def _open(args: argparse.Namespace) -> int:
    ws = workspace_from(args)
    opened = incidents.open_incident(
        ws, title=args.title, severity=args.severity, summary=args.summary, services=args.service,
        detected_at=args.detected, depends_on=args.depends_on, author=args.author, tags=args.tag,
        public_summary=args.public_summary, duplicate_of=args.duplicate_of, force=args.force)
    result = changes.note_recent_changes(ws, opened)
    _warnings(result.warnings)
    lines = [f"Opened {paint(result.id, 'bold')} ({result.severity_label}): {plain(result.title)}",
             f"File: {result.path}", f"Detected {human_time(result.detected_at)}; "
             f"resolve by {human_time(result.resolution_due_at)}", "Triage checklist:"]
    for n, item in enumerate(result.triage, start=1):
        due = f"  (due {human_time(item.due_at)})" if item.due_at else ""
        lines.append(f"  {n}. {item.step}{due}")
    if result.recent_changes:
        lines.append("Recent changes, most likely cause first:")
        lines.extend(f"  {n}. [{c.kind}] {c.id} {plain(c.what)} ({c.before} before): {plain(c.correlation)}"
                     for n, c in enumerate(result.recent_changes, start=1))
    if result.recent_changes_hint:
        lines.append(f"  ({result.recent_changes_hint})")
    return _emit(args, result, "\n".join(lines))


def _update(args: argparse.Namespace) -> int:
    result = incidents.update_incident(
        workspace_from(args), args.incident_id, event=args.event, text=args.text, at=args.at,
        mitigation=args.mitigation, channel=args.channel, overall=args.overall, state=args.state,
        severity=args.severity, reason=args.reason, services=args.service, public_summary=args.public_summary,
        closed_as=args.closed_as, duplicate_of=args.duplicate_of, caused_by=args.caused_by, force=args.force)
    _warnings(result.warnings)
    lines = [f"{result.id}: {result.state}, {result.severity}"]
    lines.extend(f"  + {event.at}  {plain(event_line(event))}" for event in result.added)
    lines.append("Next actions:")
    lines.extend(_actions_text(result.next_actions))
    return _emit(args, result, "\n".join(lines))


def _show(args: argparse.Namespace) -> int:
    ws = workspace_from(args)
    view = changes.changes_hint(ws, incidents.get_incident(ws, args.incident_id or None, timeline="all"))
    _warnings(view.warnings)
    if view.other_open:
        _warnings([f"{view.chosen}: {', '.join(view.other_open)}"])
    record = view.record
    lines = [f"{paint(view.id, 'bold')}  {view.severity_label}  {record.incident_state}  {plain(record.title)}",
             f"File: {view.path}",
             f"Detected {human_time(record.detected_at)}; duration {view.duration}",
             f"Services: {plain(', '.join(record.services)) or '-'}",
             "Next actions:", *_actions_text(view.next_actions), "Timeline:"]
    for event in record.timeline:
        lines.append(f"  {human_time(event.at)}  {plain(event_line(event))}")
    if view.recent_changes:
        lines.append(f"Recent changes: {view.recent_changes}")
    if view.postmortem_missing:
        lines.append("Post-mortem still missing:")
        lines.extend(f"  - {m}" for m in view.postmortem_missing)
    return _emit(args, view, "\n".join(lines))


def _list(args: argparse.Namespace) -> int:
    page = incidents.list_incidents(workspace_from(args), states=args.state, severities=args.severity,
                                    since=args.since, until=args.until, limit=args.limit, offset=args.offset)
    _warnings([f"skipped {s}" for s in page.skipped])
    lines = [f"{i.id}  {i.severity}  {i.state:<13} {human_time(i.detected_at)}  {plain(i.title, 80)}"
             for i in page.incidents]
    if not page.incidents:
        lines.append("No incidents match.")
    lines.append(f"{len(page.incidents)} of {page.total}"
                 + (f"; next page: --offset {page.next_offset}" if page.next_offset is not None else ""))
    return _emit(args, page, "\n".join(lines))


def _comms(args: argparse.Namespace) -> int:
    draft = incidents.draft_communication(workspace_from(args), args.kind, args.incident_id or None,
                                          phase=args.phase, public_message=args.public_message)
    _warnings(draft.warnings)
    if not args.json and draft.placeholders:
        print("incident-mcp: fill before sending: " + ", ".join(draft.placeholders), file=sys.stderr)
    if args.json:
        print_json(draft)
    else:
        sys.stdout.write(draft.text)
    return 0


def _read_input(source: str) -> dict[str, Any]:
    """The post-mortem document in a file, or on stdin for ``-``; it must be UTF-8 text."""
    text = _read_stdin() if source == "-" else _read_file(source)
    return incidents.parse_postmortem_document(text, source)


def _read_stdin() -> str:
    """Standard input as UTF-8 text, refused whole when it is larger than a file may be (never cut short)."""
    data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise IncidentError(f"stdin: larger than {MAX_INPUT_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise IncidentError("stdin is not UTF-8 text") from None


def _read_file(source: str) -> str:
    path = Path(source)
    try:
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise IncidentError(f"{source}: larger than {MAX_INPUT_BYTES:,} bytes")
        return read_utf8(path, lambda reason: IncidentError(f"{source}: {reason}"))
    except OSError as err:
        raise IncidentError(f"{source}: cannot read ({err})") from None


def _postmortem(args: argparse.Namespace) -> int:
    data = _read_input(args.file) if args.file else {}
    if args.why is not None:
        data["whys"] = args.why
    if args.factor is not None:
        data["contributing_factors"] = args.factor
    impact = {k: getattr(args, f"impact_{k}") for k in ("users", "revenue", "data", "reputation")
              if getattr(args, f"impact_{k}") is not None}
    if impact:
        data["impact"] = {**(data.get("impact") or {}), **impact}
    if args.action:
        data["remediation"] = [{"horizon": h, "action": a, "owner": o, "due": d} for h, a, o, d in args.action]
    if args.follow_up:
        data["follow_ups"] = [{"item": i, "owner": o, "due": d} for i, o, d in args.follow_up]
    lessons = {k: getattr(args, k) for k in ("went_well", "went_poorly", "got_lucky") if getattr(args, k) is not None}
    if lessons:
        data["lessons"] = {**(data.get("lessons") or {}), **lessons}
    fields = incidents.postmortem_fields(data)
    result = incidents.record_postmortem(
        workspace_from(args), args.incident_id, whys=fields.whys, contributing_factors=fields.contributing_factors,
        impact=fields.impact, remediation=fields.remediation, follow_ups=fields.follow_ups, lessons=fields.lessons,
        force=args.force, caused_by=args.caused_by)
    _warnings(result.warnings)
    lines = [f"{result.id}: post-mortem recorded in {result.path}"]
    if result.complete:
        lines.append("Complete: ready to promote to review.")
    else:
        lines.append("Still missing before review:")
        lines.extend(f"  - {m}" for m in result.missing)
    return _emit(args, result, "\n".join(lines))
