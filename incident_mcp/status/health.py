"""Does a response meet a service's expectations? Status codes, health+json, body, JSON fields, headers.

Each unmet expectation becomes a Finding with its own state, so a service's verdict is the worst of them
and the agent sees every reason, not only the first. Findings quote no body text beyond short scalar
values of JSON fields the config asked about.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from incident_mcp.config import Expectations, JsonCondition
from incident_mcp.status.models import STATE_ORDER, Finding, Reason, State

HEALTH_JSON = "application/health+json"
_PASS = {"pass", "ok", "up"}
_WARN = {"warn"}
_FAIL = {"fail", "error", "down"}
_MISSING = object()
# Among findings of the same state, the more specific reason names the verdict.
_REASON_RANK: tuple[Reason, ...] = ("tls", "health", "status", "assertion", "too_large", "tls_expiring", "slow")


def status_expected(code: int, expected: list[str]) -> bool:
    """Whether ``code`` is one of the expected codes, ranges (200-299) or classes (2xx)."""
    for item in expected:
        if item.endswith("xx"):
            if code // 100 == int(item[0]):
                return True
        elif "-" in item:
            low, high = item.split("-", 1)
            if int(low) <= code <= int(high):
                return True
        elif code == int(item):
            return True
    return False


def redirect_expected(code: int, expected: list[str]) -> bool:
    """Whether the config expects this 3xx itself (then it is not followed)."""
    return 300 <= code < 400 and status_expected(code, expected)


def media_type(content_type: str) -> str:
    """``application/health+json; charset=utf-8`` → ``application/health+json``."""
    return content_type.split(";", 1)[0].strip().lower()


def needs_body(expect: Expectations, content_type: str) -> bool:
    """Whether the body text must be kept to judge the response."""
    return bool(expect.body_matches or expect.body_not_matches or expect.json_fields
                or media_type(content_type) == HEALTH_JSON)


def status_finding(code: int, expect: Expectations) -> Finding | None:
    """A finding when the status is not expected: a 5xx means the server says it is failing (down)."""
    if status_expected(code, expect.status):
        return None
    state: State = "down" if 500 <= code <= 599 else "degraded"
    return Finding(code="status", state=state, message=f"HTTP {code} (expected {', '.join(expect.status)})")


def header_findings(headers: Mapping[str, str], expect: Expectations) -> list[Finding]:
    """Header conditions: each named header must exist and match its regex."""
    findings: list[Finding] = []
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, pattern in expect.headers.items():
        value = lowered.get(name.lower())
        if value is None:
            findings.append(Finding(code="assertion", state="degraded", message=f"header {name} is missing"))
        elif not re.search(pattern, value):
            findings.append(Finding(code="assertion", state="degraded",
                                    message=f"header {name} does not match /{pattern}/"))
    return findings


def body_findings(text: str, expect: Expectations) -> list[Finding]:
    """Regex conditions on the body text."""
    findings: list[Finding] = []
    if expect.body_matches and not re.search(expect.body_matches, text):
        findings.append(Finding(code="assertion", state="degraded",
                                message=f"body does not match /{expect.body_matches}/"))
    if expect.body_not_matches and re.search(expect.body_not_matches, text):
        findings.append(Finding(code="assertion", state="degraded",
                                message=f"body matches /{expect.body_not_matches}/, which it must not"))
    return findings


def json_findings(document: Any, conditions: list[JsonCondition]) -> list[Finding]:
    """Conditions on JSON fields (``document`` is _MISSING-free parsed JSON, or None if it did not parse)."""
    findings: list[Finding] = []
    for condition in conditions:
        problem = _json_problem(document, condition)
        if problem:
            findings.append(Finding(code="assertion", state="degraded", message=f"json {condition.path} {problem}"))
    return findings


def _json_problem(document: Any, condition: JsonCondition) -> str | None:
    value = _lookup(document, condition.path)
    must_exist = condition.exists
    if must_exist is None and condition.equals is None and condition.one_of is None:
        must_exist = True
    if must_exist is False:
        return "exists, which it must not" if value is not _MISSING else None
    if value is _MISSING:
        return "is missing"
    if condition.equals is not None and value != condition.equals:
        return f"is {_quote(value)} (expected {_quote(condition.equals)})"
    if condition.one_of is not None and value not in condition.one_of:
        return f"is {_quote(value)} (expected one of {', '.join(_quote(v) for v in condition.one_of)})"
    return None


def _lookup(document: Any, path: str) -> Any:
    node = document
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and re.fullmatch(r"-?\d+", part) and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _quote(value: Any) -> str:
    """A short, single-line rendering of a JSON scalar (the only body text findings ever quote)."""
    if isinstance(value, dict | list):
        return f"a {'object' if isinstance(value, dict) else 'list'}"
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 34 else text[:31] + "…\""


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.:/@ -]", "?", name)[:64]
    return cleaned or "?"


def health_findings(document: Any) -> list[Finding]:
    """An ``application/health+json`` document: overall status, plus each warning or failing check."""
    if not isinstance(document, dict):
        return [Finding(code="health", state="degraded",
                        message="application/health+json body is not a JSON object")]
    findings: list[Finding] = []
    checks = document.get("checks")
    worst: State = "up"
    if isinstance(checks, dict):
        for key, entries in list(checks.items())[:100]:
            for entry in (entries if isinstance(entries, list) else [entries])[:20]:
                if not isinstance(entry, dict):
                    continue
                state = _health_state(entry.get("status"))
                if state in ("degraded", "down"):
                    component = _safe_name(str(entry.get("componentId") or key))
                    findings.append(Finding(code="health", state=state, component=component,
                                            message=f"check {_safe_name(str(key))}: {_word(state)}"))
                    worst = state if STATE_ORDER[state] > STATE_ORDER[worst] else worst
    overall = _health_state(document.get("status"))
    if overall is None:
        message = "application/health+json has no valid status (pass, warn or fail)"
        findings.insert(0, Finding(code="health", state="degraded" if worst == "up" else worst, message=message))
    elif overall != "up":
        findings.insert(0, Finding(code="health", state=overall, message=f"health status {_word(overall)}"))
    return findings


def _health_state(status: Any) -> State | None:
    if not isinstance(status, str):
        return None
    word = status.strip().lower()
    if word in _PASS:
        return "up"
    if word in _WARN:
        return "degraded"
    if word in _FAIL:
        return "down"
    return None


def _word(state: State) -> str:
    return {"up": "pass", "degraded": "warn", "down": "fail"}.get(state, state)


def parse_json(data: bytes) -> Any:
    """The parsed JSON document, or _MISSING when the bytes are not JSON."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return _MISSING


def is_missing(value: Any) -> bool:
    """Whether ``parse_json`` found no JSON."""
    return value is _MISSING


def decode_text(data: bytes, content_type: str) -> str:
    """Body bytes as text, using the declared charset when Python knows it (UTF-8 otherwise)."""
    match = re.search(r"charset=\"?([A-Za-z0-9._-]+)", content_type)
    charset = match.group(1) if match else "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def worst(findings: list[Finding]) -> Finding | None:
    """The finding that names the verdict: the worst state, then the most specific reason."""
    if not findings:
        return None

    def rank(finding: Finding) -> tuple[int, int]:
        specific = _REASON_RANK.index(finding.code) if finding.code in _REASON_RANK else len(_REASON_RANK)
        return (STATE_ORDER[finding.state], -specific)

    return max(findings, key=rank)
