"""Splitting a document into frontmatter and body, and the one error for frontmatter that cannot be read."""

from __future__ import annotations

from incident_mcp.errors import ArtifactError


class FrontmatterError(ArtifactError):
    """The frontmatter block is missing, unterminated, or not a YAML mapping.

    ``kind`` says which (``missing``, ``unclosed``, ``yaml``, ``not_mapping``, ``encoding``,
    ``unreadable``, ``line``) so validation can name a stable rule without parsing the message.
    """

    def __init__(self, message: str, *, line: int | None = None, kind: str = "yaml") -> None:
        self.line = line
        self.kind = kind
        self.detail = message
        super().__init__(f"line {line}: {message}" if line else message)


def split_frontmatter(text: str) -> tuple[str, str, int]:
    """Split a document into (frontmatter text, body, body's first line number)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    first_end = text.find("\n")
    if (text if first_end < 0 else text[:first_end]).rstrip("\r") != "---":
        raise FrontmatterError("file does not start with a '---' frontmatter line", line=1, kind="missing")
    start = pos = first_end + 1
    line_no = 2
    while first_end >= 0:
        end = text.find("\n", pos)
        if (text[pos:] if end < 0 else text[pos:end]).rstrip("\r") == "---":
            front = text[start:pos - 1] if pos > start else ""
            return front, ("" if end < 0 else text[end + 1:]), line_no + 1
        if end < 0:
            break
        pos = end + 1
        line_no += 1
    raise FrontmatterError("frontmatter is not closed by a '---' line", line=1, kind="unclosed")


def line_at(front: str, index: int) -> int:
    """The file line (1-based, counting only \n) of a character index inside the frontmatter text."""
    return front.count("\n", 0, index) + 2
