"""Company OS's own validate.sh rules, re-implemented as it reads files: an independent check of our records."""

from __future__ import annotations

import re
from pathlib import Path

from incident_mcp.artifacts import REQUIRED_FIELDS, STATUSES, TYPES


def company_os_problems(root: Path, path: Path) -> list[str]:
    """What Company OS's grep-based validate.sh would reject, checked the way it reads files (line by line).

    Deliberately independent of our validator: it reads the file as the shell tool does.
    """
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines[0] != "---":
        return ["no frontmatter"]
    end = lines.index("---", 1)
    front, body = lines[1:end], "\n".join(lines[end + 1:])
    problems = []
    values: dict[str, str] = {}
    for field in (*REQUIRED_FIELDS, "parent", "children", "depends_on", "blocks"):
        found = [line for line in front if line.startswith(f"{field}:")]
        if len(found) != 1:
            problems.append(f"{field}: {len(found)} lines")
            continue
        values[field] = found[0].split(":", 1)[1].strip().strip("\"'")
    for field in REQUIRED_FIELDS:
        if not values.get(field):
            problems.append(f"missing {field}")
    if values.get("status") not in STATUSES:
        problems.append(f"bad status {values.get('status')}")
    if values.get("type") not in TYPES:
        problems.append(f"bad type {values.get('type')}")
    known = set()
    for md in (root / "artifacts").rglob("*.md"):
        for line in md.read_text(encoding="utf-8").split("\n"):
            if line.startswith("id:"):
                known.add(line.split(":", 1)[1].strip().strip("\"'"))
    for field in ("children", "depends_on", "blocks"):
        listed = re.findall(r"[A-Za-z0-9_.-]+", values.get(field, "").strip("[]"))
        problems.extend(f"{field}: {ref} not found" for ref in listed if ref not in known)
    parent = values.get("parent", "null")
    if parent not in ("null", "") and parent not in known:
        problems.append(f"parent {parent} not found")
    if not body.strip():
        problems.append("empty body")
    return problems
