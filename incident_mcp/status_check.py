"""A status check as both adapters run it: the config it needs (if any), the sweep, and the timeline record.

The MCP tool and the CLI only parse arguments and present the result; what a check without a workspace
may do, and how a sweep lands in an incident's timeline, lives here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from incident_mcp.config import CompanyConfig, load_config
from incident_mcp.errors import IncidentMCPError, WorkspaceError
from incident_mcp.incidents import record_status_check
from incident_mcp.status import (
    CheckOptions,
    CheckTarget,
    ProgressCallback,
    StatusReport,
    TargetPolicy,
    check_targets,
    unchecked_services,
)
from incident_mcp.workspace import Workspace


def config_for_check(locate: Callable[[], Workspace], *, needed: bool,
                     ) -> tuple[CompanyConfig | None, Workspace | None]:
    """The config (and workspace) for a check; without a workspace or config only ad-hoc URLs can be checked.

    ``needed`` (services named, or no URL given): a missing workspace or config is then an error.
    """
    try:
        workspace = locate()
    except WorkspaceError:
        if needed:
            raise
        return None, None
    if not workspace.config_path.is_file() and not needed:
        return None, workspace
    return load_config(workspace.config_path).config, workspace


@dataclass
class RecordedCheck:
    """A sweep's report, its notes for the reader, and whether it was appended to an incident's timeline."""

    report: StatusReport
    notes: list[str] = field(default_factory=list)
    timeline_updated: bool = False


async def check_and_record(config: CompanyConfig | None, workspace: Workspace | None,
                           targets: list[CheckTarget], *, policy: TargetPolicy, incident_id: str | None = None,
                           read_only: bool = False, on_result: ProgressCallback | None = None) -> RecordedCheck:
    """Sweep ``targets``, then append the result to ``incident_id``'s timeline when that is allowed.

    A failed write becomes a note: the results of a live check always come back.
    """
    report = await check_targets(targets, policy=policy, options=CheckOptions(), on_result=on_result)
    recorded = RecordedCheck(report, list(report.notes))
    left_out = unchecked_services(config, targets)
    if left_out:
        recorded.notes.append(f"not checked: {', '.join(left_out)} (pass services=[...] to include them)")
    if incident_id is None:
        return recorded
    if read_only:
        recorded.notes.append(f"the server is read-only: {incident_id} was not updated")
    elif workspace is None:
        recorded.notes.append(f"no workspace: {incident_id} was not updated")
    else:
        recorded.timeline_updated, note = record_in_incident(workspace, incident_id, report)
        recorded.notes.append(note)
    return recorded


def record_in_incident(workspace: Workspace, incident_id: str, report: StatusReport) -> tuple[bool, str]:
    """Append the report to the incident's timeline; a failed write becomes a note, the results still return."""
    try:
        record_status_check(workspace, incident_id, report)
    except IncidentMCPError as err:
        return False, f"could not append to {incident_id}: {err}"
    return True, f"appended this check to the timeline of {incident_id}"
