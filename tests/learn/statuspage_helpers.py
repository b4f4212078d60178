"""Shared by the built-site tests: build a status site, read all its files, outline a page's HTML."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from incident_mcp.statuspage import publish_status_page
from incident_mcp.workspace import Workspace
from tests.support.statuspage_fixtures import NOW, make_workspace


def build(root: Path, records: list[dict[str, Any]] | None = None, config: dict[str, Any] | None = None,
          now: dt.datetime = NOW, out: Path | None = None) -> Path:
    ws = Workspace.at(make_workspace(root, records, config)) if not (root / "company.config.yaml").exists() \
        else Workspace.at(root)
    publish_status_page(ws, now=now, out=out)
    return out or root / "status-site"


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


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
