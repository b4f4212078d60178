"""One watch round, and the loop of rounds: check every configured service, decide, write incidents and
history, save the state, then deliver notifications — all under the workspace's ``watch`` lock, so two
watchers on one workspace take turns and a round that comes too soon after another is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from incident_mcp.config import CompanyConfig, WatchSettings, load_config
from incident_mcp.errors import ConfigError, IncidentError, IncidentMCPError, WorkspaceError
from incident_mcp.incidents import (
    IncidentSettings,
    get_incident,
    list_incidents,
    open_incident,
    read_incident,
    update_incident,
)
from incident_mcp.notify import Delivery, NextStep, Notice, deliver, enqueue, load_outbox, prune, save_outbox
from incident_mcp.status import CheckOptions, ServiceResult, StatusReport, TargetPolicy, check_targets, service_targets
from incident_mcp.uptime import SpanKind
from incident_mcp.watch.decision import (
    Action,
    Decision,
    Followed,
    Observation,
    OpenIncident,
    Track,
    WatchState,
    advance,
    decide,
)
from incident_mcp.watch.history import RoundEntry, record_service
from incident_mcp.watch.state import load_state, save_state
from incident_mcp.workspace import Workspace

log = logging.getLogger("incident_mcp.watch")
AUTHOR = "incident-mcp watch"
HISTORY_WRITERS = 8  # threads writing history files during the sweep (fsync-bound, not CPU-bound)
SKIP_FRACTION = 0.5  # a round less than half an interval after the last one is another watcher's double
_FAILURE_WORDS = {"refused": "connection refused", "timeout": "timeout", "dns": "DNS failure", "tls": "TLS failure",
                  "reset": "connection reset", "unreachable": "host unreachable", "health": "health check failing",
                  "assertion": "health assertion failed", "protocol": "invalid HTTP", "redirects": "redirect loop"}


@dataclass(frozen=True)
class RoundResult:
    """What one round saw and did."""

    at: dt.datetime
    report: StatusReport | None = None
    skipped: str = ""
    actions: tuple[str, ...] = ()
    incident_id: str | None = None
    deliveries: tuple[Delivery, ...] = ()
    exit_code: int = 0
    decision: Decision | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for the benchmark


def failure_text(result: ServiceResult) -> str:
    """A short cause for titles: ``HTTP 503``, ``connection refused``."""
    if result.status_code is not None and result.reason == "status":
        return f"HTTP {result.status_code}"
    return _FAILURE_WORDS.get(result.reason, result.reason)


@contextlib.contextmanager
def watch_lock(ws: Workspace, wait: float) -> Iterator[bool]:
    """The workspace's watch lock (machine-local, in ``.incident-mcp/``); yields False if not had in ``wait`` s."""
    fd = os.open(ws.state_dir() / "watch.lock", os.O_RDWR | os.O_CREAT, 0o644)
    held = False
    try:
        give_up = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    break
                time.sleep(0.05)
        yield held
    finally:
        if held:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _open_incidents(ws: Workspace) -> list[OpenIncident]:
    found: list[OpenIncident] = []
    offset: int | None = 0
    while offset is not None:
        page = list_incidents(ws, states=["open"], limit=100, offset=offset)
        for summary in page.incidents:
            try:
                by_watch = read_incident(ws, summary.id).record.opened_by == "watch"
            except (IncidentError, WorkspaceError, OSError):
                continue
            found.append(OpenIncident(id=summary.id, services=tuple(summary.services), severity=summary.severity,
                                      state=summary.state, opened_by_watch=by_watch))
        offset = page.next_offset
    return found


def exit_code(report: StatusReport, maintenance: set[str]) -> int:
    """status-check's convention: 2 a service down, 1 degraded / unknown / down in maintenance, 0 all up."""
    states = [r.state for r in report.services]
    if any(r.state == "down" and r.name not in maintenance for r in report.services):
        return 2
    return 1 if any(s != "up" for s in states) else 0


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _apply(ws: Workspace, action: Action, now: dt.datetime, incident_id: str,
           settings: IncidentSettings) -> tuple[str, str]:
    """Write one action to the incident record; (incident id, what was done)."""
    if action.kind == "opened":
        opened = open_incident(ws, title=action.title, severity=action.severity or "P1",
                               summary=action.text, services=list(action.services), detected_at=action.detected_at,
                               author=AUTHOR, tags=["watch"], now=now, opened_by="watch", settings=settings)
        update_incident(ws, opened.id, event="status_check", text=action.text, overall=action.overall, now=now,
                        settings=settings)
        return opened.id, f"opened {opened.id} ({opened.severity}): {opened.title}"
    if action.kind == "severity_changed":
        update_incident(ws, incident_id, severity=action.severity, reason=action.text, now=now, settings=settings)
        return incident_id, f"{incident_id}: severity {action.severity_from} → {action.severity}"
    if action.kind == "resolved":
        update_incident(ws, incident_id, event="resolved", text=action.text, now=now, settings=settings)
        return incident_id, f"{incident_id}: resolved"
    update_incident(ws, incident_id, event="status_check", text=action.text, overall=action.overall,
                    state=action.state, services=list(action.services), now=now, settings=settings)
    return incident_id, f"{incident_id}: {action.kind.replace('_', ' ')}"


def _notice(ws: Workspace, action: Action, incident_id: str, now: dt.datetime, link: str,
            settings: IncidentSettings) -> Notice:
    view = get_incident(ws, incident_id, now=now, settings=settings)
    record = view.record
    step = next((a for a in view.next_actions if a.status in ("due", "overdue")), None)
    return Notice(
        event_id=f"{incident_id}:{action.kind}:{_stamp(now)}", event=action.kind, at=_stamp(now),
        incident_id=incident_id, title=record.title, severity=record.severity,
        severity_from=action.severity_from, state=record.incident_state, services=tuple(record.services),
        text=action.text, path=view.path, link=link,
        next_step=NextStep(key=step.key, title=step.title, due_at=step.due_at, status=step.status) if step else None)


def _observation(result: ServiceResult, maintenance: set[str]) -> Observation:
    return Observation(service=result.name, health=result.state, critical=result.critical,
                       failure=failure_text(result) if result.state == "down" else "",
                       maintenance=result.name in maintenance)


def history_entry(result: ServiceResult, before: Track, settings: WatchSettings, now: dt.datetime,
                  maintenance: set[str]) -> RoundEntry:
    """What this round adds to the service's history (its track advanced exactly as ``decide`` will)."""
    after = advance(before, _observation(result, maintenance), settings, now)
    kind: SpanKind | None = None
    since = None
    if result.name in maintenance:
        kind = "under_maintenance"
    elif after.confirmed == "down":
        kind = "major_outage"
        since = after.first_failed_at if before.confirmed != "down" else None
    elif result.state == "degraded":
        kind = "degraded_performance"
    recovered = after.healthy_since if after.confirmed == "up" and before.confirmed == "down" else None
    return RoundEntry(service=result.name, health=result.state, latency_ms=result.latency_ms, kind=kind,
                      since=since, maintenance=result.name in maintenance, recovered_since=recovered)


async def _check_and_record(ws: Workspace, config: CompanyConfig, state: WatchState, now: dt.datetime,
                            maintenance: set[str], options: CheckOptions | None) -> StatusReport:
    """The sweep, writing each service's history (in worker threads) as soon as its result is in: the
    files of the quick services are written while the sweep waits for its slowest ones."""
    settings = config.incident_response.watch
    targets = service_targets(config, [s.name for s in config.incident_response.services])
    loop = asyncio.get_running_loop()
    written: dict[str, asyncio.Future[None]] = {}
    with ThreadPoolExecutor(max_workers=HISTORY_WRITERS, thread_name_prefix="watch-history") as pool:

        def submit(result: ServiceResult) -> None:
            if result.name not in written:
                entry = history_entry(result, state.tracks.get(result.name, Track()), settings, now, maintenance)
                written[result.name] = loop.run_in_executor(pool, record_service, ws, now, settings.interval,
                                                            entry)

        async def on_result(result: ServiceResult, done: int, total: int) -> None:
            submit(result)

        report = await check_targets(targets, policy=TargetPolicy.for_agent(config), options=options,
                                     on_result=on_result)
        for result in report.services:  # those the sweep deadline cut short
            submit(result)
        await asyncio.gather(*written.values())
    return report


async def run_round(ws: Workspace, *, now: dt.datetime | None = None, options: CheckOptions | None = None,
                    env: Mapping[str, str] | None = None, lock_wait: float | None = None,
                    deliver_deadline: float | None = None) -> RoundResult:
    """One round at ``now`` (default: the current time); see the module docstring."""
    config = load_config(ws.config_path).config
    section = config.incident_response
    if not section.services:
        raise ConfigError("no services to watch: add incident_response.services (name, url, critical)",
                          file=ws.config_path)
    settings = section.watch
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    with watch_lock(ws, settings.interval if lock_wait is None else lock_wait) as held:
        if not held:
            return RoundResult(at=now, skipped="another watcher holds the lock", exit_code=_state_code(load_state(ws)))
        state = load_state(ws)
        if state.last_round_at is not None and \
                dt.timedelta(0) <= now - state.last_round_at < dt.timedelta(seconds=settings.interval * SKIP_FRACTION):
            return RoundResult(at=now, skipped=f"a round ran at {_stamp(state.last_round_at)}, less than half an "
                                               "interval ago (another watcher?)", exit_code=_state_code(state))
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        maintenance = {s.name for s in section.services if section.under_maintenance(s.name, now)}
        report = await _check_and_record(ws, config, state, now, maintenance, options)
        clock = _lap(timings, "check_and_history", clock)
        observations = [_observation(r, maintenance) for r in report.services]
        decision = decide(state, observations, settings, now, _open_incidents(ws))
        clock = _lap(timings, "decide", clock)
        done, notices, followed, unopened = _write_incidents(ws, decision, now, section.status_page.url,
                                                             IncidentSettings.from_config(config))
        clock = _lap(timings, "incidents", clock)
        tracks = dict(decision.state.tracks)
        for name in unopened:  # opening failed: confirm again next round, so the open is retried
            tracks[name] = replace(tracks[name], confirmed="up", fail_streak=max(0, settings.open_after - 1))
        save_state(ws, replace(decision.state, incident=followed, tracks=tracks))
        clock = _lap(timings, "state", clock)
        deliveries: list[Delivery] = []
        if section.notify:
            entries = load_outbox(ws)
            enqueue(entries, notices, section.notify, now)
            budget = deliver_deadline if deliver_deadline is not None else min(30.0, settings.interval / 2)
            deliveries = await deliver(entries, section.notify, now, deadline=budget, env=env)
            save_outbox(ws, prune(entries, now))
            _lap(timings, "notify", clock)
    return RoundResult(at=now, report=report, actions=tuple(done),
                       incident_id=followed.id if followed else None, deliveries=tuple(deliveries),
                       exit_code=exit_code(report, maintenance), decision=decision, timings=timings)


def _lap(timings: dict[str, float], name: str, since: float) -> float:
    now = time.perf_counter()
    timings[name] = now - since
    return now


def _write_incidents(ws: Workspace, decision: Decision, now: dt.datetime, link: str,
                     settings: IncidentSettings) -> tuple[list[str], list[Notice], Followed | None, tuple[str, ...]]:
    followed = decision.state.incident
    incident_id = followed.id if followed else ""
    done: list[str] = []
    notices: list[Notice] = []
    unopened: tuple[str, ...] = ()
    last_id = incident_id
    for action in decision.actions:
        target = action.incident_id or incident_id
        try:
            last_id, what = _apply(ws, action, now, target, settings)
        except (IncidentError, WorkspaceError, OSError) as err:
            log.error("watch: %s on %s failed: %s", action.kind, target or "a new incident", err)
            done.append(f"{action.kind} failed: {err}")
            if action.kind == "opened":
                unopened = action.services
            continue
        if action.kind == "opened":
            incident_id = last_id
        done.append(what)
        try:
            notices.append(_notice(ws, action, last_id, now, link, settings))
        except (IncidentError, WorkspaceError, OSError) as err:
            log.error("watch: no notification for %s on %s: %s", action.kind, last_id, err)
    if followed is not None and incident_id and followed.id != incident_id:
        followed = replace(followed, id=incident_id)
    if followed is not None and not followed.id:
        followed = None  # opening failed: the next round tries again
    return done, notices, followed, unopened


def _state_code(state: WatchState) -> int:
    tracks = state.tracks.values()
    if any(t.confirmed == "down" for t in tracks):
        return 2
    return 1 if any(t.fail_streak for t in tracks) else 0


async def run_forever(ws: Workspace, *, options: CheckOptions | None = None,
                      on_round: Callable[[RoundResult], None] | None = None, rounds: int | None = None) -> None:
    """Rounds at the configured interval until interrupted (or ``rounds`` have run); a failing round is
    logged and the next one runs anyway."""
    count = 0
    while rounds is None or count < rounds:
        started = time.monotonic()
        interval = 60
        try:
            interval = load_config(ws.config_path).config.incident_response.watch.interval
            result = await run_round(ws, options=options)
            if on_round is not None:
                on_round(result)
        except (IncidentMCPError, OSError) as err:  # a bad config edit or a full disk: say so, try again
            log.error("watch round failed: %s", err)
        count += 1
        if rounds is not None and count >= rounds:
            break
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


def summary_line(result: RoundResult, names: Sequence[str] = ()) -> str:
    """One line per round for the log."""
    if result.skipped:
        return f"{_stamp(result.at)} skipped: {result.skipped}"
    assert result.report is not None
    counts = result.report.counts
    parts = [f"{n} {s}" for s, n in counts.model_dump().items() if n]
    streaks = []
    if result.decision is not None:
        for name, track in sorted(result.decision.state.tracks.items()):
            if track.fail_streak and track.confirmed != "down":
                streaks.append(f"{name} failed {track.fail_streak} round(s) ({track.failure})")
            elif track.confirmed == "down":
                streaks.append(f"{name} down ({track.failure})")
    line = f"{_stamp(result.at)} {', '.join(parts)}"
    if streaks:
        line += "; " + "; ".join(streaks)
    if result.actions:
        line += " → " + "; ".join(result.actions)
    if result.deliveries:
        line += " · notify: " + ", ".join(f"{d.channel} {d.status}" for d in result.deliveries)
    return line
