"""Reading a document's text: UTF-8 exactly as stored, or our error saying why not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from incident_mcp.frontmatter.split import FrontmatterError

MAX_ARTIFACT_BYTES = 16_000_000  # as large as an incident record may be; a bigger file is reported, never read
NOT_UTF8 = "file is not UTF-8 text"


def read_text_exact(path: Path) -> str:
    """A file's UTF-8 text exactly as stored: CRLF line endings are kept, not translated to LF.

    Rewriting one field must change one line of the git diff, so text read for a rewrite must not
    lose its line endings (``Path.read_text`` translates them).
    """
    with open(path, encoding="utf-8", newline="") as handle:  # noqa: PTH123 - Path.read_text has no newline=
        return handle.read()


def decode_utf8(raw: bytes, fail: Callable[[str], Exception]) -> str:
    """``raw`` as UTF-8 text; raises ``fail("not UTF-8 text (byte N)")``, N the first byte that is not."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise fail(f"not UTF-8 text (byte {err.start})") from None


def read_utf8(path: Path, fail: Callable[[str], Exception]) -> str:
    """A file's text exactly as stored; raises ``fail("file is not UTF-8 text")`` when it is not UTF-8."""
    try:
        return read_text_exact(path)
    except UnicodeDecodeError:
        raise fail(NOT_UTF8) from None


def size_refusal(path: Path) -> FrontmatterError | None:
    """The error for a file too large to be an artifact (it is then not read at all), else None."""
    try:
        size = path.stat().st_size
    except OSError:
        return None  # the read reports it
    if size <= MAX_ARTIFACT_BYTES:
        return None
    return FrontmatterError(f"file is {size:,} bytes; an artifact is at most {MAX_ARTIFACT_BYTES:,} (not read)",
                            kind="unreadable")


def read_document(path: Path) -> str | FrontmatterError:
    """A document's text, or the error (too large, not UTF-8, unreadable) that validation reports for it."""
    too_large = size_refusal(path)
    if too_large is not None:
        return too_large
    try:
        return read_text_exact(path)
    except UnicodeDecodeError:
        return FrontmatterError(NOT_UTF8, kind="encoding")
    except OSError as err:
        return FrontmatterError(f"file could not be read: {err.strerror}", kind="unreadable")
