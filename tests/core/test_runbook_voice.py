"""The solo-founder voice rule: ops standards never talk as if a team stood behind the reader."""

from __future__ import annotations

import pytest

from incident_mcp.runbook import solo_voice_problems


@pytest.mark.parametrize("text", [
    "If it persists, escalate to the team lead.",
    "Escalate to your manager",
    "escalate this to the on-call engineer",
    "Page the on-call engineer immediately.",
    "Notify your manager within 15 minutes.",
    "Ask your team lead before rolling back.",
    "The incident commander decides.",
    "Hand it to the SRE team.",
    "Tell your boss.",
    "Response: immediate, all hands",
    "Join the war room.",
    "Check the on-call rotation.",
    "ESCALATE TO THE TECH LEAD",
])
def test_team_language_is_found_with_its_line(text: str) -> None:
    problems = solo_voice_problems(f"# Runbook\n\nfine line\n{text}\n")
    assert problems, text
    assert all(line == 4 for line, _phrase in problems)
    assert problems[0][1].lower() in text.lower()


@pytest.mark.parametrize("text", [
    "You are always on call.",
    "Store the token in AWS Secrets Manager.",
    "Install it with your package manager.",
    "Your hosting provider's support channel is your first escalation.",
    "Open a ticket with Vercel support.",
    "Route alerts to PagerDuty so the app wakes you.",
    "Use a password manager for the admin keys.",
    "We will review this incident to understand root causes.",
    "Your assistant's open_incident tool opens a record.",
    "Ops & Risk Agent",
])
def test_ordinary_solo_language_is_not_flagged(text: str) -> None:
    assert solo_voice_problems(text) == []


def test_every_occurrence_is_reported_in_line_order() -> None:
    text = "escalate to the team lead\nok\npage the on-call engineer and notify your manager\n"
    problems = solo_voice_problems(text)
    assert problems == [(1, "escalate to the team lead"), (3, "page the on-call engineer"), (3, "notify your manager")]


def test_text_whose_case_folding_changes_length_is_still_checked() -> None:
    text = "İstanbul office\nok\nthen escalate to the team lead\n"
    assert solo_voice_problems(text) == [(3, "escalate to the team lead")]


def test_a_phrase_wrapped_over_two_lines_is_reported_where_it_starts() -> None:
    assert solo_voice_problems("first\nplease escalate to the\nteam lead now\n") == [(2, "escalate to the team lead")]
