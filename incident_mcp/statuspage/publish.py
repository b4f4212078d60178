"""``publish_status_page``: build the site as of ``now`` and swap it into its folder; a lean report back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from incident_mcp.config import load_config
from incident_mcp.incidents.record import utc_now
from incident_mcp.statuspage.build import build_from_workspace
from incident_mcp.statuspage.writer import check_out, default_out, write_site
from incident_mcp.uptime import Span
from incident_mcp.watch.history import observed_spans
from incident_mcp.workspace import Workspace


class PublishResult(BaseModel):
    """Where the site went and what it says, without the HTML."""

    out: str = Field(description="The site folder (relative to the workspace when inside it)")
    index: str = Field(description="Path of index.html")
    now: str
    indicator: str = Field(description="Overall status: none, minor, major or critical")
    description: str
    components: int
    open_incidents: int
    past_incidents: int = Field(description="Resolved in the last 90 days")
    files: int
    changed: int = Field(description="Files whose bytes changed (0: the site was already up to date)")
    skipped: list[str] = Field(default_factory=list, description="Incident records that could not be read")

    @model_serializer(mode="wrap")
    def _lean(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """No empty fields in what the agent reads: ``skipped`` only when something was skipped."""
        data: dict[str, Any] = handler(self)
        if not data.get("skipped"):
            data.pop("skipped", None)
        return data


def publish_status_page(ws: Workspace, *, out: Path | None = None, now: dt.datetime | None = None,
                        observed: Mapping[str, Sequence[Span]] | None = None,
                        data_from: Mapping[str, dt.datetime] | None = None) -> PublishResult:
    """Build the status page from the workspace as of ``now`` and write it to ``out``.

    ``out`` defaults to ``incident_response.status_page.out`` (``status-site``) inside the workspace; an
    explicit ``out`` may be anywhere. ``observed``/``data_from``: the watch's history; by default read from
    ``watch/history/`` (nothing there: the page is built from the records alone).
    """
    moment = utc_now(now)
    if observed is None:
        seen = observed_spans(ws, until=moment)
        observed = seen.spans
        data_from = seen.data_from if data_from is None else data_from
    config = load_config(ws.config_path).config
    target = check_out(ws, out if out is not None else default_out(ws, config.incident_response.status_page.out))
    with ws.lock("status-page"):
        built = build_from_workspace(ws, moment, observed=observed, data_from=data_from)
        written = write_site(target, built.files)
    shown = ws.rel(target) if ws.contains(target) else str(target)
    site = built.site
    return PublishResult(out=shown, index=f"{shown}/index.html", now=site.now_iso, indicator=site.indicator,
                         description=site.description, components=len(site.components),
                         open_incidents=len(site.open_incidents), past_incidents=len(site.past_incidents),
                         files=written.files, changed=written.changed, skipped=built.skipped)
