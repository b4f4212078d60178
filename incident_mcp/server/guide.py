"""MCP prompts for the three workflows and resources for the records and ops standards."""

from __future__ import annotations

from collections.abc import Callable

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from incident_mcp.errors import IncidentMCPError
from incident_mcp.incidents import read_incident
from incident_mcp.server.common import ServerContext


def _standard(ctx: ServerContext, rel: str) -> Callable[[], str]:
    """A resource reading one ops standard that ``generate_runbook`` writes, or saying how to create it."""

    def read() -> str:
        try:
            path = ctx.workspace().path(rel)
        except IncidentMCPError as err:
            raise ResourceError(str(err)) from err
        if not path.is_file():
            raise ResourceNotFoundError(f"{rel} does not exist yet; call generate_runbook to create it")
        return path.read_text(encoding="utf-8")

    return read


def _incident_record(ctx: ServerContext) -> Callable[[str], str]:
    """The incident://{incident_id} resource: one record as Markdown."""

    def incident_record(incident_id: str) -> str:
        try:
            return read_incident(ctx.workspace(), incident_id).artifact.text
        except IncidentMCPError as err:
            raise ResourceNotFoundError(str(err)) from err

    return incident_record


def establish_prompt() -> str:
    """Set up (or refresh) the runbook and post-mortem template for this company's stack."""
    return (
        "Set up incident response for this company.\n"
        "1. Call load_context. If missing_config is not empty, list those fields for me and explain "
        "what each one unlocks.\n"
        "2. Call generate_runbook with dry_run=true and show me the diff in short.\n"
        "3. If I agree, call generate_runbook to write it; report blocks kept because I edited them.\n"
        "4. Call validate_artifacts and fix nothing silently: tell me about every problem."
    )


def live_incident_prompt(symptom: str) -> str:
    """Drive a live incident from the first symptom to resolution."""
    return (
        f"Production problem reported: {symptom}\n"
        "I am the only person on call. Work step by step and keep me in the loop:\n"
        "1. check_status (critical services) → tell me what is really down.\n"
        "2. classify_severity with what we know plus the status rollup; when unsure, pick the higher.\n"
        "3. open_incident (link related RFCs via depends_on), then get_incident and tell me what is due "
        "and by when.\n"
        "4. rollback_plan → read me the caveats before any command; I run the commands.\n"
        "5. After each action: update_incident, check_status with incident_id, get_incident.\n"
        "6. draft_communication for the status page when the first communication is due; "
        "log it with update_incident once I have posted it.\n"
        "7. Resolve only when check_status shows the critical services operational."
    )


def review_prompt(incident_id: str) -> str:
    """Run the 5 Whys post-mortem for a resolved incident and promote the record to review."""
    return (
        f"Run the post-mortem for {incident_id}.\n"
        f"1. Read incident://{incident_id} (or get_incident) and summarise the timeline.\n"
        "2. Ask me the 5 Whys one at a time; each why builds on my previous answer.\n"
        "3. Ask for contributing factors, impact (users, revenue, data, reputation), remediation actions "
        "with owner and due date (immediate / short-term / long-term), and lessons learned "
        "(went well, went poorly, where we got lucky).\n"
        "4. record_postmortem with everything; then promote_artifact to review. If refused, ask me "
        "for exactly what is missing.\n"
        "5. validate_artifacts on the record."
    )


def register(server: MCPServer, ctx: ServerContext) -> None:
    """Add the workflow prompts and the read-only resources."""
    server.resource("incident://runbook", name="incident-runbook", mime_type="text/markdown",
                    description="The company's incident runbook (standards/ops/incident-runbook.md).")(
        _standard(ctx, "standards/ops/incident-runbook.md"))
    server.resource("incident://post-mortem-template", name="post-mortem-template", mime_type="text/markdown",
                    description="The post-mortem template (standards/ops/post-mortem-template.md).")(
        _standard(ctx, "standards/ops/post-mortem-template.md"))
    server.resource("incident://{incident_id}", name="incident-record", mime_type="text/markdown",
                    description="One incident record as Markdown, e.g. incident://INC-007.")(_incident_record(ctx))
    server.prompt(name="establish_incident_process", title="Establish the incident process")(establish_prompt)
    server.prompt(name="handle_live_incident", title="Handle a live incident")(live_incident_prompt)
    server.prompt(name="post_incident_review", title="Post-incident review")(review_prompt)
