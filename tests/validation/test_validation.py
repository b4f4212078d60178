"""validate_workspace: Company OS's rules with its messages, the defects its shell tool misses, the extension point."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_mcp.errors import ArtifactNotFoundError, PathEscapeError
from incident_mcp.validation import Problem, Rule, RuleInput, validate_workspace
from incident_mcp.validation.composition import RULES
from incident_mcp.workspace import Workspace
from tests.support.artifact_repo import Repo, artifact


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "ws")


# --- agreement with Company OS on its own examples ------------------------------------------------


def test_company_os_example_artifacts_have_no_problems_even_in_strict_mode(company_os_ws: Path) -> None:
    report = validate_workspace(Workspace.at(company_os_ws), strict=True)
    assert report.files_checked == 4
    assert report.problems == []


def test_the_bundled_example_company_has_no_problems(example_ws: Path) -> None:
    assert validate_workspace(Workspace.at(example_ws), strict=True).problems == []


# --- every Company OS rule, with Company OS's message ---------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("# No frontmatter\n", "Missing YAML frontmatter (file must start with ---)"),
    ("---\n---\nbody\n", "Empty or malformed YAML frontmatter"),
    (artifact(drop=("id",)), "Missing required field: id"),
    (artifact(drop=("type",)), "Missing required field: type"),
    (artifact(drop=("title",)), "Missing required field: title"),
    (artifact(drop=("status",)), "Missing required field: status"),
    (artifact(drop=("created",)), "Missing required field: created"),
    (artifact(drop=("author",)), "Missing required field: author"),
    (artifact(status="final"), "Invalid status: 'final' (must be one of: draft, review, approved, archived)"),
    (artifact(status='"final"'), "Invalid status: 'final' (must be one of: draft, review, approved, archived)"),
    (artifact(type="memo"), "Invalid type: 'memo' (expected: prd, rfc, test-plan, qa-report, launch-brief, "
                            "security-review, decision-memo, test-data, icp, market-intelligence, research, "
                            "sprint-plan, feedback-report, experiment)"),
    (artifact(parent="PRD-404"), "parent 'PRD-404' does not resolve to any artifact in artifacts/"),
    (artifact(depends_on="[RFC-404]"), "depends_on 'RFC-404' does not resolve to any artifact in artifacts/"),
    (artifact(children="[RFC-404]"), "children 'RFC-404' does not resolve to any artifact in artifacts/"),
    (artifact(blocks="[RFC-404]"), "blocks 'RFC-404' does not resolve to any artifact in artifacts/"),
    (artifact(body=""), "Artifact has no content body (only frontmatter)"),
    (artifact(body="\n\n"), "Artifact has no content body (only frontmatter)"),
])
def test_each_company_os_rule_reports_company_os_message(repo: Repo, text: str, message: str) -> None:
    rel = repo.write("artifacts/rfcs/RFC-001-x.md", text)
    problems = repo.validate()
    assert message in [p.message for p in problems if p.severity == "error"]
    assert all(p.file == rel for p in problems)


def test_every_kind_of_problem_is_an_error_only_in_the_file_that_has_it(repo: Repo) -> None:
    repo.rfc("RFC-001")
    bad = repo.rfc("RFC-002", depends_on="[RFC-001, RFC-404]")
    problems = repo.validate()
    assert [(p.file, p.rule, p.line) for p in problems] == [(bad, "reference.dangling", 10)]


def test_strict_mode_adds_company_os_bidirectional_warnings_and_nothing_else(repo: Repo) -> None:
    repo.write("artifacts/prds/PRD-001-x.md", artifact(id="PRD-001", type="prd", children="[RFC-009]"))
    repo.rfc("RFC-001", parent="PRD-001")
    repo.rfc("RFC-009", parent="null")
    assert repo.validate() == []
    warnings = repo.validate(strict=True)
    assert {p.message for p in warnings} == {
        "Bidirectional: parent 'PRD-001' does not list 'RFC-001' in its children",
        "Bidirectional: child 'RFC-009' has parent 'null', expected 'PRD-001'",
    }
    assert {p.severity for p in warnings} == {"warning"}
    assert {p.rule for p in warnings} == {"reference.not_bidirectional"}


def test_a_reference_to_an_existing_artifact_resolves_whatever_folder_it_is_in(repo: Repo) -> None:
    repo.write("artifacts/research/deep/R-1.md", artifact(id="R-1", type="research"))
    repo.rfc("RFC-001", depends_on="[R-1]")
    repo.rfc("RFC-002", blocks="[R-1]")
    assert repo.validate() == []


# --- defects Company OS's shell tool misses: reported, and the message says so ---------------------


def test_a_dangling_reference_in_a_block_style_list_is_an_error_that_says_the_shell_misses_it(repo: Repo) -> None:
    repo.rfc("RFC-001")
    rel = repo.rfc("RFC-002", depends_on="", extra="")
    text = (repo.root / rel).read_text(encoding="utf-8").replace("depends_on: \n", "depends_on:\n  - RFC-001\n"
                                                                  "  - RFC-404\n")
    repo.write(rel, text)
    [problem] = repo.validate()
    assert problem.rule == "reference.dangling"
    assert problem.line == 12  # the line of "- RFC-404", not of "depends_on:"
    assert problem.message == ("depends_on 'RFC-404' does not resolve to any artifact in artifacts/ "
                               "(Company OS validate.sh misses this: block-style list)")
    assert problem.missed_by_company_os


def test_a_dangling_reference_the_shell_would_resolve_from_a_body_line_says_so(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", artifact(body="# Example\n\n```yaml\nid: RFC-777\n```\n"))
    repo.rfc("RFC-002", depends_on="[RFC-777]")
    [problem] = repo.validate()
    assert ("misses this: its grep finds 'id: RFC-777' in artifacts/rfcs/RFC-001-x.md, outside that file's "
            "frontmatter") in problem.message


def test_a_dangling_reference_the_shell_matches_as_a_pattern_says_so(repo: Repo) -> None:
    repo.rfc("RFC-001")
    repo.rfc("RFC-002", depends_on="[RFC.001]")
    [problem] = repo.validate()
    assert "its grep reads 'RFC.001' as a pattern and matches 'id: RFC-001'" in problem.message


def test_a_reference_to_a_file_whose_frontmatter_is_broken_says_why_the_shell_disagrees(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", artifact(title="Broken: title"))
    repo.rfc("RFC-002", depends_on="[RFC-001]")
    dangling = [p for p in repo.validate() if p.rule == "reference.dangling"]
    assert len(dangling) == 1 and "whose frontmatter cannot be read" in dangling[0].message


def test_a_date_that_does_not_exist_names_its_field_and_line(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", artifact(created="2026-02-30"))
    [problem] = repo.validate()
    assert (problem.rule, problem.line) == ("frontmatter.yaml", 6)
    assert "the value of 'created' cannot be read" in problem.message and "misses this" in problem.message


def test_a_whitespace_only_body_is_empty_and_the_message_says_the_shell_counts_it(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", artifact(body="   \n\t\n"))
    [problem] = repo.validate()
    assert problem.rule == "body.empty"
    assert "misses this: it counts whitespace-only lines as content" in problem.message


def test_frontmatter_that_is_not_yaml_is_reported_with_its_line(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", artifact(title="Design: the: plan"))
    [problem] = repo.validate()
    assert (problem.rule, problem.line, problem.severity) == ("frontmatter.yaml", 4, "error")
    assert "not valid YAML" in problem.message and "misses this" in problem.message


def test_frontmatter_that_is_a_list_not_fields_is_reported(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", "---\n- id\n- type\n---\nbody\n")
    assert [p.rule for p in repo.validate()] == ["frontmatter.not_mapping"]


def test_unclosed_frontmatter_is_reported(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", "---\nid: RFC-001\ntype: rfc\n")
    assert [p.rule for p in repo.validate()] == ["frontmatter.unclosed"]


def test_duplicate_ids_across_files_are_errors_on_every_file_naming_the_others(repo: Repo) -> None:
    first = repo.write("artifacts/rfcs/RFC-001-a.md", artifact())
    second = repo.write("artifacts/prds/RFC-001-b.md", artifact())
    problems = [p for p in repo.validate() if p.rule == "id.duplicate"]
    assert {p.file for p in problems} == {first, second}
    assert all(p.line == 2 and p.severity == "error" and p.missed_by_company_os for p in problems)
    assert any(second in p.message for p in problems if p.file == first)


def test_an_id_that_does_not_match_the_file_name_is_a_warning(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-002-x.md", artifact())
    [problem] = repo.validate()
    assert (problem.rule, problem.severity) == ("id.filename_mismatch", "warning")
    assert "'RFC-001'" in problem.message and "RFC-002-x.md" in problem.message


@pytest.mark.parametrize(("fields", "chain"), [
    ({"RFC-001": {"depends_on": "[RFC-002]"}, "RFC-002": {"depends_on": "[RFC-001]"}},
     "RFC-001 → RFC-002 → RFC-001 (RFC-001 depends_on RFC-002; RFC-002 depends_on RFC-001)"),
    ({"RFC-001": {"depends_on": "[RFC-001]"}}, "RFC-001 → RFC-001 (RFC-001 depends_on RFC-001)"),
    ({"RFC-001": {"parent": "RFC-002"}, "RFC-002": {"blocks": "[RFC-003]"}, "RFC-003": {"children": "[RFC-002]"}},
     "RFC-002 → RFC-003 → RFC-002 (RFC-003 children RFC-002; RFC-002 blocks RFC-003)"),
    ({"RFC-001": {"parent": "RFC-002", "children": "[RFC-002]"}, "RFC-002": {}},
     "RFC-001 → RFC-002 → RFC-001 (RFC-001 parent RFC-002; RFC-001 children RFC-002)"),
])
def test_reference_cycles_are_errors_on_every_member_naming_the_cycle(
        repo: Repo, fields: dict[str, dict[str, str]], chain: str) -> None:
    for artifact_id, values in fields.items():
        repo.rfc(artifact_id, **values)
    cycles = [p for p in repo.validate() if p.rule == "reference.cycle"]
    assert cycles, "a cycle must be reported"
    assert all(p.severity == "error" and "misses this" in p.message for p in cycles)
    assert any(chain in p.message for p in cycles)


def test_a_cycle_reported_on_its_member_points_at_the_reference_that_closes_it(repo: Repo) -> None:
    repo.rfc("RFC-001", depends_on="[RFC-002]")
    repo.rfc("RFC-002", depends_on="[RFC-001]")
    lines = {p.file: p.line for p in repo.validate() if p.rule == "reference.cycle"}
    assert lines == {"artifacts/rfcs/RFC-001-x.md": 10, "artifacts/rfcs/RFC-002-x.md": 10}


def test_a_chain_of_thousands_of_dependencies_is_not_a_cycle_and_does_not_overflow(repo: Repo) -> None:
    for number in range(1200):
        depends = f"[C-{number + 1}]" if number < 1199 else "[]"
        repo.write(f"artifacts/rfcs/C-{number}.md", artifact(id=f"C-{number}", depends_on=depends))
    assert repo.validate() == []
    repo.write("artifacts/rfcs/C-1199.md", artifact(id="C-1199", depends_on="[C-0]"))
    cycles = [p for p in repo.validate() if p.rule == "reference.cycle"]
    assert len(cycles) == 1200
    assert "(1200 artifacts)" in cycles[0].message


def test_a_field_written_twice_is_an_error_on_the_repeat(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", artifact(extra="title: Second title\n"))
    [problem] = repo.validate()
    assert (problem.rule, problem.line) == ("frontmatter.duplicate_key", 12)
    assert "first on line 4" in problem.message and "misses this" in problem.message


def test_a_raw_unicode_line_separator_in_frontmatter_is_an_error(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", artifact(title='"ok\u2028still the title"'))
    problems = repo.validate()
    assert [p.rule for p in problems] == ["frontmatter.line_separator"]
    assert problems[0].line == 4 and "\u2028" not in problems[0].message


@pytest.mark.parametrize(("value", "fragment"), [
    ("001", "read by YAML as int"), ("2026-01-01", "read by YAML as date"), ('""', "id is empty"),
    ('"RFC 1\\nX"', "line breaks"),
])
def test_an_id_that_is_not_usable_text_is_an_error(repo: Repo, value: str, fragment: str) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", artifact(id=value))
    problems = [p for p in repo.validate() if p.rule == "id.invalid"]
    assert len(problems) == 1 and fragment in problems[0].message


def test_empty_title_author_or_created_are_warnings(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", artifact(title='""', author="", created="someday"))
    assert sorted((p.rule, p.severity) for p in repo.validate()) == [
        ("frontmatter.created_format", "warning"), ("frontmatter.empty_field", "warning"),
        ("frontmatter.empty_field", "warning")]


def test_crlf_files_validate_and_carry_a_warning_that_company_os_cannot_read_them(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", artifact().replace("\n", "\r\n"))
    problems = repo.validate()
    assert [(p.rule, p.severity) for p in problems] == [("compat.crlf", "warning")]


def test_a_byte_order_mark_is_a_warning(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", "\ufeff" + artifact())
    assert [(p.rule, p.severity) for p in repo.validate()] == [("compat.bom", "warning")]


def test_a_file_that_is_not_utf8_is_reported_not_raised(repo: Repo) -> None:
    (repo.root / "artifacts" / "rfcs" / "RFC-001-x.md").write_bytes(b"---\nid: \xff\xfe\n---\nbody\n")
    [problem] = repo.validate()
    assert problem.rule == "file.encoding"


def test_every_message_is_one_line(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-001-x.md", artifact(id='"A\\nB"', status='"x\\u2028y"', depends_on='["Q\\nR"]'))
    problems = repo.validate()
    assert problems
    assert all("\n" not in p.message and "\u2028" not in p.message for p in problems)


# --- choosing what to validate ---------------------------------------------------------------------


def test_paths_ids_and_folders_select_what_is_checked(repo: Repo) -> None:
    one = repo.rfc("RFC-001")
    two = repo.rfc("RFC-002", depends_on="[RFC-404]")
    repo.write("artifacts/prds/PRD-001-x.md", artifact(id="PRD-001", type="prd"))
    ws = Workspace.at(repo.root)
    assert [f.file for f in validate_workspace(ws, [one]).files] == [one]
    assert [f.file for f in validate_workspace(ws, ["RFC-002"]).files] == [two]
    report = validate_workspace(ws, ["artifacts/rfcs"])
    assert [f.file for f in report.files] == [one, two]
    assert [(f.id, f.type, f.status, f.valid) for f in report.files] == [
        ("RFC-001", "rfc", "draft", True), ("RFC-002", "rfc", "draft", False)]


def test_a_file_outside_artifacts_with_frontmatter_gets_the_same_rules(repo: Repo) -> None:
    rel = repo.write("standards/ops/incident-runbook.md", artifact(id="OPS-RUNBOOK", status="live"))
    problems = repo.validate([rel])
    assert [p.rule for p in problems] == ["status.invalid"]
    repo.write("standards/ops/notes.md", "# Just notes\n")
    assert repo.validate(["standards/ops/notes.md"]) == []


def test_an_unknown_id_or_missing_file_is_a_clear_error(repo: Repo) -> None:
    with pytest.raises(ArtifactNotFoundError, match="RFC-999"):
        repo.validate(["RFC-999"])
    with pytest.raises(ArtifactNotFoundError, match=r"nope\.md"):
        repo.validate(["artifacts/nope.md"])


def test_a_path_outside_the_workspace_is_a_clear_error(repo: Repo) -> None:
    with pytest.raises(PathEscapeError):
        repo.validate(["../elsewhere.md"])


# --- extension point --------------------------------------------------------------------------------


def _no_team_lead(doc: RuleInput) -> list[Problem]:
    line = doc.line_containing("team lead")
    return [doc.problem("runbook.team_language", "mentions a team lead", line=line, severity="warning")] \
        if line else []


def test_a_rule_passed_in_for_a_prefix_runs_on_its_files_in_whole_workspace_runs(repo: Repo) -> None:
    rules = (*RULES, Rule.for_files("standards/ops/", _no_team_lead, name="test.no_team_lead"))
    rel = repo.write("standards/ops/incident-runbook.md", "# Runbook\n\nEscalate to the team lead.\n")
    repo.write("standards/other/x.md", "Escalate to the team lead.\n")
    found = repo.validate(rules=rules)
    [problem] = [p for p in found if p.rule == "runbook.team_language"]  # the runbook's own rule fires too
    assert (problem.file, problem.line, problem.rule) == (rel, 3, "runbook.team_language")


def test_only_the_rules_passed_in_run(repo: Repo) -> None:
    always = Rule.for_files("artifacts/", lambda doc: [doc.problem("x.y", "always")], name="test.always")
    repo.rfc("RFC-001")
    assert [p.rule for p in repo.validate(rules=(*RULES, always))] == ["x.y"]
    assert repo.validate() == []


def test_a_predicate_rule_and_a_crashing_rule_are_both_handled(repo: Repo) -> None:
    def boom(doc: RuleInput) -> list[Problem]:
        raise RuntimeError("bad rule")

    repo.rfc("RFC-001")
    crashing = Rule.for_files(lambda rel: rel.endswith("-x.md"), boom, name="test.boom")
    [problem] = repo.validate(rules=(*RULES, crashing))
    assert problem.rule == "rule.failed" and "test.boom" in problem.message and "bad rule" in problem.message


def test_a_rule_prefix_that_leaves_the_workspace_is_refused() -> None:
    with pytest.raises(PathEscapeError):
        Rule.for_files("../", lambda doc: [])


def test_the_composition_lists_the_runbook_and_incident_record_rules_in_that_order() -> None:
    assert [rule.name for rule in RULES] == ["runbook.standards_ops", "incidents.record"]


def test_a_report_can_be_limited_keeping_errors_first(repo: Repo) -> None:
    repo.write("artifacts/rfcs/RFC-009-x.md", artifact(depends_on="[A-1, A-2, A-3]"))
    report = validate_workspace(Workspace.at(repo.root))
    limited = report.limited(2)
    assert [p.severity for p in limited.problems] == ["error", "error"]
    assert limited.problems_omitted == 2 and limited.errors == 3 and limited.warnings == 1
