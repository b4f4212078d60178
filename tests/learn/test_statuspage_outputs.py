"""The built site: schemas, feeds a real parser reads, only public text, hostile text escaped, identical rebuilds,
the folder written at once, and the CLI and MCP adapters."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import markupsafe
import pytest
from mcp import Client

from incident_mcp.errors import TemplateError, WorkspaceError
from incident_mcp.server import build_server
from incident_mcp.statuspage import publish_status_page
from incident_mcp.statuspage.writer import MANIFEST
from incident_mcp.workspace import Workspace
from tests.support.checkout import FIXTURES
from tests.support.mcp_client import first_text
from tests.support.statuspage_fixtures import CONFIG, NOW, RECORDS, make_workspace, record_meta, ts

SCHEMAS = json.loads((FIXTURES / "statuspage" / "schemas.json").read_text())
RunCli = Callable[..., subprocess.CompletedProcess[str]]


def build(root: Path, records: list[dict[str, Any]] | None = None, config: dict[str, Any] | None = None,
          now: dt.datetime = NOW, out: Path | None = None) -> Path:
    ws = Workspace.at(make_workspace(root, records, config)) if not (root / "company.config.yaml").exists() \
        else Workspace.at(root)
    publish_status_page(ws, now=now, out=out)
    return out or root / "status-site"


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


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


class Outline(HTMLParser):
    """Collects what the accessibility checks need: lang, headings, bar text alternatives, visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.headings: list[str] = []
        self.bars: list[dict[str, str | None]] = []
        self.bar_days: list[str | None] = []
        self.text: list[str] = []
        self._in_style = False
        self._in_bars = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang") or ""
        if tag in ("h1", "h2", "h3"):
            self.headings.append(tag)
        if tag == "div" and found.get("class") == "bars":
            self.bars.append(found)
            self._in_bars = True
        if tag == "span" and self._in_bars:
            self.bar_days.append(found.get("title"))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False
        self._in_bars = self._in_bars and tag != "div"

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.text.append(data)


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


# ---- only public text --------------------------------------------------------------------------------------


def planted(field: str) -> str:
    return f"PLANTED{field.replace('_', '').replace('.', '')}X"


def planted_workspace(root: Path) -> Path:
    services = [{**s, "description": planted(f"desc{s['name']}")} for s in CONFIG["incident_response"]["services"]]
    services.append({"name": "plantedhiddensvc", "url": "https://h.internal.example/", "public": False,
                     "display_name": planted("hiddendisplay")})
    config = {**CONFIG, "incident_response": {
        **CONFIG["incident_response"], "services": services,
        "on_call": {"name": planted("oncall"), "email": "planted-oncall@example.com"},
        "support_contact": planted("support"), "deploy": {"app": planted("deployapp")},
        "maintenance": [*CONFIG["incident_response"]["maintenance"],
                        {"services": ["plantedhiddensvc"], "start": "2026-04-03T00:00:00Z",
                         "end": "2026-04-03T01:00:00Z", "reason": planted("hiddenmaintenance")}]}}
    start = "2026-03-28T10:00"
    kinds = ["acknowledged", "status_check", "root_cause", "mitigation", "note", "monitoring"]
    timeline: list[dict[str, Any]] = [{"at": ts(start), "kind": "detected", "text": planted("detected"),
                                       "severity": "P2"}]
    for minute, kind in enumerate(kinds, start=1):
        event: dict[str, Any] = {"at": ts(f"2026-03-28T10:{minute:02d}"), "kind": kind, "text": planted(kind)}
        if kind == "mitigation":
            event["mitigation"] = "rollback"
        if kind == "status_check":
            event["overall"] = "major_outage"
        timeline.append(event)
    timeline += [
        {"at": ts("2026-03-28T10:10"), "kind": "severity_change", "severity_from": "P2", "severity_to": "P1",
         "text": planted("severityreason")},
        {"at": ts("2026-03-28T10:11"), "kind": "state_change", "state": "identified", "text": planted("statetext")},
        {"at": ts("2026-03-28T10:12"), "kind": "communication", "text": "We are looking into slow pages.",
         "channel": planted("channel")},
        {"at": ts("2026-03-28T11:00"), "kind": "resolved", "text": planted("resolvedtext")},
    ]
    postmortem = {
        "whys": [planted(f"why{n}") for n in range(5)], "contributing_factors": [planted("factor")],
        "impact": {k: planted(f"impact{k}") for k in ("users", "revenue", "data", "reputation")},
        "remediation": [{"horizon": "short_term", "action": planted("action"), "owner": planted("owner"),
                         "due": "2026-04-10", "done": False}],
        "follow_ups": [{"item": planted("followup"), "owner": planted("fuowner"), "due": "", "status": "open"}],
        "lessons": {"went_well": planted("wentwell"), "went_poorly": planted("wentpoorly"),
                    "got_lucky": planted("gotlucky")},
    }
    secret = {**record_meta(20, planted("title"), "P1", ["web", "plantedhiddensvc"], start, "2026-03-28T11:00"),
              "timeline": timeline, "postmortem": postmortem, "summary": planted("summary"),
              "author": planted("author"), "tags": ["incident", planted("tag")], "opened_by": planted("openedby"),
              "caused_by": planted("causedby")}
    hidden_only = record_meta(21, planted("hiddentitle"), "P0", ["plantedhiddensvc"], start, "2026-03-28T12:00",
                              updates=[("2026-03-28T10:30", planted("hiddenupdate"))],
                              public_title=planted("hiddenpublictitle"))
    duplicate = record_meta(22, planted("duptitle"), "P0", ["api"], start, "2026-03-28T12:00",
                            updates=[("2026-03-28T10:30", planted("dupupdate"))], closed_as="duplicate",
                            public_title=planted("duppublictitle"), public_summary=planted("dupsummary"))
    false_alarm = record_meta(23, planted("falsetitle"), "P1", ["web"], start, "2026-03-28T10:20",
                              updates=[("2026-03-28T10:05", planted("falseupdate"))], closed_as="false_alarm")
    return make_workspace(root, [*RECORDS, secret, hidden_only, duplicate, false_alarm], config)


def test_no_internal_field_of_any_record_or_the_config_reaches_any_built_file(tmp_path: Path) -> None:
    root = planted_workspace(tmp_path / "ws")
    site = build(root)
    files = site_files(site)
    assert "incidents/INC-020.html" in files  # the mixed incident is published, under a generic name
    leaks = {name: data.decode()[max(0, data.find(b"PLANTED") - 60): data.find(b"PLANTED") + 60]
             for name, data in files.items() if b"PLANTED" in data or b"plantedhidden" in data}
    assert leaks == {}
    page = files["incidents/INC-020.html"].decode()
    assert "Partial outage: Web app" in page and "We are looking into slow pages." in page
    assert not any(name.startswith("incidents/INC-02") and name != "incidents/INC-020.html" for name in files)


# ---- hostile text ------------------------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script> ]]> &amp; \x01\x1b\x7f "q" \'s \u202eevil\u202c <!-- incident-mcp:begin a -->'


def test_hostile_titles_and_updates_are_escaped_in_html_xml_and_json(tmp_path: Path) -> None:
    config = {**CONFIG, "company": {"name": "<b>Acme</b> & Co"}, "incident_response": {
        **CONFIG["incident_response"], "services": [
            {"name": "api", "url": "https://api.acme.example/", "display_name": "<img src=x onerror=alert(1)>"}],
        "maintenance": []}}
    hostile = record_meta(1, "internal", "P0", ["api"], "2026-03-31T10:00", None,
                          updates=[("2026-03-31T10:05", HOSTILE + "\nsecond line\u2028third")],
                          public_title=HOSTILE, public_summary=HOSTILE)
    site = build(tmp_path / "ws", [hostile], config)
    files = site_files(site)
    cleaned = '<script>alert("x")</script> ]]> &amp; "q" \'s \u202eevil\u202c <!-- incident-mcp:begin a -->'
    for name, data in files.items():
        text = data.decode()
        assert not any(ch in text for ch in "\x01\x1b\x7f"), name
        if name.endswith(".html"):
            assert "<script" not in text and "<img" not in text and "<b>" not in text, name
    page = files["index.html"].decode()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; ]]&gt; &amp;amp;" in page
    # what a reader sees: the text as typed (a managed-block marker defused, as in every rendered document)
    visible = cleaned.replace("<!-- incident-mcp:", "&lt;!-- incident-mcp:")
    outline = Outline()
    outline.feed(page)
    assert visible in "".join(outline.text)
    assert f"<bdi>{markupsafe.escape(visible)}</bdi>" in page
    for feed_name in ("feed.atom", "feed.rss"):
        ET.fromstring(files[feed_name])  # well-formed XML
        parsed = feedparser.parse(files[feed_name])
        assert not parsed.bozo
        assert parsed.entries[0].title == cleaned + " — Investigating"
    incident = json.loads(files["api/v2/incidents.json"])["incidents"][0]
    assert incident["name"] == cleaned
    body = HOSTILE.translate({0x01: None, 0x1B: None, 0x7F: None})  # controls dropped, spacing kept in a body
    assert incident["incident_updates"][0]["body"] == body + "\nsecond line\nthird"
    assert json.loads(files["api/v2/components.json"])["components"][0]["name"] == "<img src=x onerror=alert(1)>"


# ---- identical rebuilds and the folder ---------------------------------------------------------------------


def test_two_builds_with_the_same_inputs_are_byte_identical(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    first = build(root, out=tmp_path / "one")
    second = build(root, out=tmp_path / "two")
    assert site_files(first) == site_files(second)
    again = publish_status_page(Workspace.at(root), now=NOW, out=first)
    assert again.changed == 0 and site_files(first) == site_files(second)


def test_a_rebuild_keeps_files_others_added_and_drops_pages_no_longer_published(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    site = build(root)
    (site / "CNAME").write_text("status.acme.example\n")
    (site / "extra").mkdir()
    (site / "extra" / "_headers").write_text("/*\n  X-Frame-Options: DENY\n")
    record = next((root / "artifacts" / "decision-memos").glob("INC-001-*.md"))
    record.write_text(record.read_text().replace("author: Sam", "author: Sam\nclosed_as: duplicate"))
    build(root)
    assert (site / "CNAME").read_text() == "status.acme.example\n"
    assert (site / "extra" / "_headers").is_file()
    assert not (site / "incidents" / "INC-001.html").exists() and (site / "incidents" / "INC-002.html").exists()
    assert "INC-001" not in (site / "feed.atom").read_text()
    assert not [p for p in site.parent.iterdir() if "incident-mcp-tmp" in p.name]


def test_a_folder_that_is_not_ours_is_refused_and_left_alone(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.html").write_text("mine")
    with pytest.raises(WorkspaceError, match="not empty and was not written by status-page build"):
        publish_status_page(Workspace.at(root), now=NOW, out=docs)
    assert (docs / "index.html").read_text() == "mine"
    with pytest.raises(WorkspaceError, match="it is the workspace or holds it"):
        publish_status_page(Workspace.at(root), now=NOW, out=root)


def test_the_configured_folder_cannot_leave_the_workspace(tmp_path: Path) -> None:
    config = {**CONFIG, "incident_response": {**CONFIG["incident_response"], "status_page": {"out": "../outside"}}}
    root = make_workspace(tmp_path / "ws", config=config)
    with pytest.raises(WorkspaceError, match=r"'\.\.'"):
        publish_status_page(Workspace.at(root), now=NOW)
    assert not (tmp_path / "outside").exists()


# ---- adapters ----------------------------------------------------------------------------------------------


def test_the_cli_builds_as_of_now_and_says_where_the_page_is(tmp_path: Path, run_cli: RunCli) -> None:
    root = make_workspace(tmp_path / "ws", config={**CONFIG, "incident_response": {
        **CONFIG["incident_response"], "status_page": {"out": "public/status"}}})
    done = run_cli("status-page", "build", "--workspace", str(root), "--now", "2026-03-31T12:00:00Z")
    assert done.returncode == 0, done.stderr
    assert "Partial System Outage" in done.stdout and str(root / "public/status/index.html") in done.stdout
    first = site_files(root / "public" / "status")
    again = run_cli("status-page", "build", "--workspace", str(root), "--now", "2026-03-31T12:00:00Z", "--json")
    assert json.loads(again.stdout)["changed"] == 0 and site_files(root / "public" / "status") == first
    out = run_cli("status-page", "build", "--workspace", str(root), "--now", "2026-03-31T12:00Z",
                  "--out", str(tmp_path / "elsewhere"))
    assert out.returncode == 0 and (tmp_path / "elsewhere" / "index.html").is_file()


def test_the_cli_refuses_a_bad_time_in_one_line(tmp_path: Path, run_cli: RunCli) -> None:
    root = make_workspace(tmp_path / "ws")
    done = run_cli("status-page", "build", "--workspace", str(root), "--now", "yesterday")
    assert done.returncode == 2 and "is not an ISO 8601 time" in done.stderr
    assert "Traceback" not in done.stderr


def call(server: Any, name: str, args: dict[str, Any]) -> Any:
    async def go() -> Any:
        async with Client(server) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            return tools.get(name), await client.call_tool(name, args) if name in tools else None

    return asyncio.run(go())


def test_the_mcp_tool_writes_the_site_and_answers_leanly(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    tool, result = call(build_server(str(root)), "publish_status_page", {})
    assert tool.annotations.read_only_hint is False and tool.annotations.idempotent_hint is True
    assert tool.annotations.destructive_hint is False
    data = result.structured_content
    assert data["out"] == "status-site" and data["index"] == "status-site/index.html"
    assert data["components"] == 3 and data["open_incidents"] == 1
    assert (root / "status-site" / "index.html").is_file()
    assert len(json.dumps(data)) < 1000 and "<html" not in json.dumps(data) and "skipped" not in data


def test_a_read_only_server_does_not_offer_the_tool(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    tool, _ = call(build_server(str(root), read_only=True), "publish_status_page", {})
    assert tool is None and not (root / "status-site").exists()


def test_the_mcp_tool_reports_a_bad_config_as_a_tool_error(tmp_path: Path) -> None:
    config = {**CONFIG, "incident_response": {**CONFIG["incident_response"], "status_page": {"out": "/etc"}}}
    root = make_workspace(tmp_path / "ws", config=config)
    _, result = call(build_server(str(root)), "publish_status_page", {})
    assert result.is_error and "absolute" in first_text(result)
    assert MANIFEST not in {p.name for p in Path("/etc").iterdir()}


def test_a_workspace_override_of_the_incident_page_is_used_and_sees_only_the_public_model(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    override = root / "templates" / "incident-mcp" / "statuspage" / "incident.html.j2"
    override.parent.mkdir(parents=True)
    override.write_text("{% autoescape true %}<h1>{{ incident.name }}</h1>{% endautoescape %}\n")
    site = build(root)
    assert (site / "incidents" / "INC-007.html").read_text() == "<h1>Elevated API errors</h1>"
    override.write_text("{{ incident.record.title }}\n")
    with pytest.raises(TemplateError, match=r"workspace override templates/incident-mcp/statuspage/incident"):
        publish_status_page(Workspace.at(root), now=NOW)
    assert (site / "incidents" / "INC-007.html").read_text() == "<h1>Elevated API errors</h1>"


def test_an_unreadable_record_is_reported_and_the_rest_is_published(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    (root / "artifacts" / "decision-memos" / "INC-030-broken.md").write_text("---\nid: INC-030\nseverity: P9\n---\n")
    result = publish_status_page(Workspace.at(root), now=NOW)
    assert len(result.skipped) == 1 and result.skipped[0].startswith("artifacts/decision-memos/INC-030-broken.md: ")
    assert result.model_dump()["skipped"] == result.skipped
    assert (root / "status-site" / "incidents" / "INC-007.html").is_file()


def test_a_temp_folder_left_by_a_build_that_died_is_swept(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    stale = root / ".status-site.4194305.0123abcd.incident-mcp-tmp"  # above Linux's largest pid: its writer is gone
    (stale / "incidents").mkdir(parents=True)
    (stale / "incidents" / "INC-001.html").write_text("half")
    build(root)
    assert not stale.exists() and (root / "status-site" / "index.html").is_file()


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
