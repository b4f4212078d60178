"""Managed blocks: the generated parts of a Markdown file, fenced by HTML comments, merged without losing edits.

A block looks like::

    <!-- incident-mcp:begin NAME hash=0123456789ab -->
    ...generated Markdown...
    <!-- incident-mcp:end NAME -->

The hash is of the content as we last wrote it, so a block a human edited is detected and kept
unless the caller forces it; text outside blocks is never touched.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from incident_mcp.errors import ArtifactError

_BEGIN = re.compile(r"^<!-- incident-mcp:begin ([a-z0-9][a-z0-9_-]*)(?: hash=([0-9a-f]{12}))? -->$")
_END = re.compile(r"^<!-- incident-mcp:end ([a-z0-9][a-z0-9_-]*) -->$")
_MARKER_LIKE = re.compile(r"<!--\s*incident-mcp:", re.IGNORECASE)


class BlockError(ArtifactError):
    """Managed-block markers are unbalanced, nested or duplicated."""


def content_hash(content: str) -> str:
    """Short hash identifying a block's content as written by us."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:12]


def neutralize(text: str) -> str:
    """Make text safe to put inside a block: nothing in it can open or close a managed block."""
    return _MARKER_LIKE.sub("&lt;!-- incident-mcp:", text)


def inline(text: str) -> str:
    """One-line Markdown for tables and list items: no line breaks, pipes escaped, markers neutralised."""
    flat = re.sub(r"[\r\n\u0085\u2028\u2029]+", " ", text)
    return neutralize(flat).replace("|", "\\|")


def wrap(name: str, content: str) -> str:
    """A complete block with begin/end markers and the content hash (content ends with a newline)."""
    if content and not content.endswith("\n"):
        content += "\n"
    return f"<!-- incident-mcp:begin {name} hash={content_hash(content)} -->\n{content}<!-- incident-mcp:end {name} -->"


@dataclass
class Block:
    """One managed block found in a file."""

    name: str
    content: str
    stored_hash: str | None
    start: int
    end: int

    @property
    def lf_content(self) -> str:
        """The content with CRLF line endings read as LF (an editor converting line endings is not an edit)."""
        return self.content.replace("\r\n", "\n") if "\r" in self.content else self.content

    @property
    def edited(self) -> bool:
        """Whether the content differs from what we wrote (no stored hash counts as edited)."""
        return self.stored_hash != content_hash(self.lf_content)


def find_blocks(text: str) -> list[Block]:
    """Every managed block in ``text`` with its character span; raises BlockError on bad markers."""
    blocks: list[Block] = []
    seen: set[str] = set()
    open_name: str | None = None
    open_hash: str | None = None
    open_start = content_start = 0
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        begin = _BEGIN.match(stripped)
        end = _END.match(stripped)
        if begin:
            if open_name is not None:
                raise BlockError(f"managed block {begin.group(1)!r} begins inside block {open_name!r}")
            open_name, open_hash = begin.group(1), begin.group(2)
            open_start, content_start = offset, offset + len(line)
        elif end:
            if open_name is None or end.group(1) != open_name:
                raise BlockError(f"managed block end {end.group(1)!r} has no matching begin")
            if open_name in seen:
                raise BlockError(f"managed block {open_name!r} appears twice")
            seen.add(open_name)
            blocks.append(Block(open_name, text[content_start:offset], open_hash, open_start,
                                offset + len(stripped)))
            open_name = None
        offset += len(line)
    if open_name is not None:
        raise BlockError(f"managed block {open_name!r} is not closed by its end marker")
    return blocks


@dataclass
class MergeResult:
    """The merged text and what happened to each block."""

    text: str
    updated: list[str] = field(default_factory=list)
    kept_edited: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _fate(old: Block, new: Block, force: bool) -> str:
    """What happens to a block both texts have: ``unchanged``, ``updated`` or ``kept_edited`` (a human's edit)."""
    if old.lf_content == new.content:
        # a human who already wrote exactly what we generate now is adopted (only the marker's hash changes),
        # otherwise it would be reported as "kept your edits" on every run for ever
        return "unchanged" if old.stored_hash == content_hash(new.content) else "updated"
    return "kept_edited" if old.edited and not force else "updated"


def _splice(existing: str, replacements: list[tuple[int, int, str]], insertions: dict[str | None, list[str]],
            old_blocks: dict[str, Block], newline: str) -> str:
    """``existing`` with the replacements made and the new blocks inserted after their anchors (or at the end)."""
    replacements = list(replacements)
    for name, chunks in insertions.items():
        if name is None:
            continue
        anchor_block = old_blocks[name]
        replacements.append((anchor_block.end, anchor_block.end, "".join(newline * 2 + c for c in chunks)))
    text = existing
    for start, end, new in sorted(replacements, key=lambda r: r[0], reverse=True):
        text = text[:start] + new + text[end:]
    if None in insertions:
        tail = "" if text.endswith("\n") or not text else newline
        text += tail + "".join(newline + c + newline for c in insertions[None])
    return text


def merge(existing: str, generated: str, *, force: bool = False) -> MergeResult:
    """Update the blocks of ``existing`` from ``generated``; keep all other text byte for byte.

    A block a human edited is kept (reported in ``kept_edited``) unless ``force``. A block that
    ``generated`` has and ``existing`` lacks is inserted after the block that precedes it in
    ``generated`` (or appended at the end).
    """
    old_blocks = {b.name: b for b in find_blocks(existing)}
    new_blocks = find_blocks(generated)
    result = MergeResult(text=existing)
    fates = {"unchanged": result.unchanged, "updated": result.updated, "kept_edited": result.kept_edited}
    # a file whose lines end in CRLF gets CRLF in what we write into it, so git shows only the real change
    newline = "\r\n" if existing.count("\r\n") * 2 > existing.count("\n") else "\n"

    def written(name: str, content: str) -> str:
        block_text = wrap(name, content)
        return block_text.replace("\n", newline) if newline != "\n" else block_text

    replacements: list[tuple[int, int, str]] = []
    insertions: dict[str | None, list[str]] = {}
    anchor: str | None = None  # the last generated block that the existing file already has
    for block in new_blocks:
        old = old_blocks.get(block.name)
        if old is None:
            insertions.setdefault(anchor, []).append(written(block.name, block.content))
            result.added.append(block.name)
            continue
        anchor = block.name
        fate = _fate(old, block, force)
        fates[fate].append(block.name)
        if fate == "updated":
            replacements.append((old.start, old.end, written(block.name, block.content)))
    result.text = _splice(existing, replacements, insertions, old_blocks, newline)
    return result
