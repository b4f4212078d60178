"""The solo-founder voice: language in an ops document that talks as if a team stood behind the reader.

The reader of an ops standard is the one person on call; generation warns about such phrases in what it
writes and validation (``incident_mcp.runbook.standards``) warns about them in what a human wrote.
"""

from __future__ import annotations

import re

# Language that assumes a team behind the reader: one alternative per phrase family, scanned in one pass.
_TEAM_LANGUAGE = re.compile("|".join(f"(?:{p})" for p in (
    r"\bescalat\w*\s+(?:it\s+|this\s+)?to\s+(?:the\s+|your\s+|an?\s+)?"
    r"(?:team|tech|engineering|dev|ops|on-?call|incident)?\s*(?:lead|manager|supervisor|boss|team|engineer)s?\b",
    r"\b(?:team|tech|engineering)\s+leads?\b",
    r"\b(?:page|paging|wake\s+up|call|notify|alert)\s+(?:the|your)\s+on-?call(?:\s+(?:engineer|person|team))?\b",
    r"\bon-?call\s+(?:engineer|rotation|team|schedule)s?\b",
    r"\b(?:notify|inform|tell|ask|email|call|ping)\s+(?:your|the)\s+(?:manager|boss|supervisor|lead|team)\b",
    r"\b(?:your|the)\s+(?:engineering\s+|line\s+|duty\s+|incident\s+)?(?:manager|boss|supervisor)\b",
    r"\bincident\s+commanders?\b",
    r"\b(?:your|the)\s+(?:sre|ops|devops|platform|engineering|infra(?:structure)?)\s+team\b",
    r"\b(?:all\s+hands|war\s+room)\b",
)), re.IGNORECASE)

# Every phrase above contains one of these words. Finding them with str.find is far cheaper than running the
# case-insensitive patterns over a whole document; the patterns then run only on the lines that have one.
_TEAM_HINTS = ("escalat", "lead", "manager", "boss", "supervisor", "engineer", "oncall", "on-call", "commander",
               "team", "hands", "room")


def _hint_positions(lowered: str) -> list[int]:
    positions: list[int] = []
    for word in _TEAM_HINTS:
        at = lowered.find(word)
        while at != -1:
            positions.append(at)
            at = lowered.find(word, at + 1)
    return sorted(positions)


def solo_voice_problems(text: str) -> list[tuple[int, str]]:
    """Every (1-based line, phrase) where the text talks as if a team stood behind the reader.

    The reader of an ops standard is the one person on call, so "escalate to the team lead",
    "page the on-call engineer" or "notify your manager" are wrong for them. Names of products
    (AWS Secrets Manager, a package manager) are not people and do not match.
    """
    problems: list[tuple[int, str]] = []
    seen_lines: set[int] = set()
    covered = 0  # end of the last reported phrase, so a phrase wrapped over two lines is reported once
    lowered = text.lower()
    # lower() can change the length of some non-ASCII text; then every line is a candidate
    positions = _hint_positions(lowered) if len(lowered) == len(text) else [
        m.start() for m in re.finditer(r"^", text, flags=re.MULTILINE)]
    for position in positions:
        start = text.rfind("\n", 0, position) + 1
        if start in seen_lines:
            continue
        seen_lines.add(start)
        end = text.find("\n", position)
        # a phrase may wrap onto the next line: scan this line and the next together, report matches starting here
        following = text.find("\n", end + 1) if end != -1 else -1
        window = text[start:following if following != -1 else len(text)]
        first_line_length = (end - start) if end != -1 else len(window)
        number = text.count("\n", 0, start) + 1
        for match in _TEAM_LANGUAGE.finditer(window):
            if match.start() <= first_line_length and start + match.start() >= covered:
                problems.append((number, re.sub(r"\s+", " ", match.group(0))))
                covered = start + match.end()
    return problems
