"""``incident-mcp init``: set up an existing Company OS repository for incident response.

Adds an ``incident_response:`` section to ``company.config.yaml`` as text (appended, so every existing byte,
comment and key order stays as it was), installs the agent skill and the two drop-in scripts, and records
what it installed (sha256 per file in ``.incident-mcp/installed.json``) so that running it again changes
nothing and a file someone edited since is never overwritten without ``force``. A file replaced with
``force`` is first copied under ``.incident-mcp/replaced/``: nothing is lost.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel

from incident_mcp import __version__
from incident_mcp.artifacts import SAFE_LOADER
from incident_mcp.config import parse_config, read_config_text
from incident_mcp.errors import ConfigError, IncidentMCPError, WorkspaceError
from incident_mcp.frontmatter.reading import read_utf8
from incident_mcp.workspace import CONFIG_NAME, STATE_DIR, Workspace, atomic_write

SECTION = "incident_response"
MANIFEST = "installed.json"
REPLACED_DIR = "replaced"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+$")


@dataclass(frozen=True)
class BundledFile:
    """A file we ship (path relative to the bundle root) and where it goes in the workspace."""

    source: str
    target: str
    executable: bool = False
    foreign_hint: str = ""  # said when the target exists but was never installed by us


_DROP_IN = "Company OS's own script? ours is a drop-in with the same arguments and exit codes"
BUNDLED_FILES: tuple[BundledFile, ...] = (
    BundledFile("SKILL.md", ".claude/skills/incident-response/SKILL.md"),
    BundledFile("tools/ops/status-check.sh", "tools/ops/status-check.sh", executable=True, foreign_hint=_DROP_IN),
    BundledFile("tools/artifact/validate.sh", "tools/artifact/validate.sh", executable=True,
                foreign_hint=_DROP_IN),
)

Action = Literal["installed", "updated", "unchanged", "kept", "replaced"]


class FileResult(BaseModel):
    """What init did with one file."""

    path: str
    action: Action
    note: str = ""
    backup: str | None = None


class InitResult(BaseModel):
    """Everything ``init`` did, for the CLI's text and ``--json`` output."""

    workspace: str
    config: Literal["added", "present"]
    config_note: str
    files: list[FileResult]
    register_command: str
    changed: bool


def default_bundle() -> Path:
    """Where the shipped files are: ``incident_mcp/_bundled`` in a wheel, the repository root in a checkout."""
    package = Path(__file__).resolve().parent
    bundled = package / "_bundled"
    return bundled if bundled.is_dir() else package.parent


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def register_command(ws: Workspace) -> str:
    """The one line that registers this server with Claude Code for the workspace."""
    program = "incident-mcp" if shutil.which("incident-mcp") else f"{shlex.quote(sys.executable)} -m incident_mcp"
    return f"claude mcp add incident-mcp -- {program} serve --workspace {shlex.quote(str(ws.root))}"


# ---- company.config.yaml ---------------------------------------------------------------------------------


def _domain(raw: str) -> str | None:
    """company.domain as a plain host name (scheme, path and port dropped), or None if it is not one."""
    text = raw.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/", 1)[0].split(":", 1)[0]
    return text if _HOSTNAME.match(text) else None


def _services_lines(domain: str | None) -> list[str]:
    """The ``services:`` part: examples built from company.domain, or an empty list with commented examples."""
    if domain:
        apex = domain.removeprefix("www.")
        return [
            "  # The services check_status probes; critical ones are checked by default.",
            f"  # EXAMPLES built from company.domain ({domain}): check they are the URLs you want probed.",
            "  services:",
            "    - name: web                      # unique; check_status(services=[\"web\"])",
            f"      url: https://{domain}/",
            "      critical: true                 # critical services are checked by default",
            "    # - name: api                    # EXAMPLE: uncomment and point at your API's health endpoint",
            f"    #   url: https://api.{apex}/health",
            "    #   critical: true",
        ]
    return [
        "  # The services check_status probes; critical ones are checked by default.",
        "  services: []                       # replace [] with your services, for example:",
        "    # - name: web                    # unique; check_status(services=[\"web\"])",
        "    #   url: https://example.com/",
        "    #   critical: true",
        "    # - name: api",
        "    #   url: https://api.example.com/health",
        "    #   critical: true",
    ]


# The keys after ``services:``, every optional one commented out with an example to edit.
_OTHER_KEY_LINES: tuple[str, ...] = (
    "  timezone: UTC                      # business hours and display (e.g. Europe/Lisbon); records are UTC",
    "  # on_call: {name: \"\", email: \"\", phone: \"\"}       # you, when production is down",
    "  # support_contact: help@example.com                # given to users in communications",
    "  # status_page: {provider: Instatus, url: https://status.example.com}",
    "  # deploy:                          # ids for the rollback commands (app, service, cluster, region, ...)",
    "  #   app: example-web",
    "  # dns: {provider: Cloudflare, zone: ZONE_ID, record: app.example.com, ttl: 300,",
    "  #       failover_target: maintenance.example.com}   # zone: as your DNS provider names it",
    "  # cdn: {provider: Cloudflare}",
    "  # alerting: {provider: PagerDuty}  # where the error tracker routes alerts to reach your phone",
    "  # allow_private_targets: []        # hosts/CIDRs check_status may probe although private",
    "  # watch: {interval: 60, open_after: 3, recover_after: 2, resolve_after_minutes: 30, auto_resolve: true}",
    "  # notify:                          # where `incident-mcp watch` tells you; secrets by env var name only",
    "    # - type: slack",
    "    #   url_env: SLACK_WEBHOOK_URL",
    "    # - type: ntfy",
    "    #   url: https://ntfy.sh/your-topic",
    "    #   token_env: NTFY_TOKEN",
    "  # maintenance:                     # planned work: failures inside open nothing",
    "    # - services: [web]",
    "    #   start: 2026-03-01T02:00:00Z",
    "    #   end: 2026-03-01T03:00:00Z",
    "    #   reason: Database upgrade     # public: shown on the status page",
    "  # slo: {web: {target: 99.9, window_days: 30}}      # error budget in `incident-mcp metrics`",
)


def section_text(domain: str | None, newline: str = "\n") -> str:
    """The appended ``incident_response:`` block: valid YAML, documented, with examples to edit."""
    lines = [
        "",
        "# ============================================================================",
        "# Incident response (incident-mcp)",
        "# ============================================================================",
        f"# Added by `incident-mcp init` ({__version__}). Every key is optional; typos under",
        "# this key are errors. Reference: the incident-mcp README, \"Configuration\".",
        "# ============================================================================",
        "",
        f"{SECTION}:",
        *_services_lines(domain),
        *_OTHER_KEY_LINES,
        "",
    ]
    return newline.join(lines)


def _has_section(text: str) -> bool:
    """Whether the top-level key exists (with any value, even blank): then we never add a second one."""
    data = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader; the text has already parsed once
    return isinstance(data, dict) and SECTION in data


def _plan_section(ws: Workspace) -> tuple[Path, str | None]:
    """Read and check the config; the new text with the section appended, or None if the key exists.

    Writes nothing, so every error (no config, broken config, a file that cannot take the section) is
    raised before anything in the workspace changes. The old bytes stay an exact prefix of the new text.
    """
    path = ws.path(CONFIG_NAME)
    if not path.is_file():
        raise WorkspaceError(
            f"{ws.root} has no {CONFIG_NAME}: incident-mcp init sets up an existing Company OS repository; "
            "create the config from the Company OS template first (or pass --workspace DIR)"
        )
    target = path.resolve()
    text = read_config_text(path)
    loaded = parse_config(text, path)  # a broken config is reported as it is
    if _has_section(text):
        return target, None
    newline = "\r\n" if "\r\n" in text else "\n"
    prefix = text if not text or text.endswith(("\n", "\r")) else text + newline
    updated = prefix + section_text(_domain(loaded.config.company.domain), newline)
    try:
        parse_config(updated, path)
    except ConfigError as err:
        raise ConfigError(f"cannot append {SECTION}: to this file without breaking it ({err}); add the "
                          "section by hand (see the README)", file=path) from None
    return target, updated


def _add_section(ws: Workspace) -> tuple[Literal["added", "present"], str, bool]:
    """Append the section unless the top-level key exists; keeps the file's permissions."""
    target, updated = _plan_section(ws)
    if updated is None:
        return "present", f"{CONFIG_NAME} already has {SECTION}: (left as it is)", False
    mode = stat.S_IMODE(target.stat().st_mode)
    atomic_write(target, updated)
    target.chmod(mode)
    note = f"added {SECTION}: at the end of {CONFIG_NAME}; edit the example services to your real URLs"
    return "added", note, True


# ---- bundled files ---------------------------------------------------------------------------------------


def _read_sources(bundle: Path) -> dict[str, bytes]:
    missing = [item.source for item in BUNDLED_FILES if not (bundle / item.source).is_file()]
    if missing:
        raise IncidentMCPError(
            f"incident-mcp's bundled files are missing from {bundle}: {', '.join(missing)}; "
            "reinstall incident-mcp (or run from a complete source checkout)"
        )
    sources = {item.source: (bundle / item.source).read_bytes() for item in BUNDLED_FILES}
    for name, data in sources.items():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise IncidentMCPError(f"bundled file {bundle / name} is not UTF-8 text; reinstall incident-mcp") from None
    return sources


MAX_MANIFEST_BYTES = 1_000_000  # a hash per installed file


def _load_manifest(ws: Workspace) -> dict[str, Any]:
    path = ws.root / STATE_DIR / MANIFEST
    if not path.is_file() or not ws.contains(path):
        return {}
    try:
        data = json.loads(ws.read_state_file(path, MAX_MANIFEST_BYTES))
    except (ValueError, RecursionError, WorkspaceError, OSError):
        return {}  # a damaged manifest only means we treat every differing file as the user's own
    files = data.get("files") if isinstance(data, dict) else None
    return {k: v for k, v in files.items() if isinstance(v, dict)} if isinstance(files, dict) else {}


def _save_manifest(ws: Workspace, files: dict[str, Any]) -> bool:
    text = json.dumps({"version": 1, "files": dict(sorted(files.items()))}, indent=2, sort_keys=True) + "\n"
    path = ws.state_dir() / MANIFEST
    try:
        same = ws.read_state_file(path, MAX_MANIFEST_BYTES) == text
    except (OSError, WorkspaceError):  # missing, a link, too large: written afresh (the link itself replaced)
        same = False
    if same:
        return False
    atomic_write(path, text)
    return True


def _make_executable(path: Path) -> bool:
    mode = stat.S_IMODE(path.stat().st_mode)
    wanted = mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
    if mode == wanted:
        return False
    path.chmod(wanted)
    return True


def _backup(ws: Workspace, rel: str, data: bytes) -> str:
    """Keep a copy of a file about to be replaced with --force; returns its workspace-relative path."""
    backup_rel = f"{STATE_DIR}/{REPLACED_DIR}/{rel}.{_sha256(data)[:12]}"
    ws.state_dir()
    backup = ws.path(backup_rel)
    if not backup.exists():
        backup.parent.mkdir(parents=True, exist_ok=True)
        partial = backup.with_name(backup.name + ".partial")
        with partial.open("wb") as handle:  # bytes as they were, whatever their encoding
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(backup)
    return backup_rel


def _write(target: Path, data: bytes, executable: bool) -> None:
    atomic_write(target, data.decode("utf-8"))
    if executable:
        _make_executable(target)


def _install_file(ws: Workspace, item: BundledFile, data: bytes, recorded: dict[str, Any],
                  force: bool) -> tuple[FileResult, bool]:
    """Install one file; returns what happened and whether anything on disk changed."""
    target = ws.path(item.target)
    new_hash = _sha256(data)
    if target.is_dir():
        raise WorkspaceError(f"{item.target} is a folder; move it away so the file can be installed there")
    if not target.exists():
        _write(target, data, item.executable)
        return FileResult(path=item.target, action="installed"), True
    current = target.read_bytes()
    current_hash = _sha256(current)
    if current_hash == new_hash:
        changed = item.executable and _make_executable(target)
        return FileResult(path=item.target, action="unchanged", note="made executable" if changed else ""), changed
    ours = recorded.get(item.target, {}).get("sha256") == current_hash
    if ours:
        _write(target, data, item.executable)
        return FileResult(path=item.target, action="updated", note="replaced by this version's copy"), True
    if not force:
        why = ("edited since incident-mcp installed it" if item.target in recorded
               else "exists and was not installed by incident-mcp"
               + (f" ({item.foreign_hint})" if item.foreign_hint else ""))
        return FileResult(path=item.target, action="kept",
                          note=f"{why}: kept; --force replaces it and keeps a copy"), False
    backup = _backup(ws, item.target, current)
    _write(target, data, item.executable)
    return FileResult(path=item.target, action="replaced", note="replaced with --force", backup=backup), True


def _scheduled_files(ws: Workspace, schedule: str | None) -> dict[BundledFile, bytes]:
    """The generated files a ``--schedule`` adds (the workflow names the notify secrets it needs)."""
    if schedule is None:
        return {}
    from incident_mcp.watch.schedule import SCHEDULES, WORKFLOW_PATH, github_workflow

    if schedule not in SCHEDULES:
        raise WorkspaceError(f"--schedule {schedule!r} is not one of {', '.join(SCHEDULES)} (for systemd and cron "
                             "see the README, \"Detect\")")
    try:
        config = parse_config(read_utf8(ws.config_path, ConfigError), ws.config_path).config
    except (OSError, ConfigError):  # unreadable: the workflow names no notify secrets
        config = None
    return {BundledFile(WORKFLOW_PATH, WORKFLOW_PATH): github_workflow(config).encode("utf-8")}


def run_init(ws: Workspace, *, force: bool = False, bundle: Path | None = None,
             schedule: str | None = None) -> InitResult:
    """Set up ``ws``: config section, skill, scripts, manifest (and with ``schedule`` a scheduled
    ``watch --once``). Idempotent; see the module docstring."""
    # Everything that can be refused is checked before the first write (the lock file included).
    sources = _read_sources(bundle or default_bundle())
    for item in BUNDLED_FILES:
        ws.path(item.target)
    _plan_section(ws)
    with ws.lock("init"):
        config_action, config_note, changed = _add_section(ws)
        recorded = _load_manifest(ws)
        results: list[FileResult] = []
        for item in BUNDLED_FILES:
            result, file_changed = _install_file(ws, item, sources[item.source], recorded, force)
            results.append(result)
            changed |= file_changed
            if result.action != "kept":
                recorded[item.target] = {"sha256": _sha256(sources[item.source])}
        for item, data in _scheduled_files(ws, schedule).items():
            result, file_changed = _install_file(ws, item, data, recorded, force)
            results.append(result)
            changed |= file_changed
            if result.action != "kept":
                recorded[item.target] = {"sha256": _sha256(data)}
        changed |= _save_manifest(ws, recorded)
    return InitResult(workspace=str(ws.root), config=config_action, config_note=config_note, files=results,
                      register_command=register_command(ws), changed=changed)
