"""Runbook and post-mortem template generation, tailored to the company's config and RFCs, keeping human edits.

``generate_runbook(ws)`` writes ``standards/ops/incident-runbook.md`` and
``standards/ops/post-mortem-template.md`` from the templates ``incident-runbook.md.j2`` and
``post-mortem-template.md.j2`` (overridable by name, see ``incident_mcp.render``). Generated sections
sit in managed blocks: regeneration updates a block only if nobody edited it (``force`` overrides
that), keeps every byte outside the blocks, and writes nothing when nothing changed. Both files are
planned before either is written (a file with broken block markers stops the run with nothing
written), then each is replaced atomically, under the ``runbook`` lock.

Frontmatter: none. Company OS keeps standards (``standards/**``) as plain Markdown documents, not
artifacts: they have no id, lifecycle or references, and giving them artifact frontmatter would
put a fake artifact type into the repository. Our validator checks ``standards/ops/`` files with
standards rules (balanced managed blocks, non-empty, solo-founder voice) instead.

Template context (what a workspace override can use; every value is plain data):

``company``          name, product, domain, stage, display_name, product_display, product_or_placeholder
``stack_rows``       [{label, field, value, configured}] for the "At a Glance" table
``services``         [{name, url, critical, description}]; ``critical_services`` the critical ones
``status_check``     the ``./tools/ops/status-check.sh`` command for the critical URLs, or None
``rfcs``             [RfcSummary] (``incident_mcp.rfcs``); ``failure_domains`` [{name, rfc_ids}];
                     ``unreadable_rfcs`` [text]; ``third_parties`` [ProviderView] hosted auth and payments
                     (api.auth, incident_response.payments.provider): checks, status page, fail-safe, replay
``severities``       [{level, name, description, examples, response_time, resolution_target}]
``rollback``         notes (advice heading the checklist) and sections {deployment, database, feature_flag,
                     dns, cache}: RollbackSection each, built from ``incident_mcp.rollback.rollback_plan``
``alerting``         tracker_name, native_push, route, channels, route_provider, docs, steps (the tracker's
                     own set-up steps from the catalog)
``escalation``       hosting_name, framework
``dns``              provider, zone, record, ttl, ttl_human, failover_target
``contacts``         on_call, support, status_page, support_or_placeholder, signature
``postmortem``       author_hint, owner_hint, detection_sources, mitigations
``gaps``             [{field, need}]: config values that are not set, named in the document
``timezone``, ``generated_on`` (YYYY-MM-DD, used only outside managed blocks), ``version``
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from incident_mcp import __version__
from incident_mcp.blocks import BlockError, find_blocks, merge
from incident_mcp.catalog import Catalog, Step, canonical, fill, load_catalog
from incident_mcp.catalog.models import curl_command, is_http
from incident_mcp.config import CompanyConfig, LoadedConfig, ProviderKind, ProviderRef, load_config, provider_refs
from incident_mcp.errors import ArtifactError
from incident_mcp.render import Rendered, render
from incident_mcp.rfcs import load_rfcs
from incident_mcp.rollback import PlanStep, RollbackPlan, dependency_plans, rollback_plan
from incident_mcp.severity import LEVELS
from incident_mcp.validation import Problem, RuleInput
from incident_mcp.workspace import Workspace, atomic_write

STANDARDS_DIR = "standards/ops/"
RUNBOOK_PATH = "standards/ops/incident-runbook.md"
POSTMORTEM_PATH = "standards/ops/post-mortem-template.md"
DOCUMENTS: tuple[tuple[str, str], ...] = (
    (RUNBOOK_PATH, "incident-runbook.md.j2"),
    (POSTMORTEM_PATH, "post-mortem-template.md.j2"),
)
MAX_EXISTING_BYTES = 2_000_000

# ---- solo-founder voice ------------------------------------------------------------------------------------

# Language that assumes a team behind the reader: one alternative per phrase family, scanned in one pass.
_TEAM_LANGUAGE = re.compile("|".join(f"(?:{p})" for p in (
    r"\bescalat\w*\s+(?:it\s+|this\s+)?to\s+(?:the\s+|your\s+|an?\s+)?"
    r"(?:team|tech|engineering|dev|ops|on-?call|incident)?\s*(?:lead|manager|supervisor|boss|team|engineer)s?\b",
    r"\b(?:team|tech|engineering)\s+leads?\b",
    r"\b(?:page|paging|wake\s+up|call|notify|alert)\s+(?:the|your)\s+on-?call(?:\s+(?:engineer|person|team))?\b",
    r"\bon-?call\s+(?:engineer|rotation|team|schedule)s?\b",
    r"\b(?:notify|inform|tell|ask|email|call|ping)\s+(?:your|the)\s+(?:manager|boss|supervisor|lead|team)\b",
    r"\b(?:your|the)\s+(?:engineering\s+|line\s+|duty\s+|incident\s+)?(?:manager|boss|supervisor)\b",
    r"\bincident\s+commanders?\b",
    r"\b(?:your|the)\s+(?:sre|ops|devops|platform|engineering|infra(?:structure)?)\s+team\b",
    r"\b(?:all\s+hands|war\s+room)\b",
)), re.IGNORECASE)

# Every phrase above contains one of these words. Finding them with str.find is far cheaper than running the
# case-insensitive patterns over a whole document; the patterns then run only on the lines that have one.
_TEAM_HINTS = ("escalat", "lead", "manager", "boss", "supervisor", "engineer", "oncall", "on-call", "commander",
               "team", "hands", "room")


def _hint_positions(lowered: str) -> list[int]:
    positions: list[int] = []
    for word in _TEAM_HINTS:
        at = lowered.find(word)
        while at != -1:
            positions.append(at)
            at = lowered.find(word, at + 1)
    return sorted(positions)


def solo_voice_problems(text: str) -> list[tuple[int, str]]:
    """Every (1-based line, phrase) where the text talks as if a team stood behind the reader.

    The reader of an ops standard is the one person on call, so "escalate to the team lead",
    "page the on-call engineer" or "notify your manager" are wrong for them. Names of products
    (AWS Secrets Manager, a package manager) are not people and do not match.
    """
    problems: list[tuple[int, str]] = []
    seen_lines: set[int] = set()
    covered = 0  # end of the last reported phrase, so a phrase wrapped over two lines is reported once
    lowered = text.lower()
    # lower() can change the length of some non-ASCII text; then every line is a candidate
    positions = _hint_positions(lowered) if len(lowered) == len(text) else [
        m.start() for m in re.finditer(r"^", text, flags=re.MULTILINE)]
    for position in positions:
        start = text.rfind("\n", 0, position) + 1
        if start in seen_lines:
            continue
        seen_lines.add(start)
        end = text.find("\n", position)
        # a phrase may wrap onto the next line: scan this line and the next together, report matches starting here
        following = text.find("\n", end + 1) if end != -1 else -1
        window = text[start:following if following != -1 else len(text)]
        first_line_length = (end - start) if end != -1 else len(window)
        number = text.count("\n", 0, start) + 1
        for match in _TEAM_LANGUAGE.finditer(window):
            if match.start() <= first_line_length and start + match.start() >= covered:
                problems.append((number, re.sub(r"\s+", " ", match.group(0))))
                covered = start + match.end()
    return problems


# ---- validation of standards/ops/ ---------------------------------------------------------------------------


def standards_problems(doc: RuleInput) -> list[Problem]:
    """Validation rule for ``standards/ops/*.md``: readable, not empty, intact managed blocks, solo-founder voice.

    Standards are plain Markdown (no artifact frontmatter); broken block markers are an error because
    regeneration refuses such a file, team language a warning (the reader may really have help).
    """
    if doc.text is None:  # unreadable: the validator itself reports the encoding
        return []
    problems: list[Problem] = []
    if not doc.text.strip():
        problems.append(doc.problem("standards.empty", "the file is empty; run `incident-mcp runbook` to generate it"))
    try:
        find_blocks(doc.text)
    except BlockError as err:
        problems.append(doc.problem("standards.blocks", f"{err}; regeneration refuses this file until the "
                                    "incident-mcp markers are repaired"))
    for line, phrase in solo_voice_problems(doc.text):
        problems.append(doc.problem("standards.solo_voice", f"{phrase!r} assumes a team behind the reader; the "
                                    "reader is the one person on call (name your host's support, a contractor "
                                    "or yourself instead)", line=line, severity="warning"))
    return problems


# ---- result ------------------------------------------------------------------------------------------------


class FileChange(BaseModel):
    """What generation did (or, with dry_run, would do) to one file."""

    path: str = Field(description="workspace-relative path")
    action: Literal["created", "updated", "unchanged"]
    blocks_updated: list[str] = Field(default_factory=list, description="managed blocks rewritten")
    blocks_kept_edited: list[str] = Field(
        default_factory=list, description="managed blocks a human edited, kept as they are (use force to replace)")
    blocks_added: list[str] = Field(default_factory=list, description="managed blocks inserted")
    chars: int | None = Field(default=None, description="size of the new text in characters (dry_run only)")
    text: str | None = Field(default=None, description="the full new text (dry_run with full text only)")
    diff: str | None = Field(default=None, description="unified diff against the file on disk (dry_run only; "
                                                       "a summary cuts it, full text gives all of it)")
    diff_omitted_lines: int = Field(default=0, description="diff lines left out of a summary")


class GenerationResult(BaseModel):
    """The outcome of one generation run."""

    dry_run: bool
    force: bool
    files: list[FileChange]
    gaps: list[str] = Field(default_factory=list, description="config values not set, as named in the runbook")
    warnings: list[str] = Field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether any file was (or would be) created or changed."""
        return any(f.action != "unchanged" for f in self.files)


# ---- context -----------------------------------------------------------------------------------------------


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


def _target(delta: dt.timedelta) -> str:
    """A resolution target as the spec writes it: ``1 hour``, ``24 hours``, ``1 week``."""
    hours = int(delta.total_seconds() // 3600)
    if hours >= 168 and hours % 168 == 0:
        weeks = hours // 168
        return f"{weeks} week" + ("s" if weeks != 1 else "")
    return f"{hours} hour" + ("s" if hours != 1 else "")


def _severities() -> list[dict[str, Any]]:
    """The P0–P3 table rows, from ``incident_mcp.severity`` (the same data classify_severity uses)."""
    return [{"level": row.level, "name": row.name, "description": row.description, "examples": list(row.examples),
             "response_time": row.response_time, "resolution_target": _target(row.resolution_target)}
            for row in LEVELS.values()]


def _human_seconds(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{round(seconds / 60)} minutes"
    if seconds < 172_800:
        return f"{round(seconds / 3600)} hours"
    return f"{round(seconds / 86400)} days"


def _blank(value: str) -> bool:
    return value.strip().lower() in ("", "none", "n/a", "-")


@dataclass
class _Builder:
    """Collects the template context for one config (and the gaps it finds on the way)."""

    ws: Workspace
    config: CompanyConfig
    gaps: list[Gap] = field(default_factory=list)

    def gap(self, dotted: str, need: str) -> None:
        if all(g.field != dotted for g in self.gaps):
            self.gaps.append(Gap(dotted, need))

    def company(self) -> dict[str, str]:
        company = self.config.company
        if not company.name.strip():
            self.gap("company.name", "your company's name in the runbook and in user emails")
        if not company.product.strip():
            self.gap("company.product", "your product's name in the communication templates")
        display = company.name.strip() or company.product.strip() or "your company"
        product = company.product.strip() or company.name.strip()
        return {"name": company.name.strip(), "product": company.product.strip(), "domain": company.domain.strip(),
                "stage": company.stage.strip(), "display_name": display,
                "product_display": product or "your product",
                "product_or_placeholder": product or "[Service Name]"}

    def services(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
        services = [{"name": s.name, "url": s.url, "critical": s.critical, "description": s.description}
                    for s in self.config.incident_response.services]
        if not services:
            self.gap("incident_response.services", "the status-check command with your own service URLs")
            return [], [], None
        critical = [s for s in services if s["critical"]] or services
        command = "./tools/ops/status-check.sh " + " ".join(shlex.quote(str(s["url"])) for s in critical)
        return services, critical, command

    def contacts(self, company: dict[str, str]) -> dict[str, Any]:
        ir = self.config.incident_response
        on_call = ", ".join(part for part in (ir.on_call.name, ir.on_call.email, ir.on_call.phone) if part.strip())
        support = (ir.support_contact.strip() or self.config.support.escalation_email.strip()
                   or ", ".join(self.config.support.channels))
        if not support:
            self.gap("incident_response.support_contact", "the address users should write to in the email template")
        status_page = ir.status_page.url.strip()
        if not status_page:
            self.gap("incident_response.status_page.url", "your status page named in the triage and templates")
        signer = ir.on_call.name.strip()
        company_name = company["name"] or company["product"]
        if signer and company_name:
            signature = f"{signer}, {company_name}"
        else:
            signature = signer or (f"[Your name], {company_name}" if company_name else "[Your name]")
        return {"on_call": on_call, "support": support, "status_page": status_page,
                "support_or_placeholder": support or "[support channel]", "signature": signature}

    def dns(self) -> dict[str, Any]:
        dns = self.config.incident_response.dns
        ttl = dns.ttl
        return {"provider": dns.provider.strip(), "zone": dns.zone.strip(), "record": dns.record.strip(), "ttl": ttl,
                "ttl_human": _human_seconds(ttl) if ttl else "", "failover_target": dns.failover_target.strip()}


# The spec's names for the rollback checklist's sections.
SECTION_TITLES: dict[str, str] = {
    "deployment": "Deployment Rollback", "database": "Database Rollback", "feature_flag": "Feature Flag Disable",
    "dns": "DNS Failover", "cache": "Cache Invalidation",
}
_STACK_LABELS: tuple[tuple[str, ProviderKind | None, str], ...] = (
    ("Hosting", "hosting", "tech_stack.hosting"),
    ("Database", "database", "tech_stack.database"),
    ("ORM / migrations", "orm", "tech_stack.orm"),
    ("Cache", "cache", "tech_stack.cache"),
    ("CDN", "cdn", "incident_response.cdn.provider"),
    ("DNS", "dns", "incident_response.dns.provider"),
    ("Feature flags", "feature_flags", "feature_flags.provider"),
    ("Error tracking", "error_tracking", "observability.error_tracking"),
    ("Sign-in (auth)", "auth", "api.auth"),
    ("Payments", "payments", "incident_response.payments.provider"),
    ("Alert route to your phone", None, "incident_response.alerting.provider"),
)
_NOT_CONFIGURED = re.compile(r"^not configured: set `?([a-z_]+(?:\.[a-z_]+)+)`? to get (.+?)\.?$")
_NOTHING_TO_DO = re.compile(r"no provider to act on")
_CONFIG_FIELD = re.compile(r"(?<![`\w.])((?:company|tech_stack|observability|feature_flags|support|architecture|"
                           r"incident_response)(?:\.[a-z_]+)+)(?![`\w])")


def _code_fields(text: str) -> str:
    """Config field names in a note, as Markdown code (``tech_stack.orm`` → `` `tech_stack.orm` ``)."""
    return _CONFIG_FIELD.sub(r"`\1`", text)


def _provider_name(catalog: Catalog, ref: ProviderRef) -> str | None:
    """The catalog's display name for a configured provider (None when unknown or blank)."""
    if ref.key is None:
        return None
    return catalog.provider(ref.kind, ref.key).name


def _stack_rows(config: CompanyConfig, refs: dict[ProviderKind, ProviderRef], catalog: Catalog) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for label, kind, dotted in _STACK_LABELS:
        raw = refs[kind].raw.strip() if kind else config.incident_response.alerting.provider.strip()
        value = raw
        if kind and refs[kind].configured:
            name = _provider_name(catalog, refs[kind])
            if name is None:
                value = f"{raw} (not in the provider catalog: generic steps)"
            elif canonical(name).startswith(canonical(raw)):
                value = name  # "Bugsnag" → "Bugsnag (SmartBear)", not "Bugsnag (Bugsnag (SmartBear))"
            else:
                value = f"{raw} ({name})"
        rows.append({"label": label, "field": dotted, "value": value, "configured": bool(raw)})
    return rows


def _step_view(step: PlanStep) -> StepView:
    return StepView(action=step.action, command=step.command, headers=tuple(step.headers), body=step.body,
                    body_file=step.body_file, verify=step.verify, check_first=step.check_first)


def _catalog_step_view(step: Step) -> StepView:
    """A catalog step with nothing filled (its placeholders show as UPPERCASE names)."""
    return StepView(action=fill(step.action, {}), command=fill(step.command, {}) if step.command else None,
                    headers=step.headers, body=fill(step.body, {}) if step.body else None,
                    body_file=step.body_file, verify=fill(step.verify, {}) if step.verify else None,
                    check_first=step.check_first)


def _rollback_view(plan: RollbackPlan, builder: _Builder) -> dict[str, Any]:
    """The rollback plan (``incident_mcp.rollback``) as template data; its "not configured" notes become gaps."""
    sections: dict[str, RollbackSection] = {}
    for section in plan.sections:
        notes: list[str] = []
        for note in section.notes:
            missing = _NOT_CONFIGURED.match(note)
            if missing:
                builder.gap(missing.group(1), missing.group(2))
            elif section.providers and _NOTHING_TO_DO.search(note):
                continue  # "cache is 'none'" says nothing when the CDN beside it has steps
            notes.append(_code_fields(note))
        title = SECTION_TITLES.get(section.kind, section.title)
        for dotted in section.config_fields_to_set:
            builder.gap(dotted, f"the {title.lower()} commands filled with your own ids")
        providers = tuple(ProviderView(
            name=p.name, field=p.field, configured_as=p.configured_as, summary=p.summary,
            prepare=tuple(_step_view(s) for s in p.prepare), steps=tuple(_step_view(s) for s in p.steps),
            caveats=tuple(p.caveats), docs=tuple(p.docs)) for p in section.providers)
        sections[section.kind] = RollbackSection(
            kind=section.kind, title=title, providers=providers,
            notes=tuple(notes), prepare=tuple(_step_view(s) for s in section.prepare),
            steps=tuple(_step_view(s) for s in section.steps), verify=tuple(_step_view(s) for s in section.verify))
    return {"notes": list(plan.notes), "sections": sections}


def _third_parties(config: CompanyConfig, catalog: Catalog) -> list[ProviderView]:
    """Hosted auth and payments providers of the config, as the dependencies section shows them."""
    return [ProviderView(
        name=p.name, field=p.field, configured_as=p.configured_as, summary=p.summary,
        prepare=tuple(_step_view(s) for s in p.prepare), steps=tuple(_step_view(s) for s in p.steps),
        caveats=tuple(p.caveats), docs=tuple(p.docs),
        status_page=catalog.provider(p.kind, p.key).status_page or "") for p in dependency_plans(config, catalog)]


def _alerting(config: CompanyConfig, ref: ProviderRef, catalog: Catalog, builder: _Builder) -> dict[str, Any]:
    route_provider = config.incident_response.alerting.provider.strip()
    view: dict[str, Any] = {"tracker_name": None, "native_push": "", "route": list(catalog.alert_route),
                            "channels": [], "route_provider": route_provider, "docs": [], "steps": []}
    if not ref.configured:
        builder.gap(ref.field, "the alert set-up for your error tracker")
    elif ref.key is None:
        view["tracker_name"] = ref.raw.strip()
        view["native_push"] = ("It is not in our provider catalog, so we cannot say whether it can push to a phone "
                               "by itself; assume it cannot.")
    else:
        entry = catalog.provider("error_tracking", ref.key)
        view.update(tracker_name=entry.name, docs=list(entry.docs),
                    steps=[_catalog_step_view(s) for s in entry.steps])
        if entry.alerting is not None:
            view.update(native_push=f"Push to your phone from {entry.name} itself: {entry.alerting.native_push}.",
                        route=list(entry.alerting.route), channels=list(entry.alerting.channels))
    if not route_provider:
        builder.gap("incident_response.alerting.provider",
                    "the alert route to your phone named (PagerDuty, Opsgenie or Slack)")
    return view


def runbook_context(ws: Workspace, loaded: LoadedConfig, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the runbook and post-mortem templates see (documented in the module docstring)."""
    config = loaded.config
    catalog = load_catalog()
    refs = provider_refs(config)
    builder = _Builder(ws, config)
    company = builder.company()
    services, critical, status_check = builder.services()
    report = load_rfcs(ws)
    rollback = _rollback_view(rollback_plan(config, catalog=catalog, rfcs=report.rfcs), builder)
    alerting = _alerting(config, refs["error_tracking"], catalog, builder)
    contacts = builder.contacts(company)
    hosting = _provider_name(catalog, refs["hosting"])
    flags = _provider_name(catalog, refs["feature_flags"])
    when = now or dt.datetime.now(dt.UTC)
    tracker = alerting["tracker_name"]
    return {
        "company": company,
        "stack_rows": _stack_rows(config, refs, catalog),
        "services": services,
        "critical_services": critical,
        "status_check": status_check,
        "rfcs": list(report.rfcs),
        "failure_domains": [{"name": d.name, "rfc_ids": list(d.rfc_ids)} for d in report.failure_domains],
        "unreadable_rfcs": list(report.unreadable),
        "third_parties": _third_parties(config, catalog),
        "severities": _severities(),
        "rollback": rollback,
        "alerting": alerting,
        "escalation": {
            "hosting_name": hosting or (refs["hosting"].raw.strip() if refs["hosting"].configured else ""),
            "framework": config.tech_stack.framework.strip(),
        },
        "dns": builder.dns(),
        "contacts": contacts,
        "postmortem": {
            "author_hint": config.incident_response.on_call.name.strip() or "Name",
            "owner_hint": config.incident_response.on_call.name.strip() or "name",
            "detection_sources": [f"{tracker} alert", "status check", "user report"] if tracker
            else ["monitoring", "user report", "manual check"],
            "mitigations": [f"{hosting} rollback" if hosting else "rollback", "hotfix",
                            f"{flags} flag off" if flags else "flag disable"],
        },
        "gaps": [{"field": g.field, "need": g.need} for g in builder.gaps],
        "timezone": config.incident_response.timezone or "UTC",
        "generated_on": when.date().isoformat(),
        "version": __version__,
    }


# ---- generation --------------------------------------------------------------------------------------------


def unified_diff(old: str | None, new: str, rel: str) -> str:
    """A unified diff of ``old`` (None: the file does not exist) → ``new``, as git would show it."""
    before = old.splitlines(keepends=True) if old is not None else []
    after = new.splitlines(keepends=True)
    lines = difflib.unified_diff(before, after, fromfile=f"a/{rel}" if old is not None else "/dev/null",
                                 tofile=f"b/{rel}")
    out: list[str] = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _cut_diff(diff: str, limit: int) -> tuple[str, int]:
    """The diff up to ``limit`` characters (whole lines), and how many lines were left out."""
    if len(diff) <= limit:
        return diff, 0
    kept: list[str] = []
    size = 0
    lines = diff.splitlines(keepends=True)
    for line in lines:
        if size + len(line) > limit:
            break
        kept.append(line)
        size += len(line)
    return "".join(kept), len(lines) - len(kept)


def _read_existing(ws: Workspace, rel: str) -> str | None:
    path = ws.path(rel)
    if not path.exists():
        return None
    if not path.is_file():
        raise ArtifactError(f"{rel} exists but is not a file; move it aside and generate again")
    size = path.stat().st_size
    if size > MAX_EXISTING_BYTES:
        raise ArtifactError(f"{rel} is {size:,} bytes (limit {MAX_EXISTING_BYTES:,}); is it really the runbook?")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ArtifactError(f"{rel} is not UTF-8 text (byte {err.start}); fix or move it aside") from None


def _plan_file(rel: str, rendered: Rendered, existing: str | None, *, force: bool,
               warnings: list[str]) -> tuple[str, FileChange]:
    if existing is None:
        return rendered.text, FileChange(path=rel, action="created", blocks_added=list(rendered.block_names))
    try:
        merged = merge(existing, rendered.text, force=force)
    except BlockError as err:
        raise BlockError(f"{rel}: {err}; repair the incident-mcp markers (or move the file aside) and generate "
                         "again") from None
    had_blocks = bool(merged.updated or merged.unchanged or merged.kept_edited)
    if not had_blocks and existing.strip():
        warnings.append(f"{rel} had no incident-mcp blocks: the generated sections were appended below your text; "
                        "remove whichever duplicates you do not want")
    action: Literal["updated", "unchanged"] = "updated" if merged.text != existing else "unchanged"
    return merged.text, FileChange(path=rel, action=action, blocks_updated=merged.updated,
                                   blocks_kept_edited=merged.kept_edited, blocks_added=merged.added)


def render_documents(ws: Workspace, context: dict[str, Any]) -> dict[str, Rendered]:
    """Render both documents (no file is read or written)."""
    return {rel: render(ws, template, context) for rel, template in DOCUMENTS}


SUMMARY_DIFF_CHARS = 2500  # per file in a dry-run summary: the first hunks, then a count of what was cut


def generate_runbook(ws: Workspace, *, dry_run: bool = False, force: bool = False,
                     now: dt.datetime | None = None, full: bool = True) -> GenerationResult:
    """Generate or update the runbook and post-mortem template; see the module docstring for the rules.

    ``dry_run`` writes nothing (not even a lock file) and returns each file's diff (and with ``full`` its
    whole new text). Without ``full`` it is a summary sized for an agent's context: no text, the diff of the
    changed blocks cut at SUMMARY_DIFF_CHARS per file, and no diff for a file that would be created.
    ``force`` replaces managed blocks a human edited; text outside blocks is kept even then.
    """
    loaded = load_config(ws.config_path)
    context = runbook_context(ws, loaded, now=now)
    rendered = render_documents(ws, context)
    warnings = list(loaded.warnings)
    for rel, doc in rendered.items():
        for line, phrase in solo_voice_problems(doc.text):
            warnings.append(f"{rel}: line {line}: {phrase!r} assumes a team; the reader is the one person on call")
    gaps = [str(Gap(g["field"], g["need"])) for g in context["gaps"]]

    def plan() -> list[tuple[str, str | None, str, FileChange]]:
        planned = []
        for rel, doc in rendered.items():
            existing = _read_existing(ws, rel)
            text, change = _plan_file(rel, doc, existing, force=force, warnings=warnings)
            planned.append((rel, existing, text, change))
        return planned

    if dry_run:
        files = []
        for rel, existing, text, change in plan():
            change.chars = len(text)
            diff = "" if text == existing else unified_diff(existing, text, rel)
            if full:
                change.text, change.diff = text, diff
            elif existing is not None:
                change.diff, change.diff_omitted_lines = _cut_diff(diff, SUMMARY_DIFF_CHARS)
            files.append(change)
        if all(change.action == "unchanged" for change in files):
            # nothing to review: the config fields still unset by name; what each one brings was said already
            unset = ", ".join(f"`{gap['field']}`" for gap in context["gaps"])
            gaps = [f"not configured: {unset}"] if unset else []
        return GenerationResult(dry_run=True, force=force, files=files, gaps=gaps, warnings=warnings)
    with ws.lock("runbook"):
        planned = plan()
        for rel, existing, text, _change in planned:
            if text != existing:
                atomic_write(ws.path(rel), text)
    return GenerationResult(dry_run=False, force=force, files=[change for *_, change in planned], gaps=gaps,
                            warnings=warnings)
