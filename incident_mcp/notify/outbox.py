"""The outbox ``watch/outbox.json``: every notice the watch decided to send, per channel: pending, sent or
expired. Written before anything is sent, so a failed (or cut short) delivery is retried next round and
never lost silently; a notice is enqueued once per event id and a channel that took it is never sent it
again. Sent and expired entries are kept for a week, then pruned. Call everything here under the watch lock.

Where a delivery succeeded but the process died before the outbox was saved, the notice is sent again
next round with the same ``event_id`` (the webhook's ``Idempotency-Key``, the email's Message-ID), so a
receiver can drop the copy.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from incident_mcp.config import NotifyChannel
from incident_mcp.errors import WorkspaceError
from incident_mcp.notify.channels import Outcome, send
from incident_mcp.notify.message import Notice
from incident_mcp.workspace import Workspace, atomic_write

OUTBOX_FILE = "watch/outbox.json"
KEEP = dt.timedelta(days=7)
EXPIRE = dt.timedelta(hours=24)  # a notice still undelivered after this is given up on, loudly
ATTEMPTS_PER_ROUND = 3
BACKOFF = (0.5, 1.0)  # seconds between attempts within a round
log = logging.getLogger("incident_mcp.notify")


@dataclass(frozen=True)
class Delivery:
    """One notice on one channel in this round."""

    event_id: str
    channel: str
    status: str  # sent / pending (will retry) / expired
    detail: str
    attempts: int


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def load_outbox(ws: Workspace) -> list[dict[str, Any]]:
    """The outbox entries (oldest first)."""
    path = ws.path(OUTBOX_FILE)
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = list(data["entries"])
        for entry in entries:
            Notice.from_data(entry["notice"])
            dict(entry["channels"])
    except (ValueError, TypeError, KeyError) as err:
        raise WorkspaceError(f"{OUTBOX_FILE}: not a watch outbox ({err}); move it away to start afresh") from None
    return entries


def save_outbox(ws: Workspace, entries: Sequence[dict[str, Any]]) -> None:
    """Write the outbox, one entry per line."""
    lines = [json.dumps(e, sort_keys=True, ensure_ascii=False) for e in entries]
    text = '{"version": 1, "entries": [\n' + ",\n".join(lines) + ("\n" if lines else "") + "]}\n"
    atomic_write(ws.path(OUTBOX_FILE), text)


def enqueue(entries: list[dict[str, Any]], notices: Sequence[Notice], channels: Sequence[NotifyChannel],
            now: dt.datetime) -> int:
    """Add each notice not seen before (by event id) as pending on every channel; how many were added."""
    known = {e["notice"]["event_id"] for e in entries}
    added = 0
    for notice in notices:
        if notice.event_id in known or not channels:
            continue
        entries.append({"notice": notice.data(), "created": _stamp(now),
                        "channels": {c.label: {"status": "pending", "attempts": 0} for c in channels}})
        known.add(notice.event_id)
        added += 1
    return added


async def _attempts(channel: NotifyChannel, notice: Notice, env: Mapping[str, str]) -> tuple[Outcome, int]:
    outcome = Outcome(channel.label, False, "not tried")
    for attempt in range(ATTEMPTS_PER_ROUND):
        outcome = await send(channel, notice, env)
        if outcome.ok or not outcome.retry:
            return outcome, attempt + 1
        if attempt < len(BACKOFF):
            await asyncio.sleep(BACKOFF[attempt])
    return outcome, ATTEMPTS_PER_ROUND


_Job = tuple[dict[str, Any], str, Notice]  # (the channel's slot in its entry, channel label, notice)


async def deliver(entries: list[dict[str, Any]], channels: Sequence[NotifyChannel], now: dt.datetime, *,
                  deadline: float, env: Mapping[str, str] | None = None) -> list[Delivery]:
    """Send every pending (entry, channel): channels at once, each channel's notices in order, each retried
    with backoff, all within ``deadline`` seconds; statuses are updated in ``entries`` (save them afterwards).
    Never raises for a channel."""
    by_label = {c.label: c for c in channels}
    jobs, results = _due(entries, by_label, now)
    if not jobs:
        return results
    finished = await _send_all(jobs, by_label, os.environ if env is None else env, deadline)
    for index, (slot, label, notice) in enumerate(jobs):
        if index in finished:
            outcome, tries = finished[index]
        else:
            outcome, tries = Outcome(label, False, f"the round's delivery deadline ({deadline:g} s) passed"), 1
        results.append(_settle(slot, label, notice, outcome, tries, now))
    return results


def _due(entries: list[dict[str, Any]], by_label: Mapping[str, NotifyChannel],
         now: dt.datetime) -> tuple[list[_Job], list[Delivery]]:
    """The pending (slot, channel, notice) to send now, in queue order; slots pending too long are marked
    expired (and returned as deliveries) instead."""
    jobs: list[_Job] = []
    expired: list[Delivery] = []
    for entry in entries:
        notice = Notice.from_data(entry["notice"])
        for label, slot in entry["channels"].items():
            if slot.get("status") != "pending":
                continue
            if now - _parse(entry["created"]) > EXPIRE:
                slot["status"] = "expired"
                log.error("notify %s %s: given up after %s without delivery (last: %s)", label, notice.event_id,
                          EXPIRE, slot.get("last", "never tried"))
                expired.append(Delivery(notice.event_id, label, "expired", slot.get("last", ""), slot["attempts"]))
            elif label in by_label:
                jobs.append((slot, label, notice))
    return jobs, expired


async def _send_all(jobs: Sequence[_Job], by_label: Mapping[str, NotifyChannel], env: Mapping[str, str],
                    deadline: float) -> dict[int, tuple[Outcome, int]]:
    """Each job's outcome and attempts, by index; jobs the deadline cut off are missing."""
    # Channels in parallel; on one channel the notices go one after the other, in the order they were
    # queued, so "joined" never lands after the "severity raised" that followed it.
    finished: dict[int, tuple[Outcome, int]] = {}

    async def channel_queue(label: str) -> None:
        for index, (_slot, job_label, notice) in enumerate(jobs):
            if job_label == label:
                finished[index] = await _attempts(by_label[label], notice, env)

    tasks = [asyncio.ensure_future(channel_queue(label)) for label in dict.fromkeys(label for _, label, _ in jobs)]
    _done, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
    return finished


def _settle(slot: dict[str, Any], label: str, notice: Notice, outcome: Outcome, tries: int,
            now: dt.datetime) -> Delivery:
    """Record one delivery's outcome in its slot (sent, or still pending for next round) and log it."""
    slot["attempts"] = int(slot.get("attempts", 0)) + tries
    slot["last"] = outcome.detail
    if outcome.ok:
        slot["status"] = "sent"
        slot["sent_at"] = _stamp(now)
        log.info("notify %s %s: sent (%s)", label, notice.event_id, outcome.detail)
    else:
        log.warning("notify %s %s: failed (%s); retried next round", label, notice.event_id, outcome.detail)
    return Delivery(notice.event_id, label, slot["status"], outcome.detail, slot["attempts"])


def prune(entries: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """Entries still pending, or finished less than a week ago."""
    kept = []
    for entry in entries:
        finished = all(s.get("status") != "pending" for s in entry["channels"].values())
        if finished and now - _parse(entry["created"]) > KEEP:
            continue
        kept.append(entry)
    return kept
