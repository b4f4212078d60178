"""What the runbook learns from RFCs: dependencies, failure domains and modes, alerts and each RFC's own rollback."""

from __future__ import annotations

import shutil
from pathlib import Path

from incident_mcp.artifacts import parse_artifact
from incident_mcp.rfcs import MAX_ITEM_CHARS, MAX_ITEMS, load_rfcs, summarize_rfc
from incident_mcp.workspace import Workspace
from tests.support.checkout import FIXTURES


def rfc(body: str, *, rfc_id: str = "RFC-001", status: str = "approved", extra: str = "") -> str:
    return (f"---\nid: {rfc_id}\ntype: rfc\ntitle: \"Test {rfc_id}\"\nstatus: {status}\ncreated: 2026-01-01\n"
            f"author: me\n{extra}---\n{body}")


def write(root: Path, name: str, text: str) -> None:
    folder = root / "artifacts" / "rfcs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def test_the_company_os_example_rfc_yields_dependencies_domains_alerts_and_rollback(company_os_ws: Path) -> None:
    report = load_rfcs(Workspace.at(company_os_ws))
    [summary] = report.rfcs
    assert summary.id == "RFC-EXAMPLE-001"
    assert summary.depends_on == ("PRD-EXAMPLE-001",)
    assert summary.dependencies == ("existing user authentication system", "email provider integration",
                                    "push notification provider integration")
    assert summary.failure_domains == ("Database", "Message queue and background workers", "Email delivery",
                                       "Push notifications", "Authentication")
    assert "Third-party APIs and webhooks" not in summary.failure_domains  # only in "Alternatives Considered"
    assert "queue depth > 10,000" in summary.alerts  # a thousands separator is not a list separator
    assert summary.rollback_notes == ("Feature flag disables the new system; old code paths remain active until "
                                      "Phase 3 is validated",)
    assert summary.uses_feature_flag


def test_failure_modes_are_read_from_a_failure_domains_section_with_wrapped_lines(example_ws: Path) -> None:
    report = load_rfcs(Workspace.at(example_ws))
    by_id = {r.id: r for r in report.rfcs}
    assert "Stale entitlement cache: a workspace sees its old plan for up to 5 minutes; flush the " \
           "`entitlements:*` keys" in by_id["RFC-001"].failure_modes
    assert by_id["RFC-001"].rollback_notes == (
        "turn the flag off, then roll back the deploy; the migration is additive and can stay",)
    assert by_id["RFC-001"].uses_feature_flag  # "behind the `billing-v2` LaunchDarkly flag"
    assert "Payments" not in by_id["RFC-002"].failure_domains  # only named on its "Blocks:" line
    assert [d.name for d in report.failure_domains][:2] == ["Database", "Message queue and background workers"]
    assert {d.name: d.rfc_ids for d in report.failure_domains}["Payments"] == ("RFC-001",)


def test_examples_in_code_and_quotes_do_not_make_a_failure_domain() -> None:
    body = '# RFC\n\n## Design\n\nEvents such as `payment.failed` and "billing.updated" are logged to a file.\n'
    assert summarize_rfc(parse_artifact(rfc(body), "artifacts/rfcs/x.md")).failure_domains == ()


def test_headings_inside_code_fences_are_not_sections() -> None:
    body = ("# RFC\n\n## Design\n\n```\n## Dependencies\n- Depends on: Kafka\n```\n\n## Dependencies\n\n"
            "- Depends on: Postgres, Redis (cache, sessions)\n- Blocks: RFC-9\n")
    summary = summarize_rfc(parse_artifact(rfc(body), "artifacts/rfcs/x.md"))
    assert summary.dependencies == ("Postgres", "Redis (cache, sessions)")


def test_unreadable_and_archived_rfcs(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "company.config.yaml").write_text("company:\n  name: X\n")
    write(root, "RFC-010-ok.md", rfc("# Ten\n\n## Dependencies\n\n- Depends on: Postgres\n", rfc_id="RFC-010"))
    write(root, "RFC-002-ok.md", rfc("# Two\n", rfc_id="RFC-002"))
    write(root, "RFC-003-old.md", rfc("# Old\n", rfc_id="RFC-003", status="archived"))
    write(root, "RFC-004-broken.md", "---\nid: [unclosed\n---\nbody\n")
    report = load_rfcs(Workspace.at(root))
    assert [r.id for r in report.rfcs] == ["RFC-002", "RFC-010"]  # natural order, archived left out
    assert len(report.unreadable) == 1 and report.unreadable[0].startswith("artifacts/rfcs/RFC-004-broken.md: ")


def test_hostile_rfcs_give_bounded_summaries() -> None:
    items = "\n".join(f"- Depends on: service-{i}, " + "x" * 1000 for i in range(100))
    body = f"# RFC\n\n## Dependencies\n\n{items}\n\n## Failure Modes\n\n" + "- boom\n" * 500
    summary = summarize_rfc(parse_artifact(rfc(body), "artifacts/rfcs/x.md"))
    assert len(summary.dependencies) == MAX_ITEMS
    assert all(len(item) <= MAX_ITEM_CHARS for item in summary.dependencies)
    assert summary.failure_modes == ("boom",)


def test_the_summary_of_an_edited_rfc_is_not_served_from_the_cache(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "company-os", tmp_path / "ws")
    ws = Workspace.at(tmp_path / "ws")
    first = load_rfcs(ws).rfcs[0]
    path = ws.root / first.path
    path.write_text(path.read_text().replace("- Depends on: existing user authentication system, ",
                                             "- Depends on: Stripe, "))
    assert load_rfcs(ws).rfcs[0].dependencies[0] == "Stripe"


def test_the_flags_an_rfc_names_reach_the_kill_switch_section_of_the_runbook(tmp_path: Path) -> None:
    from incident_mcp.runbook import RUNBOOK_PATH, generate_runbook

    (tmp_path / "company.config.yaml").write_text(
        "feature_flags: {provider: Unleash}\nincident_response: {flags: {project: default, environment: prod}}\n")
    write(tmp_path, "RFC-007-invoicing.md", rfc(
        "## Rollout\n\nInvoicing v2 ships behind `invoicing_v2`, a feature flag. A second toggle, `pdf_export`, "
        "guards exports.\n\n## Alternatives considered\n\nA `never_used` flag.\n", rfc_id="RFC-007"))
    assert summarize_rfc(parse_artifact(
        (tmp_path / "artifacts" / "rfcs" / "RFC-007-invoicing.md").read_text(), "x.md")).flags == (
        "invoicing_v2", "pdf_export")
    ws = Workspace.at(tmp_path)
    generate_runbook(ws)
    text = (tmp_path / RUNBOOK_PATH).read_text()
    section = text[text.index("Feature Flag Disable"):text.index("DNS Failover")]
    assert "`invoicing_v2` (RFC-007)" in section and "`pdf_export` (RFC-007)" in section
    assert "never_used" not in section


def test_a_hyphenated_word_is_one_word_so_a_token_bucket_is_not_file_storage() -> None:
    body = "## Design\n\nRate limiting uses a token-bucket per API key, kept in Redis.\n"
    summary = summarize_rfc(parse_artifact(rfc(body), "artifacts/rfcs/RFC-001-x.md"))
    assert summary.failure_domains == ("Cache",)
    storage = summarize_rfc(parse_artifact(rfc("## Design\n\nFiles go to an S3 bucket; e-mail via Postmark.\n"),
                                           "artifacts/rfcs/RFC-001-x.md"))
    assert storage.failure_domains == ("Email delivery", "File storage")


def test_a_bold_dependency_name_is_the_dependency() -> None:
    body = ("## Dependencies\n\n- **Stripe** (payment processing, webhooks)\n- **Postmark**: transactional email\n"
            "- Redis for sessions\n")
    summary = summarize_rfc(parse_artifact(rfc(body), "artifacts/rfcs/RFC-001-x.md"))
    assert summary.dependencies == ("Stripe", "Postmark", "Redis for sessions")
