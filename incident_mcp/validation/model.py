"""What a validation run reports: problems, checked files, the report, and how values are shown."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from incident_mcp.terminal_text import show as show  # messages show values the way validation always has

Severity = Literal["error", "warning"]
SHELL = "Company OS validate.sh"


def missed(reason: str) -> str:
    """The suffix for a message about a defect that Company OS's shell tool does not report."""
    return f"({SHELL} misses this: {reason})"


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


class ProblemCollector:
    """The problems found on one file, added through one typed method."""

    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.problems: list[Problem] = []

    def add(self, rule: str, message: str, *, line: int | None = None, severity: Severity = "error",
            why_missed: str | None = None) -> None:
        """Record a problem; ``why_missed`` says why Company OS's shell tool would not report it."""
        if why_missed:
            message = f"{message} {missed(why_missed)}"
        self.problems.append(Problem(file=self.rel, line=line, rule=rule, severity=severity, message=message,
                                     missed_by_company_os=why_missed is not None))


def problem_lines(problems: Iterable[Problem]) -> Iterator[str]:
    """Problems as ``file:line: severity [rule] message`` lines (file names shown escaped)."""
    for p in problems:
        where = f"{show(p.file, limit=300)}:{p.line}" if p.line else show(p.file, limit=300)
        yield f"{where}: {p.severity} [{p.rule}] {p.message}"
