"""The checker of the crash-safety harness: what the workspace must hold, and the checks after each kill.

``Checker.check_life`` reads the worker's intent log (see ``crash_intent``) and the workspace as the kill left
it, runs the CLI's start-up repairs, and counts in ``Figures`` every torn or stray file, invalid artifact,
lost or phantom event, missing or torn audit line, listed or leftover temp file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from incident_mcp import incidents
from incident_mcp.artifacts import ArtifactIndex, iter_artifact_files, parse_artifact, read_text_exact
from incident_mcp.cli.main import recover_at_start
from incident_mcp.errors import IncidentMCPError
from incident_mcp.incidents.document import refresh_body
from incident_mcp.incidents.record import incident_files
from incident_mcp.validation import validate_workspace
from incident_mcp.workspace import TEMP_MARK, Workspace
from tests.support.crash_disk import (
    GEN_RE,
    DiskState,
    audit_lines,
    disk_incidents,
    is_watched,
    read_probes,
    runbook_gens,
    temp_files,
    watched_files,
)


@dataclasses.dataclass
class Life:
    """How one worker life ended."""

    killed: bool
    exit_code: int | None
    stderr: str = ""


# ---- the checker ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Figures:
    """What a crash loop measured; everything but the first block must stay zero."""

    kills: int = 0
    kills_mid_operation: int = 0
    kills_mid_write: int = 0
    in_flight_landed: int = 0
    ops_committed: int = 0
    events_committed: int = 0
    temp_found: int = 0
    temp_swept: int = 0
    audit_repaired: int = 0
    # failures
    torn: int = 0
    stray: int = 0
    invalid: int = 0
    lost_events: int = 0
    phantom_events: int = 0
    audit_missing: int = 0
    audit_torn: int = 0
    temp_listed: int = 0
    temp_remaining: int = 0
    worker_errors: int = 0
    details: list[str] = dataclasses.field(default_factory=list)

    FAILURES = ("torn", "stray", "invalid", "lost_events", "phantom_events", "audit_missing", "audit_torn",
                "temp_listed", "temp_remaining", "worker_errors")

    @property
    def failures(self) -> int:
        """Sum of every failure counter."""
        return sum(getattr(self, name) for name in self.FAILURES)

    def fail(self, counter: str, detail: str, amount: int = 1) -> None:
        """Count a failure and keep a readable line about it (the first 50)."""
        setattr(self, counter, getattr(self, counter) + amount)
        if len(self.details) < 50:
            self.details.append(f"{counter}: {detail}")

    def summary(self) -> str:
        """The one-line figure the bench and the tests print."""
        return (f"kills: {self.kills} (mid-operation {self.kills_mid_operation}, mid-write {self.kills_mid_write}, "
                f"in-flight landed {self.in_flight_landed}), ops committed: {self.ops_committed}, "
                f"torn files: {self.torn}, stray changes: {self.stray}, invalid files: {self.invalid}, "
                f"lost events: {self.lost_events}, phantom events: {self.phantom_events}, "
                f"status changes without audit line: {self.audit_missing} (repaired at start "
                f"{self.audit_repaired}), torn audit lines: {self.audit_torn}, "
                f"temp files listed: {self.temp_listed}, leftover temp files: {self.temp_found} "
                f"(swept {self.temp_swept}, remaining {self.temp_remaining}), worker errors: {self.worker_errors}")


@dataclasses.dataclass
class Model:
    """What the workspace must hold, from every operation the log shows committed."""

    files: dict[str, str]
    notes: dict[str, list[str]]
    titles: dict[str, str]
    statuses: dict[str, str]
    audit: list[str]
    config_gen: int
    runbook_gen: dict[str, int]


class Checker:
    """Keeps the model of what the workspace must hold and checks it after each kill."""

    def __init__(self, ws: Workspace, log_path: Path) -> None:
        self.ws = ws
        self.log_path = log_path
        self.offset = log_path.stat().st_size if log_path.exists() else 0
        self.figures = Figures()
        disk = disk_incidents(ws)
        config_gen = GEN_RE.search(ws.config_path.read_text(encoding="utf-8"))
        self.model = Model(
            files=watched_files(ws), notes={k: v[1] for k, v in disk.items()},
            titles={k: v[0] for k, v in disk.items()},
            statuses={k: v[1] for k, v in read_probes(ws).items()}, audit=audit_lines(ws)[0],
            config_gen=int(config_gen.group(1)) if config_gen else 0, runbook_gen=runbook_gens(ws))

    def _new_entries(self) -> list[dict[str, Any]]:
        with self.log_path.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        whole = data[: data.rfind(b"\n") + 1]  # a line the kill cut short was never acted on
        self.offset += len(whole)
        return [json.loads(line) for line in whole.decode("ascii").splitlines() if line]

    def check_life(self, life: Life) -> Figures:
        """Check the workspace after one life; returns the running figures."""
        f = self.figures
        entries = self._new_entries()
        errors = [e for e in entries if e["t"] == "error"]
        if errors or (not life.killed and life.exit_code not in (0, None)):
            f.fail("worker_errors", errors[0]["trace"] if errors else f"exit {life.exit_code}: {life.stderr[-2000:]}")
        if life.killed:
            f.kills += 1
        # As the kill left it: files old or new, valid, no temp file listed. Then the next start (the CLI's
        # start-up repairs), and what a user sees after it: every committed event, every audit line.
        stages: list[Callable[[], None]] = [lambda: self._check_files(entries), self._check_temp_files,
                                            self._check_valid, self._check_bodies, self._start,
                                            lambda: self._check_model(entries)]
        for stage in stages:
            try:
                stage()
            except (IncidentMCPError, OSError, UnicodeDecodeError) as err:  # a file too broken to read at all
                f.fail("invalid", f"{type(err).__name__}: {err}")
        self.model.files = watched_files(self.ws)
        return f

    def _check_files(self, entries: list[dict[str, Any]]) -> None:
        """Each file is its last confirmed version, or — for the write in flight — the one before it."""
        f = self.figures
        confirmed: dict[str, str | None] = {}
        pending: dict[str, str] = {}
        writes = [e for e in entries if e["t"] in ("write", "wrote")]
        if writes and writes[-1]["t"] == "write":
            f.kills_mid_write += 1
        for entry in writes:
            if not is_watched(entry["path"]):
                continue  # e.g. the promotion's pending record in .incident-mcp/
            if entry["t"] == "write":
                pending[entry["path"]] = entry["sha"]
            elif entry["t"] == "wrote":
                sha_written = pending.pop(entry["path"], None)
                if entry["ok"] and sha_written is not None:
                    confirmed[entry["path"]] = sha_written
        now = watched_files(self.ws)
        for rel in sorted(set(now) | set(self.model.files) | set(confirmed) | set(pending)):
            before = confirmed.get(rel, self.model.files.get(rel))
            allowed = {before} | ({pending[rel]} if rel in pending else set())
            if now.get(rel) not in allowed:
                kind = "torn" if rel in pending or rel in confirmed else "stray"
                f.fail(kind, f"{rel}: on disk {str(now.get(rel))[:12]}, allowed "
                             f"{sorted(str(a)[:12] for a in allowed)}")

    def _check_temp_files(self) -> None:
        f = self.figures
        found = temp_files(self.ws)
        f.temp_found += len(found)
        listed = [str(p) for p in iter_artifact_files(self.ws) if TEMP_MARK in p.name]
        listed += [e.rel for e in ArtifactIndex.build(self.ws).entries if TEMP_MARK in e.rel]
        offset: int | None = 0
        while offset is not None:
            page = incidents.list_incidents(self.ws, limit=100, offset=offset)
            listed += [s.path for s in page.incidents if TEMP_MARK in s.path]
            offset = page.next_offset
        listed += [str(p) for _, p in incident_files(self.ws) if TEMP_MARK in p.name]
        for item in listed:
            f.fail("temp_listed", item)

    def _check_valid(self) -> None:
        report = validate_workspace(self.ws)
        bad = sorted({p.file for p in report.problems if p.severity == "error"})
        for rel in bad:
            first = next(p.message for p in report.problems if p.file == rel and p.severity == "error")
            self.figures.fail("invalid", f"{rel}: {first}")

    def _check_model(self, entries: list[dict[str, Any]]) -> None:
        """Apply the committed operations to the model, settle the one in flight, compare with the disk."""
        disk = DiskState.read(self.ws)
        self._replay(entries, disk)
        self._compare_incidents(disk.incidents)
        self._compare_statuses(disk.statuses)
        self._compare_audit(disk.audit, disk.audit_bad)
        self._compare_generations(disk.config_gen, disk.gens)

    def _replay(self, entries: list[dict[str, Any]], disk: DiskState) -> None:
        """Committed operations go into the model; the one in flight too if its effect is on disk."""
        f = self.figures
        ops = {e["seq"]: e for e in entries if e["t"] == "op"}
        done = {e["seq"]: e for e in entries if e["t"] == "done"}
        for seq, op in ops.items():
            if seq in done:
                f.ops_committed += 1
                self._apply(op, done[seq])
                continue
            f.kills_mid_operation += 1
            landed = self._landed(op, disk)
            if landed is not None:
                f.in_flight_landed += 1
                self._apply(op, landed)

    def _compare_incidents(self, disk: dict[str, tuple[str, list[str]]]) -> None:
        """Every committed event on disk, in order, and nothing else."""
        m, f = self.model, self.figures
        for ident in sorted(set(m.notes) | set(disk)):
            want = m.notes.get(ident)
            got = disk.get(ident)
            if want is None:
                f.fail("phantom_events", f"{ident} is on disk but was never opened")
            elif got is None:
                f.fail("lost_events", f"{ident} was opened but is not on disk", 1 + len(want))
            else:
                self._compare_notes(ident, want, got[1])
                if got[0] != m.titles.get(ident):
                    f.fail("phantom_events", f"{ident}: title {got[0]!r}, expected {m.titles.get(ident)!r}")

    def _compare_notes(self, ident: str, want: list[str], got: list[str]) -> None:
        """One incident's notes: none lost, none never committed, in the committed order."""
        f = self.figures
        lost = [t for t in want if t not in got]
        extra = [t for t in got if t not in want]
        if lost:
            f.fail("lost_events", f"{ident}: {len(lost)} committed note(s) missing", len(lost))
        if extra:
            f.fail("phantom_events", f"{ident}: {len(extra)} note(s) never committed", len(extra))
        if not lost and not extra and got != want:
            f.fail("lost_events", f"{ident}: notes out of order")

    def _compare_statuses(self, statuses: dict[str, str]) -> None:
        """Each probe RFC has the status the model says."""
        m = self.model
        for ident in sorted(set(m.statuses) | set(statuses)):
            if m.statuses.get(ident) != statuses.get(ident):
                self.figures.fail("lost_events",
                                  f"{ident}: status {statuses.get(ident)!r}, expected {m.statuses.get(ident)!r}")

    def _compare_audit(self, audit: list[str], audit_bad: list[str]) -> None:
        """The audit log is whole and holds exactly the model's lines, in order (each gap counted once)."""
        m, f = self.model, self.figures
        for line in audit_bad:
            f.fail("audit_torn", repr(line[:120]))
        if audit == m.audit:
            return
        missing = [line for line in m.audit if line not in audit]
        extra = [line for line in audit if line not in m.audit]
        for line in missing:
            f.fail("audit_missing", f"no audit line for {line}")
        for line in extra:
            f.fail("phantom_events", f"audit line for a change never made: {line}")
        if not missing and not extra:
            f.fail("audit_missing", "audit lines out of order")
        m.audit = audit  # count each gap once

    def _compare_generations(self, config_gen: int, gens: dict[str, int]) -> None:
        """The config and every runbook document carry the generation the model says."""
        m, f = self.model, self.figures
        if config_gen != m.config_gen:
            f.fail("lost_events", f"config generation {config_gen}, expected {m.config_gen}")
        if gens != m.runbook_gen:
            f.fail("lost_events", f"runbook generations {gens}, expected {m.runbook_gen}")
            m.runbook_gen = gens

    def _landed(self, op: dict[str, Any], disk: DiskState) -> dict[str, Any] | None:
        """For the operation in flight: the result it had if its effect is on disk, else None."""
        settle = {"open": self._landed_open, "note": self._landed_note, "promote": self._landed_promote,
                  "regen": self._landed_regen, "add": self._landed_add}.get(op["op"])
        return settle(op, disk) if settle else None

    def _landed_open(self, op: dict[str, Any], disk: DiskState) -> dict[str, Any] | None:
        found = [k for k, (title, _) in disk.incidents.items() if title == op["title"] and k not in self.model.notes]
        return {"id": found[0]} if found else None

    def _landed_note(self, op: dict[str, Any], disk: DiskState) -> dict[str, Any] | None:
        got = disk.incidents.get(op["id"], ("", []))[1]
        return {"landed": True} if got == [*self.model.notes.get(op["id"], []), op["text"]] else None

    def _landed_promote(self, op: dict[str, Any], disk: DiskState) -> dict[str, Any] | None:
        if disk.statuses.get(op["id"]) != op["new"]:
            return None
        line = f"{op['path']}: {op['old']} → {op['new']}"
        logged = line in disk.audit[len(self.model.audit):]
        if not logged:
            self.figures.fail("audit_missing", f"{op['id']} is {op['new']} on disk but the log has no '{line}'")
        return {"changed": True, "log_line": line if logged else None}

    def _landed_regen(self, op: dict[str, Any], disk: DiskState) -> dict[str, Any] | None:
        """Two steps: the config, then each document; each landed or not, in that order."""
        m = self.model
        if disk.config_gen != op["gen"]:
            return None
        m.config_gen = op["gen"]
        for rel, old in m.runbook_gen.items():
            if disk.gens.get(rel) == op["gen"]:
                m.runbook_gen[rel] = op["gen"]
            elif disk.gens.get(rel) != old:
                break  # neither version: reported by the comparison that follows
        return {"partial": True}

    def _landed_add(self, op: dict[str, Any], disk: DiskState) -> dict[str, Any] | None:
        return {"landed": True} if op["id"] in disk.statuses else None

    def _apply(self, op: dict[str, Any], result: dict[str, Any]) -> None:
        m = self.model
        kind = op["op"]
        if kind == "open":
            m.notes[result["id"]] = []
            m.titles[result["id"]] = op["title"]
        elif kind == "note":
            m.notes.setdefault(op["id"], []).append(op["text"])
            self.figures.events_committed += 1
        elif kind == "promote" and result.get("changed"):
            m.statuses[op["id"]] = op["new"]
            if result.get("log_line"):
                m.audit.append(f"{op['path']}: {op['old']} → {op['new']}")
        elif kind == "regen" and not result.get("partial"):
            m.config_gen = op["gen"]
            m.runbook_gen = dict.fromkeys(m.runbook_gen, op["gen"])
        elif kind == "add":
            m.statuses[op["id"]] = "draft"

    def _check_bodies(self) -> None:
        """Each changed incident's body is complete: re-rendering its blocks from its frontmatter changes nothing."""
        now = watched_files(self.ws)
        for rel, digest in now.items():
            if self.model.files.get(rel) == digest or not rel.startswith("artifacts/decision-memos/INC-"):
                continue
            artifact = parse_artifact(read_text_exact(self.ws.root / rel), rel)
            record = incidents.read_incident(self.ws, str(artifact.id)).record
            merged = refresh_body(artifact.body, record)
            if merged.text != artifact.body or merged.kept_edited:
                self.figures.fail("invalid", f"{rel}: body is not what its frontmatter renders")

    def _start(self) -> None:
        """The next start: the CLI's own start-up repairs; afterwards no temp file may remain."""
        f = self.figures
        before, lines_before = temp_files(self.ws), audit_lines(self.ws)[0]
        recover_at_start(argparse.Namespace(workspace=str(self.ws.root)))
        after, lines_after = temp_files(self.ws), audit_lines(self.ws)[0]
        f.temp_swept += len(before) - len(after)
        f.audit_repaired += len(lines_after) - len(lines_before)
        for path in after:
            f.fail("temp_remaining", self.ws.rel(path))
