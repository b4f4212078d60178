"""``index.html`` and ``incidents/INC-NNN.html`` through the sandboxed template environment (``incident_mcp.render``).

The templates live in ``templates/statuspage/`` and may be overridden per workspace like every other
template; they escape everything (``{% autoescape true %}``) and only ever see the public model.
"""

from __future__ import annotations

from incident_mcp.render import render, render_many
from incident_mcp.statuspage.model import Site
from incident_mcp.workspace import Workspace

INDEX_TEMPLATE = "statuspage/index.html.j2"
INCIDENT_TEMPLATE = "statuspage/incident.html.j2"


def html_files(site: Site, workspace: Workspace | None) -> dict[str, str]:
    """The page and one page per published incident, by path."""
    files = {"index.html": render(workspace, INDEX_TEMPLATE, {"site": site}).text}
    pages = render_many(workspace, INCIDENT_TEMPLATE, ({"site": site, "incident": i} for i in site.incidents))
    for incident, page in zip(site.incidents, pages, strict=True):
        files[incident.page] = page.text
    return files
