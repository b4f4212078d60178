"""The checker against real misbehaving servers on 127.0.0.1: every case gets the right state and reason
within its deadline. One concurrent sweep serves most tests (that is also the point: all at once)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from incident_mcp.config import CompanyConfig, Expectations, JsonCondition
from incident_mcp.status import (
    CheckOptions,
    CheckTarget,
    ServiceResult,
    StatusReport,
    TargetPolicy,
    check_targets,
)
from tests.support.http_fixtures import ServerFarm
from tests.support.tls_fixtures import TlsSet, make_tls_set

DEADLINE_MS = 1500
SLACK_S = 1.0  # scheduling slack on a busy CI machine; far below what a missing deadline would cost


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsSet:
    return make_tls_set(tmp_path_factory.mktemp("tls"))




def _config(*hosts: str, allow: list[str] | None = None) -> CompanyConfig:
    """A config declaring one service per host (so those hosts may be probed although private)."""
    services = [{"name": f"s{i}", "url": f"http://{host}/"} for i, host in enumerate(hosts)]
    return CompanyConfig.model_validate({"incident_response": {"services": services,
                                                               "allow_private_targets": allow or []}})


def sweep(targets: list[CheckTarget], *, policy: TargetPolicy | None = None, ca_file: Path | None = None,
          **options: Any) -> tuple[StatusReport, float]:
    started = time.monotonic()
    report = asyncio.run(check_targets(
        targets, policy=policy or TargetPolicy.permissive(),
        options=CheckOptions(ca_file=str(ca_file) if ca_file else None, **options)))
    return report, time.monotonic() - started


def target(name: str, url: str, **expect: Any) -> CheckTarget:
    return CheckTarget(name=name, url=url, expect=Expectations(**{"timeout_ms": DEADLINE_MS, **expect}),
                       declared=True)


CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "fast": ("/ok", {}),
    "slow_but_fine": ("/slow?ms=200", {}),
    "slow_degraded": ("/slow?ms=300", {"degraded_ms": 100}),
    "down_threshold": ("/slow?ms=900", {"down_ms": 300}),
    "hanging": ("/hang", {}),
    "dripping": ("/drip?interval=1&bytes=60", {}),
    "huge": ("/huge?mb=50", {}),
    "bomb": ("/bomb", {}),
    "gzip_small": ("/gzip?body=all+good", {"body_matches": "all good"}),
    "redirect_loop": ("/loop?i=0", {}),
    "redirect_chain": ("/chain?n=2", {}),
    "redirect_too_many": ("/chain?n=7", {}),
    "redirect_expected": ("/redirect?to=/ok", {"status": ["302"]}),
    "redirect_to_metadata": ("/redirect?to=http://169.254.169.254/latest/meta-data/", {}),
    "redirect_to_private": ("/redirect?to=http://10.1.2.3/admin", {}),
    "redirect_to_file": ("/redirect?to=file:///etc/passwd", {}),
    "reset": ("/reset", {}),
    "closed": ("/close", {}),
    "truncated": ("/truncated", {}),
    "not_http": ("/garbage", {}),
    "server_error": ("/status?code=503", {}),
    "not_found": ("/status?code=404", {}),
    "teapot_expected": ("/status?code=418", {"status": ["4xx"]}),
    "health_pass": ("/health?status=pass", {}),
    "health_warn": ("/health?status=warn", {}),
    "health_fail": ("/health?status=fail", {}),
}


@pytest.fixture(scope="module")
def results(farm: ServerFarm, base: str, tls: TlsSet) -> dict[str, ServiceResult]:
    """One sweep over every case on the plain server, the TLS servers and a refused port."""
    targets = [target(name, base + path, **expect) for name, (path, expect) in CASES.items()]
    targets += [
        target("refused", farm.refused_url()),
        target("tls_good", farm.serve(tls=tls.good) + "/ok"),
        target("tls_self_signed", farm.serve(tls=tls.self_signed) + "/ok"),
        target("tls_expiring", farm.serve(tls=tls.expiring) + "/ok"),
        target("tls_short_intermediate", farm.serve(tls=tls.short_intermediate) + "/ok"),
        target("dns", "http://no-such-host.invalid/"),
    ]
    report, elapsed = sweep(targets, policy=TargetPolicy.for_agent(_config(allow=["127.0.0.1"])), ca_file=tls.ca_file)
    assert elapsed < DEADLINE_MS / 1000 + SLACK_S, "the sweep took about one deadline, not one per target"
    by_name = {r.name: r for r in report.services}
    for result in report.services:
        assert result.latency_ms is None or result.latency_ms <= DEADLINE_MS + 100, result
    return by_name


@pytest.mark.parametrize(("case", "state", "reason"), [
    ("fast", "up", "ok"),
    ("slow_but_fine", "up", "ok"),
    ("slow_degraded", "degraded", "slow"),
    ("down_threshold", "down", "timeout"),
    ("hanging", "down", "timeout"),
    ("dripping", "down", "timeout"),
    ("huge", "degraded", "too_large"),
    ("bomb", "degraded", "too_large"),
    ("gzip_small", "up", "ok"),
    ("redirect_loop", "down", "redirects"),
    ("redirect_chain", "up", "ok"),
    ("redirect_too_many", "down", "redirects"),
    ("redirect_expected", "up", "ok"),
    ("redirect_to_metadata", "unknown", "blocked"),
    ("redirect_to_private", "unknown", "blocked"),
    ("redirect_to_file", "unknown", "blocked"),
    ("reset", "down", "reset"),
    ("closed", "down", "reset"),
    ("truncated", "down", "reset"),
    ("not_http", "down", "protocol"),
    ("server_error", "down", "status"),
    ("not_found", "degraded", "status"),
    ("teapot_expected", "up", "ok"),
    ("health_pass", "up", "ok"),
    ("health_warn", "degraded", "health"),
    ("health_fail", "down", "health"),
    ("refused", "down", "refused"),
    ("tls_good", "up", "ok"),
    ("tls_self_signed", "down", "tls"),
    ("tls_expiring", "degraded", "tls_expiring"),
    ("tls_short_intermediate", "degraded", "tls_expiring"),
])
def test_each_misbehaviour_gets_its_state_and_reason(results: dict[str, ServiceResult], case: str, state: str,
                                                     reason: str) -> None:
    result = results[case]
    assert (result.state, result.reason) == (state, reason), result.message


def test_a_hanging_server_is_called_down_only_after_a_second_attempt_also_timed_out(
        results: dict[str, ServiceResult]) -> None:
    hanging = results["hanging"]
    assert hanging.attempts == 2
    assert not hanging.flapping
    assert "no response within 1,500 ms" in hanging.message


def test_a_server_dripping_its_body_is_cut_off_at_the_whole_request_deadline(
        results: dict[str, ServiceResult]) -> None:
    dripping = results["dripping"]
    assert dripping.status_code == 200
    assert "body did not complete" in dripping.message
    assert dripping.latency_ms is not None and dripping.latency_ms <= DEADLINE_MS + 100


def test_huge_bodies_and_gzip_bombs_fail_fast_instead_of_waiting_for_the_deadline(
        results: dict[str, ServiceResult]) -> None:
    for case in ("huge", "bomb"):
        result = results[case]
        assert result.latency_ms is not None and result.latency_ms < DEADLINE_MS / 2, result
    assert "gzip-decoded body is larger" in results["bomb"].message


def test_redirects_are_followed_hop_by_hop_and_the_final_url_is_reported(
        results: dict[str, ServiceResult]) -> None:
    chain = results["redirect_chain"]
    assert chain.redirects == 2
    assert chain.final_url is not None and chain.final_url.endswith("/chain?n=0")
    assert "more than 5 redirects" in results["redirect_too_many"].message
    assert "redirect loop" in results["redirect_loop"].message


def test_a_redirect_to_the_cloud_metadata_address_is_not_followed(results: dict[str, ServiceResult]) -> None:
    blocked = results["redirect_to_metadata"]
    assert "169.254.169.254 is a cloud-metadata address" in blocked.message
    assert blocked.redirects == 1
    assert "private address" in results["redirect_to_private"].message or "10.1.2.3" in \
        results["redirect_to_private"].message


def test_health_json_warnings_and_failures_become_sub_findings_without_quoting_the_body(
        results: dict[str, ServiceResult]) -> None:
    warn = results["health_warn"]
    components = {f.component for f in warn.findings}
    assert "db-primary" in components
    assert all(f.state == "degraded" for f in warn.findings)
    fail = results["health_fail"]
    assert fail.status_code == 503
    assert any(f.component == "db-primary" and f.state == "down" for f in fail.findings)
    for result in results.values():
        assert "IGNORE PREVIOUS" not in result.model_dump_json()


def test_the_earliest_certificate_in_the_chain_sets_the_days_left(results: dict[str, ServiceResult]) -> None:
    assert results["tls_good"].cert_days is not None and results["tls_good"].cert_days > 299
    assert results["tls_expiring"].cert_days is not None and results["tls_expiring"].cert_days < 1
    intermediate = results["tls_short_intermediate"].cert_days
    assert intermediate is not None and 2.9 < intermediate < 3.1  # the intermediate, not the 300-day leaf
    assert "self-signed certificate" in results["tls_self_signed"].message


def test_a_name_that_does_not_resolve_is_a_dns_finding(results: dict[str, ServiceResult]) -> None:
    assert results["dns"].reason == "dns"
    assert "no-such-host.invalid" in results["dns"].message


def test_a_service_that_fails_once_and_then_answers_is_flapping_not_down(base: str) -> None:
    report, _ = sweep([target("flaky", base + "/flaky?key=flap-1&fail=1")])
    result = report.services[0]
    assert (result.state, result.reason, result.flapping, result.attempts) == ("degraded", "reset", True, 2)
    assert result.status_code == 200
    assert any(f.message.startswith("first attempt:") for f in result.findings)


def test_a_first_attempt_that_hangs_is_hedged_by_a_second_one_within_the_same_deadline(base: str) -> None:
    report, elapsed = sweep([target("stall", base + "/stall-first?key=hedge-1")])
    result = report.services[0]
    assert (result.state, result.flapping, result.status_code) == ("degraded", True, 200)
    assert elapsed < DEADLINE_MS / 1000 + SLACK_S


def test_a_server_that_fails_twice_is_down_and_names_the_failure(base: str) -> None:
    report, _ = sweep([target("flaky", base + "/flaky?key=flap-2&fail=2")])
    result = report.services[0]
    assert (result.state, result.reason, result.flapping) == ("down", "reset", False)


def test_twenty_hanging_services_cost_one_deadline_not_twenty(base: str) -> None:
    targets = [target(f"h{i}", f"{base}/hang?i={i}", timeout_ms=800) for i in range(20)]
    report, elapsed = sweep(targets)
    assert report.counts.down == 20
    assert elapsed < 0.8 + SLACK_S


def test_the_sweep_deadline_returns_partial_results_instead_of_waiting(base: str) -> None:
    targets = [target("fast", base + "/ok"), target("hang", base + "/hang", timeout_ms=10_000)]
    report, elapsed = sweep(targets, sweep_timeout=0.6)
    assert elapsed < 0.6 + SLACK_S
    assert report.partial
    fast, hang = report.services
    assert fast.state == "up"
    assert (hang.state, hang.reason) == ("unknown", "not_checked")
    assert report.overall == "unknown"


def test_checks_queued_behind_our_connection_limit_do_not_lose_their_deadline(base: str) -> None:
    # one check at a time: 8 × 150 ms > 1,000 ms, while each check alone has a wide margin (busy CI machines)
    targets = [target(f"s{i}", f"{base}/slow?ms=150&i={i}", timeout_ms=1000) for i in range(8)]
    report, _ = sweep(targets, max_connections=2)
    assert [r.state for r in report.services] == ["up"] * 8


async def _sweep_while_blocking(targets: list[CheckTarget], block_after: float, block_for: float,
                                ) -> StatusReport:
    async def freeze() -> None:
        await asyncio.sleep(block_after)
        time.sleep(block_for)  # the point: our own event loop stops turning

    blocker = asyncio.ensure_future(freeze())
    report = await check_targets(targets, policy=TargetPolicy.permissive())
    await blocker
    return report


def test_our_own_frozen_event_loop_makes_a_timeout_unknown_not_down(base: str) -> None:
    report = asyncio.run(_sweep_while_blocking([target("hang", base + "/hang", timeout_ms=1000)],
                                               block_after=0.3, block_for=1.2))
    result = report.services[0]
    assert (result.state, result.reason) == ("unknown", "overload")
    assert "our own event loop froze" in result.message
    assert report.notes


def test_when_our_freeze_spoils_the_first_attempt_the_calm_second_attempt_decides(base: str) -> None:
    report = asyncio.run(_sweep_while_blocking([target("hang", base + "/hang", timeout_ms=1600)],
                                               block_after=0.05, block_for=0.6))
    result = report.services[0]
    assert (result.state, result.reason, result.attempts) == ("down", "timeout", 2)
    assert any(f.code == "overload" and f.message.startswith("first attempt: inconclusive")
               for f in result.findings)


def test_latency_inflated_by_our_own_freeze_is_not_counted_as_slow(base: str) -> None:
    report = asyncio.run(_sweep_while_blocking([target("quick", base + "/slow?ms=100", degraded_ms=400)],
                                               block_after=0.02, block_for=0.6))
    result = report.services[0]
    assert result.state == "up"
    assert any(f.code == "overload" for f in result.findings)


def test_body_json_and_header_conditions_are_checked(base: str) -> None:
    targets = [
        target("json_ok", base + "/json", json=[{"path": "status", "equals": "ok"},
                                                {"path": "db.connected", "equals": True},
                                                {"path": "items.0.name", "one_of": ["a", "b"]},
                                                {"path": "error", "exists": False}]),
        target("json_bad", base + "/json", json=[{"path": "status", "one_of": ["pass", "up"]},
                                                 {"path": "db.replica"}]),
        target("not_json", base + "/text?body=hello", json=[{"path": "status"}]),
        target("header_ok", base + "/headers", headers={"x-version": r"^1\.2\."}),
        target("header_bad", base + "/headers", headers={"X-Version": r"^2\.", "X-Missing": "."}),
        target("body_ok", base + "/text?body=all+systems+go", body_matches="systems go",
               body_not_matches="(?i)error"),
        target("body_bad", base + "/secret", body_matches="^healthy"),
    ]
    report, _ = sweep(targets)
    by = {r.name: r for r in report.services}
    assert by["json_ok"].state == "up"
    assert (by["json_bad"].state, by["json_bad"].reason) == ("degraded", "assertion")
    messages = [f.message for f in by["json_bad"].findings]
    assert 'json status is "ok" (expected one of "pass", "up")' in messages
    assert "json db.replica is missing" in messages
    assert "body is not JSON" in by["not_json"].message
    assert by["header_ok"].state == "up"
    assert {f.message for f in by["header_bad"].findings} == {
        "header X-Version does not match /^2\\./", "header X-Missing is missing"}
    assert by["body_ok"].state == "up"
    assert by["body_bad"].reason == "assertion"
    assert "sk_live" not in report.model_dump_json()


def test_json_condition_paths_reach_into_lists_and_absent_fields(base: str) -> None:
    document = json.dumps({"checks": [{"name": "db", "ok": True}], "version": "2"}, separators=(",", ":"))
    url = f"{base}/json?body={quote(document)}"
    report, _ = sweep([target("deep", url, json=[JsonCondition(path="checks.0.ok", equals=True).model_dump(),
                                                 {"path": "checks.1.ok", "exists": False},
                                                 {"path": "version", "equals": 2}])])
    result = report.services[0]
    assert [f.message for f in result.findings] == ['json version is "2" (expected 2)']


def test_progress_is_reported_once_per_service_with_running_totals(base: str) -> None:
    seen: list[tuple[str, int, int]] = []

    async def on_result(result: ServiceResult, done: int, total: int) -> None:
        seen.append((result.name, done, total))

    async def run() -> None:
        await check_targets([target("a", base + "/ok"), target("b", base + "/status?code=503")],
                            policy=TargetPolicy.permissive(), on_result=on_result)

    asyncio.run(run())
    assert sorted(name for name, _, _ in seen) == ["a", "b"]
    assert [(done, total) for _, done, total in seen] == [(1, 2), (2, 2)]


def test_a_broken_progress_callback_does_not_stop_the_sweep(base: str) -> None:
    async def broken(result: ServiceResult, done: int, total: int) -> None:
        raise RuntimeError("reporter crashed")

    report = asyncio.run(check_targets([target("a", base + "/ok")], policy=TargetPolicy.permissive(),
                                       on_result=broken))
    assert report.services[0].state == "up"
