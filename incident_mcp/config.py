"""company.config.yaml → a typed model of what incident response needs, plus our ``incident_response:`` key.

A plain Company OS config (every value ``""``) loads without error; unknown sections are ignored;
free-text provider names are normalised through the catalog; any error names file, line and field.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from incident_mcp.artifacts import SAFE_LOADER, YAMLExpansionError
from incident_mcp.errors import ConfigError

MAX_CONFIG_BYTES = 1_000_000


def _text(value: Any) -> Any:
    """Blank YAML values (``key:``) are empty strings; scalars such as 3.12 are text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return value


def _list(value: Any) -> Any:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


Text = Annotated[str, BeforeValidator(_text)]
TextList = Annotated[list[Text], BeforeValidator(_list)]


class _Section(BaseModel):
    """A Company OS section: unknown keys are ignored, a blank section is empty."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Company(_Section):
    """``company:`` — who we are writing the runbook for."""

    name: Text = ""
    product: Text = ""
    description: Text = ""
    domain: Text = ""
    stage: Text = ""


class TechStack(_Section):
    """``tech_stack:`` — host, database, ORM and cache drive the rollback steps."""

    language: Text = ""
    framework: Text = ""
    runtime: Text = ""
    database: Text = ""
    orm: Text = ""
    cache: Text = ""
    queue: Text = ""
    search: Text = ""
    hosting: Text = ""
    ci: Text = ""


class Architecture(_Section):
    """``architecture:`` — deployment model matters for rollback."""

    multi_tenant: bool | None = None
    tenant_isolation: Text = ""
    deployment_model: Text = ""

    @field_validator("multi_tenant", mode="before")
    @classmethod
    def _blank_bool(cls, value: Any) -> Any:
        return None if value == "" else value


class Observability(_Section):
    """``observability:`` — the error tracker is where alerts start."""

    logging: Text = ""
    log_provider: Text = ""
    metrics: Text = ""
    tracing: Text = ""
    error_tracking: Text = ""


class FeatureFlags(_Section):
    """``feature_flags:`` — the kill switch provider."""

    provider: Text = ""
    strategy: Text = ""


class Support(_Section):
    """``support:`` — where users reach us during an incident."""

    channels: TextList = Field(default_factory=list)
    sla_tier: Text = ""
    escalation_email: Text = ""


class Api(_Section):
    """``api:`` — only ``auth`` matters here: a hosted auth provider (Clerk, Auth0, …) is a dependency to watch."""

    auth: Text = ""


class Personas(_Section):
    """``personas:`` — the Ops & Risk agent's display name, if set."""

    ops_risk: Text = ""


# ---- our own section: strict (typos are errors), every key optional ---------------------------------


class _Ours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


StatusRange = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v)]


class JsonCondition(_Ours):
    """A condition on a JSON response field, addressed by a dotted path (``checks.db.status``)."""

    path: str = Field(min_length=1)
    equals: Any = None
    one_of: list[Any] | None = None
    exists: bool | None = None


class Expectations(_Ours):
    """What a healthy response of one service looks like; defaults match Company OS's status-check."""

    status: list[StatusRange] = Field(default_factory=lambda: ["200-299"])
    degraded_ms: int = Field(default=2000, gt=0)
    down_ms: int | None = Field(default=None, gt=0)
    timeout_ms: int = Field(default=5000, gt=0, le=120_000)
    body_matches: str | None = None
    body_not_matches: str | None = None
    json_fields: list[JsonCondition] = Field(default_factory=list, alias="json")
    headers: dict[str, str] = Field(default_factory=dict)
    cert_min_days: int = Field(default=7, ge=0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("status")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.fullmatch(r"[1-5][0-9]{2}(-[1-5][0-9]{2})?|[1-5]xx", item):
                raise ValueError(f"status {item!r} is not a code (200), a range (200-299) or a class (2xx)")
        return value

    @field_validator("body_matches", "body_not_matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise ValueError(f"not a valid regular expression: {err}") from None
        return value


class ServiceConfig(_Ours):
    """One service the status check probes (``incident_response.services[]``)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    url: str
    critical: bool = False
    description: str = ""
    expect: Expectations = Field(default_factory=Expectations)
    public: bool = True  # false: left off the status page and its feeds
    display_name: str = Field(default="", max_length=80)  # the name customers see; default the service name

    @property
    def public_name(self) -> str:
        """The name shown on the status page."""
        return self.display_name or self.name

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/?#]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value


class ProviderSetting(_Ours):
    """A provider named in our section (DNS, CDN, status page, alert route) with its free-form ids."""

    provider: Text = ""
    settings: dict[str, Text] = Field(default_factory=dict)


class DnsSetting(ProviderSetting):
    """DNS failover: provider, the record users hit, its normal TTL and where to fail over to."""

    zone: Text = ""
    record: Text = ""
    ttl: int | None = Field(default=None, ge=1)
    failover_target: Text = ""


class FlagSetting(_Ours):
    """The flag system's ids that fill the kill-switch commands (``incident_response.flags``)."""

    project: Text = ""
    environment: Text = ""
    kill_switches: TextList = Field(default_factory=list)
    settings: dict[str, Text] = Field(default_factory=dict)


class CacheSetting(_Ours):
    """The application cache's ids (``incident_response.cache``): the Redis database number, host, key prefix."""

    settings: dict[str, Text] = Field(default_factory=dict)


class StatusPage(_Ours):
    """Where users read about incidents: a hosted provider, or the page ``status-page build`` writes to ``out``."""

    provider: Text = ""
    url: Text = ""
    out: Text = "status-site"


def _aware(value: Any) -> Any:
    """A YAML timestamp or ISO text as an aware UTC datetime (no offset means UTC)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 time such as 2026-03-01T02:00:00Z") from None
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    return value


AwareTime = Annotated[dt.datetime, BeforeValidator(_aware)]


class MaintenanceWindow(_Ours):
    """Planned work: failures of these services inside the window open nothing and show as maintenance."""

    services: TextList = Field(min_length=1)
    start: AwareTime
    end: AwareTime
    reason: Text = ""

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceWindow:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    def covers(self, service: str, at: dt.datetime) -> bool:
        """Whether ``service`` is under maintenance at ``at``."""
        return service in self.services and self.start <= at < self.end


class WatchSettings(_Ours):
    """``incident-mcp watch``: how often, and how many rounds confirm an outage or a recovery."""

    interval: int = Field(default=60, ge=5, le=86_400)  # seconds between rounds
    open_after: int = Field(default=3, ge=1, le=100)  # consecutive failed rounds before a service is down
    recover_after: int = Field(default=2, ge=1, le=100)  # consecutive healthy rounds before it is up again
    resolve_after_minutes: int = Field(default=30, ge=0)  # healthy this long in monitoring → resolved
    auto_resolve: bool = True  # false: the watch moves to monitoring, the human resolves


ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
ChannelType = Literal["webhook", "slack", "discord", "ntfy", "email"]
_URL_SECRET = ("slack", "discord")  # their URL is the credential: only ever by environment variable


class NotifyChannel(_Ours):
    """Where the watch tells the founder (``incident_response.notify[]``); secrets only by env var name.

    ``url`` is a destination written in the config (it may be on loopback); ``url_env``, ``token_env`` and
    ``password_env`` name environment variables read at send time and never written anywhere.
    """

    type: ChannelType
    name: str = Field(default="", pattern=r"^$|^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    url: str = ""
    url_env: str = Field(default="", pattern=r"^$|" + ENV_NAME)
    token_env: str = Field(default="", pattern=r"^$|" + ENV_NAME)  # webhook / ntfy: Authorization: Bearer
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # email (SMTP)
    host: str = ""
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password_env: str = Field(default="", pattern=r"^$|" + ENV_NAME)
    sender: str = Field(default="", alias="from")
    to: TextList = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _complete(self) -> NotifyChannel:
        if self.type == "email":
            if not self.host or not self.sender or not self.to:
                raise ValueError("an email channel needs host, from and to (and password_env if the server "
                                 "wants a login)")
            if self.url or self.url_env:
                raise ValueError("an email channel takes host/port/from/to, not url")
            return self
        if self.type in _URL_SECRET and self.url:
            raise ValueError(f"a {self.type} webhook URL is a secret: put it in an environment variable and "
                             "name it with url_env (e.g. url_env: SLACK_WEBHOOK_URL)")
        if bool(self.url) == bool(self.url_env):
            raise ValueError(f"a {self.type} channel needs exactly one of url or url_env")
        if self.url and not re.match(r"^https?://[^\s/?#]+", self.url):
            raise ValueError("url must be an http:// or https:// URL")
        if self.host or self.to or self.sender or self.password_env:
            raise ValueError(f"host/from/to/password_env belong to email channels, not {self.type}")
        return self

    @property
    def label(self) -> str:
        """The channel's name in logs and reports."""
        return self.name or self.type

    @property
    def smtp_port(self) -> int:
        """The port: given, or the usual one for the security mode (587 STARTTLS, 465 TLS, 25 plain)."""
        return self.port or {"starttls": 587, "tls": 465, "none": 25}[self.security]


class SloTarget(_Ours):
    """An availability objective for one service, e.g. 99.9 % over 30 days."""

    target: float = Field(gt=0, lt=100)  # percent
    window_days: int = Field(default=30, ge=1, le=366)


class Contact(_Ours):
    """The person on call (usually the founder) and the support address users write to."""

    name: Text = ""
    email: Text = ""
    phone: Text = ""


class IncidentResponse(_Ours):
    """Our optional section. Only ``services`` is a fixed contract; the rest is documented in README."""

    services: list[ServiceConfig] = Field(default_factory=list)
    timezone: Text = "UTC"
    deploy: dict[str, Text] = Field(default_factory=dict)
    dns: DnsSetting = Field(default_factory=DnsSetting)
    cdn: ProviderSetting = Field(default_factory=ProviderSetting)
    payments: ProviderSetting = Field(default_factory=ProviderSetting)
    flags: FlagSetting = Field(default_factory=FlagSetting)
    cache: CacheSetting = Field(default_factory=CacheSetting)
    alerting: ProviderSetting = Field(default_factory=ProviderSetting)
    status_page: StatusPage = Field(default_factory=StatusPage)
    on_call: Contact = Field(default_factory=Contact)
    support_contact: Text = ""
    allow_private_targets: list[str] = Field(default_factory=list)
    watch: WatchSettings = Field(default_factory=WatchSettings)
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)
    slo: dict[str, SloTarget] = Field(default_factory=dict)  # service name → objective
    notify: list[NotifyChannel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> IncidentResponse:
        seen: set[str] = set()
        for index, service in enumerate(self.services):
            if service.name in seen:
                raise ValueError(f"__at__services.{index}.name: duplicate service name {service.name!r}")
            seen.add(service.name)
        for index, window in enumerate(self.maintenance):
            for name in window.services:
                if name not in seen:
                    raise ValueError(f"__at__maintenance.{index}.services: unknown service {name!r} "
                                     f"(configured: {', '.join(sorted(seen)) or 'none'})")
        labels: set[str] = set()
        for index, channel in enumerate(self.notify):
            if channel.label in labels:
                raise ValueError(f"__at__notify.{index}.name: two channels are called {channel.label!r}; "
                                 "give each a distinct name")
            labels.add(channel.label)
        for name in self.slo:
            if name not in seen:
                raise ValueError(f"__at__slo.{name}: unknown service {name!r} "
                                 f"(configured: {', '.join(sorted(seen)) or 'none'})")
        return self

    def under_maintenance(self, service: str, at: dt.datetime) -> MaintenanceWindow | None:
        """The maintenance window covering ``service`` at ``at``, if any."""
        return next((w for w in self.maintenance if w.covers(service, at)), None)


class CompanyConfig(BaseModel):
    """The sections of company.config.yaml that incident response reads."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    company: Company = Field(default_factory=Company)
    tech_stack: TechStack = Field(default_factory=TechStack)
    architecture: Architecture = Field(default_factory=Architecture)
    observability: Observability = Field(default_factory=Observability)
    feature_flags: FeatureFlags = Field(default_factory=FeatureFlags)
    support: Support = Field(default_factory=Support)
    personas: Personas = Field(default_factory=Personas)
    api: Api = Field(default_factory=Api)
    incident_response: IncidentResponse = Field(default_factory=IncidentResponse)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_section(cls, value: Any) -> Any:
        return {} if value is None or value == "" else value

    def service(self, name: str) -> ServiceConfig:
        """The configured service called ``name``; ConfigError naming the configured ones (and the closest)."""
        for service in self.incident_response.services:
            if service.name == name:
                return service
        names = [s.name for s in self.incident_response.services]
        raise ConfigError(unknown_service_message(name, names), field="incident_response.services")

    def critical_services(self) -> list[ServiceConfig]:
        """Services marked critical (all services when none is marked)."""
        services = self.incident_response.services
        critical = [s for s in services if s.critical]
        return critical or list(services)


def unknown_service_message(name: str, known: Sequence[str]) -> str:
    """``unknown service 'API'; did you mean 'api'? (configured: api, web)``: the closest name, case-insensitive."""
    lowered = {k.lower(): k for k in known}
    near = lowered.get(name.lower()) if isinstance(name, str) else None
    if near is None and isinstance(name, str):
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        near = lowered[close[0]] if close else None
    hint = f"; did you mean {near!r}?" if near else ""
    return (f"unknown service {name!r}{hint} (configured in incident_response.services: "
            f"{', '.join(known) or 'none'})")


ProviderKind = Literal["hosting", "orm", "database", "cache", "error_tracking", "feature_flags", "dns", "cdn", "auth",
                       "payments"]

PROVIDER_FIELDS: dict[ProviderKind, str] = {
    "hosting": "tech_stack.hosting",
    "orm": "tech_stack.orm",
    "database": "tech_stack.database",
    "cache": "tech_stack.cache",
    "error_tracking": "observability.error_tracking",
    "feature_flags": "feature_flags.provider",
    "dns": "incident_response.dns.provider",
    "cdn": "incident_response.cdn.provider",
    "auth": "api.auth",
    "payments": "incident_response.payments.provider",
}
# Kinds whose field also takes words that are no provider ("JWT", "session"): an unknown value is not warned about.
_QUIET_KINDS: frozenset[str] = frozenset({"auth"})


@dataclass(frozen=True)
class ProviderRef:
    """A provider as written in the config and what it normalised to (``key`` None: unknown)."""

    kind: ProviderKind
    field: str
    raw: str
    key: str | None
    variant: str | None = None
    options: tuple[str, ...] = ()

    @property
    def configured(self) -> bool:
        """Whether the field has a real value (not blank and not 'none')."""
        return bool(self.raw.strip()) and self.raw.strip().lower() not in ("none", "n/a", "-", "no", "null", "nil")


def config_value(config: CompanyConfig, dotted: str) -> str:
    """The text at a dotted field path such as ``tech_stack.orm`` ('' when blank)."""
    node: Any = config
    for part in dotted.split("."):
        node = getattr(node, part)
    return str(node or "")


@dataclass(frozen=True)
class LoadedConfig:
    """A loaded config, where it came from, and warnings that do not stop anything."""

    path: Path
    config: CompanyConfig
    warnings: tuple[str, ...]


def _node_line(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location, as deep as it can be found."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
                return key.start_mark.line + 1 if key is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ConfigError("file not found; create it from the Company OS template", file=path) from None
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror}", file=path) from None
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"file is {size:,} bytes; the limit is {MAX_CONFIG_BYTES:,}", file=path)
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise ConfigError("file is binary (contains NUL bytes), not YAML", file=path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"file is not UTF-8 text (byte {err.start})", file=path) from None


def parse_config(text: str, path: Path) -> LoadedConfig:
    """Parse config text (already read) into the typed model; errors name file, line and field."""
    try:
        root = yaml.compose(text, Loader=SAFE_LOADER)
        data = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        what = "YAML refused" if isinstance(err, YAMLExpansionError) else "YAML syntax error"
        raise ConfigError(f"{what}: {problem}", file=path,
                          line=mark.line + 1 if mark is not None else None) from None
    except RecursionError:
        raise ConfigError("YAML is nested too deeply", file=path) from None
    if data is None:
        raise ConfigError("file is empty; expected the Company OS config (a mapping of sections)", file=path)
    if not isinstance(data, dict):
        raise ConfigError(f"top level is a {type(data).__name__}; expected a mapping of sections "
                          "(company:, tech_stack:, …)", file=path, line=1)
    try:
        config = CompanyConfig.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = list(first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        placed = re.match(r"__at__([^:]+): (.*)", message, re.DOTALL)  # a check across fields names its own place
        if placed:
            loc = ["incident_response", *(int(p) if p.isdigit() else p for p in placed.group(1).split("."))]
            message = placed.group(2)
        elif first["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r} (see README: incident_response)"
        field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
        raise ConfigError(message, file=path, line=_node_line(root, loc), field=field) from None
    return LoadedConfig(path=path, config=config, warnings=tuple(_warnings(config)))


def load_config(path: Path) -> LoadedConfig:
    """Read and parse ``company.config.yaml``."""
    return parse_config(_read_text(path), path)


def _warnings(config: CompanyConfig) -> list[str]:
    warnings: list[str] = []
    for ref in provider_refs(config).values():
        if ref.configured and ref.key is None and ref.kind not in _QUIET_KINDS:
            warnings.append(f"{ref.field}: unknown provider {ref.raw!r}; the runbook uses generic steps "
                            "for it")
        elif ref.options:
            warnings.append(f"{ref.field}: {ref.raw!r} could mean {', '.join(ref.options)}; name one "
                            "(e.g. \"AWS (ECS)\") to get its exact rollback steps")
    return warnings


def provider_refs(config: CompanyConfig) -> dict[ProviderKind, ProviderRef]:
    """Every provider field of the config, normalised through the catalog."""
    from incident_mcp.catalog import load_catalog  # catalog loads YAML; import late to keep startup light

    catalog = load_catalog()
    refs: dict[ProviderKind, ProviderRef] = {}
    for kind, dotted in PROVIDER_FIELDS.items():
        raw = config_value(config, dotted)
        match = catalog.normalize(kind, raw) if raw.strip() else None
        refs[kind] = ProviderRef(kind=kind, field=dotted, raw=raw, key=match.key if match else None,
                                 variant=match.variant if match else None,
                                 options=match.options if match and match.family else ())
    return refs
