"""What changed before it broke: the deploy log, the workspace's git history, config changes and artifact
promotions, ranked against an incident's detection time.

Modules: ``deploylog`` (the append-only deploy log), ``git`` (bounded git reads), ``promotions`` (the audit
log), ``rollback_command`` (the host's command back to a version), ``recent`` (the ranking), ``cause``
(``caused_by`` checks), ``at_open`` (the top three written into a new record).
"""

from incident_mcp.changes.at_open import (
    IncidentViewWithChanges,
    OpenedWithChanges,
    changes_hint,
    note_recent_changes,
)
from incident_mcp.changes.cause import cause_matches, resolve_cause
from incident_mcp.changes.deploylog import DEPLOY_LOG, Deploy, DeployLog, read_deploys, record_deploy
from incident_mcp.changes.recent import Change, RecentChanges, recent_changes

__all__ = [
    "DEPLOY_LOG",
    "Change",
    "Deploy",
    "DeployLog",
    "IncidentViewWithChanges",
    "OpenedWithChanges",
    "RecentChanges",
    "cause_matches",
    "changes_hint",
    "note_recent_changes",
    "read_deploys",
    "recent_changes",
    "record_deploy",
    "resolve_cause",
]
