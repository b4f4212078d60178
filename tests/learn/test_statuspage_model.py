"""The status page's model: uptime figures by hand, statuses, what is published and under which name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from incident_mcp.config import load_config
from incident_mcp.frontmatter.partial import read_fields
from incident_mcp.statuspage import Site, SourceRecord, build_site, source
from incident_mcp.statuspage.source import load_records
from incident_mcp.uptime import Span
from incident_mcp.workspace import Workspace
from tests.support.statuspage_fixtures import CONFIG, NOW, RECORDS, make_workspace, record_meta

WINDOW_90 = 89.5 * 1440  # 2026-01-01 00:00 → 2026-03-31 12:00
WINDOW_30 = 29.5 * 1440  # 2026-03-02 00:00 → now
WINDOW_7 = 6.5 * 1440  # 2026-03-25 00:00 → now


def site_for(root: Path, records: list[dict[str, object]] | None = None, now: dt.datetime = NOW,
             config: dict[str, object] | None = None, **watch: object) -> Site:
    ws = Workspace.at(make_workspace(root, records, config))
    loaded, skipped = load_records(ws)
    assert skipped == []
    return build_site(load_config(ws.config_path).config, loaded, now, **watch)  # type: ignore[arg-type]


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return site_for(tmp_path / "ws")


def figures(site: Site, component: str) -> dict[int, float | None]:
    found = next(c for c in site.components if c.id == component)
    return {f.days: f.ratio for f in found.uptime}


def test_uptime_of_each_window_matches_the_hand_computation(site: Site) -> None:
    api = figures(site, "api")
    # P0 60 min major (INC-001); P1 120 min partial (INC-002) + the open P1 since 11:00 (60 min)
    assert api[90] == pytest.approx(1 - (60 + 0.3 * 180) / WINDOW_90)
    assert api[30] == pytest.approx(1 - (60 + 0.3 * 180) / WINDOW_30)
    assert api[7] == pytest.approx(1 - (0.3 * 60) / WINDOW_7)
    web = figures(site, "web")
    # P0 across the 90-day edge: 120 of 180 min inside; P1 120 (INC-002) + P1 across the 7-day edge 60; P2 is up
    assert web[90] == pytest.approx(1 - (120 + 0.3 * (120 + 60)) / WINDOW_90)
    assert web[30] == pytest.approx(1 - (0.3 * (120 + 60)) / WINDOW_30)
    assert web[7] == pytest.approx(1 - (0.3 * 30) / WINDOW_7)
    assert figures(site, "docs") == {90: 1.0, 30: 1.0, 7: 1.0}  # P3 is degraded, not down


def test_the_percent_shown_is_the_formula_rounded_down(site: Site) -> None:
    api = next(c for c in site.components if c.id == "api")
    assert [f.percent for f in api.uptime] == ["99.91%", "99.73%", "99.80%"]


def test_hidden_services_are_not_components_and_display_names_are_used(site: Site) -> None:
    assert [(c.id, c.name) for c in site.components] == [("api", "Acme API"), ("web", "Web app"), ("docs", "docs")]


def test_an_open_incident_sets_its_components_status_and_the_overall_indicator(site: Site) -> None:
    statuses = {c.id: c.status for c in site.components}
    assert statuses == {"api": "partial_outage", "web": "operational", "docs": "operational"}
    assert (site.indicator, site.description) == ("major", "Partial System Outage")
    assert [i.id for i in site.open_incidents] == ["INC-007"]


def test_duplicates_and_incidents_of_hidden_services_are_not_published(site: Site) -> None:
    ids = [i.id for i in site.incidents]
    assert "INC-008" not in ids and "INC-009" not in ids
    assert ids == ["INC-007", "INC-004", "INC-003", "INC-006", "INC-002", "INC-001", "INC-005"]


def test_a_duplicate_counts_for_no_uptime(tmp_path: Path) -> None:
    only_dup = [record_meta(1, "dup", "P0", ["api"], "2026-03-31T00:00", "2026-03-31T06:00", closed_as="duplicate"),
                record_meta(2, "real", "P3", ["docs"], "2026-03-01T00:00", "2026-03-01T01:00")]
    site = site_for(tmp_path / "ws", only_dup)
    assert figures(site, "api")[7] == 1.0


def test_incident_names_are_the_public_title_or_a_generic_one_never_the_record_title(site: Site) -> None:
    names = {i.id: i.name for i in site.incidents}
    assert names["INC-007"] == "Elevated API errors"
    assert names["INC-001"] == "Major outage: Acme API"
    assert names["INC-002"] == "Partial outage: Acme API and Web app"
    assert names["INC-003"] == "Degraded performance: Web app"
    assert not any("db pool" in name or "dup" in name for name in names.values())


def test_updates_are_the_communication_events_newest_first_with_the_state_at_their_time(site: Site) -> None:
    first = next(i for i in site.incidents if i.id == "INC-001")
    assert [(u.body, u.status) for u in first.updates] == [
        ("The API is back to normal.", "resolved"), ("We are investigating errors on the API.", "investigating")]
    assert first.updates[0].id == "INC-001-20260310T110100Z"
    assert next(i for i in site.incidents if i.id == "INC-003").updates == ()


def test_past_incidents_are_the_resolved_ones_of_the_last_90_days(site: Site) -> None:
    assert [i.id for i in site.past_incidents] == ["INC-004", "INC-003", "INC-006", "INC-002", "INC-001", "INC-005"]


def test_an_old_incident_leaves_the_past_list_but_keeps_its_page(tmp_path: Path) -> None:
    site = site_for(tmp_path / "ws", now=NOW + dt.timedelta(days=80))
    assert [i.id for i in site.past_incidents] == ["INC-004", "INC-003", "INC-006"]
    assert "incidents/INC-001.html" in [i.page for i in site.incidents]


def test_days_before_the_first_record_are_no_data_and_never_green(tmp_path: Path) -> None:
    records = [record_meta(1, "x", "P1", ["api"], "2026-03-30T10:00", "2026-03-30T11:00")]
    site = site_for(tmp_path / "ws", records)
    api = next(c for c in site.components if c.id == "api")
    levels = [bar.level for bar in api.bars]
    assert levels[:88] == ["no_data"] * 88
    assert levels[88:] == ["partial_outage", "operational"]
    assert api.bars[0].text.endswith("no data")
    assert api.uptime[0].window_minutes == 1.5 * 1440  # counted from the first record's day


def test_without_records_or_watch_history_everything_is_no_data(tmp_path: Path) -> None:
    site = site_for(tmp_path / "ws", [])
    assert all(bar.level == "no_data" for c in site.components for bar in c.bars)
    assert {f.percent for c in site.components for f in c.uptime} == {"no data"}
    assert site.description == "All Systems Operational"


def test_watch_spans_merge_with_incidents_without_double_counting(tmp_path: Path) -> None:
    at = dt.datetime(2026, 3, 10, 10, 30, tzinfo=dt.UTC)
    observed = {"api": [Span(at, at + dt.timedelta(hours=1), "major_outage", source="watch")]}
    site = site_for(tmp_path / "ws", observed=observed)
    # INC-001 10:00–11:00 and the watch 10:30–11:30: 90 major minutes, not 120
    assert figures(site, "api")[90] == pytest.approx(1 - (90 + 0.3 * 180) / WINDOW_90)


def test_watch_history_moves_the_first_data_earlier_and_a_current_outage_shows(tmp_path: Path) -> None:
    start = NOW - dt.timedelta(minutes=10)
    observed = {"docs": [Span(start, NOW, "major_outage", source="watch")]}
    site = site_for(tmp_path / "ws", [], observed=observed,
                    data_from={"docs": dt.datetime(2026, 3, 1, tzinfo=dt.UTC)})
    docs = next(c for c in site.components if c.id == "docs")
    assert docs.status == "major_outage" and site.indicator == "critical"
    assert docs.uptime[1].ratio == pytest.approx(1 - 10 / (29.5 * 1440))
    assert [b.level for b in docs.bars][-31:] == ["operational"] * 30 + ["major_outage"]
    assert all(b.level == "no_data" for c in site.components if c.id != "docs" for b in c.bars)


def test_maintenance_shows_as_scheduled_then_in_progress_and_counts_as_up(tmp_path: Path) -> None:
    site = site_for(tmp_path / "ws")
    assert [(m.name, m.status) for m in site.upcoming_maintenances] == [("Docs search index rebuild", "scheduled")]
    resolved_only = [r for r in RECORDS if r["resolved_at"]]
    during = site_for(tmp_path / "ws2", resolved_only, now=dt.datetime(2026, 4, 2, 2, 0, tzinfo=dt.UTC))
    docs = next(c for c in during.components if c.id == "docs")
    assert docs.status == "under_maintenance" and during.upcoming_maintenances[0].status == "in_progress"
    assert during.description == "Service Under Maintenance" and during.indicator == "none"
    assert docs.bars[-1].level == "under_maintenance" and docs.uptime[2].ratio == 1.0


def test_maintenance_of_hidden_services_only_is_not_shown(tmp_path: Path) -> None:
    config = {**CONFIG, "incident_response": {**CONFIG["incident_response"], "maintenance": [
        {"services": ["billing-worker"], "start": "2026-04-02T01:00:00Z", "end": "2026-04-02T03:00:00Z",
         "reason": "secret worker move"}]}}
    assert site_for(tmp_path / "ws", config=config).maintenances == ()


def test_the_model_is_a_pure_function_of_its_inputs(tmp_path: Path) -> None:
    ws = Workspace.at(make_workspace(tmp_path / "ws"))
    records, _ = load_records(ws)
    config = load_config(ws.config_path).config
    assert build_site(config, records, NOW) == build_site(config, list(records), NOW)
    assert isinstance(records[0], SourceRecord) and len(records) == len(RECORDS)


def test_a_second_read_comes_from_the_cache_and_a_changed_record_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace.at(make_workspace(tmp_path / "ws"))
    first, _ = load_records(ws)
    assert (ws.root / ".incident-mcp" / "statuspage-records.json").is_file()
    parsed: list[str] = []

    def counting(text: str, keys: Iterable[str]) -> dict[str, Any] | None:
        parsed.append(text[:20])
        return read_fields(text, keys)

    monkeypatch.setattr(source, "read_fields", counting)
    again, _ = load_records(ws)
    assert parsed == [] and [r.record for r in again] == [r.record for r in first]
    path = next((ws.root / "artifacts" / "decision-memos").glob("INC-003-*.md"))
    path.write_text(path.read_text().replace("severity: P2", "severity: P1"))
    changed, _ = load_records(ws)
    assert len(parsed) == 1 and next(r for r in changed if r.record.id == "INC-003").record.severity == "P1"


def test_a_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    ws = Workspace.at(make_workspace(tmp_path / "ws"))
    expected, _ = load_records(ws, cache=False)
    (ws.root / ".incident-mcp").mkdir(exist_ok=True)
    (ws.root / ".incident-mcp" / "statuspage-records.json").write_text('{"version": 1, "records": {"INC-001-incide')
    records, skipped = load_records(ws)
    assert skipped == [] and [r.record for r in records] == [r.record for r in expected]


def test_an_update_posted_in_the_same_second_as_the_resolution_says_resolved(tmp_path: Path) -> None:
    record = record_meta(1, "x", "P1", ["api"], "2026-03-30T10:00", "2026-03-30T11:00",
                         updates=[("2026-03-30T10:05", "Looking."), ("2026-03-30T11:00", "Fixed.")])
    site = site_for(tmp_path / "ws", [record])
    assert [(u.body, u.status) for u in site.incidents[0].updates] == [("Fixed.", "resolved"),
                                                                        ("Looking.", "investigating")]


def test_a_build_as_of_an_earlier_time_leaves_out_what_had_not_happened_yet(tmp_path: Path) -> None:
    site = site_for(tmp_path / "ws", now=dt.datetime(2026, 3, 31, 10, 0, tzinfo=dt.UTC))
    assert "INC-007" not in [i.id for i in site.incidents]
    assert {c.id: c.status for c in site.components}["api"] == "operational"
    assert site.description == "All Systems Operational"
