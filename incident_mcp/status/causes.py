"""Why a request failed, from the exception's cause chain: a state, a reason code and one line.

httpcore wraps socket, TLS and resolver errors; the original is somewhere down ``__cause__`` /
``__context__``. Failures of our own machine (no route to the network, a resolver that is down) are
``unknown``, not evidence against the service.
"""

from __future__ import annotations

import errno
import ssl

import httpcore

from incident_mcp.status.models import Reason, State
from incident_mcp.status.transport import BlockedAddressError, ResolutionError


def classify_error(err: BaseException) -> tuple[State, Reason, str]:
    """A failure to get a response, as a state, reason code and one line, from its cause chain."""
    chain: list[BaseException] = []
    node: BaseException | None = err
    while node is not None and len(chain) < 12:
        chain.append(node)
        node = node.__cause__ or node.__context__
    for exc in chain:
        if isinstance(exc, BlockedAddressError):
            return "unknown", "blocked", f"not probed: {exc.reason}"
        if isinstance(exc, ResolutionError):
            if exc.temporary:
                return "unknown", "dns", f"{exc} — our resolver failed, not necessarily the service"
            return "down", "dns", str(exc)
        if isinstance(exc, ssl.SSLCertVerificationError):
            return "down", "tls", f"TLS certificate rejected: {exc.verify_message or exc.reason}"
        if isinstance(exc, ssl.SSLError):
            return "down", "tls", f"TLS handshake failed: {exc.reason or exc}"
        if isinstance(exc, ConnectionRefusedError):
            return "down", "refused", "connection refused (nothing listening)"
        if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
            return "down", "reset", "connection reset by the server"
        if isinstance(exc, OSError) and exc.errno == errno.ENETUNREACH:
            return "unknown", "network", "our machine has no route to that network"
        if isinstance(exc, OSError) and exc.errno == errno.EHOSTUNREACH:
            return "down", "unreachable", "no route to host"
        if isinstance(exc, TimeoutError):
            return "down", "timeout", "timed out"
    for exc in chain:
        if isinstance(exc, httpcore.RemoteProtocolError | httpcore.ReadError | httpcore.WriteError):
            text = str(exc) or type(exc).__name__
            if "disconnected" in text.lower() or "peer closed" in text.lower() or not str(exc):
                return "down", "reset", "the server closed the connection without a complete response"
            return "down", "protocol", "the server's answer is not valid HTTP/1.1"  # its bytes are not quoted
    if any(isinstance(exc, httpcore.ConnectError) for exc in chain):
        cause = next((exc for exc in reversed(chain) if isinstance(exc, OSError)), None)
        if cause is not None:
            return "down", "refused", f"could not connect: {str(cause)[:120]}"
    return "unknown", "error", f"checker error: {type(chain[-1]).__name__}: {str(chain[-1])[:120]}"
