"""What an incident tells you: next actions, get/list, communication drafts and their settings."""

from __future__ import annotations

import datetime as dt

import pytest

from incident_mcp import incidents
from incident_mcp.config import CompanyConfig
from incident_mcp.errors import IncidentError
from incident_mcp.workspace import Workspace
from tests.incidents.incident_helpers import open_p0
from tests.support.incident_flow import at, stamp

# ---- next actions ---------------------------------------------------------------------------------------


def _actions(view: incidents.IncidentView) -> dict[str, incidents.NextAction]:
    return {a.key: a for a in view.next_actions}


def test_a_fresh_p0_says_no_status_check_yet_and_what_is_due(ws: Workspace) -> None:
    inc = open_p0(ws).id
    actions = _actions(incidents.get_incident(ws, inc, now=at(2)))
    assert actions["status_check"].status == "due"
    assert "No status check recorded yet" in actions["status_check"].detail
    assert (actions["acknowledge"].status, actions["acknowledge"].due_at) == ("due", stamp(5))
    assert (actions["first_communication"].due_at, actions["resolve"].due_at) == (stamp(15), stamp(60))


def test_missed_deadlines_are_overdue_relative_to_now(ws: Workspace) -> None:
    inc = open_p0(ws).id
    view = incidents.get_incident(ws, inc, now=at(20))
    assert set(view.overdue) == {"acknowledge", "status_check", "first_communication"}
    assert "overdue by 15 minutes" in _actions(view)["acknowledge"].detail


def test_the_next_update_is_due_one_cadence_after_the_last_communication(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="acknowledged", now=at(2))
    incidents.update_incident(ws, inc, event="status_check", overall="down", text="api down", now=at(3))
    incidents.update_incident(ws, inc, event="communication", channel="status_page", text="posted", now=at(10))
    incidents.update_incident(ws, inc, event="communication", channel="status_page", text="posted", now=at(35))
    actions = _actions(incidents.get_incident(ws, inc, now=at(50)))
    assert actions["next_update"].due_at == stamp(65) and actions["next_update"].status == "due"
    assert actions["first_communication"].done_at == stamp(10)
    assert actions["status_check"].status == "done"
    assert _actions(incidents.get_incident(ws, inc, now=at(66)))["next_update"].status == "overdue"


def test_after_resolution_the_target_is_met_or_missed_and_the_post_mortem_is_next(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="communication", text="posted", now=at(10))
    incidents.update_incident(ws, inc, event="resolved", now=at(75))
    view = incidents.get_incident(ws, inc, now=at(80))
    actions = _actions(view)
    assert "missed by 15 minutes" in actions["resolve"].detail
    assert actions["resolution_communication"].status == "due"
    assert actions["postmortem"].status == "due"
    assert "next_update" not in actions
    assert view.postmortem_missing


def test_a_p2_is_acknowledged_in_business_hours_in_the_configured_timezone(ws: Workspace) -> None:
    settings = incidents.IncidentSettings.from_config(CompanyConfig.model_validate(
        {"incident_response": {"timezone": "America/New_York"}}))
    saturday = "2026-03-07T12:00:00Z"
    opened = incidents.open_incident(ws, title="Export slow", severity="P2", detected_at=saturday,
                                     now=dt.datetime(2026, 3, 7, 12, 5, tzinfo=dt.UTC), settings=settings)
    # Saturday does not count; Monday 09:00 in New York (EDT since 8 March) is 13:00 UTC, plus 4 hours.
    ack = next(a for a in opened.next_actions if a.key == "acknowledge")
    assert ack.due_at == "2026-03-09T17:00:00Z"
    keys = {a.key for a in opened.next_actions}
    assert "communicate_workaround" in keys and "first_communication" not in keys


def test_steps_never_done_before_resolution_are_reported_as_missed(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="resolved", now=at(30))
    actions = _actions(incidents.get_incident(ws, inc, now=at(31)))
    assert actions["acknowledge"].status == "missed"
    assert actions["first_communication"].status == "missed"
    assert "status_check" not in actions
    assert actions["resolution_communication"].status == "due"


# ---- get / list ---------------------------------------------------------------------------------------------


def test_get_defaults_to_the_latest_open_incident(ws: Workspace) -> None:
    first = open_p0(ws, detected_at=stamp(0)).id
    second = open_p0(ws, detected_at=stamp(5), now=at(6)).id
    incidents.update_incident(ws, second, event="resolved", now=at(7))
    assert incidents.get_incident(ws, now=at(8)).id == first
    incidents.update_incident(ws, first, event="resolved", now=at(9))
    with pytest.raises(IncidentError, match="no open incident"):
        incidents.get_incident(ws, now=at(10))


def test_list_filters_by_state_severity_and_time_and_pages(ws: Workspace) -> None:
    ids = [open_p0(ws, severity=sev, detected_at=stamp(n), now=at(30)).id
           for n, sev in enumerate(["P0", "P1", "P2", "P1", "P3"])]
    incidents.update_incident(ws, ids[1], event="resolved", now=at(31))
    page = incidents.list_incidents(ws, limit=2)
    assert [i.id for i in page.incidents] == [ids[4], ids[3]] and page.total == 5 and page.next_offset == 2
    last = incidents.list_incidents(ws, limit=2, offset=4)
    assert [i.id for i in last.incidents] == [ids[0]] and last.next_offset is None
    assert [i.id for i in incidents.list_incidents(ws, severities=["p1"]).incidents] == [ids[3], ids[1]]
    assert [i.id for i in incidents.list_incidents(ws, states=["resolved"]).incidents] == [ids[1]]
    assert len(incidents.list_incidents(ws, states=["open"]).incidents) == 4
    window = incidents.list_incidents(ws, since=stamp(1), until=stamp(3))
    assert [i.id for i in window.incidents] == [ids[2], ids[1]]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"offset": -1}, "offset"),
    ({"states": ["closed"]}, "state filter"), ({"severities": ["P9"]}, "severity filter"),
    ({"since": "soon"}, "since/until"),
])
def test_list_refuses_bad_filters(ws: Workspace, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(IncidentError, match=message):
        incidents.list_incidents(ws, **kwargs)  # type: ignore[arg-type]


def test_list_skips_an_unreadable_record_and_says_why(ws: Workspace) -> None:
    open_p0(ws)
    bad = ws.root / "artifacts" / "decision-memos" / "INC-002-broken.md"
    bad.write_text("no frontmatter here\n", encoding="utf-8")
    page = incidents.list_incidents(ws)
    assert [i.id for i in page.incidents] == ["INC-001"]
    assert len(page.skipped) == 1 and "INC-002-broken.md" in page.skipped[0]


def test_temp_files_are_never_listed(ws: Workspace) -> None:
    open_p0(ws)
    folder = ws.root / "artifacts" / "decision-memos"
    (folder / ".INC-002-x.md.123.abcdef12.incident-mcp-tmp").write_text("partial", encoding="utf-8")
    assert incidents.list_incidents(ws).total == 1


# ---- communications --------------------------------------------------------------------------------------


def _settings(**support: object) -> incidents.IncidentSettings:
    return incidents.IncidentSettings.from_config(CompanyConfig.model_validate({
        "company": {"product": "Acme"},
        "support": support,
        "incident_response": {"status_page": {"url": "https://status.acme.test"}},
    }))


def test_a_status_page_update_is_filled_from_public_fields_only(ws: Workspace) -> None:
    inc = open_p0(ws, public_summary="Payments fail for all customers.").id
    draft = incidents.draft_communication(ws, "status_page", inc, now=at(10), settings=_settings())
    assert draft.text.splitlines() == [
        "Title: Acme - Investigating",
        "Impact: Payments fail for all customers.",
        "Current Status: We are aware of the issue and are investigating the cause.",
        "Next Update: We will provide an update by 02:40 UTC.",
        "Status page: https://status.acme.test",
    ]
    assert draft.placeholders == []


def test_unknown_values_stay_visible_placeholders(ws: Workspace) -> None:
    inc = incidents.open_incident(ws, title="Slow", severity="P1", detected_at=stamp(0), now=at(1),
                                  settings=incidents.IncidentSettings()).id
    draft = incidents.draft_communication(ws, "email", inc, now=at(5), settings=incidents.IncidentSettings())
    for placeholder in ("[Product Name]", "[What customers are experiencing]", "[support channel]"):
        assert placeholder in draft.text and placeholder in draft.placeholders


def test_the_resolved_email_speaks_in_the_past_with_duration_and_the_support_contact(ws: Workspace) -> None:
    inc = open_p0(ws, public_summary="Customers cannot pay.").id
    incidents.update_incident(ws, inc, event="mitigation", mitigation="rollback", text="Rolled back the deploy",
                              now=at(20))
    incidents.update_incident(ws, inc, event="resolved", now=at(45))
    settings = _settings(escalation_email="help@acme.test", channels=["chat"])
    draft = incidents.draft_communication(ws, "email", inc, now=at(50), settings=settings,
                                          public_message="Payments failed for about 45 minutes.")
    assert draft.subject == "Resolved: Acme service disruption - 2026-03-03"
    assert "Duration: 2026-03-03 02:00 UTC to 02:45 UTC" in draft.text
    assert "Current Status: Resolved" in draft.text
    assert "What you may have noticed: Payments failed for about 45 minutes." in draft.text
    assert "Rolled back" not in draft.text and "cannot pay" not in draft.text
    assert "contact help@acme.test." in draft.text
    assert _settings(channels=["chat", "email"]).support_contact == "chat, email"


def test_a_resolved_draft_does_not_reuse_the_present_tense_summary(ws: Workspace) -> None:
    inc = open_p0(ws, public_summary="All customers are locked out.").id
    incidents.update_incident(ws, inc, event="resolved", now=at(30))
    draft = incidents.draft_communication(ws, "status_page", inc, now=at(31), settings=_settings())
    assert "locked out" not in draft.text and "[What customers experienced]" in draft.placeholders
    assert any("past tense" in w for w in draft.warnings)


def test_times_are_in_the_company_timezone_with_utc_beside(ws: Workspace) -> None:
    settings = incidents.IncidentSettings.from_config(CompanyConfig.model_validate(
        {"company": {"product": "Acme"}, "incident_response": {"timezone": "Europe/Berlin"}}))
    inc = open_p0(ws, public_summary="Slow pages.").id
    draft = incidents.draft_communication(ws, "status_page", inc, now=at(10), settings=settings)
    assert "We will provide an update by 03:40 CET (02:40 UTC)." in draft.text


def test_the_post_mortem_invite_is_for_one_person_with_a_date_to_fill(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="resolved", now=at(95))
    draft = incidents.draft_communication(ws, "postmortem_invite", inc, now=at(100))
    assert draft.subject == "Post-mortem review: INC-001 - [date and time]"
    assert draft.placeholders == ["[date and time]"]
    assert "P0 (Critical), 1 hour 35 minutes" in draft.text
    assert "2. Root cause analysis (5 Whys)" in draft.text
    assert "team" not in draft.text.lower() and "attendees" not in draft.text.lower()


def test_a_resolved_status_page_update_is_the_final_one(ws: Workspace) -> None:
    inc = open_p0(ws).id
    incidents.update_incident(ws, inc, event="resolved", now=at(30))
    draft = incidents.draft_communication(ws, "status_page", inc, now=at(31), settings=_settings())
    assert draft.subject == "Acme - Resolved" and "final update" in draft.text


def test_hostile_public_text_cannot_add_lines_or_controls_to_a_message(ws: Workspace) -> None:
    inc = open_p0(ws, public_summary="Down\r\nBcc: victim@example.com\u202e\x1b[2J").id
    draft = incidents.draft_communication(ws, "email", inc, now=at(5))
    assert "\nBcc:" not in draft.text and "\x1b" not in draft.text and "\u202e" not in draft.text
    assert "\n" not in draft.subject


def test_draft_refuses_an_unknown_kind_or_phase(ws: Workspace) -> None:
    inc = open_p0(ws).id
    with pytest.raises(IncidentError, match="kind"):
        incidents.draft_communication(ws, "tweet", inc)
    with pytest.raises(IncidentError, match="phase"):
        incidents.draft_communication(ws, "status_page", inc, phase="panicking")


def test_the_author_defaults_to_the_ops_persona_of_the_config(ws: Workspace) -> None:
    settings = incidents.IncidentSettings.from_config(CompanyConfig.model_validate({"personas": {"ops_risk": "Ops"}}))
    opened = incidents.open_incident(ws, title="x", severity="P3", now=at(1), settings=settings)
    assert incidents.read_incident(ws, opened.id).record.author == "Ops"
    other = incidents.open_incident(ws, title="y", severity="P3", now=at(1), settings=incidents.IncidentSettings())
    assert incidents.read_incident(ws, other.id).record.author == "ops-risk-agent"


def test_settings_fall_back_to_utc_for_an_unknown_timezone() -> None:
    settings = incidents.IncidentSettings.from_config(CompanyConfig.model_validate(
        {"incident_response": {"timezone": "Mars/Olympus"}}))
    assert settings.timezone_name == "UTC" and "unknown timezone" in settings.warnings[0]


def test_a_workspace_without_a_config_uses_defaults(ws: Workspace) -> None:
    assert incidents.load_settings(ws) == incidents.IncidentSettings()
