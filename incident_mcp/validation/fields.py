"""Per-file rules of Company OS's schema: frontmatter shape, fields, the id, references and the body.

Each check writes into a ``ProblemCollector``; where the shell tool would not notice a defect, the
reason comes from ``ShellView``.
"""

from __future__ import annotations

import datetime as dt
import re

from incident_mcp.artifacts import (
    ID_PATTERN,
    REQUIRED_FIELDS,
    STATUSES,
    TYPES,
    Artifact,
    ArtifactIndex,
    FrontmatterError,
    reference_ids,
    split_frontmatter,
)
from incident_mcp.terminal_text import is_unsafe
from incident_mcp.validation.loading import Doc
from incident_mcp.validation.model import SHELL, ProblemCollector, show
from incident_mcp.validation.shell_view import ShellView

# Company OS checks reference fields in this order.
_REF_ORDER = ("parent", "depends_on", "children", "blocks")
_LINE_BREAKS = re.compile("[\u2028\u2029\x85]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_encoding_quirks(doc: Doc, out: ProblemCollector) -> None:
    """A byte-order mark, CRLF line endings, raw Unicode line separators in the frontmatter."""
    text = doc.text or ""
    front_end = len(text) - len(doc.artifact.body) if doc.artifact is not None else len(text)
    if text.startswith("\ufeff"):
        out.add("compat.bom", f"file starts with a byte-order mark; {SHELL} reports it as "
                "'Missing YAML frontmatter (file must start with ---)'", line=1, severity="warning")
    first_end = text.find("\n")
    if first_end > 0 and text[first_end - 1] == "\r":
        out.add("compat.crlf", f"Windows (CRLF) line endings; {SHELL} and promote.sh cannot read this "
                "file's frontmatter", line=1, severity="warning")
    if not _LINE_BREAKS.search(text, 0, front_end):
        return
    try:
        front, _body, _ = split_frontmatter(text)
    except FrontmatterError:
        return
    found = _LINE_BREAKS.search(front)
    if found:
        line = front.count("\n", 0, found.start()) + 2
        out.add("frontmatter.line_separator",
                f"frontmatter holds a raw U+{ord(found.group()):04X} line separator; YAML reads it as a line "
                "break, line-based tools do not, so fields can hide in it; write it escaped in double quotes",
                line=line, why_missed="it reads the line as one line")


def report_unparsable(err: FrontmatterError, out: ProblemCollector) -> None:
    """The problem for a file whose frontmatter could not be read."""
    if err.kind == "missing":
        out.add("frontmatter.missing", "Missing YAML frontmatter (file must start with ---)", line=1)
    elif err.kind == "unclosed":
        out.add("frontmatter.unclosed", "frontmatter is not closed by a '---' line; Company OS reports "
                "'Artifact has no content body (only frontmatter)'", line=1)
    elif err.kind in ("encoding", "unreadable"):
        out.add(f"file.{err.kind}", err.detail, why_missed="it reads bytes" if err.kind == "encoding" else None)
    elif err.kind == "not_mapping":
        out.add("frontmatter.not_mapping", err.detail, line=err.line,
                why_missed="it reads fields line by line without parsing YAML")
    else:
        out.add("frontmatter.yaml", str(err), line=err.line,
                why_missed="it reads fields line by line without parsing YAML")


def check_body(art: Artifact, out: ProblemCollector) -> None:
    """An artifact needs a content body after its frontmatter."""
    if art.body.strip():
        return
    shell_sees_content = any(line != "" for line in art.body.split("\n"))
    out.add("body.empty", "Artifact has no content body (only frontmatter)", line=art.body_line,
            why_missed="it counts whitespace-only lines as content" if shell_sees_content else None)


def _check_duplicate_keys(art: Artifact, out: ProblemCollector) -> None:
    """Each repeated frontmatter key, on every line it appears."""
    for key, lines in art.duplicate_keys.items():
        for line in lines:
            out.add("frontmatter.duplicate_key",
                    f"field '{show(key)}' appears more than once (first on line {art.line_of(key)}); YAML keeps "
                    "the last value, line-based tools read both", line=line,
                    why_missed=None if key in ("status", "type") else "it never looks for repeated fields")


def _check_empty_fields(art: Artifact, out: ProblemCollector) -> None:
    """Title, author and created are present but empty."""
    for name in ("title", "author", "created"):
        value = art.meta.get(name, "missing")
        if value is None or (isinstance(value, str) and not value.strip()):
            out.add("frontmatter.empty_field", f"{name} is empty", line=art.line_of(name), severity="warning")


def _check_created(art: Artifact, out: ProblemCollector) -> None:
    """A non-empty created value is a YYYY-MM-DD date."""
    created = art.meta.get("created")
    if created is not None and not isinstance(created, dt.date) and not (
            isinstance(created, str) and (not created.strip() or _DATE.match(created))):
        out.add("frontmatter.created_format", f"created '{show(created)}' is not a YYYY-MM-DD date",
                line=art.line_of("created"), severity="warning")


class FieldRules:
    """Field, id and reference rules over one index, with the shell tool's view for the messages."""

    def __init__(self, index: ArtifactIndex, strict: bool, shell: ShellView) -> None:
        self.index = index
        self.strict = strict
        self.shell = shell

    def check_fields(self, doc: Doc, art: Artifact, out: ProblemCollector) -> None:
        """Repeated keys, required fields, status, type, id, empty fields and the created date."""
        _check_duplicate_keys(art, out)
        for name in REQUIRED_FIELDS:
            if name not in art.meta:
                out.add("frontmatter.missing_field", f"Missing required field: {name}")
        self.check_vocabulary(art, out)
        if "id" in art.meta:
            self.check_id(doc, art, out)
        _check_empty_fields(art, out)
        _check_created(art, out)

    def check_vocabulary(self, art: Artifact, out: ProblemCollector) -> None:
        """Status and type come from Company OS's lists (shown as the shell tool reads them)."""
        meta = art.meta
        if "status" in meta and meta["status"] not in STATUSES:
            out.add("status.invalid", f"Invalid status: '{self.shell.text(art, 'status')}' "
                    f"(must be one of: {', '.join(STATUSES)})", line=art.line_of("status"))
        if "type" in meta and meta["type"] not in TYPES:
            out.add("type.invalid", f"Invalid type: '{self.shell.text(art, 'type')}' (expected: {', '.join(TYPES)})",
                    line=art.line_of("type"))

    def check_id(self, doc: Doc, art: Artifact, out: ProblemCollector) -> None:
        """The id is text, usable in references and file names, and matches the file name."""
        value = art.meta["id"]
        line = art.line_of("id")
        if value is None or (isinstance(value, str) and not value.strip()):
            out.add("id.invalid", "id is empty", line=line, why_missed="it only checks that the field is there")
            return
        if not isinstance(value, str):
            out.add("id.invalid", f"id {self.shell.text(art, 'id')} is read by YAML as {type(value).__name__} "
                    f"{show(value)!r}, not text; write it in quotes", line=line,
                    why_missed="it reads every field as text")
            return
        plain = bool(ID_PATTERN.match(value))
        if not plain and (value != value.strip() or any(
                ch in "/\\" or is_unsafe(ch) for ch in value)):
            out.add("id.invalid", f"id '{show(value)}' holds line breaks, control characters, slashes or surrounding "
                    "spaces; it cannot be referenced or used in a file name", line=line,
                    why_missed="it reads the id line as text")
            return
        if not plain:
            out.add("id.unusual", f"id '{show(value)}' is not a plain id (letters, digits, '-', '_', '.')",
                    line=line, severity="warning")
        if doc.is_artifact_file:
            stem = doc.rel.rpartition("/")[2].removesuffix(".md")
            if stem != value and not stem.startswith(value + "-"):
                out.add("id.filename_mismatch", f"id '{show(value)}' does not match the file name '{show(stem)}.md' "
                        f"(expected '{show(value)}.md' or '{show(value)}-<slug>.md')", line=line, severity="warning")

    def check_references(self, art: Artifact, out: ProblemCollector) -> None:
        """Each reference resolves; in strict mode, parent and children agree both ways."""
        for name in _REF_ORDER:
            if name not in art.meta:
                continue
            value = art.meta[name]
            line = art.line_of(name)
            if name == "parent" and isinstance(value, list | dict):
                out.add("reference.invalid", f"parent must be one id or null, not a {type(value).__name__}",
                        line=line)
                continue
            if isinstance(value, dict):
                out.add("reference.invalid", f"{name} must be a list of ids, not a mapping", line=line)
                continue
            for ref in reference_ids(value):
                self._check_reference(art, name, ref, line, out)

    def _check_reference(self, art: Artifact, name: str, ref: str, line: int | None, out: ProblemCollector) -> None:
        this_id = art.id
        targets = self.index.by_id.get(ref)
        if not targets:
            out.add("reference.dangling", f"{name} '{show(ref)}' does not resolve to any artifact in artifacts/",
                    line=self.shell.item_line(art, name, ref) or line,
                    why_missed=self.shell.why_dangling_missed(art, name, ref))
            return
        if not self.strict or this_id is None:
            return
        target = targets[0]
        if name == "parent" and this_id not in reference_ids(target.meta.get("children")):
            out.add("reference.not_bidirectional", f"Bidirectional: parent '{show(ref)}' does not list "
                    f"'{show(this_id)}' in its children", line=line, severity="warning")
        elif name == "children" and reference_ids(target.meta.get("parent")) != [this_id]:
            shown = self.shell.text(target, "parent") if "parent" in target.meta else ""
            out.add("reference.not_bidirectional", f"Bidirectional: child '{show(ref)}' has parent '{shown}', "
                    f"expected '{show(this_id)}'", line=self.shell.item_line(art, name, ref) or line,
                    severity="warning")
