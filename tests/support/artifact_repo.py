"""Artifacts written the way Company OS writes them, in a throwaway workspace that validates itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from incident_mcp.validation import Problem, Rule, validate_workspace
from incident_mcp.workspace import Workspace

FIELDS = {
    "id": "RFC-001", "type": "rfc", "title": '"A title"', "status": "draft", "created": "2026-02-23",
    "author": "engineering-agent", "parent": "null", "children": "[]", "depends_on": "[]", "blocks": "[]",
}


def artifact(body: str = "# Body\n\nText.\n", drop: tuple[str, ...] = (), extra: str = "", **fields: str) -> str:
    """An artifact written the way Company OS writes them (one `key: value` line per field)."""
    return artifact_text({**FIELDS, **fields}, body, drop, extra)


def artifact_text(values: Mapping[str, str], body: str = "# Body\n\nText.\n", drop: tuple[str, ...] = (),
                  extra: str = "") -> str:
    """An artifact with exactly these frontmatter ``values`` (less ``drop``), then ``extra`` lines, then ``body``."""
    lines = [f"{key}: {value}" for key, value in values.items() if key not in drop]
    return "---\n" + "\n".join(lines) + "\n" + extra + "---\n" + body


class Repo:
    """A workspace in a temp folder with helpers to write files and validate."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "artifacts" / "rfcs").mkdir(parents=True)
        (root / "artifacts" / "prds").mkdir()
        (root / "company.config.yaml").write_text("company:\n  name: Test\n", encoding="utf-8")

    def write(self, rel: str, text: str) -> str:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return rel

    def rfc(self, artifact_id: str, body: str = "# Body\n", extra: str = "", **fields: str) -> str:
        """Write RFC ``artifact_id`` with these fields over the defaults; returns its path."""
        text = artifact_text({**FIELDS, "id": artifact_id, **fields}, body, extra=extra)
        return self.write(f"artifacts/rfcs/{artifact_id}-x.md", text)

    def validate(self, paths: list[str] | None = None, strict: bool = False,
                 rules: Sequence[Rule] | None = None) -> list[Problem]:
        return validate_workspace(Workspace.at(self.root), paths, strict=strict, rules=rules).problems

    def messages(self, paths: list[str] | None = None, strict: bool = False) -> list[str]:
        return [p.message for p in self.validate(paths, strict)]
