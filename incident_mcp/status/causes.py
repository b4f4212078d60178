"""Why a request failed, from the exception's cause chain: a state, a reason code and one line.

httpcore wraps socket, TLS and resolver errors; the original is somewhere down ``__cause__`` /
``__context__``. One table translates them by type (never by message text); the first row whose type
matches a link of the chain and that gives a verdict wins. Failures of our own machine (no route to the
network, a resolver that is down) are ``unknown``, not evidence against the service.
"""

from __future__ import annotations

import errno
import ssl
from collections.abc import Callable
from typing import Any

import httpcore

from incident_mcp.status.models import Reason, State
from incident_mcp.status.transport import BlockedAddressError, PeerClosedError, ResolutionError

Verdict = tuple[State, Reason, str]

_CLOSED: Verdict = ("down", "reset", "the server closed the connection without a complete response")
_PROTOCOL: Verdict = ("down", "protocol", "the server's answer is not valid HTTP/1.1")  # its bytes are not quoted


def _resolution(exc: ResolutionError) -> Verdict:
    if exc.temporary:
        return "unknown", "dns", f"{exc} — our resolver failed, not necessarily the service"
    return "down", "dns", str(exc)


def _route(exc: OSError) -> Verdict | None:
    if exc.errno == errno.ENETUNREACH:
        return "unknown", "network", "our machine has no route to that network"
    if exc.errno == errno.EHOSTUNREACH:
        return "down", "unreachable", "no route to host"
    return None  # another OSError: a later row (or the second pass) decides


# The root causes, most specific first (TimeoutError is an OSError: the route row declines it).
_ROOT_CAUSES: list[tuple[type[BaseException] | tuple[type[BaseException], ...], Callable[[Any], Verdict | None]]] = [
    (BlockedAddressError, lambda exc: ("unknown", "blocked", f"not probed: {exc.reason}")),
    (ResolutionError, _resolution),
    (ssl.SSLCertVerificationError,
     lambda exc: ("down", "tls", f"TLS certificate rejected: {exc.verify_message or exc.reason}")),
    (ssl.SSLError, lambda exc: ("down", "tls", f"TLS handshake failed: {exc.reason or exc}")),
    (ConnectionRefusedError, lambda exc: ("down", "refused", "connection refused (nothing listening)")),
    ((ConnectionResetError, BrokenPipeError, ConnectionAbortedError),
     lambda exc: ("down", "reset", "connection reset by the server")),
    (OSError, _route),
    (TimeoutError, lambda exc: ("down", "timeout", "timed out")),
]

# What httpcore says when no root cause above was found.
_HTTP_FAILURES: list[tuple[type[BaseException] | tuple[type[BaseException], ...], Verdict]] = [
    (PeerClosedError, _CLOSED),
    ((httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError), _PROTOCOL),
]


def classify_error(err: BaseException) -> Verdict:
    """A failure to get a response, as a state, reason code and one line, from its cause chain."""
    chain = _cause_chain(err)
    for exc in chain:
        for kind, verdict_of in _ROOT_CAUSES:
            if isinstance(exc, kind) and (verdict := verdict_of(exc)) is not None:
                return verdict
    for kind, verdict in _HTTP_FAILURES:
        if any(isinstance(exc, kind) for exc in chain):
            return verdict
    if any(isinstance(exc, httpcore.ConnectError) for exc in chain):
        cause = next((exc for exc in reversed(chain) if isinstance(exc, OSError)), None)
        if cause is not None:
            return "down", "refused", f"could not connect: {str(cause)[:120]}"
    return "unknown", "error", f"checker error: {type(chain[-1]).__name__}: {str(chain[-1])[:120]}"


def _cause_chain(err: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    node: BaseException | None = err
    while node is not None and len(chain) < 12:
        chain.append(node)
        node = node.__cause__ or node.__context__
    return chain
