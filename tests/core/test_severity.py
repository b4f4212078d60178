"""Severity table as data and the classification rules (pure: no files)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from incident_mcp.severity import (
    LEVELS,
    ImpactSignals,
    acknowledge_due,
    add_business_hours,
    classify,
    describe,
    higher,
    level,
    step_due,
)

UTC = dt.UTC


def test_the_table_has_the_spec_targets_for_every_level() -> None:
    assert [LEVELS[k].resolution_target for k in ("P0", "P1", "P2", "P3")] == [
        dt.timedelta(hours=1), dt.timedelta(hours=4), dt.timedelta(hours=24), dt.timedelta(weeks=1)]
    assert LEVELS["P0"].update_every == dt.timedelta(minutes=30)
    assert LEVELS["P1"].update_every == dt.timedelta(hours=2)
    assert LEVELS["P0"].acknowledge_within == dt.timedelta(minutes=5)
    assert LEVELS["P1"].acknowledge_within == dt.timedelta(minutes=30)
    assert LEVELS["P2"].acknowledge_within == dt.timedelta(hours=4) and LEVELS["P2"].acknowledge_in_business_hours
    assert LEVELS["P3"].acknowledge_within is None
    assert LEVELS["P0"].first_communication_within == dt.timedelta(minutes=15)
    assert LEVELS["P1"].first_communication_within == dt.timedelta(hours=1)
    for row in LEVELS.values():
        assert row.description and len(row.examples) == 3 and row.triage and row.response_time


def test_no_triage_step_tells_a_solo_founder_to_escalate_to_someone() -> None:
    text = " ".join(step.text for row in LEVELS.values() for step in row.triage).lower()
    text += " ".join(row.response_time for row in LEVELS.values()).lower()
    for phrase in ("team lead", "on-call engineer", "manager", "all hands", "escalate"):
        assert phrase not in text


def test_level_accepts_lower_case_and_rejects_unknown_levels() -> None:
    assert level("p2").level == "P2"
    with pytest.raises(ValueError, match="P0, P1, P2, P3"):
        level("P5")


def test_higher_picks_the_more_severe_level() -> None:
    assert higher("P2", "P1") == "P1"
    assert higher("P0", "P3") == "P0"


@pytest.mark.parametrize(("signals", "expected", "rule"), [
    ({"security_breach": True}, "P0", "security-breach"),
    ({"data_loss": True}, "P0", "data-loss"),
    ({"outage": True}, "P0", "complete-outage"),
    ({"core_flows_broken": ["auth"], "users_affected": "all"}, "P0", "auth-broken-for-everyone"),
    ({"core_flows_broken": ["auth"], "users_affected": "some"}, "P1", "core-flow-broken"),
    ({"core_flows_broken": ["payments"]}, "P1", "core-flow-broken"),
    ({"core_flows_broken": ["signup"], "users_affected": "few"}, "P1", "core-flow-broken"),
    ({"latency_ms": 12_000}, "P1", "severe-latency"),
    ({"data_integrity_risk": True}, "P1", "data-integrity-risk"),
    ({"feature_broken": "major"}, "P1", "major-feature-broken"),
    ({"feature_broken": "minor", "workaround_available": True}, "P2", "minor-feature-broken"),
    ({"latency_ms": 4_000}, "P2", "slow"),
    ({"status_rollup": "degraded", "users_affected": "few"}, "P2", "status-check-degraded"),
    ({"status_rollup": "degraded", "users_affected": "all"}, "P1", "status-check-degraded-broadly"),
    ({"status_rollup": "down"}, "P0", "status-check-down"),
    ({"status_rollup": "down", "users_affected": "some"}, "P1", "status-check-down-partial"),
    ({"status_rollup": "major_outage"}, "P0", "status-check-down"),
    ({"status_rollup": "partial_outage"}, "P1", "status-check-partial-outage"),
    ({"status_rollup": "operational"}, "P2", "no-clear-signal"),
    ({"cosmetic_only": True}, "P3", "cosmetic"),
])
def test_each_signal_maps_to_its_level_from_the_spec_table(signals: dict[str, object], expected: str,
                                                          rule: str) -> None:
    result = classify(ImpactSignals.model_validate(signals))
    assert (result.severity, result.rule) == (expected, rule)
    assert result.label.startswith(expected)


def test_when_signals_disagree_the_higher_level_wins_and_the_reason_says_so() -> None:
    result = classify(ImpactSignals(core_flows_broken=["payments"], workaround_available=True))
    assert result.severity == "P1"
    assert {m.level for m in result.matched} == {"P1", "P2"}
    assert "also matched workaround-available (P2); the highest matching level wins (P1)" in result.reason


def test_a_reason_speaks_of_doubt_only_when_the_caller_was_unsure() -> None:
    agreeing = classify(ImpactSignals(core_flows_broken=["auth"], users_affected="all", status_rollup="major_outage"))
    assert agreeing.severity == "P0" and "unsure" not in agreeing.reason
    doubtful = classify(ImpactSignals(users_affected="some", unsure_between=["P1", "P2"]))
    assert doubtful.severity == "P1" and "unsure between P1, P2" in doubtful.reason


def test_cosmetic_with_data_loss_is_not_cosmetic() -> None:
    assert classify(ImpactSignals(cosmetic_only=True, data_loss=True)).severity == "P0"


def test_being_unsure_between_two_levels_picks_the_higher() -> None:
    result = classify(ImpactSignals(cosmetic_only=True, unsure_between=["P3", "P2"]))
    assert result.severity == "P2"
    assert result.rule == "unsure-between-levels"
    assert "choose the higher" in result.reason


def test_no_signal_at_all_is_p2_never_cosmetic() -> None:
    result = classify(ImpactSignals())
    assert (result.severity, result.rule) == ("P2", "no-clear-signal")


def test_a_classification_carries_the_targets_of_its_level() -> None:
    result = classify(ImpactSignals(outage=True))
    assert result.resolution_target == "1 hour"
    assert result.acknowledge_within == "5 minutes"
    assert result.first_communication_within == "15 minutes"
    assert result.update_every == "30 minutes"
    assert result.triage[0].startswith("Acknowledge")
    p2 = classify(ImpactSignals(feature_broken="minor"))
    assert p2.acknowledge_within == "4 hours (business hours)"
    assert p2.first_communication_within is None


def test_unknown_signals_are_refused() -> None:
    with pytest.raises(ValueError):
        ImpactSignals.model_validate({"users_affected": "everyone"})
    with pytest.raises(ValueError):
        ImpactSignals.model_validate({"latency": 3})


def test_describe_picks_the_largest_whole_unit() -> None:
    assert describe(dt.timedelta(minutes=90)) == "90 minutes"
    assert describe(dt.timedelta(hours=2)) == "2 hours"
    assert describe(dt.timedelta(days=7)) == "1 week"
    assert describe(None) is None


def test_business_hours_within_one_working_day() -> None:
    tuesday_10 = dt.datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert add_business_hours(tuesday_10, dt.timedelta(hours=4), UTC) == dt.datetime(2026, 3, 3, 14, 0, tzinfo=UTC)


def test_business_hours_carry_over_the_night() -> None:
    tuesday_15 = dt.datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    assert add_business_hours(tuesday_15, dt.timedelta(hours=4), UTC) == dt.datetime(2026, 3, 4, 11, 0, tzinfo=UTC)


def test_business_hours_skip_the_weekend() -> None:
    saturday_2am = dt.datetime(2026, 3, 7, 2, 0, tzinfo=UTC)
    assert add_business_hours(saturday_2am, dt.timedelta(hours=4), UTC) == dt.datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    friday_16 = dt.datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    assert add_business_hours(friday_16, dt.timedelta(hours=4), UTC) == dt.datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def test_business_hours_follow_the_configured_timezone() -> None:
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    # 07:00 UTC on a Tuesday in March is 08:00 in Paris: the clock starts at 09:00 Paris (08:00 UTC).
    start = dt.datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
    assert add_business_hours(start, dt.timedelta(hours=4), paris) == dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def test_business_hours_refuse_a_naive_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_hours(dt.datetime(2026, 3, 3, 7, 0), dt.timedelta(hours=1), UTC)


def test_acknowledge_due_per_level() -> None:
    detected = dt.datetime(2026, 3, 7, 2, 0, tzinfo=UTC)  # a Saturday night
    assert acknowledge_due("P0", detected) == detected + dt.timedelta(minutes=5)
    assert acknowledge_due("P1", detected) == detected + dt.timedelta(minutes=30)
    assert acknowledge_due("P2", detected) == dt.datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert acknowledge_due("P3", detected) is None


def test_triage_steps_with_a_time_are_due_from_detection() -> None:
    detected = dt.datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    dues = [step_due(step, detected) for step in LEVELS["P0"].triage]
    assert dues[0] == detected + dt.timedelta(minutes=5)
    assert dues[6] == detected + dt.timedelta(minutes=15)
    assert dues[1] is None
