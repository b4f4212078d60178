"""``caused_by``: the change an incident record names as its cause, a deploy id or a commit sha, checked
against the deploy log and the workspace's git history before it is written.
"""

from __future__ import annotations

from incident_mcp.changes.deploylog import DEPLOY_ID_RE, DEPLOY_LOG, SHA_RE, DeployLog, read_deploys
from incident_mcp.changes.git import resolve_commit
from incident_mcp.errors import LearnError
from incident_mcp.workspace import Workspace


def resolve_cause(ws: Workspace, value: str, log: DeployLog | None = None) -> str:
    """The deploy id or full commit sha ``value`` names; LearnError saying what is accepted otherwise."""
    given = value.strip() if isinstance(value, str) else ""
    if DEPLOY_ID_RE.match(given):
        log = log or read_deploys(ws)
        if log.by_id(given) is None:
            raise LearnError(f"caused_by: no deploy {given!r} in {DEPLOY_LOG}")
        return given
    if SHA_RE.match(given):
        sha = given.lower()
        try:
            return resolve_commit(ws.root, sha)
        except LearnError as err:
            log = log or read_deploys(ws)
            deployed = [d for d in log.deploys if d.sha and (d.sha.startswith(sha) or sha.startswith(d.sha))]
            if deployed:
                return deployed[-1].sha if len(deployed[-1].sha) >= len(sha) else sha
            raise LearnError(f"caused_by: {err}; no deploy in {DEPLOY_LOG} has that sha either") from None
    raise LearnError(f"caused_by {given[:70]!r} is neither a deploy id (dep-YYYYMMDD-HHMMSS-xxxxxx, from "
                     "`incident-mcp deploy record` or recent_changes) nor a commit sha (4 to 64 hex digits)")


def cause_matches(caused_by: str, deploy_id: str, deploy_sha: str) -> bool:
    """Whether a record's ``caused_by`` names this deploy (by id, or by the commit it shipped)."""
    if not caused_by:
        return False
    if caused_by == deploy_id:
        return True
    sha = caused_by.lower()
    return bool(deploy_sha) and len(sha) >= 4 and (deploy_sha.startswith(sha) or sha.startswith(deploy_sha))
