"""Artifact validation: every rule Company OS's ``validate.sh`` enforces, plus the defects it misses.

``validate_workspace`` reads the workspace once (``ArtifactIndex.build``) and never raises on a bad
artifact: each defect becomes a ``Problem`` with the file, the line where known, a stable rule id,
a severity and a one-line message. Where Company OS's shell tool would not notice a defect (it reads
frontmatter with grep and sed), the message says so. Wrong *arguments* (a path outside the
workspace, an unknown id) raise our errors instead.

The package: ``targets`` (what to check), ``loading`` (one file, never raising), ``fields`` (the
schema's per-file rules), ``shell_view`` (what the shell tool sees), ``graph`` (duplicate ids,
cycles), ``run`` (one run), ``rules`` (the extension point) and ``composition`` (the rules every
run uses, listed by name).
"""

from __future__ import annotations

from collections.abc import Sequence

from incident_mcp.artifacts import ArtifactIndex
from incident_mcp.validation.model import (
    SHELL,
    CheckedFile,
    Problem,
    ProblemCollector,
    Severity,
    ValidationReport,
    missed,
    problem_lines,
    show,
)
from incident_mcp.validation.rules import Rule, RuleFn, RuleInput, RuleMatch
from incident_mcp.validation.run import run_validation
from incident_mcp.validation.targets import MAX_PATHS, looks_like_id
from incident_mcp.workspace import Workspace

__all__ = [
    "MAX_PATHS", "SHELL", "CheckedFile", "Problem", "ProblemCollector", "Rule", "RuleFn", "RuleInput", "RuleMatch",
    "Severity", "ValidationReport", "looks_like_id", "missed", "problem_lines", "show",
    "validate_workspace",
]


def validate_workspace(ws: Workspace, paths: Sequence[str] | None = None, strict: bool = False, *,
                       index: ArtifactIndex | None = None, rules: Sequence[Rule] | None = None) -> ValidationReport:
    """Validate the whole workspace, or the given workspace-relative paths / artifact ids.

    A folder stands for the ``*.md`` files under it. ``rules`` defaults to ``composition.RULES``.
    Raises PathEscapeError for a path that leads outside the workspace and ArtifactNotFoundError for
    a missing file or unknown id; never raises because an artifact is bad.
    """
    if isinstance(paths, str):
        paths = [paths]
    if rules is None:
        from incident_mcp.validation.composition import RULES  # the rules import this package

        rules = RULES
    return run_validation(ws, paths, strict, index or ArtifactIndex.build(ws), rules)
