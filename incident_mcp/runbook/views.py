"""What the runbook templates see of a rollback plan: plain, frozen records a sandboxed template can read."""

from __future__ import annotations

from dataclasses import dataclass

from incident_mcp.catalog import Catalog, Step, fill
from incident_mcp.catalog.models import curl_command, is_http
from incident_mcp.config import CompanyConfig
from incident_mcp.rollback import PlanStep, ProviderPlan, dependency_plans


@dataclass(frozen=True)
class Gap:
    """A config value that is not set, and what setting it would add to the runbook."""

    field: str
    need: str

    def __str__(self) -> str:
        return f"not configured: set `{self.field}` to get {self.need}"


@dataclass(frozen=True)
class StepView:
    """One checklist step as the templates show it."""

    action: str
    command: str | None = None
    headers: tuple[str, ...] = ()
    body: str | None = None
    body_file: str | None = None
    verify: str | None = None
    check_first: str | None = None

    @property
    def lang(self) -> str:
        """The code-fence language: ``http`` for a request written METHOD URL, ``sh`` for commands (curl too)."""
        return "http" if self.command and is_http(self.command) else "sh"

    @property
    def runnable(self) -> str:
        """The command as a shell runs it: an HTTP request becomes a curl with its headers and body."""
        if not self.command:
            return ""
        return curl_command(self.command, self.headers, self.body) if self.lang == "http" else self.command


@dataclass(frozen=True)
class ProviderView:
    """One configured provider's part of a rollback section."""

    name: str
    field: str
    configured_as: str
    summary: str = ""
    prepare: tuple[StepView, ...] = ()
    steps: tuple[StepView, ...] = ()
    caveats: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    status_page: str = ""


@dataclass(frozen=True)
class RollbackSection:
    """One section of the rollback checklist: this company's providers (or generic steps), notes and checks."""

    kind: str
    title: str
    providers: tuple[ProviderView, ...] = ()
    notes: tuple[str, ...] = ()
    prepare: tuple[StepView, ...] = ()
    steps: tuple[StepView, ...] = ()
    verify: tuple[StepView, ...] = ()

    @property
    def heading(self) -> str:
        """``Deployment Rollback: Fly.io`` (the spec's section name, then the providers it covers)."""
        names = " + ".join(p.name for p in self.providers)
        return f"{self.title}: {names}" if names else self.title


def _step_view(step: PlanStep) -> StepView:
    return StepView(action=step.action, command=step.command, headers=tuple(step.headers), body=step.body,
                    body_file=step.body_file, verify=step.verify, check_first=step.check_first)


def _catalog_step_view(step: Step) -> StepView:
    """A catalog step with nothing filled (its placeholders show as UPPERCASE names)."""
    return StepView(action=fill(step.action, {}), command=fill(step.command, {}) if step.command else None,
                    headers=step.headers, body=fill(step.body, {}) if step.body else None,
                    body_file=step.body_file, verify=fill(step.verify, {}) if step.verify else None,
                    check_first=step.check_first)


def _provider_view(plan: ProviderPlan, status_page: str = "") -> ProviderView:
    """A provider's part of the rollback plan (``incident_mcp.rollback``) as the templates show it."""
    return ProviderView(name=plan.name, field=plan.field, configured_as=plan.configured_as, summary=plan.summary,
                        prepare=tuple(_step_view(s) for s in plan.prepare),
                        steps=tuple(_step_view(s) for s in plan.steps),
                        caveats=tuple(plan.caveats), docs=tuple(plan.docs), status_page=status_page)


def _third_parties(config: CompanyConfig, catalog: Catalog) -> list[ProviderView]:
    """Hosted auth and payments providers of the config, as the dependencies section shows them."""
    return [_provider_view(p, catalog.provider(p.kind, p.key).status_page or "")
            for p in dependency_plans(config, catalog)]
