"""``feed.atom`` (RFC 4287) and ``feed.rss`` (RSS 2.0): one entry per public update, newest first.

Built with the standard library's ElementTree, which escapes every text and attribute (``<``, ``&``,
``]]>``); the model has already dropped the control characters XML 1.0 cannot carry. Entry ids are
stable (``tag:`` URIs from the site's host, the incident id and the update's time), so a reader never
shows an update twice. The feeds hold the ``MAX_ENTRIES`` most recent updates.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from email.utils import format_datetime
from urllib.parse import urlsplit

from incident_mcp.statuspage.api import link
from incident_mcp.statuspage.model import PublicIncident, Site, Update
from incident_mcp.statuspage.public import iso

MAX_ENTRIES = 100
ATOM_NS = "http://www.w3.org/2005/Atom"


def _entries(site: Site) -> list[tuple[PublicIncident, Update]]:
    pairs = [(incident, update) for incident in site.incidents for update in incident.updates]
    pairs.sort(key=lambda pair: (pair[1].at, pair[1].id), reverse=True)
    return pairs[:MAX_ENTRIES]


def _authority(site: Site) -> str:
    host = urlsplit(site.url).hostname if site.url else None
    return host or "status.invalid"


def entry_id(site: Site, incident: PublicIncident, update: Update) -> str:
    """The update's permanent id: ``tag:HOST,DATE:INC-NNN/UPDATE-ID``."""
    return f"tag:{_authority(site)},{incident.started_at:%Y-%m-%d}:{incident.id}/{update.id}"


def _entry_title(incident: PublicIncident, update: Update) -> str:
    return f"{incident.name} — {update.status_label}"


def _updated(site: Site, entries: list[tuple[PublicIncident, Update]]) -> dt.datetime:
    return entries[0][1].at if entries else site.now


def _text(xml: ET.Element) -> str:
    ET.indent(xml, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(xml, encoding="unicode") + "\n"


def atom_feed(site: Site) -> str:
    """The Atom feed of public updates."""
    entries = _entries(site)
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    ET.SubElement(feed, "id").text = f"tag:{_authority(site)},2026:status-feed"
    ET.SubElement(feed, "title").text = site.name
    ET.SubElement(feed, "subtitle").text = "Incident updates"
    ET.SubElement(feed, "updated").text = iso(_updated(site, entries))
    ET.SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": link(site, "feed.atom")})
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": link(site, "index.html")})
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = site.name
    ET.SubElement(feed, "generator").text = "incident-mcp"
    for incident, update in entries:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "id").text = entry_id(site, incident, update)
        ET.SubElement(entry, "title").text = _entry_title(incident, update)
        ET.SubElement(entry, "updated").text = update.at_iso
        ET.SubElement(entry, "published").text = update.at_iso
        ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": link(site, incident.page)})
        ET.SubElement(entry, "content", {"type": "text"}).text = update.body
        for ref in update.components:
            ET.SubElement(entry, "category", {"term": ref.id, "label": ref.name})
    return _text(feed)


def rss_feed(site: Site) -> str:
    """The RSS 2.0 feed of public updates (dates in RFC 822 form)."""
    entries = _entries(site)
    rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = site.name
    ET.SubElement(channel, "link").text = link(site, "index.html")
    ET.SubElement(channel, "description").text = f"Incident updates from {site.name}"
    ET.SubElement(channel, "atom:link", {"href": link(site, "feed.rss"), "rel": "self",
                                         "type": "application/rss+xml"})
    ET.SubElement(channel, "lastBuildDate").text = format_datetime(_updated(site, entries), usegmt=True)
    ET.SubElement(channel, "generator").text = "incident-mcp"
    for incident, update in entries:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = _entry_title(incident, update)
        ET.SubElement(item, "link").text = link(site, incident.page)
        ET.SubElement(item, "description").text = update.body
        ET.SubElement(item, "pubDate").text = format_datetime(update.at, usegmt=True)
        ET.SubElement(item, "guid", {"isPermaLink": "false"}).text = entry_id(site, incident, update)
    return _text(rss)
