"""Artifact validation: every rule Company OS's ``validate.sh`` enforces, plus the defects it misses.

``validate_workspace`` reads the workspace once (``ArtifactIndex.build``) and never raises on a bad
artifact: each defect becomes a ``Problem`` with the file, the line where known, a stable rule id,
a severity and a one-line message. Where Company OS's shell tool would not notice a defect (it reads
frontmatter with grep and sed), the message says so. Wrong *arguments* (a path outside the
workspace, an unknown id) raise our errors instead.

Extension point: another module adds rules for its own files with ``register_rule(prefix, fn)``,
where ``fn(RuleInput) -> Iterable[Problem]`` runs for every checked file whose workspace-relative
path starts with ``prefix`` (or for which a predicate returns true). A prefix outside ``artifacts/``
(e.g. ``"standards/ops/"``) also adds that folder's ``*.md`` files to whole-workspace runs. Register
at import time of your core module and add the module's name to ``PLUGIN_MODULES`` below, so the
rule is loaded whenever validation (or promotion) runs::

    from incident_mcp.validation import RuleInput, register_rule

    def _no_team_lead(doc: RuleInput) -> list[Problem]:
        if doc.text and "team lead" in doc.text:
            return [doc.problem("runbook.team_language", "mentions a team lead; the reader is alone",
                                line=doc.line_containing("team lead"), severity="warning")]
        return []

    register_rule("standards/ops/", _no_team_lead)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import importlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from incident_mcp.artifacts import (
    ID_PATTERN,
    REQUIRED_FIELDS,
    STATUSES,
    TYPES,
    Artifact,
    ArtifactIndex,
    FrontmatterError,
    IndexEntry,
    iter_markdown_files,
    parse_artifact,
    read_text_exact,
    reference_ids,
    size_refusal,
    split_frontmatter,
)
from incident_mcp.errors import ArtifactError, ArtifactNotFoundError, PathEscapeError
from incident_mcp.workspace import Workspace, check_relative

# Core modules that call register_rule / register_gate at import time (imported before each run).
PLUGIN_MODULES: tuple[str, ...] = ("incident_mcp.runbook", "incident_mcp.incidents.rules")

Severity = Literal["error", "warning"]
SHELL = "Company OS validate.sh"
# Company OS checks reference fields in this order.
_REF_ORDER = ("parent", "depends_on", "children", "blocks")
_LINE_BREAKS = re.compile("[\u2028\u2029\x85]")
_SHELL_ID_LINE = re.compile(r"id: *(.*?) *$")
_BRE_SPECIAL = re.compile(r"[.\[\]*^$\\]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def missed(reason: str) -> str:
    """The suffix for a message about a defect that Company OS's shell tool does not report."""
    return f"({SHELL} misses this: {reason})"


def show(value: Any, limit: int = 80) -> str:
    """A value as one short line of text: control and line-break characters escaped, long text cut."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    out: list[str] = []
    for ch in text[: limit + 1]:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") and ch != "\u200d":
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    shown = "".join(out)
    return shown[:limit] + "…" if len(text) > limit else shown


class Problem(BaseModel):
    """One defect in one file: where, which rule, how bad, and what to do, in one line."""

    model_config = ConfigDict(frozen=True)

    file: str = Field(description="workspace-relative path of the file")
    line: int | None = Field(default=None, description="1-based line, when known")
    rule: str = Field(description="stable rule id, e.g. reference.dangling")
    severity: Severity
    message: str = Field(description="one line for a human")
    missed_by_company_os: bool = Field(
        default=False, description="true when Company OS's validate.sh does not report this defect")

    @field_validator("message")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return show(value, limit=500)


class CheckedFile(BaseModel):
    """A file that was asked for by path or id, with what Company OS prints for a valid one."""

    file: str
    id: str | None = None
    type: str | None = None
    status: str | None = None
    valid: bool


class ValidationReport(BaseModel):
    """The outcome of one validation run."""

    strict: bool
    files_checked: int
    errors: int
    warnings: int
    problems: list[Problem]
    problems_omitted: int = Field(default=0, description="problems left out of `problems` by a limit")
    files: list[CheckedFile] = Field(
        default_factory=list, description="the files asked for by path or id (empty for a whole-workspace run)")

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed, as in Company OS)."""
        return self.errors == 0

    def for_file(self, rel: str) -> list[Problem]:
        """The problems reported on one file."""
        return [p for p in self.problems if p.file == rel]

    def limited(self, max_problems: int) -> ValidationReport:
        """A copy keeping the first ``max_problems`` problems, errors first."""
        if len(self.problems) <= max_problems:
            return self
        ordered = sorted(self.problems, key=lambda p: p.severity != "error")
        return self.model_copy(update={"problems": ordered[:max_problems],
                                       "problems_omitted": len(self.problems) - max_problems})


# --- extension point ------------------------------------------------------------------------------


@dataclass
class RuleInput:
    """What a registered rule sees about one file."""

    workspace: Workspace
    index: ArtifactIndex
    rel: str
    text: str | None
    artifact: Artifact | None
    strict: bool

    def problem(self, rule: str, message: str, *, line: int | None = None, severity: Severity = "error",
                missed_by_company_os: bool = False) -> Problem:
        """A Problem on this file."""
        return Problem(file=self.rel, line=line, rule=rule, severity=severity, message=message,
                       missed_by_company_os=missed_by_company_os)

    def line_containing(self, needle: str, *, ignore_case: bool = True) -> int | None:
        """The first 1-based line of the text containing ``needle``."""
        if self.text is None:
            return None
        wanted = needle.lower() if ignore_case else needle
        for number, line in enumerate(self.text.split("\n"), start=1):
            if wanted in (line.lower() if ignore_case else line):
                return number
        return None


RuleFn = Callable[[RuleInput], Iterable[Problem]]
RuleMatch = str | Callable[[str], bool]


@dataclass(frozen=True)
class _Rule:
    name: str
    prefix: str | None
    predicate: Callable[[str], bool] | None
    fn: RuleFn

    def applies(self, rel: str) -> bool:
        if self.prefix is not None:
            return rel.startswith(self.prefix)
        return bool(self.predicate and self.predicate(rel))


_RULES: dict[str, _Rule] = {}
MAX_PATHS = 1000  # paths or ids in one validation request


def register_rule(match: RuleMatch, fn: RuleFn, *, name: str | None = None) -> Callable[[], None]:
    """Run ``fn`` on every checked file whose path starts with ``match`` (or for which ``match(rel)``).

    Registering again under the same name replaces the rule. Returns a function that removes it.
    """
    key = name or f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
    if isinstance(match, str):
        if not match.strip("/"):
            raise PathEscapeError("a rule prefix is a workspace-relative path such as 'standards/ops/'; "
                                  "use a predicate to match every file")
        check_relative(match.rstrip("/"))
        rule = _Rule(key, match, None, fn)
    else:
        rule = _Rule(key, None, match, fn)
    _RULES[key] = rule

    def unregister() -> None:
        if _RULES.get(key) is rule:
            del _RULES[key]

    return unregister


def load_plugins() -> None:
    """Import the core modules that register rules and gates."""
    for module in PLUGIN_MODULES:
        importlib.import_module(module)


# --- the run --------------------------------------------------------------------------------------


def validate_workspace(ws: Workspace, paths: Sequence[str] | None = None, strict: bool = False, *,
                       index: ArtifactIndex | None = None) -> ValidationReport:
    """Validate the whole workspace, or the given workspace-relative paths / artifact ids.

    A folder stands for the ``*.md`` files under it. Raises PathEscapeError for a path that leads
    outside the workspace and ArtifactNotFoundError for a missing file or unknown id; never raises
    because an artifact is bad.
    """
    if isinstance(paths, str):
        paths = [paths]
    load_plugins()
    with _gc_paused():
        return _validate(ws, paths, strict, index or ArtifactIndex.build(ws))


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while tens of thousands of small objects are built.

    The objects are all kept, so each collection pass is wasted work (a third of the run time at
    10,000 artifacts); nothing here makes reference cycles that would need it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _validate(ws: Workspace, paths: Sequence[str] | None, strict: bool, index: ArtifactIndex) -> ValidationReport:
    run = _Run(ws, index, strict)
    explicit = paths is not None
    targets = run.resolve(paths) if paths is not None else run.whole_workspace()
    problems: list[Problem] = []
    files: list[CheckedFile] = []
    for rel in targets:
        doc, found = run.check(rel)
        problems.extend(found)
        if explicit:
            files.append(_summary(doc, found))
    errors = sum(1 for p in problems if p.severity == "error")
    return ValidationReport(strict=strict, files_checked=len(targets), errors=errors,
                            warnings=len(problems) - errors, problems=problems, files=files)


@dataclass
class _Doc:
    """One file being checked: its text, its parsed artifact or the reason it did not parse."""

    rel: str
    text: str | None
    artifact: Artifact | None
    error: FrontmatterError | None
    is_artifact_file: bool


@dataclass
class _Run:
    ws: Workspace
    index: ArtifactIndex
    strict: bool
    by_rel: dict[str, IndexEntry] = field(default_factory=dict)
    _global: dict[str, list[Problem]] | None = None
    _shell_ids: tuple[dict[str, tuple[str, str]], list[tuple[str, str]]] | None = None
    _lines: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_rel = {entry.rel: entry for entry in self.index.entries}

    # targets -------------------------------------------------------------------------------------

    def whole_workspace(self) -> list[str]:
        targets = [entry.rel for entry in self.index.entries]
        seen = set(targets)
        for folder in sorted({_folder_of(r.prefix) for r in _RULES.values() if r.prefix}):
            if not folder or folder == "artifacts" or folder.startswith("artifacts/"):
                continue
            try:
                root = self.ws.path(folder)
            except PathEscapeError:
                continue
            for path in iter_markdown_files(self.ws, root):
                rel = path.relative_to(self.ws.root).as_posix()
                if rel not in seen and any(r.applies(rel) for r in _RULES.values()):
                    seen.add(rel)
                    targets.append(rel)
        return sorted(targets)

    def resolve(self, paths: Sequence[str]) -> list[str]:
        """The files the given paths and ids stand for, each once.

        Inputs are bounded, de-duplicated and each folder walked at most once before anything is read:
        ``["artifacts/"] * 1000`` (or a thousand links to one folder, or a folder and its subfolders) is one
        walk, not a thousand.
        """
        if len(paths) > MAX_PATHS:
            raise ArtifactError(f"{len(paths):,} paths given; at most {MAX_PATHS:,} (a folder stands for every "
                                "file under it; give no path to check the whole workspace)")
        targets: list[str] = []
        walked: list[Path] = []  # real folders already walked
        for given in dict.fromkeys(paths):
            if looks_like_id(given):
                found = self.index.by_id.get(given)
                if not found:
                    raise ArtifactNotFoundError(f"no artifact with id {show(given)!r} under artifacts/")
                targets.extend(artifact.rel for artifact in found)
                continue
            path = self.ws.path(given)
            rel = PurePosixPath(*check_relative(given).parts).as_posix()
            if path.is_dir():
                real = path.resolve()
                if any(real == done or done in real.parents for done in walked):
                    continue  # the same folder (by another spelling or link), or inside one already walked
                walked.append(real)
                targets.extend(p.relative_to(self.ws.root).as_posix() for p in iter_markdown_files(self.ws, path))
            elif path.is_file():
                targets.append(rel)
            else:
                raise ArtifactNotFoundError(f"no file at {show(given)!r} in the workspace")
        return list(dict.fromkeys(targets))

    def load(self, rel: str) -> _Doc:
        is_artifact_file = rel.startswith("artifacts/")
        entry = self.by_rel.get(rel)
        if entry is not None and entry.artifact is not None:
            return _Doc(rel, entry.artifact.text, entry.artifact, None, True)
        too_large = size_refusal(self.ws.path(rel))
        if too_large is not None:
            return _Doc(rel, None, None, too_large, is_artifact_file)
        try:
            text = read_text_exact(self.ws.path(rel))
        except UnicodeDecodeError:
            return _Doc(rel, None, None, FrontmatterError("file is not UTF-8 text", kind="encoding"),
                        is_artifact_file)
        except OSError as err:
            return _Doc(rel, None, None, FrontmatterError(f"file could not be read: {err.strerror}",
                                                          kind="unreadable"), is_artifact_file)
        try:
            return _Doc(rel, text, parse_artifact(text, rel), None, is_artifact_file)
        except FrontmatterError as err:
            return _Doc(rel, text, None, err, is_artifact_file)

    # checks --------------------------------------------------------------------------------------

    def check(self, rel: str) -> tuple[_Doc, list[Problem]]:
        doc = self.load(rel)
        problems: list[Problem] = []
        has_frontmatter = doc.artifact is not None or (doc.error is not None and doc.error.kind != "missing")
        if doc.is_artifact_file or has_frontmatter:
            problems.extend(self.check_artifact(doc))
        for rule in list(_RULES.values()):
            if rule.applies(rel):
                problems.extend(self.run_rule(rule, doc))
        return doc, problems

    def run_rule(self, rule: _Rule, doc: _Doc) -> list[Problem]:
        data = RuleInput(self.ws, self.index, doc.rel, doc.text, doc.artifact, self.strict)
        try:
            return list(rule.fn(data))
        except Exception as err:  # a broken rule must not stop the run
            return [Problem(file=doc.rel, rule="rule.failed", severity="error",
                            message=f"rule {rule.name} failed: {type(err).__name__}: {err}")]

    def check_artifact(self, doc: _Doc) -> list[Problem]:
        out: list[Problem] = []

        def add(rule: str, message: str, *, line: int | None = None, severity: Severity = "error",
                why_missed: str | None = None) -> None:
            if why_missed:
                message = f"{message} {missed(why_missed)}"
            out.append(Problem(file=doc.rel, line=line, rule=rule, severity=severity, message=message,
                               missed_by_company_os=why_missed is not None))

        if doc.text is not None:
            self.check_encoding_quirks(doc, add)
        art = doc.artifact
        if art is None:
            self.report_unparsable(doc, add)
            return out
        if not art.meta and not split_frontmatter(art.text)[0].strip():
            add("frontmatter.empty", "Empty or malformed YAML frontmatter", line=2)
            self.check_body(doc, art, add)
            return out
        self.check_fields(doc, art, add)
        self.check_references(doc, art, add)
        self.check_body(doc, art, add)
        out.extend(self.global_problems().get(doc.rel, []))
        return out

    def check_encoding_quirks(self, doc: _Doc, add: _Add) -> None:
        text = doc.text or ""
        front_end = len(text) - len(doc.artifact.body) if doc.artifact is not None else len(text)
        if text.startswith("\ufeff"):
            add("compat.bom", f"file starts with a byte-order mark; {SHELL} reports it as "
                "'Missing YAML frontmatter (file must start with ---)'", line=1, severity="warning")
        first_end = text.find("\n")
        if first_end > 0 and text[first_end - 1] == "\r":
            add("compat.crlf", f"Windows (CRLF) line endings; {SHELL} and promote.sh cannot read this "
                "file's frontmatter", line=1, severity="warning")
        if not _LINE_BREAKS.search(text, 0, front_end):
            return
        try:
            front, _body, _ = split_frontmatter(text)
        except FrontmatterError:
            return
        found = _LINE_BREAKS.search(front)
        if found:
            line = front.count("\n", 0, found.start()) + 2
            add("frontmatter.line_separator",
                f"frontmatter holds a raw U+{ord(found.group()):04X} line separator; YAML reads it as a line "
                "break, line-based tools do not, so fields can hide in it; write it escaped in double quotes",
                line=line, why_missed="it reads the line as one line")

    def report_unparsable(self, doc: _Doc, add: _Add) -> None:
        err = doc.error
        if err is None:  # pragma: no cover - load() always sets one of the two
            return
        if err.kind == "missing":
            add("frontmatter.missing", "Missing YAML frontmatter (file must start with ---)", line=1)
        elif err.kind == "unclosed":
            add("frontmatter.unclosed", "frontmatter is not closed by a '---' line; Company OS reports "
                "'Artifact has no content body (only frontmatter)'", line=1)
        elif err.kind in ("encoding", "unreadable"):
            add(f"file.{err.kind}", err.detail, why_missed="it reads bytes" if err.kind == "encoding" else None)
        elif err.kind == "not_mapping":
            add("frontmatter.not_mapping", err.detail, line=err.line,
                why_missed="it reads fields line by line without parsing YAML")
        else:
            add("frontmatter.yaml", str(err), line=err.line,
                why_missed="it reads fields line by line without parsing YAML")

    def check_fields(self, doc: _Doc, art: Artifact, add: _Add) -> None:
        meta = art.meta
        for key, lines in art.duplicate_keys.items():
            for line in lines:
                add("frontmatter.duplicate_key",
                    f"field '{show(key)}' appears more than once (first on line {art.line_of(key)}); YAML keeps "
                    "the last value, line-based tools read both", line=line,
                    why_missed=None if key in ("status", "type") else "it never looks for repeated fields")
        for name in REQUIRED_FIELDS:
            if name not in meta:
                add("frontmatter.missing_field", f"Missing required field: {name}")
        if "status" in meta and meta["status"] not in STATUSES:
            add("status.invalid", f"Invalid status: '{self.shell_text(art, 'status')}' "
                f"(must be one of: {', '.join(STATUSES)})", line=art.line_of("status"))
        if "type" in meta and meta["type"] not in TYPES:
            add("type.invalid", f"Invalid type: '{self.shell_text(art, 'type')}' (expected: {', '.join(TYPES)})",
                line=art.line_of("type"))
        if "id" in meta:
            self.check_id(doc, art, add)
        for name in ("title", "author", "created"):
            value = meta.get(name, "missing")
            if value is None or (isinstance(value, str) and not value.strip()):
                add("frontmatter.empty_field", f"{name} is empty", line=art.line_of(name), severity="warning")
        created = meta.get("created")
        if created is not None and not isinstance(created, dt.date) and not (
                isinstance(created, str) and (not created.strip() or _DATE.match(created))):
            add("frontmatter.created_format", f"created '{show(created)}' is not a YYYY-MM-DD date",
                line=art.line_of("created"), severity="warning")

    def check_id(self, doc: _Doc, art: Artifact, add: _Add) -> None:
        value = art.meta["id"]
        line = art.line_of("id")
        if value is None or (isinstance(value, str) and not value.strip()):
            add("id.invalid", "id is empty", line=line, why_missed="it only checks that the field is there")
            return
        if not isinstance(value, str):
            add("id.invalid", f"id {self.shell_text(art, 'id')} is read by YAML as {type(value).__name__} "
                f"{show(value)!r}, not text; write it in quotes", line=line, why_missed="it reads every field as text")
            return
        plain = bool(ID_PATTERN.match(value))
        if not plain and (value != value.strip() or any(
                ch in "/\\" or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") for ch in value)):
            add("id.invalid", f"id '{show(value)}' holds line breaks, control characters, slashes or surrounding "
                "spaces; it cannot be referenced or used in a file name", line=line,
                why_missed="it reads the id line as text")
            return
        if not plain:
            add("id.unusual", f"id '{show(value)}' is not a plain id (letters, digits, '-', '_', '.')",
                line=line, severity="warning")
        if doc.is_artifact_file:
            stem = doc.rel.rpartition("/")[2].removesuffix(".md")
            if stem != value and not stem.startswith(value + "-"):
                add("id.filename_mismatch", f"id '{show(value)}' does not match the file name '{show(stem)}.md' "
                    f"(expected '{show(value)}.md' or '{show(value)}-<slug>.md')", line=line, severity="warning")

    def check_references(self, doc: _Doc, art: Artifact, add: _Add) -> None:
        this_id = art.id
        for name in _REF_ORDER:
            if name not in art.meta:
                continue
            value = art.meta[name]
            line = art.line_of(name)
            if name == "parent" and isinstance(value, list | dict):
                add("reference.invalid", f"parent must be one id or null, not a {type(value).__name__}", line=line)
                continue
            if isinstance(value, dict):
                add("reference.invalid", f"{name} must be a list of ids, not a mapping", line=line)
                continue
            for ref in reference_ids(value):
                targets = self.index.by_id.get(ref)
                if not targets:
                    add("reference.dangling", f"{name} '{show(ref)}' does not resolve to any artifact in artifacts/",
                        line=self.item_line(art, name, ref) or line,
                        why_missed=self.why_shell_misses_dangling(art, name, ref))
                    continue
                if not self.strict or this_id is None:
                    continue
                target = targets[0]
                if name == "parent" and this_id not in reference_ids(target.meta.get("children")):
                    add("reference.not_bidirectional", f"Bidirectional: parent '{show(ref)}' does not list "
                        f"'{show(this_id)}' in its children", line=line, severity="warning")
                elif name == "children" and reference_ids(target.meta.get("parent")) != [this_id]:
                    shown = self.shell_text(target, "parent") if "parent" in target.meta else ""
                    add("reference.not_bidirectional", f"Bidirectional: child '{show(ref)}' has parent '{shown}', "
                        f"expected '{show(this_id)}'", line=self.item_line(art, name, ref) or line,
                        severity="warning")

    def check_body(self, doc: _Doc, art: Artifact, add: _Add) -> None:
        if art.body.strip():
            return
        shell_sees_content = any(line != "" for line in art.body.split("\n"))
        add("body.empty", "Artifact has no content body (only frontmatter)", line=art.body_line,
            why_missed="it counts whitespace-only lines as content" if shell_sees_content else None)

    # what Company OS's shell tool sees ------------------------------------------------------------

    def lines_of(self, art: Artifact) -> list[str]:
        lines = self._lines.get(art.rel)
        if lines is None:
            lines = self._lines[art.rel] = art.text.split("\n")
        return lines

    def shell_raw(self, art: Artifact, key: str) -> str | None:
        """The value Company OS's sed reads for ``key`` (quotes dropped), or None if its grep finds no line."""
        line = art.line_of(key)
        if line is None:
            return None
        text = self.lines_of(art)[line - 1]
        if not text.startswith(f"{key}:"):
            return None
        return text[len(key) + 1:].lstrip(" ").replace('"', "").replace("'", "")

    def shell_text(self, art: Artifact, key: str) -> str:
        raw = self.shell_raw(art, key)
        return show(raw if raw is not None else art.meta.get(key))

    def item_line(self, art: Artifact, key: str, ref: str) -> int | None:
        """The line of ``- ref`` in a block-style list under ``key``."""
        start = art.line_of(key)
        if start is None:
            return None
        lines = self.lines_of(art)
        for number in range(start + 1, min(art.body_line - 1, len(lines) + 1)):
            text = lines[number - 1]
            if text and not text[0].isspace() and not text.startswith("-"):
                break
            item = text.strip().removeprefix("-").strip().strip("'\"")
            if item == ref:
                return number
        return None

    def why_shell_misses_dangling(self, art: Artifact, name: str, ref: str) -> str | None:
        raw = self.shell_raw(art, name)
        if raw is None:
            return f"it does not see the '{name}:' line as written"
        items = [raw.strip(" ")] if name == "parent" else [
            i.strip(" ") for i in raw.replace("[", "").replace("]", "").split(",") if i.strip(" ")]
        if ref not in items:
            if not raw.strip(" \r"):
                return "block-style list"
            return "it reads only the first line of the field"
        found = self.shell_resolves(ref)
        if found is None:
            return None
        where, line = found
        entry = self.by_rel.get(where)
        if line.removeprefix("id:").strip(" ") != ref:
            return f"its grep reads '{show(ref)}' as a pattern and matches '{show(line)}' in {show(where)}"
        if entry is not None and entry.artifact is None:
            return f"its grep finds '{show(line)}' in {show(where)}, whose frontmatter cannot be read"
        return f"its grep finds '{show(line)}' in {show(where)}, outside that file's frontmatter"

    def shell_resolves(self, ref: str) -> tuple[str, str] | None:
        """(file, line) where Company OS's ``grep -rl '^id: *REF *$' artifacts/`` would find ``ref``.

        REF is read as a basic regex there; ids rarely hold more than '.', which is all we mimic.
        """
        if self._shell_ids is None:
            exact: dict[str, tuple[str, str]] = {}
            every: list[tuple[str, str]] = []
            for entry in self.index.entries:
                text = entry.artifact.text if entry.artifact is not None else self.load(entry.rel).text
                for line in _lines_starting_with_id(text or ""):
                    match = _SHELL_ID_LINE.match(line)
                    if match:
                        exact.setdefault(match.group(1), (entry.rel, line))
                        every.append((entry.rel, line))
            self._shell_ids = (exact, every)
        exact, every = self._shell_ids
        if not _BRE_SPECIAL.search(ref):
            return exact.get(ref)
        pattern = re.compile("id: *" + re.escape(ref).replace(r"\.", ".") + " *$")
        return next((found for found in every if pattern.match(found[1])), None)

    # problems that need the whole workspace -------------------------------------------------------

    def global_problems(self) -> dict[str, list[Problem]]:
        if self._global is None:
            found: dict[str, list[Problem]] = {}
            for problem in (*self.duplicate_ids(), *self.cycles()):
                found.setdefault(problem.file, []).append(problem)
            self._global = found
        return self._global

    def duplicate_ids(self) -> Iterator[Problem]:
        for artifact_id, artifacts in self.index.by_id.items():
            if len(artifacts) < 2:
                continue
            for artifact in artifacts:
                others = ", ".join(show(a.rel) for a in artifacts if a is not artifact)
                yield Problem(file=artifact.rel, line=artifact.line_of("id"), rule="id.duplicate", severity="error",
                              message=f"id '{show(artifact_id)}' is also used by {others} "
                                      f"{missed('it resolves a reference to whichever file grep lists first')}",
                              missed_by_company_os=True)

    def cycles(self) -> Iterator[Problem]:
        graph = _dependency_graph(self.index)
        for component in _strongly_connected(graph):
            members = set(component)
            start = min(component)
            if len(component) == 1 and start not in graph.get(start, {}):
                continue
            cycle = _cycle_through(graph, start, members)
            on_cycle = set(cycle)
            for position, node in enumerate(cycle):
                rotated = cycle[position:] + cycle[:position]
                if len(rotated) <= 6:
                    path = " → ".join(show(n) for n in (*rotated, rotated[0]))
                    why = "; ".join(graph[a][b] for a, b in zip(rotated, (*rotated[1:], rotated[0]), strict=True))
                    path = f"{path} ({why})"
                else:
                    path = " → ".join(show(n) for n in rotated[:4]) + f" → … → {show(rotated[0])} " \
                        f"({len(rotated)} artifacts)"
                artifact = self.index.by_id[node][0]
                label = graph[node][rotated[1] if len(rotated) > 1 else node]
                key = label.split(" ")[1] if label.startswith(f"{node} ") else None
                yield Problem(
                    file=artifact.rel, line=artifact.line_of(key) if key else None, rule="reference.cycle",
                    severity="error", missed_by_company_os=True,
                    message=f"reference cycle {path}: none of them can be approved before the others "
                            f"{missed('it checks each reference one step at a time')}")
            for node in sorted(members - on_cycle):
                artifact = self.index.by_id[node][0]
                sample = ", ".join(show(n) for n in sorted(members)[:10])
                yield Problem(file=artifact.rel, rule="reference.cycle", severity="error", missed_by_company_os=True,
                              message=f"part of a reference cycle among {len(members)} artifacts ({sample}"
                                      f"{', …' if len(members) > 10 else ''}) "
                                      f"{missed('it checks each reference one step at a time')}")


def _summary(doc: _Doc, problems: list[Problem]) -> CheckedFile:
    meta = doc.artifact.meta if doc.artifact is not None else {}

    def text(key: str) -> str | None:
        value = meta.get(key)
        return value if isinstance(value, str) else None

    return CheckedFile(file=doc.rel, id=text("id"), type=text("type"), status=text("status"),
                       valid=not any(p.severity == "error" for p in problems))


_Add = Callable[..., None]


def _lines_starting_with_id(text: str) -> Iterator[str]:
    """Lines beginning ``id:`` (found with str.find: a regex over every whole file is ten times slower)."""
    found = text.find("\nid:")
    start = 0 if text.startswith("id:") else (found + 1 if found >= 0 else -1)
    while start >= 0:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        found = text.find("\nid:", end)
        start = found + 1 if found >= 0 else -1


def _folder_of(prefix: str) -> str:
    return prefix.rstrip("/") if prefix.endswith("/") else prefix.rpartition("/")[0]


def looks_like_id(given: str) -> bool:
    """Whether an argument names an artifact by id rather than by path (no '/', no '.md')."""
    return "/" not in given and not given.endswith(".md") and bool(given) and "\\" not in given \
        and given not in (".", "..")


def _dependency_graph(index: ArtifactIndex) -> dict[str, dict[str, str]]:
    """Edges "A needs B first" (A→B) from parent, depends_on, children and blocks, labelled as written."""
    graph: dict[str, dict[str, str]] = {}

    def edge(source: str, target: str, label: str) -> None:
        if index.exists(source) and index.exists(target):
            graph.setdefault(source, {}).setdefault(target, label)
            graph.setdefault(target, {})

    for artifact_id, artifacts in index.by_id.items():
        meta = artifacts[0].meta
        parent = meta.get("parent")
        if isinstance(parent, str):
            edge(artifact_id, parent, f"{artifact_id} parent {parent}")
        for name in ("depends_on", "children", "blocks"):
            value = meta.get(name)
            if isinstance(value, dict):
                continue
            for ref in reference_ids(value):
                if name == "depends_on":
                    edge(artifact_id, ref, f"{artifact_id} depends_on {ref}")
                else:
                    edge(ref, artifact_id, f"{artifact_id} {name} {ref}")
    return graph


def _strongly_connected(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Tarjan's algorithm without recursion (a chain of 10,000 references must not overflow the stack)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in order:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        order[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in order:
                    order[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], order[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == order[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    components.append(sorted(component))
    return components


def _cycle_through(graph: dict[str, dict[str, str]], start: str, members: set[str]) -> list[str]:
    """A shortest cycle from ``start`` back to itself inside one strongly connected component."""
    if start in graph[start]:
        return [start]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for child in sorted(graph[node]):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return path[::-1]
                if child in members and child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    return [start]  # pragma: no cover - a component always has a cycle through each member


def problem_lines(problems: Iterable[Problem]) -> Iterator[str]:
    """Problems as ``file:line: severity [rule] message`` lines (file names shown escaped)."""
    for p in problems:
        where = f"{show(p.file, limit=300)}:{p.line}" if p.line else show(p.file, limit=300)
        yield f"{where}: {p.severity} [{p.rule}] {p.message}"

