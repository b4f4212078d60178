"""The public status page: a static site (HTML, Statuspage-shaped JSON, Atom/RSS feeds, shields badges) built
from the incident records, the configured services and maintenance, and the watch's history.

Modules: ``model`` (the pure, public-only model), ``components`` (its services: status, uptime, daily
bars), ``public`` (public text, times and impact words), ``source`` (reading records), ``html``, ``api``,
``feeds``, ``badges`` (renderers), ``build`` (all files as text), ``writer`` (the folder, swapped in at
once) and ``publish`` (the one call the adapters make).
"""

from incident_mcp.statuspage.build import BuiltSite, build_from_workspace, render_site
from incident_mcp.statuspage.model import Site, SourceRecord, build_site
from incident_mcp.statuspage.publish import PublishResult, publish_status_page

__all__ = [
    "BuiltSite",
    "PublishResult",
    "Site",
    "SourceRecord",
    "build_from_workspace",
    "build_site",
    "publish_status_page",
    "render_site",
]
