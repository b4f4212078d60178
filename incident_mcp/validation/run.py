"""One validation run: choose the targets, load each file, apply the schema and the listed rules, report."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Sequence

from incident_mcp.artifacts import ArtifactIndex, split_frontmatter
from incident_mcp.validation.fields import FieldRules, check_body, check_encoding_quirks, report_unparsable
from incident_mcp.validation.graph import whole_workspace_problems
from incident_mcp.validation.loading import Doc, load_doc
from incident_mcp.validation.model import CheckedFile, Problem, ProblemCollector, ValidationReport
from incident_mcp.validation.rules import Rule, RuleInput
from incident_mcp.validation.shell_view import ShellView
from incident_mcp.validation.targets import resolve, whole_workspace
from incident_mcp.workspace import Workspace


def run_validation(ws: Workspace, paths: Sequence[str] | None, strict: bool, index: ArtifactIndex,
                   rules: Sequence[Rule]) -> ValidationReport:
    """Validate ``paths`` (or the whole workspace when None) with the garbage collector paused."""
    with _gc_paused():
        run = _Run(ws, index, strict, rules)
        explicit = paths is not None
        targets = resolve(ws, index, paths) if paths is not None else whole_workspace(ws, index, rules)
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


class _Run:
    """The state shared by the files of one run: the index by path, the shell view, whole-workspace problems."""

    def __init__(self, ws: Workspace, index: ArtifactIndex, strict: bool, rules: Sequence[Rule]) -> None:
        self.ws = ws
        self.index = index
        self.strict = strict
        self.rules = tuple(rules)
        self.by_rel = {entry.rel: entry for entry in index.entries}
        self.fields = FieldRules(index, strict, ShellView(ws, index, self.by_rel))
        self._global: dict[str, list[Problem]] | None = None

    def check(self, rel: str) -> tuple[Doc, list[Problem]]:
        doc = load_doc(self.ws, self.by_rel, rel)
        problems: list[Problem] = []
        has_frontmatter = doc.artifact is not None or (doc.error is not None and doc.error.kind != "missing")
        if doc.is_artifact_file or has_frontmatter:
            problems.extend(self.check_artifact(doc))
        for rule in self.rules:
            if rule.applies(rel):
                problems.extend(rule.run(RuleInput(self.ws, self.index, doc.rel, doc.text, doc.artifact,
                                                   self.strict)))
        return doc, problems

    def check_artifact(self, doc: Doc) -> list[Problem]:
        out = ProblemCollector(doc.rel)
        if doc.text is not None:
            check_encoding_quirks(doc, out)
        art = doc.artifact
        if art is None:
            if doc.error is not None:  # load_doc always sets one of the two
                report_unparsable(doc.error, out)
            return out.problems
        if not art.meta and not split_frontmatter(art.text)[0].strip():
            out.add("frontmatter.empty", "Empty or malformed YAML frontmatter", line=2)
            check_body(art, out)
            return out.problems
        self.fields.check_fields(doc, art, out)
        self.fields.check_references(art, out)
        check_body(art, out)
        if self._global is None:
            self._global = whole_workspace_problems(self.index)
        return [*out.problems, *self._global.get(doc.rel, [])]


def _summary(doc: Doc, problems: list[Problem]) -> CheckedFile:
    meta = doc.artifact.meta if doc.artifact is not None else {}

    def text(key: str) -> str | None:
        value = meta.get(key)
        return value if isinstance(value, str) else None

    return CheckedFile(file=doc.rel, id=text("id"), type=text("type"), status=text("status"),
                       valid=not any(p.severity == "error" for p in problems))
