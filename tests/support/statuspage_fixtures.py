"""A status-page workspace with hand-checkable incidents: records written as frontmatter, as a human would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from incident_mcp.artifacts import dump_frontmatter

NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)

CONFIG: dict[str, Any] = {
    "company": {"name": "Acme", "domain": "acme.example"},
    "incident_response": {
        "status_page": {"url": "https://status.acme.example"},
        "services": [
            {"name": "api", "url": "https://api.acme.example/health", "critical": True, "display_name": "Acme API"},
            {"name": "web", "url": "https://app.acme.example/", "display_name": "Web app"},
            {"name": "docs", "url": "https://docs.acme.example/"},
            {"name": "billing-worker", "url": "https://worker.internal.example/", "public": False},
        ],
        "maintenance": [
            {"services": ["docs"], "start": "2026-04-02T01:00:00Z", "end": "2026-04-02T03:00:00Z",
             "reason": "Docs search index rebuild"},
        ],
    },
}


def ts(text: str) -> str:
    """A record timestamp from a short form ``2026-03-10T10:00``."""
    return text + ":00Z" if len(text) == 16 else text


def record_meta(number: int, title: str, severity: str, services: list[str], detected: str,
                resolved: str | None, *, updates: list[tuple[str, str]] = (),  # type: ignore[assignment]
                **extra: Any) -> dict[str, Any]:
    """Frontmatter of one record: detected, optional communication updates, resolved when given."""
    timeline: list[dict[str, Any]] = [{"at": ts(detected), "kind": "detected", "text": "", "severity": severity}]
    timeline += [{"at": ts(at), "kind": "communication", "text": text, "channel": "status page"}
                 for at, text in updates]
    if resolved:
        timeline.append({"at": ts(resolved), "kind": "resolved", "text": "fixed"})
    meta: dict[str, Any] = {
        "id": f"INC-{number:03d}", "type": "decision-memo", "title": title, "status": "draft",
        "created": detected[:10], "author": "Sam", "severity": severity,
        "incident_state": "resolved" if resolved else "investigating", "services": services,
        "summary": "", "detected_at": ts(detected), "resolved_at": ts(resolved) if resolved else None,
        "timeline": sorted(timeline, key=lambda e: e["at"]),
    }
    meta.update(extra)
    return meta


def write_record(root: Path, meta: dict[str, Any]) -> Path:
    """Write a record file the way the product would name it."""
    folder = root / "artifacts" / "decision-memos"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{meta['id']}-incident.md"
    path.write_text(dump_frontmatter(meta) + "\n# Incident\n", encoding="utf-8")
    return path


def write_config(root: Path, config: dict[str, Any] | None = None) -> None:
    """company.config.yaml for the workspace."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "company.config.yaml").write_text(yaml.safe_dump(config or CONFIG, sort_keys=False), encoding="utf-8")


# The records of the hand computation (now = 2026-03-31 12:00 UTC; the 90-day window starts 2026-01-01 00:00).
RECORDS: list[dict[str, Any]] = [
    record_meta(1, "api down: HTTP 503 (db pool exhausted)", "P0", ["api"], "2026-03-10T10:00",
                "2026-03-10T11:00", updates=[("2026-03-10T10:10", "We are investigating errors on the API."),
                                             ("2026-03-10T11:01", "The API is back to normal.")]),
    record_meta(2, "api+web slow: replica lag", "P1", ["api", "web"], "2026-03-20T00:00", "2026-03-20T02:00",
                updates=[("2026-03-20T00:30", "Some requests fail; we are on it.")]),
    record_meta(3, "web slow css", "P2", ["web"], "2026-03-25T01:00", "2026-03-25T03:00"),
    record_meta(4, "docs typo storm", "P3", ["docs"], "2026-03-26T08:00", "2026-03-26T09:00"),
    # spans the 90-day window's start: 60 of its 180 minutes are inside
    record_meta(5, "web cert expired", "P0", ["web"], "2025-12-31T23:00", "2026-01-01T02:00"),
    # spans the 7-day window's start (2026-03-25 00:00): 30 of its 60 minutes are inside
    record_meta(6, "web deploy broke login", "P1", ["web"], "2026-03-24T23:30", "2026-03-25T00:30"),
    # open: counts until now
    record_meta(7, "api 502 from edge", "P1", ["api"], "2026-03-31T11:00", None,
                updates=[("2026-03-31T11:05", "Some API calls fail. We are investigating.")],
                public_title="Elevated API errors", public_summary="Some API requests fail with errors."),
    # closed as a duplicate: affects nothing, shown nowhere
    record_meta(8, "api down again (dup)", "P0", ["api"], "2026-03-15T00:00", "2026-03-15T05:00",
                updates=[("2026-03-15T00:05", "DUPLICATE-UPDATE-TEXT")], closed_as="duplicate"),
    # only a hidden service: not on the page
    record_meta(9, "worker stuck", "P0", ["billing-worker"], "2026-03-12T00:00", "2026-03-12T01:00",
                updates=[("2026-03-12T00:10", "HIDDEN-ONLY-UPDATE-TEXT")]),
]


def make_workspace(root: Path, records: list[dict[str, Any]] | None = None,
                   config: dict[str, Any] | None = None) -> Path:
    """A workspace at ``root`` with the config and the records (default: the hand-computation set)."""
    write_config(root, config)
    for meta in RECORDS if records is None else records:
        write_record(root, meta)
    return root
