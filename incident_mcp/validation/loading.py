"""Loading one file to validate: from the index when it parsed there, else from disk, never raising."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from incident_mcp.artifacts import Artifact, FrontmatterError, IndexEntry, parse_artifact
from incident_mcp.frontmatter.reading import read_document
from incident_mcp.workspace import Workspace


@dataclass
class Doc:
    """One file being checked: its text, its parsed artifact or the reason it did not parse."""

    rel: str
    text: str | None
    artifact: Artifact | None
    error: FrontmatterError | None
    is_artifact_file: bool


def load_doc(ws: Workspace, by_rel: Mapping[str, IndexEntry], rel: str) -> Doc:
    """The file at ``rel``: a too-large, non-UTF-8 or unreadable file becomes a Doc with its error."""
    is_artifact_file = rel.startswith("artifacts/")
    entry = by_rel.get(rel)
    if entry is not None and entry.artifact is not None:
        return Doc(rel, entry.artifact.text, entry.artifact, None, True)
    text = read_document(ws.path(rel))
    if isinstance(text, FrontmatterError):
        return Doc(rel, None, None, text, is_artifact_file)
    try:
        return Doc(rel, text, parse_artifact(text, rel), None, is_artifact_file)
    except FrontmatterError as err:
        return Doc(rel, text, None, err, is_artifact_file)
