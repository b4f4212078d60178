"""What the RFCs say about failure: their dependencies, failure domains, alerts and rollback notes.

Company OS RFCs (``artifacts/rfcs/``, ``type: rfc``) are free Markdown. We read what incident
response needs from them without asking authors to change how they write: the frontmatter
references (``depends_on``), the items of a "Dependencies" section, the systems the design
touches (matched by keyword, outside "Alternatives considered" and "Open questions", which
describe roads not taken), the alert rules of an "Observability" table, and the "Rollback"
lines of a migration plan. An RFC that cannot be parsed is reported, never fatal.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from incident_mcp.artifacts import Artifact, ArtifactIndex
from incident_mcp.workspace import Workspace

RFC_DIR = "artifacts/rfcs/"
MAX_ITEMS = 12
MAX_ITEM_CHARS = 240

# Failure domains: a name and the words (or two-word phrases) that show an RFC depends on it. Text is split into
# lower-case words and looked up in a table, one pass per RFC, instead of running a regex per domain.
_DOMAIN_WORDS: tuple[tuple[str, str], ...] = (
    ("Database", "database databases postgres postgresql mysql mariadb mongo mongodb sqlite dynamodb supabase "
                 "planetscale neon|data model|primary db|read replica|read replicas"),
    ("Message queue and background workers", "queue queues worker workers bullmq celery sqs kafka rabbitmq pubsub"
                                             "|pub sub|background job|background jobs|cron job|cron jobs"),
    ("Cache", "cache caching redis memcache memcached valkey"),
    ("Email delivery", "email emails smtp sendgrid postmark resend mailgun|e mail|e mails|amazon ses"),
    ("Push notifications", "fcm apns|push notification|push notifications|push provider|push service|"
                           "push channel|push dispatcher|web push"),
    ("Payments", "payment payments stripe paddle billing checkout lemonsqueezy|lemon squeezy"),
    ("Authentication", "authentication auth login signin sso oauth oauth2 clerk auth0 nextauth session sessions"
                       "|sign in"),
    ("File storage", "s3 bucket buckets upload uploads r2 gcs|object storage|blob storage|file upload|file uploads"),
    ("Search", "elasticsearch opensearch meilisearch typesense algolia|search index"),
    ("Third-party APIs and webhooks", "webhook webhooks|third party|external api|external apis|vendor api|vendor apis"),
    ("CDN and edge", "cdn cloudfront fastly|edge function|edge functions|edge cache"),
    ("AI model provider", "llm llms openai anthropic embedding embeddings|vector db|vector database|vector store"),
)
FAILURE_DOMAINS: tuple[str, ...] = tuple(name for name, _ in _DOMAIN_WORDS)
_DOMAIN_TERMS: dict[tuple[str, ...], int] = {}
for _index, (_name, _spec) in enumerate(_DOMAIN_WORDS):
    _singles, *_phrases = _spec.split("|")
    for _word in _singles.split():
        _DOMAIN_TERMS[(_word,)] = _index
    for _phrase in _phrases:
        _DOMAIN_TERMS[tuple(_phrase.split())] = _index
_SINGLE_TERMS: dict[str, int] = {words[0]: i for words, i in _DOMAIN_TERMS.items() if len(words) == 1}
_PAIR_FIRST_WORDS = frozenset(words[0] for words in _DOMAIN_TERMS if len(words) == 2)
_WORD = re.compile(r"[a-z0-9]+")


def _domains_in(text: str) -> tuple[str, ...]:
    """The failure domains whose words occur in lower-cased ``text`` (in FAILURE_DOMAINS order)."""
    words = _WORD.findall(text)
    distinct = set(words)
    hits = {_SINGLE_TERMS[w] for w in distinct.intersection(_SINGLE_TERMS)}
    if not distinct.isdisjoint(_PAIR_FIRST_WORDS):
        hits.update(_DOMAIN_TERMS[pair] for pair in itertools.pairwise(words)
                    if pair[0] in _PAIR_FIRST_WORDS and pair in _DOMAIN_TERMS)
    return tuple(FAILURE_DOMAINS[i] for i in sorted(hits))


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SKIPPED_SECTIONS = re.compile(r"alternatives|open questions|references|appendix", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_DEPENDS_ON_LINE = re.compile(r"^\s*(?:\*\*)?depends on(?:\*\*)?\s*:?\s*(?:\*\*)?\s*(.*)$", re.IGNORECASE)
_NOT_DEPENDENCY = re.compile(r"^\s*(?:\*\*)?(?:blocks|blocked by|depended on by|what depends on this)\b",
                             re.IGNORECASE)
_NOT_DEPENDENCY_LINE = re.compile(r"^\s*(?:(?:[-*+]|\d+[.)])\s+)?\**(?:blocks|blocked by|depended on by|"
                                  r"what depends on this)\b", re.IGNORECASE)
_ROLLBACK_LINE = re.compile(r"\brollback\b|\broll(?:ing)? (?:it |this |them )?back\b", re.IGNORECASE)
_ROLLBACK_LABEL = re.compile(r"\**\s*roll ?back(?: plan)?\s*\**\s*:\s*\**\s*", re.IGNORECASE)
_FAILURE_HEADING = re.compile(r"failure (?:domains?|modes?|scenarios?)|what can (?:fail|go wrong)|\brisks?\b",
                              re.IGNORECASE)
_BEHIND_A_FLAG = re.compile(r"behind (?:a|an|the)\b[^.\n]{0,60}?\bflags?\b")


def _mentions_flag(lowered: str) -> bool:
    """Whether lower-cased text says the change ships behind a feature flag (or has a kill switch)."""
    if any(phrase in lowered for phrase in ("feature flag", "feature-flag", "kill switch", "kill-switch")):
        return True
    at = lowered.find("behind ")
    while at != -1:
        if _BEHIND_A_FLAG.match(lowered, at, at + 90):
            return True
        at = lowered.find("behind ", at + 1)
    return False
# Inline code and quoted strings are examples ("payment.failed"), not systems the design depends on.
_EXAMPLE_STRINGS = re.compile(r"`[^`\n]*`|\"[^\"\n]*\"")
_DEPENDENCY_HEADING = re.compile(r"\bdependenc", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SPACES = re.compile(r"\s+")
_ITEM_SEPARATOR = re.compile(r";|,(?!\d)")
_LEADING_CONJUNCTION = re.compile(r"^\s*(?:and|or)\s+")
_BULLET_STARTS = frozenset("-*+0123456789")
_ALERT_LABEL = re.compile(r"^\**alerts?\**\s*:\s*\**\s*(.*)$", re.IGNORECASE)
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
    flags: tuple[str, ...] = ()


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
        if ("```" in line or "~~~" in line) and _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence or not line.startswith("#") else _HEADING.match(line)
        if heading:
            sections.append((heading.group(2), []))
        else:
            sections[-1][1].append(line)
    return sections


def _clean(text: str) -> str:
    text = _SPACES.sub(" ", text).strip().strip("*_").strip()
    text = text.rstrip(".;").strip()
    return text if len(text) <= MAX_ITEM_CHARS else text[:MAX_ITEM_CHARS - 1].rstrip() + "…"


def _split_items(text: str) -> list[str]:
    """Split 'a, b, and c' into items, not splitting inside parentheses."""
    items = _ITEM_SEPARATOR.split(text) if "(" not in text and "[" not in text else _split_outside_brackets(text)
    cleaned = [_clean(_LEADING_CONJUNCTION.sub("", item)) for item in items]
    return [item for item in cleaned if item and not _EMPTY_ITEM.match(item)]


def _split_outside_brackets(text: str) -> list[str]:
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
    return items


def _items(lines: list[str]) -> list[tuple[bool, str]]:
    """(is_bullet, text) per list item or paragraph, hard-wrapped lines joined; code and tables left out."""
    items: list[tuple[bool, str]] = []
    current: list[str] | None = None
    bullet = False
    in_fence = False
    for line in lines:
        if ("```" in line or "~~~" in line) and _FENCE.match(line):
            in_fence = not in_fence
            current = None
            continue
        if in_fence or not line.strip() or line.lstrip().startswith("|"):
            current = None
            continue
        match = _BULLET.match(line) if line.lstrip()[:1] in _BULLET_STARTS else None
        if match or current is None:
            bullet = bool(match)
            current = [match.group(1) if match else line.strip()]
            items.append((bullet, ""))
        else:
            current.append(line.strip())
        items[-1] = (bullet, " ".join(current))
    return items


@dataclass(frozen=True)
class _Section:
    heading: str
    lines: list[str]
    items: list[tuple[bool, str]]
    skipped: bool


def _dependencies(sections: list[_Section]) -> list[str]:
    found: list[str] = []
    for section in sections:
        if not _DEPENDENCY_HEADING.search(section.heading):
            continue
        for is_bullet, text in section.items:
            if _NOT_DEPENDENCY.match(text):
                continue
            depends = _DEPENDS_ON_LINE.match(text)
            if depends:
                found.extend(_split_items(depends.group(1)))
            elif is_bullet:
                found.append(_clean(text))
    return _unique(item for item in found if item and not _EMPTY_ITEM.match(item))


def _failure_modes(sections: list[_Section]) -> list[str]:
    found: list[str] = []
    for section in sections:
        if _FAILURE_HEADING.search(section.heading):
            found.extend(_clean(text) for _bullet, text in section.items)
    return _unique(item for item in found if item and not _EMPTY_ITEM.match(item))


def _alerts(sections: list[_Section]) -> list[str]:
    found: list[str] = []
    for section in sections:
        if section.skipped:
            continue
        for line in section.lines:
            if line.lstrip().startswith("|") and "lert" in line:
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if len(cells) >= 2 and re.fullmatch(r"\**alerts?\**", cells[0], re.IGNORECASE):
                    found.extend(_split_items(cells[1]))
        for _bullet, text in section.items:
            label = _ALERT_LABEL.match(text) if "lert" in text[:12] else None
            if label:
                found.extend(_split_items(label.group(1)))
    return _unique(found)


def _rollback_notes(sections: list[_Section]) -> list[str]:
    """The rollback an RFC plans for itself: text after a 'Rollback:' label, else the sentence naming it."""
    found: list[str] = []
    for section in sections:
        if section.skipped:
            continue
        for _bullet, text in section.items:
            if "roll" not in text.lower() or not _ROLLBACK_LINE.search(text):
                continue
            label = _ROLLBACK_LABEL.search(text)
            if label:
                found.append(_clean(text[label.end():]))
                continue
            for sentence in _SENTENCE_END.split(text):
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


_SUMMARIES: dict[tuple[str, str], RfcSummary] = {}
_MAX_CACHED = 4096


def summarize_rfc(artifact: Artifact) -> RfcSummary:
    """What incident response needs from one parsed RFC (cached by path and text: regeneration re-reads
    the same RFCs, and a summary depends on nothing else)."""
    key = (artifact.rel, artifact.text)
    cached = _SUMMARIES.get(key)
    if cached is None:
        if len(_SUMMARIES) >= _MAX_CACHED:
            _SUMMARIES.clear()
        cached = _SUMMARIES[key] = _summarize(artifact)
    return cached


def _summarize(artifact: Artifact) -> RfcSummary:
    sections = [_Section(heading, lines, _items(lines), bool(_SKIPPED_SECTIONS.search(heading)))
                for heading, lines in _sections(artifact.body)]
    considered = "\n".join("\n".join([s.heading, *(line for line in s.lines if not (
        ("lock" in line or "epend" in line) and _NOT_DEPENDENCY_LINE.match(line)))]) for s in sections if not s.skipped)
    considered = _EXAMPLE_STRINGS.sub(" ", considered)
    lowered = considered.lower()
    domains = _domains_in(lowered)
    return RfcSummary(
        id=artifact.id or artifact.rel,
        title=artifact.title or artifact.rel.rsplit("/", 1)[-1],
        status=artifact.status or "",
        path=artifact.rel,
        depends_on=tuple(artifact.references()["depends_on"]),
        dependencies=tuple(_dependencies(sections)),
        failure_domains=domains,
        failure_modes=tuple(_failure_modes(sections)),
        alerts=tuple(_alerts(sections)),
        rollback_notes=tuple(_rollback_notes(sections)),
        uses_feature_flag=_mentions_flag(lowered),
        flags=_flag_names(sections),
    )


_FLAG_SENTENCE = re.compile(r"[^.!?\n]*\b(?:flags?|kill[ -]switch(?:es)?|toggles?)\b[^.!?\n]*", re.IGNORECASE)
_CODE_NAME = re.compile(r"`([A-Za-z][A-Za-z0-9_.:-]{1,63})`")


def _flag_names(sections: list[_Section]) -> tuple[str, ...]:
    """Flag names an RFC gives in code spans in a sentence about a flag ("ships behind the `billing-v2` flag")."""
    names: list[str] = []
    for section in sections:
        if section.skipped:
            continue
        for sentence in _FLAG_SENTENCE.findall("\n".join(section.lines)):
            names += _CODE_NAME.findall(sentence)
    return tuple(dict.fromkeys(names))[:MAX_ITEMS]


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
    domains = tuple(FailureDomain(name, tuple(by_domain[name])) for name in FAILURE_DOMAINS if name in by_domain)
    return RfcReport(tuple(rfcs), domains, tuple(sorted(unreadable)))


def _natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)
