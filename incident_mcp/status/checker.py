"""One check of one service, under one whole-request deadline, and never "down" on a single attempt.

One check = one attempt on a fresh connection, plus one re-check on another fresh connection before
anything is called down: immediately after a quick failure, or — for an attempt still without an answer
halfway to its deadline — started alongside it (hedged), so a re-check never extends the deadline. If
the two disagree, the result says so (flapping). An attempt follows redirects itself (each hop checked
against the address policy), reads the body with a cap, and judges the response against the service's
expectations. Timing verdicts our own frozen event loop could have caused are ``unknown (overload)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx

from incident_mcp.errors import TargetError
from incident_mcp.status import health
from incident_mcp.status.attempts import Attempt, combine_attempts, needs_recheck
from incident_mcp.status.body import Body, BodyDecodeError, BodyTooLargeError, read_body
from incident_mcp.status.causes import classify_error
from incident_mcp.status.loop_lag import LoopLag
from incident_mcp.status.models import CheckTarget, Finding, Reason, ServiceResult, State
from incident_mcp.status.options import CheckOptions, deadline_seconds
from incident_mcp.status.targets import TargetPolicy, parse_target_url
from incident_mcp.status.transport import GuardedTransport, make_ssl_context, tls_chain_days

_REDIRECT_CODES = (301, 302, 303, 307, 308)
_NOISE_FREEZE = 0.15  # seconds: hiccups this short happen on any busy machine and never void a verdict


def _now() -> float:
    return asyncio.get_running_loop().time()


def _result(task: asyncio.Future[Attempt]) -> Attempt | None:
    """A finished attempt's outcome; None if it never finished (cancelled)."""
    if not task.done() or task.cancelled():
        return None
    return task.result()


@dataclass
class _Progress:
    """What an attempt learnt before its deadline cut it short."""

    status_code: int | None = None
    cert_days: float | None = None
    redirects: int = 0
    url: str = ""
    reading_body: bool = False
    sent: Callable[[], None] | None = None

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: tell the sweep once the request is on the wire."""
        if event == "http11.send_request_body.complete" and self.sent is not None:
            self.sent()


class Checker:
    """Runs checks over one transport; use ``async with`` (or ``check_targets`` for a whole sweep)."""

    def __init__(self, policy: TargetPolicy, options: CheckOptions | None = None,
                 lag: LoopLag | None = None) -> None:
        self.policy = policy
        self.options = options or CheckOptions()
        self.lag = lag or LoopLag()
        self._transport = GuardedTransport(policy=policy, ssl_context=make_ssl_context(self.options.ca_file),
                                           max_connections=self.options.max_connections)
        self._headers = {
            "User-Agent": self.options.user_agent,
            "Accept": "application/health+json, application/json;q=0.9, */*;q=0.5",
            "Accept-Encoding": "gzip, deflate",
            "Cache-Control": "no-cache",
        }

    async def __aenter__(self) -> Checker:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._transport.aclose()

    # ---- one check: attempt, re-check, verdict ---------------------------------------------------

    async def check(self, target: CheckTarget, sent: Callable[[], None] | None = None) -> ServiceResult:
        """Check one target within its deadline; never raises for anything the service does.

        ``sent`` is called once the first request is on the wire (or the first attempt ended).
        """
        budget = deadline_seconds(target)
        start = _now()
        deadline = start + budget
        first = asyncio.ensure_future(self._attempt(target, deadline, budget, sent, begun=start))
        try:
            await asyncio.wait({first}, timeout=budget * self.options.hedge_fraction)
            if first.done():  # the usual case: one task, no hedge
                if sent is not None:
                    sent()
                outcome = first.result()
                if not needs_recheck(outcome) or _now() >= deadline:
                    return self._verdict(target, outcome, None, 1, start)
                recheck = await self._attempt(target, deadline, deadline - _now())  # a fresh connection
                return self._verdict(target, outcome, recheck, 2, start)
            if _now() >= deadline:  # our own freeze left no time for a second attempt
                await asyncio.wait({first})
                return self._verdict(target, first.result(), None, 1, start)
            return await self._hedged(target, first, deadline, start)
        finally:
            if not first.done():
                first.cancel()

    async def _hedged(self, target: CheckTarget, first: asyncio.Future[Attempt], deadline: float,
                      start: float) -> ServiceResult:
        """No answer halfway to the deadline: a second attempt alongside ``first``, on a fresh connection;
        the first conclusive answer of the two ends both."""
        second = asyncio.ensure_future(self._attempt(target, deadline, deadline - _now()))
        try:
            pending: set[asyncio.Future[Attempt]] = {first, second}
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if any(not needs_recheck(task.result()) for task in done):
                    break
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
            return self._verdict(target, _result(first), _result(second), 2, start)
        finally:
            if not second.done():
                second.cancel()

    def _verdict(self, target: CheckTarget, first: Attempt | None, second: Attempt | None,
                 attempts: int, start: float) -> ServiceResult:
        combined = combine_attempts(first, second, start=start, now=_now())
        chosen = combined.chosen
        return ServiceResult(
            name=target.name, url=target.url, critical=target.critical, state=chosen.state,
            reason=chosen.reason, message=chosen.message, status_code=chosen.status_code,
            latency_ms=chosen.latency_ms, cert_days=chosen.cert_days, flapping=combined.flapping,
            attempts=attempts, redirects=chosen.redirects,
            final_url=chosen.final_url if chosen.final_url != target.url else None,
            findings=combined.findings + chosen.findings,
        )

    # ---- one attempt: redirects, body, expectations ----------------------------------------------

    async def _attempt(self, target: CheckTarget, deadline: float, budget: float,
                       sent: Callable[[], None] | None = None, begun: float | None = None) -> Attempt:
        start = _now() if begun is None else begun  # the first attempt's clock is the check's
        progress = _Progress(url=target.url, sent=sent)
        outcome: Attempt | None = None
        try:
            async with asyncio.timeout_at(deadline):
                outcome = await self._fetch(target, start, progress)
        except TimeoutError:
            outcome = None
        end = _now()
        if outcome is None:
            outcome = self._timed_out(target, start, end, progress, budget)
            outcome = self._own_stall_verdict(outcome, late=end - deadline, budget=budget)
        return self._discount_own_stalls(outcome, target)

    def _own_stall_verdict(self, outcome: Attempt, *, late: float, budget: float) -> Attempt:
        """A timeout is ours, not the service's, if our loop froze across the deadline or for long within it.

        A busy loop that still turns every few milliseconds is fine; what loses a response is a freeze:
        data that arrived during it was not read before the deadline fired (late).
        """
        worst = self.lag.worst(outcome.started, outcome.ended)
        if late <= max(_NOISE_FREEZE, 0.1 * budget) and worst <= max(_NOISE_FREEZE, 0.25 * budget):
            return outcome
        frozen = max(late, worst)
        return replace(outcome, state="unknown", reason="overload",
                       message=f"inconclusive: our own event loop froze for {frozen:.1f} s during this check "
                               f"({outcome.message})")

    def _timed_out(self, target: CheckTarget, start: float, end: float, progress: _Progress,
                   budget: float) -> Attempt:
        limit = f"{round(budget * 1000):,} ms"
        expect = target.expect
        if expect.down_ms and expect.down_ms < expect.timeout_ms:
            limit += " (the down threshold)"
        if progress.status_code is not None and progress.reading_body:
            message = f"HTTP {progress.status_code} arrived but the body did not complete within {limit}"
        else:
            message = f"no response within {limit}"
        return Attempt("down", "timeout", message, start, ended=end, status_code=progress.status_code,
                        cert_days=progress.cert_days, redirects=progress.redirects,
                        final_url=progress.url)

    def _discount_own_stalls(self, outcome: Attempt, target: CheckTarget) -> Attempt:
        """Latency inflated by our own stalls is not counted against the service as slowness."""
        slow = [f for f in outcome.findings if f.code == "slow"]
        if not slow:
            return outcome
        stalled = self.lag.stalled(outcome.started, outcome.ended)
        if outcome.latency_ms - stalled * 1000 > target.expect.degraded_ms:
            return outcome
        kept = [f for f in outcome.findings if f.code != "slow"]
        note = Finding(code="overload", state="unknown",
                       message=f"latency {outcome.latency_ms:,} ms includes {stalled:.1f} s of our own stalls; "
                               "not counted as slow")
        return _settle(replace(outcome, findings=[*kept, note]))

    async def _fetch(self, target: CheckTarget, start: float, progress: _Progress) -> Attempt:
        try:
            url = parse_target_url(target.url)
        except TargetError as err:
            return self._blocked(start, progress, str(err))
        visited = {str(url)}
        while True:
            progress.url = str(url)
            refusal = self.policy.url_refusal(url)
            if refusal:
                return self._blocked(start, progress, refusal)
            request = httpx.Request("GET", url, headers=self._headers)
            if progress.sent is not None:
                request.extensions["trace"] = progress.trace
            try:
                response = await self._transport.handle_async_request(request)
            except Exception as err:  # every failure of the service is a verdict, not a crash
                return self._failed(err, start, progress)
            try:
                progress.status_code = response.status_code
                days = tls_chain_days(response)
                if days is not None:
                    progress.cert_days = days if progress.cert_days is None else min(days, progress.cert_days)
                location = response.headers.get("location")
                code = response.status_code
                if code in _REDIRECT_CODES and location and not health.redirect_expected(code, target.expect.status):
                    next_url, problem = self._next_hop(url, location, visited, progress)
                    if problem is not None:
                        return problem(start)
                    assert next_url is not None
                    url = next_url
                    continue
                return await self._judge(target, response, start, progress)
            except Exception as err:
                return self._failed(err, start, progress)
            finally:
                await response.aclose()  # aborts the connection; never waits, so it finishes even if cancelled

    def _next_hop(self, url: httpx.URL, location: str, visited: set[str], progress: _Progress,
                  ) -> tuple[httpx.URL | None, Callable[[float], Attempt] | None]:
        progress.redirects += 1
        hops = progress.redirects
        try:
            next_url = url.join(location)
        except (httpx.InvalidURL, ValueError):
            return None, lambda s: self._outcome(s, progress, "down", "redirects",
                                                 f"redirect {hops} has an invalid Location")
        if next_url.scheme not in ("http", "https") or not next_url.host:
            return None, lambda s: self._blocked(s, progress, f"redirect {hops} leads to a non-http(s) URL "
                                                              f"({next_url.scheme}:)")
        if str(next_url) in visited:
            return None, lambda s: self._outcome(s, progress, "down", "redirects",
                                                 f"redirect loop: hop {hops} returns to {_short(next_url)}")
        if hops > self.options.max_redirects:
            return None, lambda s: self._outcome(s, progress, "down", "redirects",
                                                 f"more than {self.options.max_redirects} redirects")
        visited.add(str(next_url))
        return next_url, None

    async def _judge(self, target: CheckTarget, response: httpx.Response, start: float,
                     progress: _Progress) -> Attempt:
        expect = target.expect
        content_type = response.headers.get("content-type", "")
        findings: list[Finding] = []
        status = health.status_finding(response.status_code, expect)
        if status:
            findings.append(status)
        findings += health.header_findings(response.headers, expect)
        keep = health.needs_body(expect, content_type)
        body: Body | None = None
        progress.reading_body = True
        try:
            body = await read_body(response.aiter_raw(), encoding=response.headers.get("content-encoding", ""),
                                   cap=self.options.max_body_bytes, keep=keep)
        except BodyTooLargeError as err:
            findings.append(Finding(code="too_large", state="degraded", message=str(err)))
        except BodyDecodeError as err:
            findings.append(Finding(code="protocol", state="degraded", message=str(err)))
        ended = _now()
        if keep:
            findings += self._body_findings(body, expect, content_type)
        if progress.cert_days is not None and progress.cert_days < expect.cert_min_days:
            findings.append(Finding(code="tls_expiring", state="degraded",
                                    message=f"a certificate in the chain expires in {progress.cert_days:.1f} days "
                                            f"(minimum {expect.cert_min_days})"))
        latency = round((ended - start) * 1000)
        if latency > expect.degraded_ms:
            findings.append(Finding(code="slow", state="degraded",
                                    message=f"{latency:,} ms (degraded above {expect.degraded_ms:,} ms)"))
        outcome = self._outcome(start, progress, "up", "ok", "")
        outcome.ended, outcome.findings = ended, findings
        outcome.summary = f"HTTP {response.status_code} in {latency:,} ms"
        return _settle(outcome)

    def _body_findings(self, body: Body | None, expect: Any, content_type: str) -> list[Finding]:
        if body is None:
            return [Finding(code="assertion", state="degraded",
                            message="body conditions could not be checked (body not read in full)")]
        if not body.decoded:
            return [Finding(code="assertion", state="degraded",
                            message="body conditions could not be checked (unsupported content-encoding)")]
        findings: list[Finding] = []
        document: Any = None
        if health.media_type(content_type) == health.HEALTH_JSON or expect.json_fields:
            document = health.parse_json(body.data)
        if health.media_type(content_type) == health.HEALTH_JSON:
            if health.is_missing(document):
                findings.append(Finding(code="health", state="degraded",
                                        message="application/health+json body is not valid JSON"))
            else:
                findings += health.health_findings(document)
        if expect.json_fields:
            if health.is_missing(document):
                findings.append(Finding(code="assertion", state="degraded",
                                        message="body is not JSON, so its json conditions cannot hold"))
            else:
                findings += health.json_findings(document, expect.json_fields)
        if expect.body_matches or expect.body_not_matches:
            findings += health.body_findings(health.decode_text(body.data, content_type), expect)
        return findings

    # ---- outcomes --------------------------------------------------------------------------------

    @staticmethod
    def _outcome(start: float, progress: _Progress, state: State, reason: Reason, message: str) -> Attempt:
        return Attempt(state, reason, message, start, ended=_now(),
                        status_code=progress.status_code, cert_days=progress.cert_days,
                        redirects=progress.redirects, final_url=progress.url)

    def _blocked(self, start: float, progress: _Progress, why: str) -> Attempt:
        where = f"redirect {progress.redirects}: " if progress.redirects else ""
        return self._outcome(start, progress, "unknown", "blocked", f"not probed: {where}{why}")

    def _failed(self, err: Exception, start: float, progress: _Progress) -> Attempt:
        state, reason, message = classify_error(err)
        if progress.redirects:
            message = f"{message} (after {progress.redirects} redirect{'s' if progress.redirects > 1 else ''})"
        return self._outcome(start, progress, state, reason, message)


def _settle(outcome: Attempt) -> Attempt:
    """``outcome`` with its verdict taken from the worst of its findings (up when none stands)."""
    verdict = health.worst([f for f in outcome.findings if f.state != "unknown"])
    if verdict is None:
        return replace(outcome, state="up", reason="ok", message=outcome.summary)
    return replace(outcome, state=verdict.state, reason=verdict.code, message=verdict.message)


def _short(url: httpx.URL) -> str:
    text = str(url)
    return text if len(text) <= 80 else text[:77] + "…"
