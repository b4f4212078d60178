"""Building the status page: the workspace and ``now`` in, every file of the site out (nothing written here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from incident_mcp.config import load_config
from incident_mcp.statuspage.api import api_files
from incident_mcp.statuspage.badges import badge_files
from incident_mcp.statuspage.feeds import atom_feed, rss_feed
from incident_mcp.statuspage.html import html_files
from incident_mcp.statuspage.model import Site, build_site
from incident_mcp.statuspage.source import load_records
from incident_mcp.uptime import Span
from incident_mcp.workspace import Workspace


@dataclass(frozen=True)
class BuiltSite:
    """The model and the text of every file, by path inside the site folder (sorted)."""

    site: Site
    files: dict[str, str]
    skipped: list[str]


def render_site(site: Site, workspace: Workspace | None = None) -> dict[str, str]:
    """Every file of the site for ``site``: HTML, JSON, feeds and badges."""
    files = html_files(site, workspace)
    files.update(api_files(site))
    files["feed.atom"] = atom_feed(site)
    files["feed.rss"] = rss_feed(site)
    files.update(badge_files(site))
    return dict(sorted(files.items()))


def build_from_workspace(ws: Workspace, now: dt.datetime, *,
                         observed: Mapping[str, Sequence[Span]] | None = None,
                         data_from: Mapping[str, dt.datetime] | None = None) -> BuiltSite:
    """Read the config and every incident record, and build the site as of ``now``."""
    config = load_config(ws.config_path).config
    records, skipped = load_records(ws)
    site = build_site(config, records, now, observed=observed, data_from=data_from)
    return BuiltSite(site=site, files=render_site(site, ws), skipped=skipped)
