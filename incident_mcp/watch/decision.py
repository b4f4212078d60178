"""The watch's judgement, as a pure function: one round's observations + the remembered state → new state
and the actions to take. No I/O, no clock: the runner passes ``now`` and applies the actions.

Rules (why: the false alarms and missed outages users of Upptime and Uptime Kuma report):
- a service is *confirmed down* only after ``open_after`` consecutive failed rounds (``down`` results;
  the checker has already re-checked inside each round); ``unknown`` rounds (we could not judge) neither
  count nor break a streak; degraded rounds are recorded, never opened on;
- it is *confirmed up* again after ``recover_after`` consecutive healthy rounds (up or degraded);
- failures inside a maintenance window count for nothing and reset the streak;
- one incident per outage: a newly confirmed-down service joins the incident the watch follows, or an open
  incident (opened by hand or by an agent) that already names it, before a new one is opened;
- severity comes from the classification rules on the confirmed rollup and only ever rises here;
- recovery → ``monitoring``; ``resolve_after_minutes`` of continuous health later (0: at once) the watch
  resolves what it opened, unless ``auto_resolve`` is off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from incident_mcp.config import WatchSettings
from incident_mcp.severity import SEVERITIES, ImpactSignals, Severity, StatusRollup, classify

Health = Literal["up", "degraded", "down", "unknown"]
EventKind = Literal["opened", "joined", "severity_changed", "relapsed", "recovered", "resolved"]


@dataclass(frozen=True)
class Observation:
    """One service's result in one round, reduced to what the decision needs."""

    service: str
    health: Health
    critical: bool = False
    failure: str = ""  # a short cause for titles: "HTTP 503", "connection refused"
    maintenance: bool = False  # inside a maintenance window at the round's time


@dataclass(frozen=True)
class Track:
    """What the watch remembers about one service between rounds (persisted in the state file)."""

    confirmed: Literal["up", "down"] = "up"
    fail_streak: int = 0
    ok_streak: int = 0
    first_failed_at: dt.datetime | None = None  # first failed round of the current streak
    healthy_since: dt.datetime | None = None  # first healthy round of the current healthy streak
    failure: str = ""


@dataclass(frozen=True)
class Followed:
    """The incident the watch follows: the one it opened, or a human's that it joined."""

    id: str
    services: tuple[str, ...]
    severity: Severity
    state: str
    opened_by_watch: bool
    recovered_at: dt.datetime | None = None  # all its services confirmed up since (None: not recovered)


@dataclass(frozen=True)
class OpenIncident:
    """An open incident on disk, as the runner read it (for joining instead of duplicating)."""

    id: str
    services: tuple[str, ...]
    severity: Severity
    state: str
    opened_by_watch: bool


@dataclass(frozen=True)
class WatchState:
    """Everything the watch carries from one round to the next."""

    last_round_at: dt.datetime | None = None
    tracks: Mapping[str, Track] = field(default_factory=dict)
    incident: Followed | None = None


@dataclass(frozen=True)
class Action:
    """One thing to write to an incident; ``kind`` also names the notification it triggers."""

    kind: EventKind
    incident_id: str  # "" for "opened" (the runner allocates the id)
    text: str
    services: tuple[str, ...] = ()
    severity: Severity | None = None
    severity_from: Severity | None = None
    title: str = ""
    detected_at: dt.datetime | None = None
    overall: StatusRollup = "down"
    state: str | None = None  # the incident state to move to, if any


@dataclass(frozen=True)
class Decision:
    """The outcome of one round."""

    state: WatchState
    actions: tuple[Action, ...]
    newly_down: tuple[str, ...] = ()
    newly_up: tuple[str, ...] = ()


def advance(track: Track, obs: Observation, settings: WatchSettings, now: dt.datetime) -> Track:
    """One service's track after one round."""
    if obs.maintenance:
        return replace(track, fail_streak=0, first_failed_at=None)
    if obs.health == "unknown":
        return track
    if obs.health == "down":
        first = track.first_failed_at if track.fail_streak else now
        streak = track.fail_streak + 1
        confirmed = "down" if streak >= settings.open_after else track.confirmed
        return replace(track, fail_streak=streak, ok_streak=0, first_failed_at=first, healthy_since=None,
                       failure=obs.failure or track.failure, confirmed=confirmed)
    since = track.healthy_since if track.ok_streak else now
    streak = track.ok_streak + 1
    confirmed = "up" if streak >= settings.recover_after else track.confirmed
    return replace(track, ok_streak=streak, fail_streak=0, first_failed_at=None, healthy_since=since,
                   confirmed=confirmed)


def rollup(down: Sequence[str], critical: Mapping[str, bool], total: int) -> StatusRollup:
    """The overall state of confirmed-down services: a critical one (or all) down is a major outage."""
    if not down:
        return "operational"
    if any(critical.get(name, False) for name in down) or len(down) >= total:
        return "major_outage"
    return "partial_outage"


def severity_for(down: Sequence[str], critical: Mapping[str, bool], total: int) -> Severity:
    """The severity the classification rules give the confirmed rollup (the same rules as classify_severity)."""
    return classify(ImpactSignals(status_rollup=rollup(down, critical, total))).severity


def _failure_text(names: Sequence[str], tracks: Mapping[str, Track]) -> str:
    causes = sorted({tracks[n].failure for n in names if tracks[n].failure})
    return "; ".join(causes) or "not responding"


def _title(names: Sequence[str], tracks: Mapping[str, Track]) -> str:
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{shown} down: {_failure_text(names, tracks)}"


def _higher(a: Severity, b: Severity) -> bool:
    return SEVERITIES.index(a) < SEVERITIES.index(b)


@dataclass(frozen=True)
class _Round:
    """One round's facts the incident actions are written from."""

    tracks: Mapping[str, Track]
    critical: Mapping[str, bool]
    total: int  # services observed this round
    down_now: tuple[str, ...]  # confirmed down after this round
    newly_down: tuple[str, ...]
    first: dt.datetime  # the first failed round of the newly down services
    settings: WatchSettings


def decide(state: WatchState, observations: Sequence[Observation], settings: WatchSettings, now: dt.datetime,
           open_incidents: Sequence[OpenIncident] = ()) -> Decision:
    """One round: new tracks, and the incident actions they call for."""
    before = {name: t.confirmed for name, t in state.tracks.items()}
    # Services no longer configured are forgotten; the rest advance by this round.
    tracks = {obs.service: advance(state.tracks.get(obs.service, Track()), obs, settings, now)
              for obs in observations}
    names = [o.service for o in observations]
    newly_down = tuple(n for n in names if tracks[n].confirmed == "down" and before.get(n, "up") != "down")
    newly_up = tuple(n for n in names if tracks[n].confirmed == "up" and before.get(n) == "down")

    actions: list[Action] = []
    followed = _still_open(state.incident, open_incidents)

    if newly_down:
        this = _Round(tracks=tracks, critical={o.service: o.critical for o in observations}, total=len(names),
                      down_now=tuple(n for n in names if tracks[n].confirmed == "down"), newly_down=newly_down,
                      first=min((tracks[n].first_failed_at or now) for n in newly_down), settings=settings)
        if followed is None:
            followed = _adopted(newly_down, open_incidents)
        followed = _open(this, actions) if followed is None else _join(followed, this, actions)

    if followed is not None and not newly_down:
        followed = _recovery(followed, tracks, settings, now, newly_up, actions)

    return Decision(state=WatchState(last_round_at=now, tracks=tracks, incident=followed),
                    actions=tuple(actions), newly_down=newly_down, newly_up=newly_up)


def _adopted(newly_down: Sequence[str], open_incidents: Sequence[OpenIncident]) -> Followed | None:
    """An open incident that already names a newly down service, followed from now on (None: there is none)."""
    adopt = next((i for i in open_incidents if set(i.services) & set(newly_down)), None)
    if adopt is None:
        return None
    return Followed(id=adopt.id, services=adopt.services, severity=adopt.severity, state=adopt.state,
                    opened_by_watch=adopt.opened_by_watch)


def _open(this: _Round, actions: list[Action]) -> Followed:
    """Open a new incident for every service confirmed down (the runner allocates its id)."""
    involved = this.down_now
    severity = severity_for(involved, this.critical, this.total)
    actions.append(Action(
        kind="opened", incident_id="", services=involved, severity=severity, detected_at=this.first,
        title=_title(involved, this.tracks), overall=rollup(involved, this.critical, this.total),
        text=f"Watch: {', '.join(involved)} down for {this.settings.open_after} consecutive round(s) since "
             f"{this.first:%Y-%m-%d %H:%M:%S}Z ({_failure_text(involved, this.tracks)})."))
    return Followed(id="", services=involved, severity=severity, state="investigating", opened_by_watch=True)


def _join(followed: Followed, this: _Round, actions: list[Action]) -> Followed:
    """Add the newly down services to the followed incident (a relapse when it had recovered), back to
    investigating, with its severity raised when the classification rules now give a higher one."""
    joining = tuple(n for n in this.newly_down if n not in followed.services)
    involved = tuple(dict.fromkeys([*followed.services, *this.down_now]))
    overall = rollup(this.down_now, this.critical, this.total)
    relapse = followed.recovered_at is not None or followed.state == "monitoring"
    kind: EventKind = "relapsed" if relapse and not joining else "joined"
    verb = "down again" if kind == "relapsed" else "down, joined this incident"
    actions.append(Action(
        kind=kind, incident_id=followed.id, services=involved, overall=overall,
        state="investigating" if followed.state == "monitoring" else None,
        text=f"Watch: {', '.join(this.newly_down)} {verb} ({_failure_text(this.newly_down, this.tracks)}; first "
             f"failed round {this.first:%Y-%m-%d %H:%M:%S}Z)."))
    severity = severity_for(this.down_now, this.critical, this.total)
    if _higher(severity, followed.severity):
        actions.append(Action(
            kind="severity_changed", incident_id=followed.id, services=involved, severity=severity,
            severity_from=followed.severity,
            text=f"Watch: {overall.replace('_', ' ')} ({', '.join(this.down_now)} down); the classification "
                 f"rules give {severity}"))
        followed = replace(followed, severity=severity)
    return replace(followed, services=involved, recovered_at=None,
                   state="investigating" if followed.state == "monitoring" else followed.state)


def _still_open(followed: Followed | None, open_incidents: Sequence[OpenIncident]) -> Followed | None:
    """The followed incident refreshed from disk; None once someone resolved it (or it vanished)."""
    if followed is None or not followed.id:
        return followed
    current = next((i for i in open_incidents if i.id == followed.id), None)
    if current is None:
        return None
    return replace(followed, severity=current.severity, state=current.state,
                   services=tuple(dict.fromkeys([*followed.services, *current.services])))


def _recovery(followed: Followed, tracks: Mapping[str, Track], settings: WatchSettings, now: dt.datetime,
              newly_up: Sequence[str], actions: list[Action]) -> Followed | None:
    watched = [s for s in followed.services if s in tracks]
    if not watched or any(tracks[s].confirmed == "down" for s in watched):
        return replace(followed, recovered_at=None) if followed.recovered_at else followed
    if any(tracks[s].ok_streak == 0 for s in watched):  # a failed (unconfirmed) round breaks continuous health
        return replace(followed, recovered_at=None) if followed.recovered_at else followed
    healthy_since = max((tracks[s].healthy_since or now) for s in watched)
    if followed.recovered_at is None:
        if not newly_up and followed.state == "monitoring" and not followed.opened_by_watch:
            return followed  # a human moved it along; nothing the watch saw changed
        move = "monitoring" if followed.state in ("investigating", "identified") else None
        actions.append(Action(
            kind="recovered", incident_id=followed.id, services=followed.services, overall="healthy", state=move,
            text=f"Watch: {', '.join(watched)} healthy for {settings.recover_after} consecutive round(s) since "
                 f"{healthy_since:%Y-%m-%d %H:%M:%S}Z; monitoring."))
        followed = replace(followed, recovered_at=healthy_since, state="monitoring")
    if not (settings.auto_resolve and followed.opened_by_watch):
        return followed
    healthy_for = now - followed.recovered_at if followed.recovered_at else dt.timedelta(0)
    if healthy_for >= dt.timedelta(minutes=settings.resolve_after_minutes):
        minutes = int(healthy_for.total_seconds() // 60)
        actions.append(Action(
            kind="resolved", incident_id=followed.id, services=followed.services, overall="healthy",
            text=f"Resolved automatically by incident-mcp watch: {', '.join(watched)} healthy for {minutes} "
                 f"minute(s) (resolve_after_minutes: {settings.resolve_after_minutes}). Reopen or add a note "
                 "if this was premature; the post-mortem is still yours."))
        return None
    return followed
