"""``api/v2/*.json`` in the shapes of Atlassian Statuspage's public API, so existing clients can read our page.

Ids: a component's id is its service name, an incident's its ``INC-NNN``, an update's the incident id and
the update's time. Impact: P0 critical, P1 major, P2 and P3 minor. ``incidents.json`` holds the 50 most
recent incidents, like Statuspage's.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from incident_mcp.statuspage.components import Component
from incident_mcp.statuspage.model import ComponentRef, Maintenance, PublicIncident, Site

MAX_INCIDENTS = 50


def dumps(data: Any) -> str:
    """Stable JSON text: key order as built, two-space indent, UTF-8, one final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def link(site: Site, rel: str) -> str:
    """An absolute link when the site's URL is known, else the path relative to the site's root."""
    return urljoin(site.url if site.url.endswith("/") else site.url + "/", rel) if site.url else rel


def _page(site: Site) -> dict[str, Any]:
    return {"id": "incident-mcp", "name": site.name, "url": site.url or None, "time_zone": "Etc/UTC",
            "updated_at": site.now_iso}


def _status(site: Site) -> dict[str, Any]:
    return {"indicator": site.indicator, "description": site.description}


def _component(site: Site, component: Component) -> dict[str, Any]:
    return {"id": component.id, "name": component.name, "status": component.status, "description": None,
            "position": component.position, "created_at": None, "updated_at": site.now_iso, "group_id": None,
            "group": False, "only_show_if_degraded": False, "showcase": True,
            "uptime": {f"{f.days}d": f.percent for f in component.uptime}}


def _ref(ref: ComponentRef, site: Site) -> dict[str, Any]:
    status = next((c.status for c in site.components if c.id == ref.id), "operational")
    return {"id": ref.id, "name": ref.name, "status": status}


def _incident(site: Site, incident: PublicIncident) -> dict[str, Any]:
    return {
        "id": incident.id, "name": incident.name, "status": incident.status, "impact": incident.impact,
        "created_at": incident.started_iso, "updated_at": incident.updated_iso, "started_at": incident.started_iso,
        "monitoring_at": incident.monitoring_iso, "resolved_at": incident.resolved_iso,
        "shortlink": link(site, incident.page), "page_id": "incident-mcp",
        "components": [_ref(ref, site) for ref in incident.components],
        "incident_updates": [{
            "id": update.id, "incident_id": incident.id, "status": update.status, "body": update.body,
            "created_at": update.at_iso, "updated_at": update.at_iso, "display_at": update.at_iso,
            "affected_components": [{"code": ref.id, "name": ref.name, "old_status": None,
                                     "new_status": _ref(ref, site)["status"] if incident.is_open else "operational"}
                                    for ref in update.components],
        } for update in incident.updates],
    }


def _maintenance(site: Site, item: Maintenance) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "status": item.status, "impact": "maintenance",
            "created_at": item.starts_iso, "updated_at": item.starts_iso, "started_at": item.starts_iso,
            "monitoring_at": None, "resolved_at": item.ends_iso if item.status == "completed" else None,
            "scheduled_for": item.starts_iso, "scheduled_until": item.ends_iso, "shortlink": link(site, ""),
            "page_id": "incident-mcp", "components": [_ref(ref, site) for ref in item.components],
            "incident_updates": []}


def api_files(site: Site) -> dict[str, str]:
    """Every ``api/v2`` file of the site, by path."""
    page = _page(site)
    components = [_component(site, c) for c in site.components]
    unresolved = [_incident(site, i) for i in site.open_incidents]
    active = [_maintenance(site, m) for m in site.upcoming_maintenances]
    return {
        "api/v2/summary.json": dumps({"page": page, "status": _status(site), "components": components,
                                      "incidents": unresolved, "scheduled_maintenances": active}),
        "api/v2/status.json": dumps({"page": page, "status": _status(site)}),
        "api/v2/components.json": dumps({"page": page, "components": components}),
        "api/v2/incidents.json": dumps({"page": page, "incidents": [_incident(site, i)
                                                                    for i in site.incidents[:MAX_INCIDENTS]]}),
        "api/v2/incidents/unresolved.json": dumps({"page": page, "incidents": unresolved}),
        "api/v2/scheduled-maintenances.json": dumps({"page": page, "scheduled_maintenances": [
            _maintenance(site, m) for m in site.maintenances]}),
        "api/v2/scheduled-maintenances/upcoming.json": dumps({"page": page, "scheduled_maintenances": [
            _maintenance(site, m) for m in site.maintenances if m.status == "scheduled"]}),
        "api/v2/scheduled-maintenances/active.json": dumps({"page": page, "scheduled_maintenances": [
            _maintenance(site, m) for m in site.maintenances if m.status == "in_progress"]}),
    }
