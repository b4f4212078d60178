"""Generation: render both documents, merge them into the files on disk, and write (or preview) the result.

``generate_runbook(ws)`` writes ``standards/ops/incident-runbook.md`` and
``standards/ops/post-mortem-template.md`` from the templates ``incident-runbook.md.j2`` and
``post-mortem-template.md.j2`` (overridable by name, see ``incident_mcp.render``). Generated sections
sit in managed blocks: regeneration updates a block only if nobody edited it (``force`` overrides
that), keeps every byte outside the blocks, and writes nothing when nothing changed. Both files are
planned before either is written (a file with broken block markers stops the run with nothing
written), then each is replaced atomically, under the ``runbook`` lock.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from incident_mcp.blocks import BlockError, merge
from incident_mcp.config import load_config
from incident_mcp.errors import ArtifactError
from incident_mcp.frontmatter.reading import decode_utf8
from incident_mcp.render import Rendered, render
from incident_mcp.runbook.context import runbook_context
from incident_mcp.runbook.standards import POSTMORTEM_PATH, RUNBOOK_PATH
from incident_mcp.runbook.views import Gap
from incident_mcp.runbook.voice import solo_voice_problems
from incident_mcp.workspace import Workspace, atomic_write

DOCUMENTS: tuple[tuple[str, str], ...] = (
    (RUNBOOK_PATH, "incident-runbook.md.j2"),
    (POSTMORTEM_PATH, "post-mortem-template.md.j2"),
)
MAX_EXISTING_BYTES = 2_000_000


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
    return decode_utf8(path.read_bytes(), lambda reason: ArtifactError(f"{rel} is {reason}; fix or move it aside"))


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


@dataclass
class _PlannedFile:
    """One document's new text next to what is on disk (None: no file yet), and the change it makes."""

    rel: str
    existing: str | None
    text: str
    change: FileChange


def _plan(ws: Workspace, rendered: dict[str, Rendered], *, force: bool, warnings: list[str]) -> list[_PlannedFile]:
    """Both files merged with what is on disk, before either is written (a broken file stops the run here)."""
    planned = []
    for rel, doc in rendered.items():
        existing = _read_existing(ws, rel)
        text, change = _plan_file(rel, doc, existing, force=force, warnings=warnings)
        planned.append(_PlannedFile(rel, existing, text, change))
    return planned


def _voice_warnings(rendered: dict[str, Rendered]) -> list[str]:
    """Team language in the generated text (a workspace override may have written it)."""
    return [f"{rel}: line {line}: {phrase!r} assumes a team; the reader is the one person on call"
            for rel, doc in rendered.items() for line, phrase in solo_voice_problems(doc.text)]


def _previewed(planned: _PlannedFile, *, full: bool) -> FileChange:
    """A dry run's change: its size, and the whole text and diff (``full``) or the diff cut to a summary."""
    change = planned.change
    change.chars = len(planned.text)
    diff = "" if planned.text == planned.existing else unified_diff(planned.existing, planned.text, planned.rel)
    if full:
        change.text, change.diff = planned.text, diff
    elif planned.existing is not None:
        change.diff, change.diff_omitted_lines = _cut_diff(diff, SUMMARY_DIFF_CHARS)
    return change


def _gap_lines(gaps: list[dict[str, str]], *, briefly: bool) -> list[str]:
    """Each unset config field and what setting it brings; ``briefly``, only their names on one line."""
    if not briefly:
        return [str(Gap(gap["field"], gap["need"])) for gap in gaps]
    unset = ", ".join(f"`{gap['field']}`" for gap in gaps)
    return [f"not configured: {unset}"] if unset else []


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
    warnings = [*loaded.warnings, *_voice_warnings(rendered)]
    if dry_run:
        files = [_previewed(planned, full=full) for planned in _plan(ws, rendered, force=force, warnings=warnings)]
        # nothing to review: the config fields still unset by name; what each one brings was said already
        briefly = all(change.action == "unchanged" for change in files)
        return GenerationResult(dry_run=True, force=force, files=files,
                                gaps=_gap_lines(context["gaps"], briefly=briefly), warnings=warnings)
    with ws.lock("runbook"):
        planned = _plan(ws, rendered, force=force, warnings=warnings)
        for item in planned:
            if item.text != item.existing:
                atomic_write(ws.path(item.rel), item.text)
    return GenerationResult(dry_run=False, force=force, files=[item.change for item in planned],
                            gaps=_gap_lines(context["gaps"], briefly=False), warnings=warnings)
