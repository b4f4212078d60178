"""What the RFCs say about failure: their dependencies, failure domains, alerts and rollback notes.

Company OS RFCs (``artifacts/rfcs/``, ``type: rfc``) are free Markdown. We read what incident
response needs from them without asking authors to change how they write: the frontmatter
references (``depends_on``), the items of a "Dependencies" section, the systems the design
touches (matched by keyword, outside "Alternatives considered" and "Open questions", which
describe roads not taken), the alert rules of an "Observability" table, and the "Rollback"
lines of a migration plan. An RFC that cannot be parsed is reported, never fatal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from incident_mcp.artifacts import Artifact, ArtifactIndex
from incident_mcp.workspace import Workspace

RFC_DIR = "artifacts/rfcs/"
MAX_ITEMS = 12
MAX_ITEM_CHARS = 240

# Failure domains: a name and the words that show an RFC depends on it.
FAILURE_DOMAINS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE)) for name, pattern in (
        ("Database", r"\b(?:databases?|postgres(?:ql)?|mysql|mariadb|mongo(?:db)?|sqlite|dynamodb|"
                     r"data model|primary db|read replicas?|supabase|planetscale|neon)\b"),
        ("Message queue and background workers", r"\b(?:message queues?|queues?|workers?|bullmq|celery|sqs|"
                                                 r"kafka|rabbitmq|pub/?sub|background jobs?|cron jobs?)\b"),
        ("Cache", r"\b(?:cache|caching|redis|memcached?|valkey)\b"),
        ("Email delivery", r"\b(?:e-?mails?|smtp|sendgrid|postmark|resend|mailgun|amazon ses)\b"),
        ("Push notifications", r"\b(?:push notifications?|push (?:provider|service|channel|dispatcher)s?|"
                               r"web push|fcm|apns)\b"),
        ("Payments", r"\b(?:payments?|stripe|paddle|billing|checkout|lemon ?squeezy)\b"),
        ("Authentication", r"\b(?:authentication|auth|login|sign-?in|sso|oauth2?|clerk|auth0|"
                           r"auth\.js|nextauth|sessions?)\b"),
        ("File storage", r"\b(?:s3|object storage|blob storage|buckets?|file uploads?|uploads?|r2|gcs)\b"),
        ("Search", r"\b(?:elasticsearch|opensearch|meilisearch|typesense|algolia|search index)\b"),
        ("Third-party APIs and webhooks", r"\b(?:third-party|external apis?|webhooks?|vendor apis?)\b"),
        ("CDN and edge", r"\b(?:cdn|cloudfront|fastly|edge functions?|edge cache)\b"),
        ("AI model provider", r"\b(?:llms?|openai|anthropic|embeddings?|vector (?:db|database|store))\b"),
    )
)

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SKIPPED_SECTIONS = re.compile(r"alternatives|open questions|references|appendix", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_DEPENDS_ON_LINE = re.compile(r"^\s*(?:\*\*)?depends on(?:\*\*)?\s*:?\s*(?:\*\*)?\s*(.*)$", re.IGNORECASE)
_NOT_DEPENDENCY = re.compile(r"^\s*(?:\*\*)?(?:blocks|blocked by|depended on by|what depends on this)\b",
                             re.IGNORECASE)
_ROLLBACK_LINE = re.compile(r"\brollback\b|\broll(?:ing)? (?:it |this |them )?back\b", re.IGNORECASE)
_ROLLBACK_LABEL = re.compile(r"\**\s*roll ?back(?: plan)?\s*\**\s*:\s*\**\s*", re.IGNORECASE)
_FAILURE_HEADING = re.compile(r"failure (?:domains?|modes?|scenarios?)|what can (?:fail|go wrong)|\brisks?\b",
                              re.IGNORECASE)
_FEATURE_FLAG = re.compile(r"\bfeature[- ]flags?\b|\bkill[- ]switch\b|\bbehind (?:a|an|the)\b[^.\n]{0,60}\bflag\b",
                           re.IGNORECASE)
# Inline code and quoted strings are examples ("payment.failed"), not systems the design depends on.
_EXAMPLE_STRINGS = re.compile(r"`[^`\n]*`|\"[^\"\n]*\"")
_EMPTY_ITEM = re.compile(r"^\s*(?:none|n/a|-|tbd|\[.*\])\s*\.?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RfcSummary:
    """One RFC as incident response sees it."""

    id: str
    title: str
    status: str
    path: str
    depends_on: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    failure_domains: tuple[str, ...] = ()
    failure_modes: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()
    rollback_notes: tuple[str, ...] = ()
    uses_feature_flag: bool = False


@dataclass(frozen=True)
class FailureDomain:
    """A system several RFCs depend on, and which RFCs those are."""

    name: str
    rfc_ids: tuple[str, ...]


@dataclass(frozen=True)
class RfcReport:
    """Every RFC of the workspace, the failure domains across them, and RFC files we could not read."""

    rfcs: tuple[RfcSummary, ...] = ()
    failure_domains: tuple[FailureDomain, ...] = ()
    unreadable: tuple[str, ...] = field(default_factory=tuple)


def _sections(body: str) -> list[tuple[str, list[str]]]:
    """(heading, lines) pairs in order; text before the first heading has heading ''; fenced code kept."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    in_fence = False
    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            sections.append((heading.group(2), []))
        else:
            sections[-1][1].append(line)
    return sections


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip().strip("*_").strip()
    text = text.rstrip(".;").strip()
    return text if len(text) <= MAX_ITEM_CHARS else text[:MAX_ITEM_CHARS - 1].rstrip() + "…"


def _split_items(text: str) -> list[str]:
    """Split 'a, b, and c' into items, not splitting inside parentheses."""
    items: list[str] = []
    depth = 0
    current = ""
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        if char in ",;" and depth == 0 and not (char == "," and index + 1 < len(text) and text[index + 1].isdigit()):
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    cleaned = [_clean(re.sub(r"^\s*(?:and|or)\s+", "", item)) for item in items]
    return [item for item in cleaned if item and not _EMPTY_ITEM.match(item)]


def _items(lines: list[str]) -> list[tuple[bool, str]]:
    """(is_bullet, text) per list item or paragraph, hard-wrapped lines joined; code and tables left out."""
    items: list[tuple[bool, str]] = []
    current: list[str] | None = None
    bullet = False
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
            current = None
            continue
        if in_fence or not line.strip() or line.lstrip().startswith("|"):
            current = None
            continue
        match = _BULLET.match(line)
        if match or current is None:
            bullet = bool(match)
            current = [match.group(1) if match else line.strip()]
            items.append((bullet, ""))
        else:
            current.append(line.strip())
        items[-1] = (bullet, " ".join(current))
    return items


def _dependencies(sections: list[tuple[str, list[str]]]) -> list[str]:
    found: list[str] = []
    for heading, lines in sections:
        if not re.search(r"\bdependenc", heading, re.IGNORECASE):
            continue
        for is_bullet, text in _items(lines):
            if _NOT_DEPENDENCY.match(text):
                continue
            depends = _DEPENDS_ON_LINE.match(text)
            if depends:
                found.extend(_split_items(depends.group(1)))
            elif is_bullet:
                found.append(_clean(text))
    return _unique(item for item in found if item and not _EMPTY_ITEM.match(item))


def _failure_modes(sections: list[tuple[str, list[str]]]) -> list[str]:
    found: list[str] = []
    for heading, lines in sections:
        if _FAILURE_HEADING.search(heading):
            found.extend(_clean(text) for _bullet, text in _items(lines))
    return _unique(item for item in found if item and not _EMPTY_ITEM.match(item))


def _alerts(sections: list[tuple[str, list[str]]]) -> list[str]:
    found: list[str] = []
    for heading, lines in sections:
        if _SKIPPED_SECTIONS.search(heading):
            continue
        for line in lines:
            cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.lstrip().startswith("|") else []
            if len(cells) >= 2 and re.fullmatch(r"\**alerts?\**", cells[0], re.IGNORECASE):
                found.extend(_split_items(cells[1]))
        for _bullet, text in _items(lines):
            label = re.match(r"^\**alerts?\**\s*:\s*\**\s*(.*)$", text, re.IGNORECASE)
            if label:
                found.extend(_split_items(label.group(1)))
    return _unique(found)


def _rollback_notes(sections: list[tuple[str, list[str]]]) -> list[str]:
    """The rollback an RFC plans for itself: text after a 'Rollback:' label, else the sentence naming it."""
    found: list[str] = []
    for heading, lines in sections:
        if _SKIPPED_SECTIONS.search(heading):
            continue
        for _bullet, text in _items(lines):
            label = _ROLLBACK_LABEL.search(text)
            if label:
                found.append(_clean(text[label.end():]))
                continue
            for sentence in re.split(r"(?<=[.!?])\s+", text):
                if _ROLLBACK_LINE.search(sentence):
                    found.append(_clean(sentence))
    return _unique(item for item in found if item)


def _unique(items: Iterable[str]) -> list[str]:
    """First occurrence of each item (case-insensitive), at most MAX_ITEMS."""
    seen: set[str] = set()
    kept: list[str] = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            kept.append(item)
    return kept[:MAX_ITEMS]


def summarize_rfc(artifact: Artifact) -> RfcSummary:
    """What incident response needs from one parsed RFC."""
    sections = _sections(artifact.body)
    considered = "\n".join("\n".join([heading, *(line for line in lines if not _NOT_DEPENDENCY.match(
        _BULLET.sub(r"\1", line)))]) for heading, lines in sections if not _SKIPPED_SECTIONS.search(heading))
    considered = _EXAMPLE_STRINGS.sub(" ", considered)
    domains = tuple(name for name, pattern in FAILURE_DOMAINS if pattern.search(considered))
    status = artifact.status or ""
    return RfcSummary(
        id=artifact.id or artifact.rel,
        title=artifact.title or artifact.rel.rsplit("/", 1)[-1],
        status=status,
        path=artifact.rel,
        depends_on=tuple(artifact.references()["depends_on"]),
        dependencies=tuple(_dependencies(sections)),
        failure_domains=domains,
        failure_modes=tuple(_failure_modes(sections)),
        alerts=tuple(_alerts(sections)),
        rollback_notes=tuple(_rollback_notes(sections)),
        uses_feature_flag=bool(_FEATURE_FLAG.search(considered)),
    )


def _is_rfc(artifact: Artifact) -> bool:
    return artifact.meta.get("type") == "rfc" or artifact.rel.startswith(RFC_DIR)


def load_rfcs(workspace: Workspace, index: ArtifactIndex | None = None) -> RfcReport:
    """Every RFC (by ``type: rfc`` or under artifacts/rfcs/), archived ones left out, sorted by id."""
    index = index or ArtifactIndex.build(workspace)
    rfcs: list[RfcSummary] = []
    unreadable: list[str] = []
    for entry in index.entries:
        if entry.artifact is None:
            if entry.rel.startswith(RFC_DIR):
                unreadable.append(f"{entry.rel}: {entry.error}")
            continue
        if _is_rfc(entry.artifact) and entry.artifact.status != "archived":
            rfcs.append(summarize_rfc(entry.artifact))
    rfcs.sort(key=lambda r: (_natural_key(r.id), r.path))
    by_domain: dict[str, list[str]] = {}
    for rfc in rfcs:
        for name in rfc.failure_domains:
            by_domain.setdefault(name, []).append(rfc.id)
    order = [name for name, _ in FAILURE_DOMAINS]
    domains = tuple(FailureDomain(name, tuple(by_domain[name])) for name in order if name in by_domain)
    return RfcReport(tuple(rfcs), domains, tuple(sorted(unreadable)))


def _natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)
