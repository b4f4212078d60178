"""``badges/<service>.json``: shields.io endpoint badges with each component's 90-day uptime.

Use with ``https://img.shields.io/endpoint?url=<site>/badges/api.json``. Colour by the figure:
≥ 99.9 % brightgreen, ≥ 99 % green, ≥ 98 % yellowgreen, ≥ 95 % yellow, ≥ 90 % orange, else red;
no data is lightgrey.
"""

from __future__ import annotations

from incident_mcp.statuspage.api import dumps
from incident_mcp.statuspage.components import Component
from incident_mcp.statuspage.model import Site

THRESHOLDS = ((0.999, "brightgreen"), (0.99, "green"), (0.98, "yellowgreen"), (0.95, "yellow"), (0.90, "orange"))
CACHE_SECONDS = 300


def badge_colour(ratio: float | None) -> str:
    """The badge colour for an uptime ratio."""
    if ratio is None:
        return "lightgrey"
    return next((colour for floor, colour in THRESHOLDS if ratio >= floor), "red")


def badge(component: Component) -> dict[str, object]:
    """One endpoint badge: the component's public name and its 90-day uptime."""
    figure = component.uptime_90
    return {"schemaVersion": 1, "label": component.name, "message": figure.percent,
            "color": badge_colour(figure.ratio), "cacheSeconds": CACHE_SECONDS}


def badge_files(site: Site) -> dict[str, str]:
    """Every badge file of the site, by path."""
    return {f"badges/{component.id}.json": dumps(badge(component)) for component in site.components}
