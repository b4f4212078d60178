"""What changed before it broke: deploys, config changes, promotions and commits in the window before
detection, ranked by how likely each is to be the cause.

Order: deploys of an affected service (a deploy naming no service counts as affecting every service),
then commits that changed ``company.config.yaml``, then deploys of other services, then other commits,
then artifact promotions; within each group the nearest to detection first. A deploy carries the command
that takes the host back to the deploy before it (same service) from the catalog.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from incident_mcp import incidents
from incident_mcp.changes.deploylog import Deploy, DeployLog, read_deploys
from incident_mcp.changes.git import CONFIG_FILE, MAX_COMMITS, TIMEOUT_S, Commit, commits_between
from incident_mcp.changes.promotions import Promotion, read_promotions
from incident_mcp.changes.rollback_command import RollbackCommands
from incident_mcp.config import CompanyConfig, load_config
from incident_mcp.errors import IncidentMCPError, LearnError
from incident_mcp.incidents.document import short_duration
from incident_mcp.incidents.record import format_timestamp, parse_timestamp, utc_now
from incident_mcp.workspace import Workspace

ChangeKind = Literal["deploy", "config", "commit", "promotion"]
MAX_WINDOW_HOURS = 24 * 30
MAX_LIMIT = 100
MAX_FILES = 5


def _none(value: Any) -> bool:
    return value is None


def _empty(value: Any) -> bool:
    return not value


class Change(BaseModel):
    """One change before detection, with why it may matter."""

    kind: ChangeKind
    id: str = Field(description="deploy id, commit sha (12 digits) or artifact id")
    at: str
    before: str = Field(description="how long before detection, e.g. '12 min'")
    who: str = Field(default="", exclude_if=_empty)
    what: str
    correlation: str = Field(description="one line: why this change ranks where it does")
    files: list[str] = Field(default_factory=list, exclude_if=_empty, description="first files a commit touched")
    rollback: str | None = Field(default=None, exclude_if=_none,
                                 description="command back to the deploy before this one (same service)")
    rollback_to: str | None = Field(default=None, exclude_if=_none, description="the version that command restores")


class RecentChanges(BaseModel):
    """Changes in the window before detection, most likely cause first."""

    incident_id: str | None = Field(default=None, exclude_if=_none)
    detected_at: str = Field(description="the moment the window ends at (detection, or the time asked)")
    window_hours: float
    services: list[str] = Field(default_factory=list, exclude_if=_empty, description="affected services")
    changes: list[Change]
    total: int = Field(description="changes found in the window (changes holds the first `limit`)")
    notes: list[str] = Field(default_factory=list, exclude_if=_empty)


def _reference(ws: Workspace, incident_id: str | None, at: str | None,
               now: dt.datetime) -> tuple[str | None, dt.datetime, list[str]]:
    """(incident id, the moment the window ends, affected services)."""
    if incident_id and at:
        raise LearnError("give either an incident id or a time (--at), not both")
    if incident_id:
        record = incidents.read_incident(ws, incident_id).record
        return record.id, parse_timestamp(record.detected_at), list(record.services)
    if at:
        try:
            return None, parse_timestamp(at), []
        except ValueError as err:
            raise LearnError(f"at: {err}") from None
    latest = incidents.list_incidents(ws, states=["open"], limit=1).incidents
    if latest:
        return latest[0].id, parse_timestamp(latest[0].detected_at), list(latest[0].services)
    return None, now, []


Ranked = tuple[int, dt.timedelta, str, Change]  # (tier, how long before detection, id, the change)


def recent_changes(ws: Workspace, *, incident_id: str | None = None, at: str | None = None,
                   window_hours: float = 24, limit: int = 10, services: Sequence[str] | None = None,
                   now: dt.datetime | None = None, config: CompanyConfig | None = None,
                   git_timeout: float = TIMEOUT_S, max_commits: int = MAX_COMMITS) -> RecentChanges:
    """Changes in the ``window_hours`` before an incident's detection (or ``at``; default: the latest open
    incident, else now), ranked; the first ``limit`` of them. Git is asked for at most ``max_commits``
    commits (newest first), so ``total`` is exact unless a note says the cap was reached."""
    _check_bounds(window_hours, limit)
    now = utc_now(now)
    ident, end, affected = _reference(ws, incident_id, at, now)
    if services:
        affected = list(services)
    start = end - dt.timedelta(hours=window_hours)
    notes: list[str] = []
    if config is None:
        config = _config(ws, notes)
    log = read_deploys(ws)
    notes += log.skipped[:5]
    commands = RollbackCommands(config) if config is not None else None
    ranked, shipped = _deploys(log, start, end, affected, commands)
    ranked += _commits(ws, start, end, shipped, notes, limit=max_commits, timeout=git_timeout)
    for promotion in read_promotions(ws, start, end):
        ranked.append((4, end - promotion.at, promotion.file, _promotion_change(promotion, end)))
    ranked.sort(key=lambda item: (item[0], item[1], item[2]))
    return RecentChanges(incident_id=ident, detected_at=format_timestamp(end), window_hours=window_hours,
                         services=affected, changes=[item[3] for item in ranked[:limit]], total=len(ranked),
                         notes=notes)


def _check_bounds(window_hours: float, limit: int) -> None:
    """Refuse (LearnError) a window or a limit out of range, saying what is accepted."""
    if not isinstance(window_hours, int | float) or not 0 < window_hours <= MAX_WINDOW_HOURS:
        raise LearnError(f"window_hours must be more than 0 and at most {MAX_WINDOW_HOURS} (30 days); "
                         f"got {window_hours!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise LearnError(f"limit must be between 1 and {MAX_LIMIT}; got {limit}")


def _config(ws: Workspace, notes: list[str]) -> CompanyConfig | None:
    """The workspace's config, or None with a note (deploys then carry no rollback command)."""
    try:
        return load_config(ws.config_path).config
    except IncidentMCPError as err:
        notes.append(f"config not read ({err}); deploys carry no rollback command")
        return None


def _deploys(log: DeployLog, start: dt.datetime, end: dt.datetime, affected: list[str],
             commands: RollbackCommands | None) -> tuple[list[Ranked], dict[str, Deploy]]:
    """The deploys in the window, ranked, and by sha those that shipped a commit."""
    ranked: list[Ranked] = []
    shipped: dict[str, Deploy] = {}
    previous = log.previous_of()
    for deploy in log.deploys:
        if start <= deploy.when <= end:
            tier, change = _deploy_change(deploy, end, affected, previous.get(deploy.id), commands)
            ranked.append((tier, end - deploy.when, deploy.id, change))
            if deploy.sha:
                shipped[deploy.sha] = deploy
    return ranked, shipped


def _commits(ws: Workspace, start: dt.datetime, end: dt.datetime, shipped: dict[str, Deploy], notes: list[str],
             *, limit: int, timeout: float) -> list[Ranked]:
    """The commits in the window, ranked: those changing the config apart from the rest. When git could
    not be read (a note, nothing cut by the cap) it is not asked again for the config commits."""
    other = commits_between(ws.root, start, end, limit=limit, timeout=timeout)
    if other.note:
        notes.append(other.note)
    config_commits = other if other.note and not other.truncated else commits_between(
        ws.root, start, end, limit=limit, paths=[CONFIG_FILE], timeout=timeout)
    config_shas = {c.sha for c in config_commits.commits}
    ranked: list[Ranked] = [(1, end - commit.at, commit.sha, _commit_change(commit, end, "config", shipped))
                            for commit in config_commits.commits]
    for commit in other.commits:
        if commit.sha not in config_shas:
            ranked.append((3, end - commit.at, commit.sha, _commit_change(commit, end, "commit", shipped)))
    return ranked


def _deploy_change(deploy: Deploy, end: dt.datetime, affected: list[str], previous: Deploy | None,
                   commands: RollbackCommands | None) -> tuple[int, Change]:
    before = short_duration(end - deploy.when)
    target = deploy.service or "every service"
    if not deploy.service:
        tier, why = 0, f"deploy naming no service (so possibly every service), {before} before detection"
    elif not affected:
        tier, why = 0, f"deploy of {deploy.service} {before} before detection (no affected service named)"
    elif deploy.service in affected:
        tier, why = 0, f"deploy of {deploy.service}, an affected service, {before} before detection"
    else:
        tier, why = 2, f"deploy of {deploy.service}, not an affected service, {before} before detection"
    what = f"{target} {deploy.label}" + (f": {deploy.note}" if deploy.note else "")
    rollback = rollback_to = None
    back_to = (previous.version or previous.sha) if previous else ""
    if previous and back_to and commands is not None:
        rollback = commands.to(back_to)
        rollback_to = f"{back_to} ({previous.id})"
    return tier, Change(kind="deploy", id=deploy.id, at=deploy.at, before=before, who=deploy.by, what=what,
                        correlation=why, rollback=rollback, rollback_to=rollback_to)


def _commit_change(commit: Commit, end: dt.datetime, kind: ChangeKind, shipped: dict[str, Deploy]) -> Change:
    before = short_duration(end - commit.at)
    if kind == "config":
        why = f"changed {CONFIG_FILE} {before} before detection"
    else:
        why = f"commit {before} before detection"
    deploy = next((d for sha, d in shipped.items() if commit.sha.startswith(sha) or sha.startswith(commit.sha)),
                  None)
    if deploy is not None:
        why += f"; shipped by {deploy.id}"
    files = list(commit.files[:MAX_FILES])
    if len(commit.files) > MAX_FILES:
        files.append(f"… {len(commit.files) - MAX_FILES} more")
    return Change(kind=kind, id=commit.sha[:12], at=format_timestamp(commit.at), before=before, who=commit.author,
                  what=commit.subject[:200], correlation=why, files=files)


def _promotion_change(promotion: Promotion, end: dt.datetime) -> Change:
    before = short_duration(end - promotion.at)
    return Change(kind="promotion", id=promotion.artifact, at=format_timestamp(promotion.at), before=before,
                  what=f"{promotion.file}: {promotion.from_status} → {promotion.to_status}",
                  correlation=f"artifact promoted to {promotion.to_status} {before} before detection")
