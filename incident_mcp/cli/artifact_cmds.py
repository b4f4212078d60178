"""``incident-mcp validate`` and ``incident-mcp promote``: Company OS's artifact tools, same output.

With file arguments, ``validate`` prints exactly what Company OS's ``validate.sh`` prints for each
(``✅ VALID:`` / ``❌ INVALID:`` with ``- reason`` lines, ``⚠️  WARNINGS:``) and exits 0 or 1; with
none it checks the whole workspace and prints one line per problem.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from incident_mcp.cli.common import add_workspace_option, error, paint, print_json, workspace_from
from incident_mcp.errors import ArtifactNotFoundError, PathEscapeError, PromotionError
from incident_mcp.promotion import promote
from incident_mcp.validation import CheckedFile, Problem, ValidationReport, problem_lines, show, validate_workspace
from incident_mcp.workspace import Workspace


def add_commands(sub: Any) -> None:
    """Register ``validate`` and ``promote``."""
    parser = sub.add_parser(
        "validate", help="check artifacts (Company OS's validate.sh rules, plus what it misses)",
        description="Check artifact frontmatter, references, bodies, duplicate ids and reference cycles. "
                    "With PATHs, print Company OS's validate.sh output for each; without, check the whole "
                    "workspace. Exit 0 when there are no errors, 1 otherwise.")
    add_workspace_option(parser)
    parser.add_argument("--strict", action="store_true",
                        help="also warn when parent and children do not name each other")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="artifact files, folders or ids (default: the whole workspace)")
    parser.set_defaults(func=_validate)

    parser = sub.add_parser(
        "promote", help="move an artifact one lifecycle step (draft → review → approved → archived)",
        description="Promote an artifact like Company OS's promote.sh: one step at a time, archived from any "
                    "status, validation first, approved only with an approved parent and depends_on; rewrites "
                    "the status: line and appends to artifacts/.audit-log/promotions.log. Exit 1 when refused.")
    add_workspace_option(parser)
    parser.add_argument("artifact", metavar="ARTIFACT", help="artifact id (RFC-001) or file path")
    parser.add_argument("status", metavar="STATUS", help="draft, review, approved or archived")
    parser.set_defaults(func=_promote)


def workspace_rel(ws: Workspace, given: str) -> str:
    """A command-line path (relative to the cwd, or absolute) as a workspace-relative path; ids pass through."""
    if not given:
        raise PathEscapeError("empty path")
    if "\x00" in given:
        raise PathEscapeError("path contains a NUL byte")
    candidate = Path(given)
    if not _is_path_like(given):
        return given  # an artifact id
    absolute = Path(os.path.normpath(candidate if candidate.is_absolute() else Path.cwd() / candidate))
    full = absolute.parent.resolve() / absolute.name if absolute.name else absolute.resolve()
    try:
        rel = full.relative_to(ws.root).as_posix()
    except ValueError:
        raise PathEscapeError(f"{given} is outside the workspace {ws.root}") from None
    return rel or "."


def _validate(args: argparse.Namespace) -> int:
    ws = workspace_from(args)
    if not args.paths:
        report = validate_workspace(ws, None, strict=args.strict)
        if args.format == "json":
            print_json(report)
        else:
            _print_workspace(report)
        return 0 if report.ok else 1
    shown: dict[str, str] = {}
    rels: list[str] = []
    try:
        for given in args.paths:
            rel = workspace_rel(ws, given)
            if rel == ".":
                rel = "artifacts"
            if _is_path_like(given) and not ws.path(rel).exists():
                print(f"ERROR: File not found: {given}")
                return 1
            rels.append(rel)
            shown.setdefault(rel, given)
        report = validate_workspace(ws, rels, strict=args.strict)
    except (ArtifactNotFoundError, PathEscapeError) as err:
        print(f"ERROR: {err}")
        return 1
    if args.format == "json":
        print_json(report)
    else:
        for checked in report.files:
            _print_company_os(shown.get(checked.file, checked.file), checked, report.for_file(checked.file))
    return 0 if report.ok else 1


def _is_path_like(given: str) -> bool:
    return "/" in given or given.endswith(".md") or Path(given).exists()


def _print_company_os(display: str, checked: CheckedFile, problems: list[Problem]) -> None:
    """One file's result exactly as Company OS's validate.sh prints it."""
    warnings = [p for p in problems if p.severity == "warning"]
    errors = [p for p in problems if p.severity == "error"]
    if warnings:
        print(paint(f"⚠️  WARNINGS: {display}", "yellow"))
        for problem in warnings:
            print(f"    - {problem.message}")
    if not errors:
        print(paint(f"✅ VALID: {display}", "green"))
        if checked.type:
            print(f"  Type: {show(checked.type)}")
        if checked.status:
            print(f"  Status: {show(checked.status)}")
        return
    print(paint(f"❌ INVALID: {display}", "red"))
    print("  Errors:")
    for problem in errors:
        print(f"    - {problem.message}")


def _print_workspace(report: ValidationReport) -> None:
    for line, problem in zip(problem_lines(report.problems), report.problems, strict=True):
        print(paint(line, "red" if problem.severity == "error" else "yellow"))
    counts = (f"{report.files_checked} files, {report.errors} error{'s' * (report.errors != 1)}, "
              f"{report.warnings} warning{'s' * (report.warnings != 1)}")
    print(paint(f"✅ VALID: {counts}", "green") if report.ok else paint(f"❌ INVALID: {counts}", "red"))


def _promote(args: argparse.Namespace) -> int:
    ws = workspace_from(args)
    try:
        result = promote(ws, workspace_rel(ws, args.artifact), args.status)
    except PromotionError as err:
        error(str(err))
        return 1
    if not result.changed:
        for warning in result.warnings:
            print(paint(f"WARNING: {warning}", "yellow"))
        return 0
    for check in result.checks:
        print(f"  ✅ {check}")
    print(paint(f"✅ Promoted: {result.file}", "green"))
    print(f"  {result.from_status} → {result.to_status}")
    print(f"  Logged to: {result.log_file}")
    return 0
