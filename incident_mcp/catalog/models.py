"""The shape of a catalog file, validated with pydantic, and the ``{placeholder}`` filling used by every command.

A command is written with named placeholders (``fly deploy --app {app}``). Filling replaces each one with a
value from the config when it has one and with its visible UPPERCASE name (``APP``) otherwise, so an unfilled
command reads exactly like the reference sheet's spelling.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["hosting", "orm", "database", "cache", "error_tracking", "feature_flags", "dns", "cdn", "auth",
               "payments"]
KINDS: tuple[Kind, ...] = ("hosting", "orm", "database", "cache", "error_tracking", "feature_flags", "dns", "cdn",
                           "auth", "payments")
# console-only: the vendor has no CLI or API for this; the step names the console path (never a made-up command).
Verified = Literal["verified", "partial", "console-only", "unverified"]
Phase = Literal["rollback", "prepare"]

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_HTTP = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (\S+)")
_KEY = r"^[a-z0-9][a-z0-9-]*$"
_URL = re.compile(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$")
_ENV = re.compile(r"\$\{?[A-Z][A-Z0-9_]*\}?")
_AUTH_HEADER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*: ")
_CHECKED = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Header names that carry a credential, by vendor scheme (Authorization: Bearer/Basic/Api-Key, Fastly-Key, …).
_CREDENTIAL_HEADERS = frozenset({"authorization", "fastly-key", "statsig-api-key", "accesskey", "dd-api-key",
                                 "dd-application-key", "api-key", "x-api-key", "x-auth-token", "auth-api-token"})


def placeholders(template: str) -> list[str]:
    """The placeholder names in ``template``, in order of first appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(template)))


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace ``{name}`` with ``values[name]`` when given and non-blank, else with ``NAME`` (visible)."""
    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(1), "")
        return value if value else match.group(1).upper()

    return PLACEHOLDER.sub(one, template)


def auth_headers(step_command: str, headers: tuple[str, ...] | list[str]) -> list[str]:
    """The credential headers of an HTTP step (headers list, or ``-H`` flags of a curl command) that read a token
    from an environment variable (``$NAME``); a literal token does not count."""
    found = [h for h in headers if h.split(":", 1)[0].strip().lower() in _CREDENTIAL_HEADERS and _ENV.search(h)]
    if step_command.startswith("curl "):
        for flag in re.findall(r"-H\s+(\"[^\"]*\"|'[^']*')", step_command):
            header = flag[1:-1]
            if header.split(":", 1)[0].strip().lower() in _CREDENTIAL_HEADERS and _ENV.search(header):
                found.append(header)
        if re.search(r"(?:^|\s)(?:-u|--user)\s+\"?\$\{?[A-Z]", step_command):
            found.append("basic auth from the environment")
        if re.search(r'--data\s+"(?:[^"\\]|\\.)*\$\{?[A-Z]', step_command):
            found.append("credentials in the body from the environment")  # Porkbun's scheme
    return found


def curl_command(command: str, headers: tuple[str, ...] | list[str] = (), body: str | None = None) -> str:
    """An HTTP step (``METHOD URL`` with headers and body) as one curl command a shell runs as printed.

    Headers go in double quotes so ``$TOKEN`` expands; the URL and the body go in single quotes so nothing in
    them does (bodies never hold a single quote: the loader refuses one).
    """
    match = _HTTP.match(command)
    if not match:
        return command
    parts = ["curl", "-fsS", "-X", match.group(1), f"'{match.group(2)}'"]
    parts += [f'-H "{header}"' for header in headers]
    if body is not None:
        if not any(header.lower().startswith("content-type:") for header in headers):
            parts.append('-H "Content-Type: application/json"')
        parts.append(f"--data '{body}'")
    return " ".join(parts)


def is_http(command: str) -> bool:
    """Whether a command is an HTTP call written ``METHOD URL`` (as the reference writes API calls)."""
    return bool(_HTTP.match(command))


def help_command(command: str) -> str:
    """The invocation that checks an unverified CLI command: its tool and subcommand words plus ``--help``.

    The AWS CLI takes ``help`` as a subcommand instead of a ``--help`` flag.
    """
    words: list[str] = []
    for word in command.split():
        if word.startswith("-") or not re.fullmatch(r"[A-Za-z0-9_./:-]+", word) or len(words) == 4:
            break
        words.append(word)
    return " ".join([*words, "help" if words[:1] == ["aws"] else "--help"])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Alias(_Strict):
    """A name people write for a provider; ``variant`` records a qualifier (``AWS (ECS)`` → ``ecs``)."""

    name: str = Field(min_length=1)
    variant: str | None = None
    kinds: tuple[Kind, ...] | None = None


def _alias(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class Step(_Strict):
    """One action of a rollback, optionally with the exact command as the reference spells it."""

    action: str = Field(min_length=1)
    command: str | None = None
    headers: tuple[str, ...] = ()
    body: str | None = None
    body_file: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+$")
    verify: str | None = None
    phase: Phase = "rollback"
    verified: Verified | None = None
    ref: str | None = None
    composed: bool = False
    when: Literal["same_type", "type_change"] | None = Field(
        default=None, description="DNS: only when the failover keeps (or changes) the record type; shown both ways "
        "when the config does not say")
    source: str | None = Field(default=None, description="where the command was verified: CLI source file "
                               "(owner/repo path @commit) or docs page")
    checked: str | None = Field(default=None, description="when it was verified (YYYY-MM-DD)")

    @field_validator("checked", mode="before")
    @classmethod
    def _date_text(cls, value: Any) -> Any:
        return value.isoformat() if hasattr(value, "isoformat") else value

    @property
    def verify_with_help(self) -> bool:
        """Whether the renderer must tell the reader to check this CLI command with ``--help`` first."""
        return self.command is not None and self.verified != "verified" and not self.api

    @property
    def check_first(self) -> str | None:
        """What to tell the reader before they run a command that was not fully verified (None: nothing)."""
        if self.command is None or self.verified in ("verified", "console-only"):
            return None
        level = "partly verified" if self.verified == "partial" else "not verified"
        if self.api:
            return f"{level}: check the request against the docs linked below before sending it"
        return f"{level}: verify with `{help_command(self.command)}` before running"

    @property
    def api(self) -> bool:
        """Whether the command is a web API call (``METHOD URL`` or curl), checked against docs, not ``--help``."""
        return self.command is not None and (is_http(self.command) or self.command.startswith("curl "))

    @model_validator(mode="after")
    def _command_traceable(self) -> Step:
        """A command says where and when it was verified and prints safely; a step without one carries no parts."""
        if self.checked is not None and not _CHECKED.match(self.checked):
            raise ValueError(f"checked {self.checked!r} is not a date (YYYY-MM-DD)")
        problem = _command_problem(self, self.command) if self.command is not None else _commandless_problem(self)
        if problem is not None:
            raise ValueError(problem)
        return self


def _commandless_problem(step: Step) -> str | None:
    """What a step without a command may not have: the parts of a command."""
    if step.body or step.headers or step.ref or step.body_file:
        return "body, body_file, headers and ref need a command"
    return None


# What a step's command must not be, in the order it is checked: (is it so?, what the loader says).
_COMMAND_RULES: tuple[tuple[Callable[[Step, str], bool], str], ...] = (
    (lambda step, _: step.verified == "console-only",
     "a console-only step has no command (the vendor has no CLI or API for it)"),
    (lambda step, _: bool(step.body_file) and not step.body,
     "body_file names the file to save the body in, so it needs a body"),
    (lambda step, _: bool(step.body) and "'" in str(step.body),
     "a body may not hold a single quote (it is printed inside '…' for the shell)"),
    (lambda step, _: any('"' in header or "`" in header for header in step.headers),
     "a header may not hold a double quote or backtick (it is printed inside \"…\")"),
    (lambda _, command: "\n" in command, "command must be one line"),
    (lambda step, _: not step.source or not step.checked,
     "a command needs `source` (CLI source file @commit or docs page where it was verified) and `checked` (the "
     "date), on the step or its entry"),
    (lambda step, command: step.api and not auth_headers(command, step.headers),
     "an HTTP call needs its vendor's auth header with the token from an environment variable (e.g. "
     "'Authorization: Bearer $VERCEL_TOKEN'), never a literal"),
)


def _command_problem(step: Step, command: str) -> str | None:
    """The first thing wrong with a step's command (None: it is traceable and prints safely)."""
    broken = next((message for rule, message in _COMMAND_RULES if rule(step, command)), None)
    if broken is not None:
        return broken
    header = next((header for header in step.headers if not _AUTH_HEADER.match(header)), None)
    if header is not None:
        return f"header {header!r} is not 'Name: value'"
    if step.ref is not None and not matches_reference(command, step.ref):
        return f"command {command!r} does not match its reference spelling {step.ref!r}"
    return None


def matches_reference(command: str, ref: str) -> bool:
    """Whether ``command`` is ``ref`` with its placeholders standing for the reference's own placeholders.

    For an HTTP call the reference may give only the path (``POST /v1/...``); the host and any leading path
    segments of the API's base (``/client/v4``) are then ignored.
    """
    pattern = "".join(
        ".+?" if i % 2 else re.escape(part) for i, part in enumerate(PLACEHOLDER.split(command))
    )
    # The reference writes optional arguments in brackets: match with them left out or spelled out.
    spellings = {ref, re.sub(r"\s*\[[^\]]*\]", "", ref), re.sub(r"\[([^\]]*)\]", r"\1", ref)}
    if any(re.fullmatch(pattern, spelling, flags=re.DOTALL) for spelling in spellings):
        return True
    http, ref_http = _HTTP.match(command), _HTTP.match(ref)
    if not (http and ref_http and ref_http.group(2).startswith("/") and http.group(2).startswith("https://")):
        return False
    segments = re.sub(r"^https://[^/]+", "", http.group(2)).split("/")
    rest = command[http.end():]
    for start in range(1, len(segments)):
        if matches_reference(f"{http.group(1)} /{'/'.join(segments[start:])}{rest}", ref):
            return True
    return False


def _inherit_step(step: dict[str, Any], level: Any, inherited: dict[str, Any]) -> dict[str, Any]:
    """A step takes its entry's level, and (for a command) the entry's source and date unless it has its own."""
    step = {**step}
    if not step.get("verified"):
        step["verified"] = level
    if step.get("command"):
        for name, value in inherited.items():
            if value is not None and not step.get(name):
                step[name] = value
    return step


class Alerting(_Strict):
    """How an error tracker's alerts reach a phone: the verified route and the channels it offers."""

    route: tuple[str, ...] = Field(min_length=1)
    channels: tuple[str, ...] = Field(min_length=1)
    native_push: str = Field(min_length=1)


class Provider(_Strict):
    """A catalog entry: one provider's names, rollback steps, caveats, docs and how well it was verified.

    An entry with ``options`` is a *family* (``AWS``): it names several providers and gives no commands,
    so that a vague config value is answered with a question rather than a guess.
    """

    key: str = Field(pattern=_KEY)
    name: str = Field(min_length=1)
    kinds: tuple[Kind, ...] = ()
    aliases: tuple[Alias, ...] = ()
    verified: Verified
    summary: str = ""
    steps: tuple[Step, ...] = Field(min_length=1)
    status: Step | None = None
    shell: Step | None = Field(default=None, description="hosting: how to open a shell where the app runs, for "
                               "migration commands")
    caveats: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    generic: bool = False
    alerting: Alerting | None = None
    source: str | None = None
    checked: str | None = None
    status_page: str | None = None

    @field_validator("checked", mode="before")
    @classmethod
    def _date_text(cls, value: Any) -> Any:
        return value.isoformat() if hasattr(value, "isoformat") else value

    @model_validator(mode="before")
    @classmethod
    def _inherit(cls, data: Any) -> Any:
        """Aliases may be plain strings; a step without its own ``verified`` takes the entry's level."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if isinstance(data.get("aliases"), list):
            data["aliases"] = [_alias(v) for v in data["aliases"]]
        level = data.get("verified")
        inherited = {"source": data.get("source"), "checked": data.get("checked")}
        for name in ("steps", "status", "shell"):
            items = data.get(name)
            seq = items if isinstance(items, list) else [items] if isinstance(items, dict) else None
            if seq is None:
                continue
            seq = [_inherit_step(s, level, inherited) if isinstance(s, dict) else s for s in seq]
            data[name] = seq if isinstance(items, list) else seq[0]
        return data

    @field_validator("docs")
    @classmethod
    def _docs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not _URL.match(url):
                raise ValueError(f"docs link {url!r} is not an https:// URL")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Provider:
        steps = self.all_steps()
        if (self.options or self.generic) and any(step.command for step in steps):
            raise ValueError("a family or generic entry gives advice, never commands")
        if not self.options and not self.generic and not self.docs:
            raise ValueError("an entry needs at least one docs link")
        if self.verified == "console-only" and any(step.command for step in steps):
            raise ValueError("a console-only entry has no commands; give the console path in the action")
        return self

    @property
    def family(self) -> bool:
        """Whether this entry only names other providers (``AWS`` → ECS, Lambda, …)."""
        return bool(self.options)

    def all_steps(self) -> tuple[Step, ...]:
        """The steps, then the status and shell steps when the entry has them."""
        return (*self.steps, *(step for step in (self.status, self.shell) if step is not None))

    def commands(self) -> list[str]:
        """Every command template of the entry (steps, status and shell), for checks and tests."""
        return [step.command for step in self.all_steps() if step.command]


class CatalogFile(_Strict):
    """One YAML file: the kinds its entries serve by default, and the entries."""

    kinds: tuple[Kind, ...] = Field(min_length=1)
    providers: tuple[Provider, ...] = Field(min_length=1)


class GenericSection(_Strict):
    """Provider-independent steps for one rollback section, used when no provider is configured."""

    title: str = Field(min_length=1)
    steps: tuple[Step, ...] = Field(min_length=1)
    verify: tuple[Step, ...] = ()


class GenericFile(_Strict):
    """``generic.yaml``: fallback steps per rollback section and notes that head every plan."""

    notes: tuple[str, ...] = ()
    sections: dict[Literal["deployment", "database", "feature_flag", "dns", "cache"], GenericSection]
    alert_route: tuple[str, ...] = Field(min_length=1)
