"""Promotion: Company OS's artifact lifecycle ``draft → review → approved → archived`` with its gates.

Like Company OS's ``promote.sh``: one step at a time, ``archived`` from any status, promoting to the
current status is a warning (nothing written), the artifact must validate first, and ``approved``
needs an approved parent and approved ``depends_on``. Only the ``status:`` line of the file changes,
and one line ``[YYYY-MM-DDTHH:MM:SSZ] <artifact-path>: <old> → <new>`` is appended to
``artifacts/.audit-log/promotions.log``. Unlike it, the whole read-check-write runs under a lock per
artifact (two concurrent promotions cannot skip a step), the log append under its own lock, and a
status line elsewhere in the body is never touched.

No status change without its audit line, even across a crash: the status line and the log line are
two files, so before writing either, the promotion records what it is about to do in
``.incident-mcp/pending-<lock>.json``; a process killed between the two writes leaves that record,
and ``recover_promotions`` (run at start-up, and by the next promotion of the same artifact) appends
the missing log line if the status was written, or drops the record if it was not.

Extension point: a ``Gate`` is a named check ``fn(artifact, to_status) -> list[str]`` (what is
missing; empty when the promotion may go ahead). The gates every promotion runs are listed in
``incident_mcp.validation.composition.GATES``; ``promote(..., gates=...)`` takes others.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from incident_mcp.artifacts import (
    AUDIT_LOG,
    STATUSES,
    Artifact,
    ArtifactIndex,
    FrontmatterError,
    IndexEntry,
    parse_artifact,
    read_text_exact,
    reference_ids,
    set_frontmatter_line,
)
from incident_mcp.errors import ArtifactError, ArtifactNotFoundError, IncidentMCPError, PromotionError
from incident_mcp.validation import Rule, looks_like_id, show, validate_workspace
from incident_mcp.workspace import STATE_DIR, Workspace, append_line, atomic_write, check_relative

LIFECYCLE = " → ".join(STATUSES)

GateFn = Callable[[Artifact, str], list[str]]


@dataclass(frozen=True)
class Gate:
    """A named promotion check: ``fn(artifact, to_status)`` returns what is missing (empty: go ahead)."""

    name: str
    fn: GateFn


class PromotionRefused(PromotionError):
    """A promotion refused by validation, the lifecycle order or a gate; ``reasons`` lists why."""

    def __init__(self, file: str, to_status: str, reasons: list[str]) -> None:
        self.file = file
        self.to_status = to_status
        self.reasons = reasons
        super().__init__(f"cannot promote {show(file, 200)} to {to_status}: {'; '.join(reasons)}")


class ConfirmationNeeded(PromotionError):
    """An irreversible step (archiving) was asked for without confirmation; nothing was changed."""

    def __init__(self, rel: str, from_status: str, to_status: str) -> None:
        self.rel, self.from_status, self.to_status = rel, from_status, to_status
        super().__init__(f"archiving {rel} ({from_status} → {to_status}) cannot be undone: an archived artifact is "
                         "never promoted again")


class PromotionResult(BaseModel):
    """What a promotion did (or, when ``changed`` is false, why it did nothing)."""

    artifact: str | None = Field(description="the artifact id")
    file: str = Field(description="workspace-relative path of the artifact")
    from_status: str
    to_status: str
    changed: bool
    checks: list[str] = Field(default_factory=list, description="gates that passed, e.g. \"parent 'PRD-1': approved\"")
    warnings: list[str] = Field(default_factory=list)
    log_line: str | None = Field(default=None, description="the line appended to the audit log")
    log_file: str = AUDIT_LOG


def promote(ws: Workspace, artifact: str, to_status: str, now: dt.datetime | None = None, *,
            confirmed: bool = True, expected_from: str | None = None, gates: Sequence[Gate] | None = None,
            rules: Sequence[Rule] | None = None) -> PromotionResult:
    """Move one artifact (by id or workspace-relative path) one lifecycle step, or to ``archived``.

    Raises PromotionRefused (with every reason) when the lifecycle, validation or a gate says no;
    ArtifactNotFoundError / PathEscapeError for an unknown id or a path outside the workspace;
    ConfirmationNeeded for archiving (irreversible) unless ``confirmed`` — and, when ``expected_from`` is
    given, unless the artifact is still in the status the confirmation was given for. ``gates`` and
    ``rules`` default to the ones ``validation.composition`` lists.
    """
    if to_status not in STATUSES:
        raise PromotionError(f"Invalid status: '{show(to_status)}' (must be: {', '.join(STATUSES)})")
    if gates is None:
        from incident_mcp.validation.composition import GATES  # the gates' modules import this one

        gates = GATES
    index = ArtifactIndex.build(ws) if looks_like_id(artifact) else None
    rel = _locate(ws, index, artifact)
    path = ws.path(rel)
    with ws.lock(_lock_name(rel)):
        _finish_pending(ws, _pending_path(ws, rel))
        text, current, old = _read_current(path, rel, to_status)
        if old == to_status:
            return PromotionResult(artifact=current.id, file=rel, from_status=old, to_status=to_status, changed=False,
                                   warnings=[f"Artifact is already in status '{to_status}'"])
        _check_order(rel, old, to_status)
        if to_status == "archived" and (not confirmed or (expected_from is not None and old != expected_from)):
            raise ConfirmationNeeded(rel, old, to_status)
        index = _with_fresh(index or ArtifactIndex.build(ws), current)
        report = validate_workspace(ws, [rel], index=index, rules=rules)
        errors = [p.message + (f" (line {p.line})" if p.line else "") for p in report.problems
                  if p.severity == "error"]
        if errors:
            raise PromotionRefused(rel, to_status, ["validation failed: " + errors[0], *errors[1:]])
        checks, missing = _gates(index, current, to_status, gates)
        if missing:
            raise PromotionRefused(rel, to_status, missing)
        try:
            new_text = set_frontmatter_line(text, "status", to_status)
        except FrontmatterError as err:
            raise PromotionRefused(rel, to_status, [str(err)]) from None
        log_line = f"[{_timestamp(now)}] {rel}: {old} → {to_status}"
        log_path = ws.path(AUDIT_LOG)
        pending = _pending_path(ws, rel)
        _write_pending(pending, rel, new_text, log_line, log_path)
        try:
            atomic_write(path, new_text)
            try:
                with ws.lock("audit-log"):
                    append_line(ws, AUDIT_LOG, log_line, error=ArtifactError)
            except BaseException:
                atomic_write(path, text)  # no status change without its audit line
                raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                pending.unlink()
    return PromotionResult(artifact=current.id, file=rel, from_status=old, to_status=to_status, changed=True,
                           checks=checks, log_line=log_line)


def _read_current(path: Path, rel: str, to_status: str) -> tuple[str, Artifact, str]:
    """The artifact's text, parse and status, refusing one that cannot be read or has no status."""
    try:
        text = read_text_exact(path)
        current = parse_artifact(text, rel)
    except FileNotFoundError:
        raise ArtifactNotFoundError(f"no artifact file at {show(rel)!r}") from None
    except (FrontmatterError, UnicodeDecodeError) as err:
        raise PromotionRefused(rel, to_status, [f"artifact is not valid: {err}"]) from None
    old = current.status
    if not old:
        raise PromotionRefused(rel, to_status, [f"could not read the current status from {show(rel)}"])
    return text, current, old


def _locate(ws: Workspace, index: ArtifactIndex | None, artifact: str) -> str:
    """The workspace-relative path of an artifact given by id or by path."""
    if index is None:
        ws.path(artifact)  # confinement check first: a path outside is refused, not "not found"
        rel = "/".join(check_relative(artifact).parts)
        if not ws.path(rel).is_file():
            raise ArtifactNotFoundError(f"no artifact file at {show(artifact)!r}")
        return rel
    found = index.by_id.get(artifact)
    if not found:
        raise ArtifactNotFoundError(f"no artifact with id {show(artifact)!r} under artifacts/")
    if len(found) > 1:
        raise PromotionRefused(found[0].rel, "?", [f"id '{show(artifact)}' is used by {len(found)} files ("
                                                   + ", ".join(show(a.rel) for a in found) + "); give the path"])
    ws.path(found[0].rel)
    return found[0].rel


def _with_fresh(index: ArtifactIndex, artifact: Artifact) -> ArtifactIndex:
    """The index with this artifact's entry replaced by the copy just read under the lock."""
    entries = [IndexEntry(e.rel, artifact) if e.rel == artifact.rel else e for e in index.entries]
    if not any(e.rel == artifact.rel for e in index.entries):
        return index
    by_id: dict[str, list[Artifact]] = {}
    for entry in entries:
        if entry.artifact is not None and entry.artifact.id is not None:
            by_id.setdefault(entry.artifact.id, []).append(entry.artifact)
    return ArtifactIndex(index.workspace, entries, by_id)


def _check_order(rel: str, old: str, new: str) -> None:
    if new == "archived":
        return
    position = STATUSES.index(old) if old in STATUSES else -1
    if STATUSES.index(new) == position + 1:
        return
    expected = STATUSES[position + 1] if position + 1 < len(STATUSES) else None
    hint = f"expected next status: '{expected}'" if expected else f"'{old}' is the end of the lifecycle"
    raise PromotionRefused(rel, new, [f"Cannot promote from '{show(old)}' to '{new}' ({hint}; lifecycle: "
                                      f"{LIFECYCLE}; archival is allowed from any status)"])


def _gates(index: ArtifactIndex, artifact: Artifact, to_status: str,
           gates: Sequence[Gate]) -> tuple[list[str], list[str]]:
    """(checks passed, reasons refused) for Company OS's approval gate and every registered gate."""
    checks: list[str] = []
    missing: list[str] = []
    if to_status == "approved":
        wanted = [("parent", ref) for ref in reference_ids(artifact.meta.get("parent"))]
        wanted += [("dependency", ref) for ref in reference_ids(artifact.meta.get("depends_on"))]
        for kind, ref in wanted:
            found = index.by_id.get(ref)
            status = found[0].status if found else None
            if status == "approved":
                checks.append(f"{kind.capitalize()} '{show(ref)}': approved")
            elif found:
                missing.append(f"Cannot approve — {kind} '{show(ref)}' is still '{show(status)}' (must be 'approved')")
            else:
                missing.append(f"{kind.capitalize()} '{show(ref)}' not found — cannot verify approval status")
    for gate in gates:
        try:
            missing.extend(show(reason, 300) for reason in gate.fn(artifact, to_status))
        except Exception as err:  # a broken gate refuses rather than lets the promotion through
            missing.append(f"gate {gate.name} failed: {type(err).__name__}: {show(err, 200)}")
    return checks, missing


def _timestamp(now: dt.datetime | None) -> str:
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _lock_name(rel: str) -> str:
    return "artifact-" + hashlib.sha256(rel.encode("utf-8")).hexdigest()[:24]


# ---- crash recovery: the status line and its log line, both or neither ------------------------------------

_PENDING_PREFIX = "pending-"
MAX_PENDING_BYTES = 65_536  # a pending record is a path, a digest and one log line; anything bigger is not ours


def _pending_path(ws: Workspace, rel: str) -> Path:
    return ws.state_dir() / f"{_PENDING_PREFIX}{_lock_name(rel)}.json"


def _write_pending(pending: Path, rel: str, new_text: str, log_line: str, log_path: Path) -> None:
    """Record, before the first write, what a promotion is about to write (see the module docstring)."""
    try:
        offset = log_path.stat().st_size
    except FileNotFoundError:
        offset = 0
    record = {"file": rel, "sha256": hashlib.sha256(new_text.encode("utf-8")).hexdigest(), "log_line": log_line,
              "log_offset": offset}
    atomic_write(pending, json.dumps(record, ensure_ascii=False) + "\n")


def _finish_pending(ws: Workspace, pending: Path) -> str | None:
    """Complete a promotion a crash cut short (call under the artifact's lock); returns the log line it added."""
    try:
        raw = ws.read_state_file(pending, MAX_PENDING_BYTES)
        record = json.loads(raw)
        rel, digest, line = str(record["file"]), str(record["sha256"]), str(record["log_line"])
        offset = int(record["log_offset"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, RecursionError, IncidentMCPError):
        pending.unlink(missing_ok=True)  # not ours to understand; nothing can be done with it
        return None
    added = None
    try:
        current = ws.path(rel).read_bytes()
    except (OSError, IncidentMCPError):  # gone, or a record naming a path outside: nothing was written there
        current = b""
    if hashlib.sha256(current).hexdigest() == digest:  # the status was written: its log line must be too
        log_path = ws.path(AUDIT_LOG)
        with ws.lock("audit-log"):
            if not _logged_since(log_path, offset, line):
                append_line(ws, AUDIT_LOG, line, error=ArtifactError)
                added = line
    pending.unlink(missing_ok=True)
    return added


def _logged_since(log_path: Path, offset: int, line: str) -> bool:
    try:
        with log_path.open("rb") as handle:
            if handle.seek(0, os.SEEK_END) >= offset:
                handle.seek(offset)
            else:  # the log was cut down since: look at all of it
                handle.seek(0)
            tail = handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return False
    return line in tail.split("\n")


def recover_promotions(ws: Workspace) -> list[str]:
    """Finish every promotion a crash interrupted (see the module docstring); returns the log lines added."""
    folder = ws.root / STATE_DIR
    if not folder.is_dir() or not ws.contains(folder):
        return []
    added: list[str] = []
    for pending in sorted(folder.glob(f"{_PENDING_PREFIX}artifact-*.json")):
        lock = pending.name.removeprefix(_PENDING_PREFIX).removesuffix(".json")
        with ws.lock(lock):
            line = _finish_pending(ws, pending)
        if line:
            added.append(line)
    return added
