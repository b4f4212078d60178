"""The extension point: a rule is a function over one file, run on the files its prefix or predicate selects.

Rules are plain values; the ones every run uses are listed in ``incident_mcp.validation.composition``.
Another module's rule (``fn(RuleInput) -> Iterable[Problem]``) is added there, or passed to
``validate_workspace(..., rules=...)``. A prefix outside ``artifacts/`` (e.g. ``"standards/ops/"``)
also adds that folder's ``*.md`` files to whole-workspace runs::

    def _no_team_lead(doc: RuleInput) -> list[Problem]:
        if doc.text and "team lead" in doc.text:
            return [doc.problem("runbook.team_language", "mentions a team lead; the reader is alone",
                                line=doc.line_containing("team lead"), severity="warning")]
        return []

    TEAM_LANGUAGE = Rule.for_files("standards/ops/", _no_team_lead, name="runbook.team_language")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from incident_mcp.artifacts import Artifact, ArtifactIndex
from incident_mcp.errors import PathEscapeError
from incident_mcp.validation.model import Problem, Severity
from incident_mcp.workspace import Workspace, check_relative


@dataclass
class RuleInput:
    """What a rule sees about one file."""

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
class Rule:
    """A named rule and the files it runs on: those under ``prefix``, or those ``predicate`` accepts."""

    name: str
    prefix: str | None
    predicate: Callable[[str], bool] | None
    fn: RuleFn

    @classmethod
    def for_files(cls, match: RuleMatch, fn: RuleFn, *, name: str | None = None) -> Rule:
        """A rule for files whose path starts with ``match`` (or for which ``match(rel)`` is true).

        Raises PathEscapeError for a prefix that is empty or leads outside the workspace.
        """
        key = name or f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
        if not isinstance(match, str):
            return cls(key, None, match, fn)
        if not match.strip("/"):
            raise PathEscapeError("a rule prefix is a workspace-relative path such as 'standards/ops/'; "
                                  "use a predicate to match every file")
        check_relative(match.rstrip("/"))
        return cls(key, match, None, fn)

    def applies(self, rel: str) -> bool:
        """Whether this rule runs on the file at ``rel``."""
        if self.prefix is not None:
            return rel.startswith(self.prefix)
        return bool(self.predicate and self.predicate(rel))

    def run(self, data: RuleInput) -> list[Problem]:
        """The rule's problems on one file; a rule that raises becomes one ``rule.failed`` problem."""
        try:
            return list(self.fn(data))
        except Exception as err:  # a broken rule must not stop the run
            return [Problem(file=data.rel, rule="rule.failed", severity="error",
                            message=f"rule {self.name} failed: {type(err).__name__}: {err}")]
