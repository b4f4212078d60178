"""Company OS's own validate.sh rules, re-implemented as it reads files: an independent check of our records."""

from __future__ import annotations

import re
from pathlib import Path

from incident_mcp.artifacts import REQUIRED_FIELDS, STATUSES, TYPES

LINKS = ("children", "depends_on", "blocks")


def company_os_problems(root: Path, path: Path) -> list[str]:
    """What Company OS's grep-based validate.sh would reject, checked the way it reads files (line by line).

    Deliberately independent of our validator: it reads the file as the shell tool does.
    """
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines[0] != "---":
        return ["no frontmatter"]
    end = lines.index("---", 1)
    front, body = lines[1:end], "\n".join(lines[end + 1:])
    problems: list[str] = []
    values = _field_values(front, problems)
    problems += _value_problems(values)
    problems += _link_problems(values, _known_ids(root))
    if not body.strip():
        problems.append("empty body")
    return problems


def _field_values(front: list[str], problems: list[str]) -> dict[str, str]:
    """Each field's value from its one ``field:`` line; a field on none or several lines goes to ``problems``."""
    values: dict[str, str] = {}
    for field in (*REQUIRED_FIELDS, "parent", *LINKS):
        found = [line for line in front if line.startswith(f"{field}:")]
        if len(found) != 1:
            problems.append(f"{field}: {len(found)} lines")
            continue
        values[field] = _unquoted(found[0])
    return values


def _value_problems(values: dict[str, str]) -> list[str]:
    """Empty required fields, and a status or type Company OS does not know."""
    problems = [f"missing {field}" for field in REQUIRED_FIELDS if not values.get(field)]
    if values.get("status") not in STATUSES:
        problems.append(f"bad status {values.get('status')}")
    if values.get("type") not in TYPES:
        problems.append(f"bad type {values.get('type')}")
    return problems


def _link_problems(values: dict[str, str], known: set[str]) -> list[str]:
    """Links and a parent that name no artifact in the workspace."""
    problems: list[str] = []
    for field in LINKS:
        listed = re.findall(r"[A-Za-z0-9_.-]+", values.get(field, "").strip("[]"))
        problems.extend(f"{field}: {ref} not found" for ref in listed if ref not in known)
    parent = values.get("parent", "null")
    if parent not in ("null", "") and parent not in known:
        problems.append(f"parent {parent} not found")
    return problems


def _known_ids(root: Path) -> set[str]:
    """Every ``id:`` line's value in any Markdown file under ``artifacts/``, as grep finds them."""
    return {_unquoted(line) for md in (root / "artifacts").rglob("*.md")
            for line in md.read_text(encoding="utf-8").split("\n") if line.startswith("id:")}


def _unquoted(line: str) -> str:
    """The value of a ``key: value`` line without surrounding quotes."""
    return line.split(":", 1)[1].strip().strip("\"'")
