"""The watch's pure decision module, from tables: a sequence of rounds in, streaks and actions out."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from incident_mcp.config import WatchSettings
from incident_mcp.watch.decision import Observation, OpenIncident, WatchState, decide, severity_for
from incident_mcp.watch.state import dump_state, parse_state

T0 = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
SETTINGS = WatchSettings(open_after=3, recover_after=2, resolve_after_minutes=10)
CRITICAL = {"api": True, "web": True, "docs": False}


def run(rounds: list[str], settings: WatchSettings = SETTINGS, state: WatchState | None = None,
        open_incidents: tuple[OpenIncident, ...] = ()) -> tuple[WatchState, list[list[str]]]:
    """Each round is "api=down web=up" (m: maintenance); returns the final state and each round's action kinds."""
    state = state or WatchState()
    kinds: list[list[str]] = []
    humans = list(open_incidents)
    resolved: set[str] = set()
    for index, spec in enumerate(rounds):
        observations = []
        for part in spec.split():
            name, health = part.split("=")
            observations.append(Observation(service=name, health=health.rstrip("m"),  # type: ignore[arg-type]
                                            critical=CRITICAL[name], failure="HTTP 503",
                                            maintenance=health.endswith("m")))
        followed = state.incident
        on_disk = [i for i in humans if followed is None or i.id != followed.id]
        if followed is not None and not (followed.opened_by_watch and followed.id in resolved):
            on_disk.append(OpenIncident(followed.id, followed.services, followed.severity, followed.state,
                                        followed.opened_by_watch))
        decision = decide(state, observations, settings, T0 + dt.timedelta(minutes=index), on_disk)
        state = decision.state
        if state.incident is not None and not state.incident.id:  # the runner fills in the allocated id
            state = replace(state, incident=replace(state.incident, id="INC-001"))
        resolved.update(a.incident_id for a in decision.actions if a.kind == "resolved")
        kinds.append([a.kind for a in decision.actions])
    return state, kinds


@pytest.mark.parametrize(("rounds", "expected"), [
    (["api=down"], [[]]),
    (["api=down", "api=down"], [[], []]),
    (["api=down", "api=down", "api=down"], [[], [], ["opened"]]),
    (["api=down", "api=up", "api=down", "api=down"], [[], [], [], []]),
    (["api=down", "api=unknown", "api=down", "api=down"], [[], [], [], ["opened"]]),  # unknown: no count
    (["api=degraded"] * 5, [[]] * 5),
    (["api=downm"] * 5, [[]] * 5),
    (["api=downm", "api=down", "api=down"], [[], [], []]),
])
def test_only_consecutive_failed_rounds_open(rounds: list[str], expected: list[list[str]]) -> None:
    assert run(rounds)[1] == expected


def test_the_incident_is_dated_at_the_first_failed_round() -> None:
    state = WatchState()
    for minute in range(3):
        decision = decide(state, [Observation("api", "down", True, "HTTP 503")], SETTINGS,
                          T0 + dt.timedelta(minutes=minute))
        state = decision.state
    (action,) = decision.actions
    assert action.detected_at == T0
    assert action.title == "api down: HTTP 503"
    assert action.severity == "P0"


def test_recovery_then_resolution_after_the_quiet_period() -> None:
    rounds = ["api=down"] * 3 + ["api=up"] * 13
    _, kinds = run(rounds)
    flat = [(i, k) for i, ks in enumerate(kinds) for k in ks]
    # healthy from minute 3, recovered at minute 4 (2 rounds), resolved at minute 13 (10 minutes healthy)
    assert flat == [(2, "opened"), (4, "recovered"), (13, "resolved")]


def test_resolve_after_zero_resolves_in_the_recovery_round() -> None:
    _, kinds = run(["api=down"] * 3 + ["api=up"] * 2, WatchSettings(open_after=3, recover_after=2,
                                                                    resolve_after_minutes=0))
    assert kinds[-1] == ["recovered", "resolved"]


def test_auto_resolve_off_leaves_resolution_to_the_human() -> None:
    _, kinds = run(["api=down"] * 3 + ["api=up"] * 40, WatchSettings(auto_resolve=False, resolve_after_minutes=0))
    assert [k for ks in kinds for k in ks] == ["opened", "recovered"]


def test_a_second_service_joins_and_severity_rises() -> None:
    state, kinds = run(["docs=down web=up"] * 3 + ["docs=down web=down"] * 3)
    assert [k for ks in kinds for k in ks] == ["opened", "joined", "severity_changed"]
    assert state.incident is not None and state.incident.services == ("docs", "web")
    assert state.incident.severity == "P0"


def test_down_again_while_monitoring_is_a_relapse_on_the_same_incident() -> None:
    _, kinds = run(["api=down"] * 3 + ["api=up"] * 2 + ["api=down"] * 3)
    assert [k for ks in kinds for k in ks] == ["opened", "recovered", "relapsed"]


def test_an_open_incident_naming_the_service_is_joined_not_duplicated() -> None:
    human = OpenIncident(id="INC-007", services=("api",), severity="P1", state="investigating",
                         opened_by_watch=False)
    state, kinds = run(["api=down"] * 3 + ["api=up"] * 30, open_incidents=(human,))
    assert [k for ks in kinds for k in ks] == ["joined", "severity_changed", "recovered"]  # never resolved by us
    assert state.incident is not None and state.incident.id == "INC-007"


def test_an_incident_resolved_by_hand_is_let_go() -> None:
    state, _ = run(["api=down"] * 3)
    decision = decide(state, [Observation("api", "down", True)], SETTINGS, T0 + dt.timedelta(minutes=5), [])
    state, kinds = decision.state, [[a.kind for a in decision.actions]]  # INC-001 is no longer open
    assert state.incident is None and kinds == [[]]  # still down: no new incident without a new failure


@pytest.mark.parametrize(("down", "severity"), [(["api"], "P0"), (["docs"], "P1"), (["api", "docs"], "P0")])
def test_severity_comes_from_the_classification_rules(down: list[str], severity: str) -> None:
    assert severity_for(down, CRITICAL, 3) == severity


def test_the_state_file_round_trips_one_service_per_line() -> None:
    state, _ = run(["api=down web=up docs=degraded"] * 3)
    text = dump_state(state)
    assert parse_state(text) == state
    assert sum(1 for line in text.splitlines() if line.strip().startswith('"api"')) == 1


def test_a_service_removed_from_the_config_is_forgotten_and_does_not_hold_the_incident_open() -> None:
    state, kinds = run(["api=down docs=down"] * 3 + ["api=up"] * 2)
    assert [k for ks in kinds for k in ks] == ["opened", "recovered"]
    assert set(state.tracks) == {"api"}
