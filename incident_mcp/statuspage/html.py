"""``index.html`` and ``incidents/INC-NNN.html`` through the sandboxed template environment (``render.py``).

The templates live in ``templates/statuspage/`` and may be overridden per workspace like every other
template; they escape everything (``{% autoescape true %}``) and only ever see the public model.
"""

from __future__ import annotations

from incident_mcp.render import render
from incident_mcp.statuspage.model import Site
from incident_mcp.workspace import Workspace

INDEX_TEMPLATE = "statuspage/index.html.j2"
INCIDENT_TEMPLATE = "statuspage/incident.html.j2"


def html_files(site: Site, workspace: Workspace | None) -> dict[str, str]:
    """The page and one page per published incident, by path."""
    files = {"index.html": render(workspace, INDEX_TEMPLATE, {"site": site}).text}
    for incident in site.incidents:
        files[incident.page] = render(workspace, INCIDENT_TEMPLATE, {"site": site, "incident": incident}).text
    return files
