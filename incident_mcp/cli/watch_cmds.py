"""``incident-mcp watch [--once]`` and ``incident-mcp notify test``: thin adapters over ``incident_mcp.watch``
and ``incident_mcp.notify``.

Exit codes of ``watch --once`` follow status-check: 0 every service up, 1 degraded / unknown / failing
inside a maintenance window, 2 a service down (2 also for errors, as everywhere in this CLI).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
from typing import Any

from incident_mcp.cli.common import add_workspace_option, print_json, workspace_from
from incident_mcp.config import load_config
from incident_mcp.errors import ConfigError
from incident_mcp.notify import Notice, send
from incident_mcp.watch.runner import RoundResult, run_forever, run_round, summary_line


def add_commands(sub: Any) -> None:
    """Register ``watch`` and ``notify``."""
    parser = sub.add_parser(
        "watch", help="check every configured service on a schedule; open, update and resolve incidents",
        description="Run a round every incident_response.watch.interval seconds (or one round with --once): "
                    "check every configured service, confirm an outage only after open_after failed rounds, "
                    "open or update the incident, keep the history under watch/ and notify the channels in "
                    "incident_response.notify. Exit codes of --once: 0 all up, 1 degraded, 2 down.")
    add_workspace_option(parser)
    parser.add_argument("--once", action="store_true", help="run one round and exit (cron, systemd timer, CI)")
    parser.add_argument("--now", metavar="ISO", type=_time,
                        help="the round's time instead of the clock (replays and tests; with --once)")
    parser.add_argument("--json", action="store_true", help="print the round as JSON (with --once)")
    parser.add_argument("--quiet", action="store_true", help="log only problems on stderr")
    parser.set_defaults(func=_watch)

    notify = sub.add_parser("notify", help="notification channels (incident_response.notify)",
                            description="Work with the notification channels.")
    notify_sub = notify.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    test = notify_sub.add_parser("test", help="send a test message to every configured channel",
                                 description="Send a test message to every channel in incident_response.notify "
                                             "and report each result (exit 1 if any failed).")
    add_workspace_option(test)
    test.add_argument("--json", action="store_true", help="print the results as JSON")
    test.set_defaults(func=_notify_test)


def _time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time such as 2026-03-01T02:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _logging(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("incident-mcp: %(message)s"))
    for name in ("incident_mcp.watch", "incident_mcp.notify"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.WARNING if quiet else logging.INFO)
        logger.propagate = False


def _round_data(result: RoundResult) -> dict[str, Any]:
    data: dict[str, Any] = {"at": result.at.isoformat().replace("+00:00", "Z"), "exit_code": result.exit_code}
    if result.skipped:
        data["skipped"] = result.skipped
    if result.report is not None:
        data["overall"] = result.report.overall
        data["services"] = [{"name": r.name, "state": r.state, "reason": r.reason, "latency_ms": r.latency_ms}
                            for r in result.report.services]
    if result.decision is not None:
        data["streaks"] = {name: {"confirmed": t.confirmed, "fail_streak": t.fail_streak, "ok_streak": t.ok_streak}
                           for name, t in sorted(result.decision.state.tracks.items())}
    data["actions"] = list(result.actions)
    data["incident_id"] = result.incident_id
    data["notifications"] = [{"event_id": d.event_id, "channel": d.channel, "status": d.status, "detail": d.detail}
                             for d in result.deliveries]
    return data


def _watch(args: argparse.Namespace) -> int:
    ws = workspace_from(args)
    _logging(args.quiet)
    log = logging.getLogger("incident_mcp.watch")
    if not args.once:
        if args.now or args.json:
            raise ConfigError("--now and --json go with --once")
        interval = load_config(ws.config_path).config.incident_response.watch.interval
        log.info("watching %s every %d s (Ctrl-C stops)", ws.root, interval)
        asyncio.run(run_forever(ws, on_round=lambda r: log.info("%s", summary_line(r))))
        return 0
    result = asyncio.run(run_round(ws, now=args.now))
    if args.json:
        print_json(_round_data(result))
    else:
        print(summary_line(result))
    return result.exit_code


def _notify_test(args: argparse.Namespace) -> int:
    ws = workspace_from(args)
    config = load_config(ws.config_path).config
    channels = config.incident_response.notify
    if not channels:
        raise ConfigError("no channels: add incident_response.notify (webhook, slack, discord, ntfy, email)",
                          file=ws.config_path)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    company = config.company.name or ws.root.name
    notice = Notice(event_id=f"test:{now}", event="test", at=now, incident_id="", title="test message",
                    severity="", state="", services=(),
                    text=f"A test from incident-mcp for {company}: this channel works. Nothing is wrong.")

    async def all_channels() -> list[Any]:
        return list(await asyncio.gather(*(send(c, notice) for c in channels)))

    outcomes = asyncio.run(all_channels())
    if args.json:
        print_json([{"channel": o.channel, "ok": o.ok, "detail": o.detail} for o in outcomes])
    else:
        for channel, outcome in zip(channels, outcomes, strict=True):
            print(f"  {'ok    ' if outcome.ok else 'FAILED'}  {outcome.channel} ({channel.type}): {outcome.detail}")
    return 0 if all(o.ok for o in outcomes) else 1
