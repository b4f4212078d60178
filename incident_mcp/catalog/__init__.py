"""The provider catalog: rollback, kill-switch, DNS, cache and alerting knowledge as YAML data, and its loader.

Each ``*.yaml`` file beside this module is validated with pydantic on load; a malformed file raises
``CatalogError`` naming the file, the entry and the field. Every command records where it was verified
(``source``: CLI source file @commit or docs page) and when (``checked``), with its level (verified, partial,
unverified; console-only steps carry no command); a step copied from the reference sheet also cites its ``ref``
spelling, which the loader checks the command still matches. Every HTTP call must send its vendor's auth
header with the token from an environment variable.

Provider-name normalisation (``Catalog.normalize``), as documented for config authors:

- Case, punctuation and spacing do not matter: "Fly.io", "fly", "flyio" and "fly io" are all ``fly``.
- Blank, "none", "n/a", "-", "no", "null" mean not configured: no match.
- Free text is read word by word, longest known name first: "PostgreSQL 16" is ``postgresql``,
  "Next.js on Vercel" is ``vercel``, "AWS (ECS)" is ``aws-ecs`` with variant ``ecs``.
- A vague name that covers several providers matches a *family* entry (``AWS``, ``GCP``, ``Azure``,
  ``Cloudflare``, ``DigitalOcean``, ``Supabase`` as a host, ``ElastiCache``): the match says ``family=True`` and
  lists the options, and the family's steps ask the reader to name the service. We never pick one silently.
- Several providers in one value ("Vercel + Railway") give several matches: ``normalize`` returns the first
  with the rest in ``others``; ``normalize_all`` returns them all.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from incident_mcp.artifacts import SAFE_LOADER
from incident_mcp.catalog.models import (
    KINDS,
    Alerting,
    CatalogFile,
    GenericFile,
    GenericSection,
    Kind,
    Provider,
    Step,
    fill,
    help_command,
    placeholders,
)
from incident_mcp.errors import CatalogError

__all__ = [
    "KINDS",
    "NONE_WORDS",
    "Alerting",
    "Catalog",
    "CatalogError",
    "GenericSection",
    "Kind",
    "Provider",
    "ProviderMatch",
    "Step",
    "canonical",
    "fill",
    "help_command",
    "load_catalog",
    "load_catalog_from",
    "placeholders",
]

CATALOG_DIR = Path(__file__).resolve().parent
GENERIC_FILE = "generic.yaml"
NONE_WORDS = frozenset({"", "none", "na", "no", "null", "nil"})
_MAX_WINDOW = 6


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def canonical(text: str) -> str:
    """The comparison form of a provider name: lower case ASCII letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", _fold(text))


@dataclass(frozen=True)
class ProviderMatch:
    """What a free-text provider name normalised to.

    ``variant`` is a qualifier that does not change the steps (``ecs`` in "AWS (ECS)", ``helm`` for
    Kubernetes); ``family`` marks a vague name whose ``options`` are the providers it could mean;
    ``others`` holds further providers named in the same value.
    """

    key: str
    variant: str | None = None
    name: str = ""
    family: bool = False
    options: tuple[str, ...] = ()
    others: tuple[ProviderMatch, ...] = field(default=())


@dataclass(frozen=True)
class _AliasTarget:
    key: str
    variant: str | None
    source: str  # "file.yaml entry 'key'" for collision messages


class Catalog:
    """Every provider by kind, the alias tables for normalisation, and the generic fallbacks."""

    def __init__(self, providers: dict[Kind, dict[str, Provider]], aliases: dict[Kind, dict[str, _AliasTarget]],
                 generic: GenericFile) -> None:
        self._providers = providers
        self._aliases = aliases
        self._generic = generic

    # ---- lookup ------------------------------------------------------------------------------------

    def providers(self, kind: Kind) -> list[Provider]:
        """Every entry serving ``kind`` (families and generic entries included), in file order."""
        return list(self._kind(kind).values())

    def provider(self, kind: Kind, key: str) -> Provider:
        """The entry ``key`` of ``kind``; CatalogError naming the known keys when there is none."""
        entries = self._kind(kind)
        if key not in entries:
            raise CatalogError(f"no {kind} provider {key!r} in the catalog (known: {', '.join(entries)})")
        return entries[key]

    def generic(self, section: str) -> GenericSection:
        """The provider-independent steps of a rollback section (deployment, database, …)."""
        sections: dict[str, GenericSection] = {str(k): v for k, v in self._generic.sections.items()}
        if section not in sections:
            raise CatalogError(f"no generic steps for section {section!r} (known: {', '.join(sections)})")
        return sections[section]

    @property
    def notes(self) -> tuple[str, ...]:
        """Advice that heads every rollback plan (flag first, code before schema)."""
        return self._generic.notes

    @property
    def alert_route(self) -> tuple[str, ...]:
        """The verified way an error reaches the founder's phone, whatever the tracker."""
        return self._generic.alert_route

    def alerting(self, key: str) -> Alerting:
        """How alerts of the error tracker ``key`` reach a phone (route, channels, native push status)."""
        entry = self.provider("error_tracking", key)
        if entry.alerting is None:
            raise CatalogError(f"error tracker {key!r} has no alerting data")
        return entry.alerting

    def _kind(self, kind: str) -> dict[str, Provider]:
        if kind not in self._providers:
            raise ValueError(f"unknown provider kind {kind!r}; expected one of: {', '.join(KINDS)}")
        return self._providers[kind]

    # ---- normalisation -----------------------------------------------------------------------------

    def normalize(self, kind: str, raw: str) -> ProviderMatch | None:
        """The provider ``raw`` names (first of several, the rest in ``others``); None if none or unknown."""
        matches = self.normalize_all(kind, raw)
        if not matches:
            return None
        first = matches[0]
        return ProviderMatch(first.key, first.variant, first.name, first.family, first.options,
                             tuple(matches[1:]))

    def normalize_all(self, kind: str, raw: str) -> list[ProviderMatch]:
        """Every provider ``raw`` names, in order; see the module docstring for the rules."""
        entries = self._kind(kind)
        table = self._aliases[kind]  # type: ignore[index]
        if canonical(raw) in NONE_WORDS or _fold(raw).strip() in ("-", "n/a"):
            return []
        whole = table.get(canonical(raw))
        hits = [whole] if whole else list(_windows(re.findall(r"[a-z0-9]+", _fold(raw)), table))
        merged: dict[str, str | None] = {}
        for hit in hits:
            if hit.key not in merged or merged[hit.key] is None:
                merged[hit.key] = hit.variant
        keys = set(merged)
        result = []
        for key, variant in merged.items():
            entry = entries[key]
            if entry.family and keys.intersection(entry.options):
                continue  # "GCP Cloud Run": the family only asked which one; the member answers it
            result.append(ProviderMatch(key, variant, entry.name, entry.family, entry.options))
        return result


def _windows(tokens: list[str], table: dict[str, _AliasTarget]) -> Iterable[_AliasTarget]:
    """Leftmost-longest runs of words that spell a known alias."""
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_WINDOW, len(tokens) - i), 0, -1):
            hit = table.get("".join(tokens[i:i + size]))
            if hit:
                yield hit
                i += size
                break
        else:
            i += 1


# ---- loading -------------------------------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}" if mark is not None else path.name
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise CatalogError(f"catalog file {where}: YAML syntax error: {problem}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise CatalogError(f"catalog file {path.name}: cannot read: {err}") from None


def _validation_error(path: Path, data: Any, err: ValidationError) -> CatalogError:
    first = err.errors()[0]
    loc = list(first["loc"])
    entry = ""
    if len(loc) >= 2 and loc[0] in ("providers", "sections") and isinstance(data, dict):
        container = data.get(loc[0])
        item: Any = None
        if isinstance(container, list) and isinstance(loc[1], int) and loc[1] < len(container):
            item = container[loc[1]]
        elif isinstance(container, dict):
            item = container.get(loc[1])
        label = item.get("key") if isinstance(item, dict) else None
        entry = f" entry {label!r}" if label else f" entry #{loc[1] + 1}" if isinstance(loc[1], int) else \
            f" section {loc[1]!r}"
        loc = loc[2:]
    where = ".".join(str(p) for p in loc) or "(entry)"
    message = str(first["msg"]).removeprefix("Value error, ")
    return CatalogError(f"catalog file {path.name}{entry} ({where}): {message}")


def load_catalog_from(folder: Path) -> Catalog:
    """Load and check every ``*.yaml`` catalog file in ``folder`` (uncached; tests use it on copies)."""
    paths = sorted(folder.glob("*.yaml"))
    generic_path = folder / GENERIC_FILE
    if not generic_path.is_file():
        raise CatalogError(f"catalog folder {folder} has no {GENERIC_FILE}")
    generic_data = _read_yaml(generic_path)
    try:
        generic = GenericFile.model_validate(generic_data)
    except ValidationError as err:
        raise _validation_error(generic_path, generic_data, err) from None

    providers: dict[Kind, dict[str, Provider]] = {kind: {} for kind in KINDS}
    aliases: dict[Kind, dict[str, _AliasTarget]] = {kind: {} for kind in KINDS}
    origin: dict[tuple[Kind, str], str] = {}
    for path in paths:
        if path.name == GENERIC_FILE:
            continue
        data = _read_yaml(path)
        try:
            parsed = CatalogFile.model_validate(data)
        except ValidationError as err:
            raise _validation_error(path, data, err) from None
        for entry in parsed.providers:
            entry = entry if entry.kinds else entry.model_copy(update={"kinds": parsed.kinds})
            source = f"{path.name} entry {entry.key!r}"
            for kind in entry.kinds:
                if entry.key in providers[kind]:
                    raise CatalogError(f"catalog file {source}: key {entry.key!r} is already used for {kind} "
                                       f"by {origin[(kind, entry.key)]}")
                providers[kind][entry.key] = entry
                origin[(kind, entry.key)] = source
            _add_aliases(entry, source, aliases)
    _check_families(providers, origin)
    return Catalog(providers, aliases, generic)


def _add_aliases(entry: Provider, source: str, aliases: dict[Kind, dict[str, _AliasTarget]]) -> None:
    implicit = [(entry.key, None, None), (entry.name, None, None)]
    for name, variant, kinds in [*((a.name, a.variant, a.kinds) for a in entry.aliases), *implicit]:
        form = canonical(name)
        if not form or form in NONE_WORDS:
            raise CatalogError(f"catalog file {source}: alias {name!r} is empty or means 'none'")
        for kind in kinds or entry.kinds:
            if kind not in entry.kinds:
                raise CatalogError(f"catalog file {source}: alias {name!r} is for {kind}, which the entry "
                                   f"does not serve ({', '.join(entry.kinds)})")
            table = aliases[kind]
            current = table.get(form)
            if current is None:
                table[form] = _AliasTarget(entry.key, variant, source)
            elif current.key != entry.key:
                raise CatalogError(f"catalog file {source}: alias {name!r} ({kind}) collides with "
                                   f"{current.source}")


def _check_families(providers: dict[Kind, dict[str, Provider]], origin: dict[tuple[Kind, str], str]) -> None:
    for kind, entries in providers.items():
        for entry in entries.values():
            for option in entry.options:
                if option not in entries or entries[option].family:
                    raise CatalogError(f"catalog file {origin[(kind, entry.key)]}: option {option!r} is not a "
                                       f"{kind} provider")


@functools.cache
def load_catalog() -> Catalog:
    """The packaged catalog, loaded and checked once per process."""
    return load_catalog_from(CATALOG_DIR)
