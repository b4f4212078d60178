"""The built site shows only public text, and hostile text is escaped in HTML, XML and JSON."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import feedparser
import markupsafe

from tests.learn.statuspage_helpers import Outline, build, site_files
from tests.support.statuspage_fixtures import CONFIG, RECORDS, make_workspace, record_meta, ts

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
