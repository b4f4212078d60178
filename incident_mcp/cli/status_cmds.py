"""``incident-mcp status`` (a table or JSON) and ``incident-mcp status-check`` (Company OS's script, concurrent).

Both take URLs typed by a human on their own machine, so private and loopback addresses are allowed
here; the address policy guards only the agent's ad-hoc URLs. Exit codes: 0 all up, 1 degraded or
not judged, 2 down (2 also for usage errors, as Company OS's script does).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from incident_mcp.cli.common import add_workspace_option, paint, print_json, use_colour, workspace_from
from incident_mcp.config import Expectations
from incident_mcp.errors import TargetError
from incident_mcp.status import (
    CheckOptions,
    CheckTarget,
    ServiceResult,
    StatusReport,
    TargetPolicy,
    check_targets,
    parse_target_url,
    select_targets,
    service_targets,
)
from incident_mcp.status_check import config_for_check

_STATE_COLOUR = {"up": "green", "degraded": "yellow", "down": "red", "unknown": "cyan"}
_OVERALL_COLOUR = {"operational": "green", "degraded": "yellow", "partial_outage": "red", "major_outage": "red",
                   "unknown": "cyan"}

COMPAT_DESCRIPTION = """\
Check the health of one or more HTTP endpoints (drop-in for Company OS's status-check.sh).

All URLs are checked at once, each within the timeout (a whole-request deadline), so ten dead URLs cost
one timeout, not ten. Nothing is reported DOWN before a second attempt on a fresh connection agrees.
Differences from the original: a 5xx answer is DOWN (the server says it is failing), a 50 MB or
gzip-bomb body is DEGRADED (too large), a check our own machine could not judge is UNKNOWN (counted
with degraded), and no URL at all is an error (exit 2).

Exit Codes:
  0  All endpoints healthy
  1  One or more endpoints degraded (slow response or unexpected status) or unknown
  2  One or more endpoints down (connection failed, timed out, 5xx)
"""


def add_commands(sub: Any) -> None:
    """Register ``status`` and ``status-check``."""
    parser = sub.add_parser("status", help="check configured services and URLs now, concurrently",
                            description="Check the critical services (or --service / --all / URLs) at once.")
    parser.add_argument("urls", nargs="*", metavar="URL", help="extra http(s) URLs to check")
    add_workspace_option(parser)
    parser.add_argument("--service", action="append", metavar="NAME", help="a configured service (repeatable)")
    parser.add_argument("--all", action="store_true", help="every configured service, not only the critical")
    parser.add_argument("--timeout", type=_positive_ms, metavar="MS", help="whole-request deadline for every "
                                                                          "check (default: per service, 5000)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    _add_tuning(parser)
    parser.set_defaults(func=_status)

    compat = sub.add_parser("status-check", help="Company OS's status-check.sh, concurrent",
                            description=COMPAT_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
                            usage="status-check.sh [--timeout <ms>] [--expected-status <code>] [--verbose] "
                                  "<url> [<url> ...]")
    compat.add_argument("urls", nargs="*", metavar="url", help="URLs to check")
    compat.add_argument("--timeout", type=_positive_ms, default=5000, metavar="<ms>",
                        help="whole-request deadline in milliseconds (default: 5000)")
    compat.add_argument("--expected-status", type=_status_code, default=200, metavar="<code>",
                        help="expected HTTP status code (default: 200)")
    compat.add_argument("--verbose", action="store_true", help="show why, redirects, certificate and findings")
    _add_tuning(compat)
    compat.set_defaults(func=_status_check)


def _add_tuning(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-connections", type=int, metavar="N", help=argparse.SUPPRESS)
    parser.add_argument("--ca-file", metavar="PEM", help="trust this CA bundle instead of the Mozilla one")


def _positive_ms(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of milliseconds") from None
    if not 0 < value <= 120_000:
        raise argparse.ArgumentTypeError(f"{value} ms is outside 1–120000")
    return value


def _status_code(text: str) -> int:
    if not text.isdigit() or not 100 <= int(text) <= 599:
        raise argparse.ArgumentTypeError(f"{text!r} is not an HTTP status code (100–599)")
    return int(text)


def _options(args: argparse.Namespace) -> CheckOptions:
    knobs: dict[str, Any] = {"ca_file": args.ca_file}
    if args.max_connections:
        knobs["max_connections"] = args.max_connections
    try:
        return CheckOptions(**knobs)
    except ValueError as err:
        raise TargetError(str(err)) from None


def exit_code(report: StatusReport) -> int:
    """0 all up, 1 degraded or unknown, 2 anything down."""
    if report.counts.down:
        return 2
    return 1 if report.counts.degraded or report.counts.unknown else 0


# ---- incident-mcp status ---------------------------------------------------------------------------


def _status(args: argparse.Namespace) -> int:
    config, _ = config_for_check(lambda: workspace_from(args), needed=bool(args.service or args.all or not args.urls))
    if args.all:
        assert config is not None
        targets = service_targets(config, [s.name for s in config.incident_response.services])
        targets += select_targets(config, None, args.urls, max_urls=None) if args.urls else []
    else:
        targets = select_targets(config, args.service, args.urls, max_urls=None)
    if args.timeout:
        targets = [_with_timeout(t, args.timeout) for t in targets]
    report = _run(targets, _options(args), progress=not args.json)
    if args.json:
        print_json(report)
    else:
        print_table(report)
    return exit_code(report)


def _with_timeout(target: CheckTarget, timeout_ms: int) -> CheckTarget:
    expect = target.expect.model_copy(update={"timeout_ms": timeout_ms})
    return CheckTarget(name=target.name, url=target.url, expect=expect, critical=target.critical,
                       declared=target.declared)


def _run(targets: list[CheckTarget], options: CheckOptions, *, progress: bool) -> StatusReport:
    """Run the sweep; on a terminal, a progress line on stderr when it takes more than a moment."""
    started = time.monotonic()
    shown = [0.0]
    live = progress and sys.stderr.isatty() and len(targets) > 1

    async def on_result(result: ServiceResult, done: int, total: int) -> None:
        now = time.monotonic()
        if live and now - started > 0.5 and (now - shown[0] > 0.1 or done == total):
            shown[0] = now
            sys.stderr.write(f"\r\033[Kchecking… {done}/{total} done, last: {result.name[:40]} {result.state}")
            sys.stderr.flush()

    report = asyncio.run(check_targets(targets, policy=TargetPolicy.permissive(), options=options,
                                       on_result=on_result))
    if live and shown[0]:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
    return report


def print_table(report: StatusReport, stream: TextIO | None = None) -> None:
    """The report as a table: one row per service, its findings indented below it."""
    out = stream or sys.stdout
    rows = [("SERVICE", "STATE", "REASON", "HTTP", "LATENCY", "CERT", "DETAIL")]
    for r in report.services:
        name = (r.name if len(r.name) <= 40 else r.name[:39] + "…") + (" *" if r.critical else "")
        rows.append((name, r.state + (" ~" if r.flapping else ""), r.reason,
                     str(r.status_code) if r.status_code else "-",
                     f"{r.latency_ms:,} ms" if r.latency_ms is not None else "-",
                     f"{r.cert_days:.0f} d" if r.cert_days is not None else "-", r.message))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for index, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:6])]
        if index == 0:
            print(paint("  ".join([*cells, row[6]]), "bold", stream=out), file=out)
            continue
        result = report.services[index - 1]
        cells[1] = paint(cells[1], _STATE_COLOUR[result.state], stream=out)
        print("  ".join([*cells, row[6]]), file=out)
        for finding in result.findings:
            if finding.message != result.message:
                where = f"{finding.component}: " if finding.component else ""
                print(paint(f"    · {where}{finding.message}", "dim", stream=out), file=out)
    print(file=out)
    print(paint(report.summary, _OVERALL_COLOUR[report.overall], stream=out)
          + f" ({report.duration_ms:,} ms)", file=out)
    if report.severity_hint:
        hint = report.severity_hint
        print(f"Severity hint: {paint(hint.severity, 'bold', stream=out)} — {hint.rule} "
              f"({', '.join(hint.services[:5])}{' …' if len(hint.services) > 5 else ''})", file=out)
    if any(r.critical for r in report.services):
        print(paint("* critical service   ~ flapping (first attempt and re-check disagreed)", "dim",
                    stream=out), file=out)
    for note in report.notes:
        print(paint(f"note: {note}", "yellow", stream=out), file=out)


# ---- incident-mcp status-check (Company OS's script) --------------------------------------------------


def _status_check(args: argparse.Namespace) -> int:
    if not args.urls:
        print("Error: No URLs provided.\nRun with --help for usage.", file=sys.stderr)
        return 2
    expect = Expectations(status=[str(args.expected_status)], timeout_ms=args.timeout)
    targets = [CheckTarget(name=url, url=url, expect=expect) for url in dict.fromkeys(args.urls)]
    for target in targets:
        parse_target_url(target.url)  # a bad URL is a usage error (exit 2), before anything is checked
    report = _run(targets, _options(args), progress=True)
    print_compat(report, timeout_ms=args.timeout, expected=args.expected_status, verbose=args.verbose)
    return exit_code(report)


_RESULT_WORD = {"up": "HEALTHY", "degraded": "DEGRADED", "down": "DOWN", "unknown": "UNKNOWN"}


Tint = Callable[[str, str], str]  # (text, colour name) -> text, painted when the stream takes colour


def print_compat(report: StatusReport, *, timeout_ms: int, expected: int, verbose: bool,
                 stream: TextIO | None = None) -> None:
    """The report in Company OS's status-check.sh layout, so whatever reads that output keeps working."""
    out = stream or sys.stdout
    colour = use_colour(out)

    def tint(text: str, name: str) -> str:
        return paint(text, name, stream=out) if colour else text

    lines = ["", tint("Service Health Check", "bold"), "================================",
             f"Timeout: {timeout_ms}ms | Expected status: {expected}", ""]
    for r in report.services:
        lines += _compat_service(r, tint, verbose=verbose)
    lines += ["================================",
              f"{tint('Summary', 'bold')}: {len(report.services)} endpoint(s) checked",
              f"  {tint('Healthy:', 'green')}  {report.counts.up}",
              f"  {tint('Degraded:', 'yellow')} {report.counts.degraded}",
              f"  {tint('Down:', 'red')}     {report.counts.down}"]
    if report.counts.unknown:
        lines.append(f"  {tint('Unknown:', 'cyan')}  {report.counts.unknown}")
    lines.append("")
    for line in lines:
        print(line, file=out)


def _compat_service(r: ServiceResult, tint: Tint, *, verbose: bool) -> list[str]:
    """One service's block: what was checked, the response (or why none came), details, the result."""
    lines = [f"{tint('Checking:', 'bold')} {r.url}"]
    if r.status_code is None:
        lines.append(f"  Status:        {tint('CONNECTION FAILED', 'red')} ({r.reason}: {r.message})")
    else:
        lines += _compat_response(r, r.status_code, tint)
    if verbose:
        lines += _compat_verbose(r)
    detail = "" if r.state == "up" else f" ({r.message})"
    lines += [f"  Result:        {tint(_RESULT_WORD[r.state], _STATE_COLOUR[r.state])}{detail}", ""]
    return lines


def _compat_response(r: ServiceResult, status_code: int, tint: Tint) -> list[str]:
    """Status code, response time and certificate of a service that answered."""
    ok = r.reason not in ("status", "health")
    lines = [f"  Status:        {tint(str(status_code), 'green' if ok else 'red')}"]
    if r.latency_ms is not None:
        slow = r.reason in ("slow", "timeout")
        lines.append(f"  Response time: {tint(f'{r.latency_ms}ms', 'yellow' if slow else 'green')}")
    if r.url.startswith("https://") or (r.final_url or "").startswith("https://"):
        days = f" ({r.cert_days:.0f} days left)" if r.cert_days is not None else ""
        valid = "Valid" + days if r.reason != "tls_expiring" else f"Expiring soon{days}"
        lines.append(f"  SSL:           {tint(valid, 'green' if r.reason != 'tls_expiring' else 'yellow')}")
    else:
        lines.append("  SSL:           N/A (not HTTPS)")
    return lines


def _compat_verbose(r: ServiceResult) -> list[str]:
    """The --verbose details: reason, attempts, redirects, final URL and every finding."""
    lines = ["  --- Verbose details ---",
             f"    reason: {r.reason}; attempts: {r.attempts}; redirects: {r.redirects}"
             + ("; flapping" if r.flapping else "")]
    if r.final_url:
        lines.append(f"    final URL: {r.final_url}")
    lines += [f"    {finding.state}: {finding.message}" for finding in r.findings]
    return lines
