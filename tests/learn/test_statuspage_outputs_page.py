"""The built site's files: statuspage-shaped JSON, badges, feeds a real parser reads, an accessible page
with WCAG AA contrast."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest

from tests.learn.statuspage_helpers import Outline, build
from tests.support.checkout import FIXTURES
from tests.support.statuspage_fixtures import NOW

SCHEMAS = json.loads((FIXTURES / "statuspage" / "schemas.json").read_text())


def validate(data: Any, shape: str) -> None:
    jsonschema.validate(data, {**SCHEMAS, "$ref": f"#/$defs/{shape}"})


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("site") / "ws")


# ---- shapes ------------------------------------------------------------------------------------------------


def test_every_api_file_matches_the_statuspage_shape(site: Path) -> None:
    for name in ("summary.json", "status.json", "components.json", "incidents.json"):
        validate(json.loads((site / "api" / "v2" / name).read_text()), name)
    validate(json.loads((site / "api/v2/incidents/unresolved.json").read_text()), "incidents.json")
    for name in ("scheduled-maintenances.json", "scheduled-maintenances/upcoming.json",
                 "scheduled-maintenances/active.json"):
        validate(json.loads((site / "api/v2" / name).read_text()), "scheduled-maintenances.json")


def test_the_summary_says_what_the_page_says(site: Path) -> None:
    summary = json.loads((site / "api/v2/summary.json").read_text())
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert [(c["id"], c["name"], c["status"]) for c in summary["components"]] == [
        ("api", "Acme API", "partial_outage"), ("web", "Web app", "operational"), ("docs", "docs", "operational")]
    assert [i["id"] for i in summary["incidents"]] == ["INC-007"]
    assert summary["incidents"][0]["impact"] == "major"
    assert summary["incidents"][0]["shortlink"] == "https://status.acme.example/incidents/INC-007.html"
    assert [m["status"] for m in summary["scheduled_maintenances"]] == ["scheduled"]
    impacts = {i["id"]: i["impact"] for i in json.loads((site / "api/v2/incidents.json").read_text())["incidents"]}
    assert impacts == {"INC-007": "major", "INC-004": "minor", "INC-003": "minor", "INC-006": "major",
                       "INC-002": "major", "INC-001": "critical", "INC-005": "critical"}


def test_a_badge_per_public_component_in_the_shields_endpoint_shape(site: Path) -> None:
    badges = sorted(p.name for p in (site / "badges").iterdir())
    assert badges == ["api.json", "docs.json", "web.json"]
    api = json.loads((site / "badges" / "api.json").read_text())
    validate(api, "badge")
    assert api == {"schemaVersion": 1, "label": "Acme API", "message": "99.91%", "color": "brightgreen",
                   "cacheSeconds": 300}
    for name in badges:
        validate(json.loads((site / "badges" / name).read_text()), "badge")


def test_the_feeds_parse_with_one_entry_per_public_update_and_stable_ids(site: Path, tmp_path: Path) -> None:
    atom = feedparser.parse((site / "feed.atom").read_bytes())
    rss = feedparser.parse((site / "feed.rss").read_bytes())
    for feed in (atom, rss):
        assert not feed.bozo, feed.get("bozo_exception")
        assert len(feed.entries) == 4  # INC-001 two, INC-002 one, INC-007 one
        assert feed.entries[0].title == "Elevated API errors — Investigating"
        assert feed.entries[0].link == "https://status.acme.example/incidents/INC-007.html"
    assert atom.version == "atom10" and rss.version == "rss20"
    assert atom.entries[0].id == "tag:status.acme.example,2026-03-31:INC-007/INC-007-20260331T110500Z"
    assert [e.id for e in atom.entries] == [e.id for e in rss.entries]
    later = build(tmp_path / "ws", now=NOW + dt.timedelta(days=3))
    assert [e.id for e in feedparser.parse((later / "feed.atom").read_bytes()).entries] == [e.id for e in atom.entries]


def test_the_page_advertises_its_feed_and_has_no_script_or_external_asset(site: Path) -> None:
    page = (site / "index.html").read_text()
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert "<script" not in page.lower() and " src=" not in page
    assert "http://" not in page and "https://" not in page  # no external fonts, styles or images
    assert "prefers-color-scheme: dark" in page and "uptime = 1 − (major_outage_minutes" in page


def test_the_page_is_structured_for_screen_readers(site: Path) -> None:
    outline = Outline()
    outline.feed((site / "index.html").read_text())
    assert outline.lang == "en"
    assert outline.headings.count("h1") == 1 and outline.headings[0] == "h1"
    assert len(outline.bars) == 3
    for bars in outline.bars:
        assert bars["role"] == "img" and "uptime over the last 90 days" in (bars["aria-label"] or "")
    assert len(outline.bar_days) == 3 * 90 and all(outline.bar_days)
    assert "10 Mar 2026: 95.83% uptime, 1 h major outage" in outline.bar_days


def contrast(one: str, two: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_meets_wcag_aa_contrast_in_light_and_dark(site: Path) -> None:
    page = (site / "index.html").read_text()
    blocks = re.findall(r":root \{([^}]*)\}", page)
    assert len(blocks) == 2, "one palette for light, one for dark"
    statuses = ("operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance")
    banner_text = dict(zip(("light", "dark"), ("#ffffff", "#0d1117"), strict=True))
    for scheme, block in zip(("light", "dark"), blocks, strict=True):
        colour = dict(re.findall(r"--([a-z_]+): (#[0-9a-f]{6})", block))
        pairs = [("fg", "bg"), ("muted", "bg"), ("muted", "card"), ("link", "bg"), ("link", "card"), ("fg", "card")]
        pairs += [(status, "bg") for status in statuses]
        for text, background in pairs:
            ratio = contrast(colour[text], colour[background])
            assert ratio >= 4.5, f"{scheme}: {text} on {background} is {ratio:.2f}:1"
        for status in statuses:  # the banner's text on its status colour
            ratio = contrast(banner_text[scheme], colour[status])
            assert ratio >= 4.5, f"{scheme}: banner text on {status} is {ratio:.2f}:1"
