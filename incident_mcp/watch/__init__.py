"""Detection: ``incident-mcp watch`` checks every configured service on a schedule and opens, updates and
resolves incidents without crying wolf.

Modules: ``decision`` (the pure state machine: streaks, confirmation, which incident, which actions),
``state`` (the committed state file), ``history`` (the per-day check history and :func:`observed_spans`
for the status page and metrics), ``runner`` (one round under the lock, and the loop; imported on its own
so that readers of the history do not load the checker), ``schedule`` (the scheduled-CI workflow).
"""

from incident_mcp.watch.decision import Observation, Track, WatchState, decide
from incident_mcp.watch.history import HISTORY_DIR, Observations, observed_spans
from incident_mcp.watch.state import STATE_FILE, WATCH_DIR, load_state

__all__ = [
    "HISTORY_DIR",
    "STATE_FILE",
    "WATCH_DIR",
    "Observation",
    "Observations",
    "Track",
    "WatchState",
    "decide",
    "load_state",
    "observed_spans",
]
