"""The deploy log: ``artifacts/.audit-log/deploys.jsonl``, one JSON object per line, append-only, committed.

Written by ``incident-mcp deploy record`` as the last line of a deploy script or CI job. Each line is a
deploy: ``{"id": "dep-…", "at": "2026-03-01T02:00:00Z", "service": "api", "version": "v42", "sha": "…",
"note": "…", "by": "…"}`` (empty fields left out). Appends hold the ``deploy-log`` lock and write one
``O_APPEND`` write followed by fsync, so concurrent deploys lose nothing. A line torn by a killed writer is
skipped when reading (and reported), and the next append starts on a fresh line, so it never spoils later ones.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from incident_mcp.errors import LearnError
from incident_mcp.incidents.record import event_time, format_timestamp, parse_timestamp
from incident_mcp.workspace import Workspace, append_line

DEPLOY_LOG = "artifacts/.audit-log/deploys.jsonl"
MAX_NOTE = 500
MAX_LOG_BYTES = 64_000_000  # a log larger than this is read from its last 64 MB only
# What goes into a rollback command must not change its meaning in a shell.
SAFE_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,199}$")
SHA_RE = re.compile(r"^[0-9a-fA-F]{4,64}$")
DEPLOY_ID_RE = re.compile(r"^dep-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")


class Deploy(BaseModel):
    """One deploy as logged."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    at: str
    service: str = ""
    version: str = ""
    sha: str = ""
    note: str = ""
    by: str = ""

    @property
    def when(self) -> dt.datetime:
        """``at`` as an aware UTC datetime."""
        return parse_timestamp(self.at)

    @property
    def label(self) -> str:
        """What was deployed: the version, else the short sha, else the id."""
        return self.version or self.sha[:12] or self.id


@dataclass
class DeployLog:
    """Every readable deploy, oldest first, and the lines that could not be read."""

    deploys: list[Deploy] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def by_id(self, deploy_id: str) -> Deploy | None:
        """The deploy with this id, if logged."""
        return next((d for d in self.deploys if d.id == deploy_id), None)

    def previous_of(self) -> dict[str, Deploy]:
        """For each deploy id, the deploy of the same service just before it (one pass over the log)."""
        last: dict[str, Deploy] = {}
        found: dict[str, Deploy] = {}
        for deploy in self.deploys:  # oldest first
            if deploy.service in last:
                found[deploy.id] = last[deploy.service]
            last[deploy.service] = deploy
        return found

    def previous(self, deploy: Deploy) -> Deploy | None:
        """The deploy of the same service (or of no named service) just before ``deploy``."""
        return self.previous_of().get(deploy.id)


def _actor() -> str:
    for name in ("INCIDENT_MCP_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN"):
        if os.environ.get(name):
            return os.environ[name][:100]
    with contextlib.suppress(Exception):
        return getpass.getuser()[:100]
    return ""


def _check_service(service: str, configured: Sequence[str]) -> str:
    service = service.strip()
    if not service:
        return ""
    if configured and service not in configured:
        raise LearnError(f"--service {service!r} is not a configured service "
                         f"(incident_response.services: {', '.join(configured)})")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", service):
        raise LearnError(f"--service {service!r} is not a service name (letters, digits, '.', '_', '-')")
    return service


def record_deploy(ws: Workspace, *, service: str = "", version: str = "", sha: str = "", at: str | None = None,
                  note: str = "", configured_services: Sequence[str] = (), now: dt.datetime | None = None,
                  by: str | None = None) -> Deploy:
    """Append one deploy to the log and return it (with its new id)."""
    moment = parse_timestamp(now or dt.datetime.now(dt.UTC))
    try:
        when = event_time(at, moment, "--at")
    except ValueError as err:
        raise LearnError(str(err)) from None
    service = _check_service(service, configured_services)
    version = version.strip()
    if version and not SAFE_VERSION.match(version):
        raise LearnError(f"--version {version[:40]!r} may hold only letters, digits and . _ : / @ + = - "
                         "(it is put into a rollback command)")
    sha = sha.strip().lower()
    if sha and not SHA_RE.match(sha):
        raise LearnError(f"--sha {sha[:70]!r} is not a git commit hash (4 to 64 hex digits)")
    note = " ".join(note.split())
    if len(note) > MAX_NOTE:
        raise LearnError(f"--note is {len(note)} characters; at most {MAX_NOTE}")
    deploy_id = f"dep-{when.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    deploy = Deploy(id=deploy_id, at=format_timestamp(when), service=service, version=version, sha=sha, note=note,
                    by=_actor() if by is None else by)
    line = json.dumps(deploy.model_dump(exclude_defaults=True), ensure_ascii=False, separators=(",", ":"))
    with ws.lock("deploy-log"):
        append_line(ws, DEPLOY_LOG, line, error=LearnError)
    return deploy


def read_deploys(ws: Workspace) -> DeployLog:
    """Every deploy in the log, oldest first; unreadable lines (a torn last line, a bad edit) are skipped."""
    path = ws.path(DEPLOY_LOG)
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - MAX_LOG_BYTES))
            raw = handle.read()
    except FileNotFoundError:
        return DeployLog()
    except OSError as err:
        raise LearnError(f"cannot read {DEPLOY_LOG}: {err.strerror}") from None
    log = DeployLog()
    first = 1
    if size > MAX_LOG_BYTES:
        cut = raw.find(b"\n")
        raw = raw[cut + 1:]
        first = 0
    for number, chunk in enumerate(raw.split(b"\n"), first):
        if not chunk.strip():
            continue
        try:
            data = json.loads(chunk)
            deploy = Deploy.model_validate(data)
            parse_timestamp(deploy.at)
        except (ValueError, TypeError) as err:
            where = f"line {number}" if first else "a line"
            log.skipped.append(f"{DEPLOY_LOG} {where}: not a deploy ({type(err).__name__}); skipped")
            continue
        log.deploys.append(deploy)
    log.deploys.sort(key=lambda d: d.when)  # stable: deploys logged at the same second keep their order
    return log
