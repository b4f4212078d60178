"""promote(): Company OS's lifecycle, gates, one-line rewrite and audit log; locks against concurrent promotions."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
from pathlib import Path

import pytest

from incident_mcp.artifacts import Artifact
from incident_mcp.errors import ArtifactNotFoundError, PromotionError
from incident_mcp.promotion import Gate, PromotionRefused, PromotionResult, promote
from incident_mcp.validation.composition import GATES
from incident_mcp.workspace import Workspace
from tests.support.artifact_repo import Repo, artifact

NOW = dt.datetime(2026, 3, 1, 12, 30, 45, tzinfo=dt.UTC)
LOG = "artifacts/.audit-log/promotions.log"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "ws")


def _promote(repo: Repo, target: str, status: str) -> object:
    return promote(Workspace.at(repo.root), target, status, now=NOW)


def _log(repo: Repo) -> str:
    path = repo.root / LOG
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.split("\n"), after.split("\n")
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_one_step_rewrites_only_the_status_line_and_logs_company_os_line(repo: Repo) -> None:
    rel = repo.rfc("RFC-001", body="# Body\n\nstatus: draft (a line in the body that must stay)\n")
    before = (repo.root / rel).read_text(encoding="utf-8")
    result = promote(Workspace.at(repo.root), "RFC-001", "review", now=NOW)
    after = (repo.root / rel).read_text(encoding="utf-8")
    assert _changed_lines(before, after) == [("status: draft", "status: review")]
    assert _log(repo) == f"[2026-03-01T12:30:45Z] {rel}: draft → review\n"
    assert (result.changed, result.from_status, result.to_status, result.file) == (True, "draft", "review", rel)
    assert result.log_line == f"[2026-03-01T12:30:45Z] {rel}: draft → review"


def test_the_log_line_uses_utc_and_appends_after_existing_lines(repo: Repo) -> None:
    repo.rfc("RFC-001")
    repo.write(LOG, "[2026-01-01T00:00:00Z] artifacts/prds/PRD-001.md: draft → review")  # no final newline
    later = dt.datetime(2026, 3, 1, 14, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    promote(Workspace.at(repo.root), "RFC-001", "review", now=later)
    lines = _log(repo).splitlines()
    assert lines[1] == "[2026-03-01T12:00:00Z] artifacts/rfcs/RFC-001-x.md: draft → review"
    assert _log(repo).endswith("\n")


def test_a_promotion_without_now_stamps_the_current_utc_time(repo: Repo) -> None:
    repo.rfc("RFC-001")
    promote(Workspace.at(repo.root), "RFC-001", "review")
    stamp = r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\]"
    assert re.fullmatch(stamp + r" artifacts/rfcs/RFC-001-x\.md: draft → review\n", _log(repo))


def test_the_path_works_as_well_as_the_id(repo: Repo) -> None:
    rel = repo.rfc("RFC-001")
    assert promote(Workspace.at(repo.root), rel, "review", now=NOW).changed


def test_skipping_a_step_is_refused_naming_the_expected_status(repo: Repo) -> None:
    rel = repo.rfc("RFC-001")
    before = (repo.root / rel).read_bytes()
    with pytest.raises(PromotionRefused, match=r"Cannot promote from 'draft' to 'approved' .*expected next status: "
                                               r"'review'"):
        _promote(repo, "RFC-001", "approved")
    assert (repo.root / rel).read_bytes() == before and _log(repo) == ""


@pytest.mark.parametrize("status", ["draft", "review", "approved"])
def test_archiving_is_allowed_from_any_status(repo: Repo, status: str) -> None:
    repo.rfc("RFC-001", status=status)
    assert _promote(repo, "RFC-001", "archived").changed  # type: ignore[attr-defined]


@pytest.mark.parametrize(("current", "target"), [("archived", "draft"), ("approved", "review"), ("review", "draft")])
def test_going_backwards_is_refused(repo: Repo, current: str, target: str) -> None:
    repo.rfc("RFC-001", status=current)
    with pytest.raises(PromotionRefused, match="Cannot promote"):
        _promote(repo, "RFC-001", target)


def test_promoting_to_the_current_status_is_a_warning_that_writes_nothing(repo: Repo) -> None:
    rel = repo.rfc("RFC-001", status="review")
    before = (repo.root / rel).read_bytes()
    result = promote(Workspace.at(repo.root), "RFC-001", "review", now=NOW)
    assert not result.changed
    assert result.warnings == ["Artifact is already in status 'review'"]
    assert (repo.root / rel).read_bytes() == before and _log(repo) == ""


def test_an_unknown_status_is_refused_with_the_accepted_ones(repo: Repo) -> None:
    repo.rfc("RFC-001")
    with pytest.raises(PromotionError, match="Invalid status: 'done' \\(must be: draft, review, approved, archived\\)"):
        _promote(repo, "RFC-001", "done")


def test_an_invalid_artifact_is_refused_with_every_validation_error(repo: Repo) -> None:
    rel = repo.rfc("RFC-001", depends_on="[RFC-404, RFC-405]")
    before = (repo.root / rel).read_bytes()
    with pytest.raises(PromotionRefused) as refused:
        _promote(repo, "RFC-001", "review")
    assert refused.value.reasons == [
        "validation failed: depends_on 'RFC-404' does not resolve to any artifact in artifacts/ (line 10)",
        "depends_on 'RFC-405' does not resolve to any artifact in artifacts/ (line 10)"]
    assert (repo.root / rel).read_bytes() == before and _log(repo) == ""


def test_approval_needs_an_approved_parent_and_approved_dependencies(repo: Repo) -> None:
    repo.write("artifacts/prds/PRD-001-x.md", artifact(id="PRD-001", type="prd", status="review",
                                                       children="[RFC-002]"))
    repo.rfc("RFC-001", status="draft")
    repo.rfc("RFC-002", status="review", parent="PRD-001", depends_on="[RFC-001]")
    with pytest.raises(PromotionRefused) as refused:
        _promote(repo, "RFC-002", "approved")
    assert refused.value.reasons == [
        "Cannot approve — parent 'PRD-001' is still 'review' (must be 'approved')",
        "Cannot approve — dependency 'RFC-001' is still 'draft' (must be 'approved')"]
    _promote(repo, "PRD-001", "approved")
    _promote(repo, "RFC-001", "review")
    _promote(repo, "RFC-001", "approved")
    result = promote(Workspace.at(repo.root), "RFC-002", "approved", now=NOW)
    assert result.checks == ["Parent 'PRD-001': approved", "Dependency 'RFC-001': approved"]
    assert len(_log(repo).splitlines()) == 4


def test_a_block_style_dependency_list_is_gated_too(repo: Repo) -> None:
    repo.rfc("RFC-001", status="review")
    rel = repo.rfc("RFC-002", status="review", depends_on="")
    text = (repo.root / rel).read_text(encoding="utf-8").replace("depends_on: \n", "depends_on:\n  - RFC-001\n")
    repo.write(rel, text)
    with pytest.raises(PromotionRefused, match="dependency 'RFC-001' is still 'review'"):
        _promote(repo, "RFC-002", "approved")


def test_a_duplicated_id_asks_for_the_path(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-a.md", artifact())
    repo.write("artifacts/rfcs/RFC-001-b.md", artifact())
    with pytest.raises(PromotionRefused, match="used by 2 files"):
        _promote(repo, "RFC-001", "review")


def test_an_unknown_id_or_file_is_not_found(repo: Repo) -> None:
    with pytest.raises(ArtifactNotFoundError):
        _promote(repo, "RFC-404", "review")
    with pytest.raises(ArtifactNotFoundError):
        _promote(repo, "artifacts/rfcs/nope.md", "review")


def test_crlf_line_endings_are_kept_and_only_the_status_line_changes(repo: Repo) -> None:
    rel = repo.write("artifacts/rfcs/RFC-001-x.md", artifact().replace("\n", "\r\n"))
    _promote(repo, "RFC-001", "review")
    after = (repo.root / rel).read_bytes()
    assert after == artifact(status="review").replace("\n", "\r\n").encode("utf-8")


def test_a_title_spanning_lines_that_mentions_status_is_left_alone(repo: Repo) -> None:
    rel = repo.rfc("RFC-001", title='"Why\nstatus: approved is wrong"')
    _promote(repo, "RFC-001", "review")
    text = (repo.root / rel).read_text(encoding="utf-8")
    assert 'title: "Why\nstatus: approved is wrong"' in text and "\nstatus: review\n" in text


def test_when_the_audit_log_cannot_be_written_the_status_is_restored(repo: Repo) -> None:
    rel = repo.rfc("RFC-001")
    before = (repo.root / rel).read_bytes()
    repo.write("artifacts/.audit-log", "this is a file, not a folder")
    with pytest.raises(OSError):
        _promote(repo, "RFC-001", "review")
    assert (repo.root / rel).read_bytes() == before


# --- extra gates ---------------------------------------------------------------------------------


def _promote_with(repo: Repo, target: str, status: str, gate: Gate) -> PromotionResult:
    return promote(Workspace.at(repo.root), target, status, now=NOW, gates=(*GATES, gate))


def _postmortem_gate(art: Artifact, to_status: str) -> list[str]:
    if to_status == "review" and art.meta.get("postmortem") != "complete":
        return ["post-mortem is not complete"]
    return []


def test_a_gate_passed_in_refuses_with_its_reasons(repo: Repo) -> None:
    gate = Gate("test.postmortem", _postmortem_gate)
    repo.rfc("RFC-001")
    with pytest.raises(PromotionRefused) as refused:
        _promote_with(repo, "RFC-001", "review", gate)
    assert refused.value.reasons == ["post-mortem is not complete"]
    repo.rfc("RFC-002", extra="postmortem: complete\n")
    assert _promote_with(repo, "RFC-002", "review", gate).changed


def test_a_gate_that_crashes_refuses_rather_than_lets_the_promotion_through(repo: Repo) -> None:
    def broken(art: Artifact, to_status: str) -> list[str]:
        raise KeyError("severity")

    repo.rfc("RFC-001")
    with pytest.raises(PromotionRefused, match=r"gate test\.broken failed: KeyError"):
        _promote_with(repo, "RFC-001", "review", Gate("test.broken", broken))
    assert _promote(repo, "RFC-001", "review").changed  # type: ignore[attr-defined]


def test_the_composed_gates_include_the_incident_review_gate() -> None:
    assert [gate.name for gate in GATES] == ["incidents.review_gate"]


# --- concurrency ---------------------------------------------------------------------------------


def _promote_in_child(root: str, target: str, status: str) -> str:
    try:
        result = promote(Workspace.at(root), target, status)
    except PromotionRefused as err:
        return f"refused: {err.reasons[0]}"
    return "changed" if result.changed else "unchanged"


def test_concurrent_promotions_never_skip_a_step_or_double_log(repo: Repo) -> None:
    repo.rfc("RFC-001")
    jobs = [("RFC-001", "review")] * 4 + [("RFC-001", "approved")] * 4
    context = multiprocessing.get_context("fork")
    with context.Pool(4) as pool:
        outcomes = pool.starmap(_promote_in_child, [(str(repo.root), t, s) for t, s in jobs])
    log = [line.split(": ", 1)[1] for line in _log(repo).splitlines()]
    # Each status change is logged once, and every logged change starts where the previous ended.
    assert log in (["draft → review"], ["draft → review", "review → approved"])
    assert outcomes.count("changed") == len(log)
    status = re.search(r"^status: (\w+)$", (repo.root / "artifacts/rfcs/RFC-001-x.md").read_text(encoding="utf-8"),
                       re.MULTILINE)
    assert status is not None and status.group(1) == log[-1].split(" → ")[1]
