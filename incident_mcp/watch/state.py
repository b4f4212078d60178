"""The watch state file ``watch/state.json``: per-service streaks and the followed incident, committed with
the repository so consecutive counts survive between ``watch --once`` runs (cron, scheduled CI).

One service per line, keys sorted: a round changes only the lines of services whose streak moved.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from incident_mcp.errors import WorkspaceError
from incident_mcp.frontmatter.reading import read_utf8
from incident_mcp.watch.decision import Followed, Track, WatchState
from incident_mcp.workspace import Workspace, atomic_write

WATCH_DIR = "watch"
STATE_FILE = f"{WATCH_DIR}/state.json"
STATE_VERSION = 1
MAX_STATE_BYTES = 20_000_000


def _time(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _parse(value: Any) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _track_data(track: Track) -> dict[str, Any]:
    data: dict[str, Any] = {"confirmed": track.confirmed, "fail_streak": track.fail_streak,
                            "ok_streak": track.ok_streak}
    if track.first_failed_at:
        data["first_failed_at"] = _time(track.first_failed_at)
    if track.healthy_since:
        data["healthy_since"] = _time(track.healthy_since)
    if track.failure:
        data["failure"] = track.failure
    return data


def _track(data: dict[str, Any]) -> Track:
    confirmed = data.get("confirmed", "up")
    return Track(confirmed="down" if confirmed == "down" else "up", fail_streak=int(data.get("fail_streak", 0)),
                 ok_streak=int(data.get("ok_streak", 0)), first_failed_at=_parse(data.get("first_failed_at")),
                 healthy_since=_parse(data.get("healthy_since")), failure=str(data.get("failure", "")))


def dump_state(state: WatchState) -> str:
    """The state as JSON text, one service per line."""
    head: dict[str, Any] = {"version": STATE_VERSION, "last_round_at": _time(state.last_round_at)}
    incident = state.incident
    if incident is not None:
        head["incident"] = {"id": incident.id, "services": list(incident.services), "severity": incident.severity,
                            "state": incident.state, "opened_by_watch": incident.opened_by_watch,
                            "recovered_at": _time(incident.recovered_at)}
    lines = [json.dumps(name) + ": " + json.dumps(_track_data(track), sort_keys=True)
             for name, track in sorted(state.tracks.items())]
    body = ",\n".join("    " + line for line in lines)
    head_text = json.dumps(head, sort_keys=True)[1:-1]
    return "{" + head_text + ',\n  "services": {\n' + body + ("\n" if body else "") + "  }\n}\n"


def parse_state(text: str) -> WatchState:
    """State from JSON text; a WorkspaceError naming the file when it is not ours."""
    try:
        data = json.loads(text)
        tracks = {str(k): _track(v) for k, v in dict(data.get("services", {})).items()}
        raw = data.get("incident")
        incident = None
        if raw:
            incident = Followed(id=str(raw["id"]), services=tuple(raw.get("services", [])),
                                severity=raw["severity"], state=str(raw.get("state", "investigating")),
                                opened_by_watch=bool(raw.get("opened_by_watch", False)),
                                recovered_at=_parse(raw.get("recovered_at")))
        return WatchState(last_round_at=_parse(data.get("last_round_at")), tracks=tracks, incident=incident)
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise WorkspaceError(_not_ours(err)) from None


def _not_ours(why: object) -> str:
    """The one message for a state file we cannot have written, with why."""
    return f"{STATE_FILE}: not a watch state file ({why}); move it away to start afresh"


def load_state(ws: Workspace) -> WatchState:
    """The saved state, or a fresh one when the watch never ran here."""
    path = ws.path(STATE_FILE)
    if not path.exists():
        return WatchState()
    if path.stat().st_size > MAX_STATE_BYTES:
        raise WorkspaceError(f"{STATE_FILE}: larger than {MAX_STATE_BYTES:,} bytes; not a state file we wrote")
    return parse_state(read_utf8(path, lambda why: WorkspaceError(_not_ours(why))))


def save_state(ws: Workspace, state: WatchState) -> None:
    """Write the state atomically (call under the watch lock)."""
    atomic_write(ws.path(STATE_FILE), dump_state(state))
