"""The command that takes the configured host back to a given version, from the catalog's rollback steps.

The deployment section of ``rollback.rollback_plan`` already fills the config's ids (app, service, …); the
first rollback step that names a version-like placeholder (``{deployment_id}``, ``{release}``,
``{revision}`` …) gets the version filled in. A host whose rollback needs no version (``kubectl rollout
undo``) gives its first rollback command as it is.
"""

from __future__ import annotations

from incident_mcp.config import CompanyConfig
from incident_mcp.rollback import PlanStep, rollback_plan

# Placeholders that name the release to go back to, most specific first.
VERSION_PLACEHOLDERS = ("PREVIOUS_VERSION", "PREVIOUS_VERSION_LABEL", "PREVIOUS_REVISION", "VERSION_ID",
                        "DEPLOYMENT_ID", "DEPLOY_ID", "RELEASE", "REVISION", "OLD_JOB_ID", "VERSION")


def _steps(config: CompanyConfig) -> list[PlanStep]:
    plan = rollback_plan(config, ["deployment"])
    section = plan.sections[0]
    steps = [step for provider in section.providers if not provider.family_options for step in provider.steps]
    return [s for s in steps or section.steps if s.command]


class RollbackCommands:
    """The host's rollback steps, looked up once, filled per version."""

    def __init__(self, config: CompanyConfig) -> None:
        self.steps = _steps(config)

    def to(self, version: str) -> str | None:
        """The rollback command filled with ``version`` (None when the catalog has no command)."""
        return rollback_command(self.steps, version)


def rollback_command(steps: list[PlanStep], version: str) -> str | None:
    """The first step's command that takes a version, filled with ``version``; else the first command."""
    for step in steps:
        for name in VERSION_PLACEHOLDERS:
            if name in step.missing and step.command:
                return step.command.replace(name, version)
    return steps[0].command if steps else None
