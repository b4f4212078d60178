"""What a crash-safety check reads from the workspace: watched files and their hashes, probe statuses,
incident notes, audit lines and runbook generations."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

from incident_mcp import incidents, workspace
from incident_mcp.artifacts import AUDIT_LOG, parse_artifact, read_text_exact
from incident_mcp.errors import IncidentMCPError
from incident_mcp.incidents.record import format_id, incident_files
from incident_mcp.workspace import TEMP_MARK, Workspace

PROBE_DIR = "artifacts/rfcs"
PROBE_PREFIX = "RFC-CRASH-"
GEN_RE = re.compile(r"crash-gen-(\d+)")
AUDIT_RE = re.compile(r"^\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\] (.+): (\w+) → (\w+)$")


def sha(data: bytes) -> str:
    """SHA-256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def read_probes(ws: Workspace) -> dict[str, tuple[str, str]]:
    """Probe RFC id -> (workspace-relative path, status) as on disk; a probe that does not parse has status "?"."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted((ws.root / PROBE_DIR).glob(f"{PROBE_PREFIX}*.md")):
        rel = ws.rel(path)
        try:
            artifact = parse_artifact(read_text_exact(path), rel)
        except (IncidentMCPError, UnicodeDecodeError):
            found[path.name[: len(PROBE_PREFIX) + 4]] = (rel, "?")
            continue
        found[str(artifact.id)] = (rel, str(artifact.status))
    return found


def is_watched(rel: str) -> bool:
    """Whether a workspace-relative path is one ``watched_files`` hashes."""
    return rel == "company.config.yaml" or (rel.startswith(("artifacts/", "standards/")) and rel.endswith(".md")
                                            and not workspace.is_temp_name(rel))


def watched_files(ws: Workspace) -> dict[str, str]:
    """Hash of every file the writers may touch: the config, ``artifacts/**/*.md``, ``standards/**/*.md``."""
    out = {"company.config.yaml": sha(ws.config_path.read_bytes())}
    for folder in ("artifacts", "standards"):
        for path in (ws.root / folder).rglob("*.md"):
            if not workspace.is_temp_name(path.name) and path.is_file():
                out[ws.rel(path)] = sha(path.read_bytes())
    return out


def temp_files(ws: Workspace) -> list[Path]:
    """Every temp file anywhere in the workspace."""
    return sorted(p for p in ws.root.rglob(f"*{TEMP_MARK}*") if p.is_file())


def disk_incidents(ws: Workspace) -> dict[str, tuple[str, list[str]]]:
    """Incident id -> (title, the texts of its notes in order), as the records on disk say."""
    out: dict[str, tuple[str, list[str]]] = {}
    for number, _path in incident_files(ws):
        record = incidents.read_incident(ws, format_id(number)).record
        out[record.id] = (record.title, [e.text for e in record.timeline if e.kind == "note"])
    return out


def audit_lines(ws: Workspace) -> tuple[list[str], list[str]]:
    """(``path: old → new`` of each whole line, lines that are cut short or malformed) of the audit log."""
    path = ws.root / AUDIT_LOG
    text = path.read_bytes().decode("utf-8", "replace") if path.exists() else ""
    if not text:
        return [], []
    *whole, tail = text.split("\n")
    lines, bad = [], [tail] if tail else []
    for line in whole:
        match = AUDIT_RE.match(line)
        if match:
            lines.append(f"{match.group(1)}: {match.group(2)} → {match.group(3)}")
        else:
            bad.append(line)
    return lines, bad


def runbook_gens(ws: Workspace) -> dict[str, int]:
    """Each runbook document's config generation (-1: none or several), from its ``crash-gen-N`` marks."""
    gens: dict[str, int] = {}
    for path in sorted((ws.root / "standards").rglob("*.md")):
        found = {int(n) for n in GEN_RE.findall(path.read_text(encoding="utf-8"))}
        gens[ws.rel(path)] = found.pop() if len(found) == 1 else -1
    return gens


@dataclasses.dataclass
class DiskState:
    """What the workspace holds after a kill (and the start-up repairs), read once for the model check."""

    incidents: dict[str, tuple[str, list[str]]]
    statuses: dict[str, str]
    audit: list[str]
    audit_bad: list[str]
    gens: dict[str, int]
    config_gen: int

    @classmethod
    def read(cls, ws: Workspace) -> DiskState:
        audit, audit_bad = audit_lines(ws)
        config = GEN_RE.search(ws.config_path.read_text(encoding="utf-8"))
        return cls(incidents=disk_incidents(ws), statuses={k: v[1] for k, v in read_probes(ws).items()}, audit=audit,
                   audit_bad=audit_bad, gens=runbook_gens(ws), config_gen=int(config.group(1)) if config else -1)
