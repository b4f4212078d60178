"""Streamable HTTP transport: the MCP app behind our own Host/Origin, bearer-token and body-size checks.

Why our own middleware: one place, tested end to end, that runs before anything of the SDK's. It refuses
a foreign ``Host`` (DNS rebinding: a web page that rebinds its name to 127.0.0.1 still sends its own
name), a foreign ``Origin`` (a browser page calling us cross-site), a missing or wrong bearer token
(compared in constant time, never logged), oversized bodies and bodies that do not arrive in time. Only a
request that passed all of that takes one of the shared request slots, and a connection slow to send its
headers is closed (``connections.py``). Listening on anything but loopback without a token is refused at
start-up.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import socket
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from incident_mcp.errors import ConfigError

if TYPE_CHECKING:
    from mcp.server import MCPServer

TOKEN_ENV = "INCIDENT_MCP_TOKEN"  # noqa: S105 - the variable's name, not a secret
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_MAX_BODY = 1024 * 1024
MIN_TOKEN_CHARS = 32
MCP_PATH = "/mcp"
MAX_CONCURRENT_REQUESTS = 64  # authenticated requests handled at once; more get 503 at once
BODY_TIMEOUT = 15.0  # seconds to receive a whole request body once its headers are in
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
_BAD_HOST_CHARS = frozenset("@/\\?# \t")

log = logging.getLogger("incident_mcp.http")

HostRule = tuple[str, int | None]  # (lower-case host name without brackets, port or None for any port)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a bind address or name) only accepts connections from this machine."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def parse_allow_host(value: str) -> HostRule:
    """``name`` (any port) or ``name:port`` / ``[v6]:port`` from ``--allow-host``."""
    parsed = _split_host(value)
    if parsed is None:
        raise ConfigError(f"--allow-host {value!r} is not a host name, 'name:port' or '[ipv6]:port'")
    return parsed


def _split_host(value: str) -> HostRule | None:
    """(name, port) from a Host header value; port None when absent; None when malformed."""
    if not value or any(ch in _BAD_HOST_CHARS for ch in value) or len(value) > 300:
        return None
    try:
        parts = urlsplit("//" + value)
        name, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not name:
        return None
    return name.lower(), port


@dataclass(frozen=True)
class HttpSettings:
    """What the HTTP transport listens on and enforces."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    allow_hosts: tuple[HostRule, ...] = field(default_factory=tuple)

    def check(self) -> None:
        """Refuse settings that would be unsafe: a non-loopback bind without a token, a weak token, bad limits."""
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"--port {self.port} is not a TCP port (0-65535)")
        if self.max_body < 1024:
            raise ConfigError(f"--max-body {self.max_body} is too small; use at least 1024 bytes")
        if self.token is not None and len(self.token) < MIN_TOKEN_CHARS:
            raise ConfigError(
                f"{TOKEN_ENV} is {len(self.token)} characters; use at least {MIN_TOKEN_CHARS}, e.g. the output of "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        if self.token is None and not is_loopback(self.host):
            raise ConfigError(
                f"refusing to listen on {self.host}: anything but loopback needs a bearer token. "
                f"Set {TOKEN_ENV} to a long random secret (clients send 'Authorization: Bearer <token>'), "
                f"or keep the default --host {DEFAULT_HOST}"
            )

    def host_rules(self, bound_port: int) -> frozenset[HostRule]:
        """Accepted (host, port) pairs: loopback names and the bound address on our port, plus --allow-host."""
        rules: set[HostRule] = {(name, bound_port) for name in LOOPBACK_NAMES}
        if not _is_wildcard(self.host):
            rules.add((self.host.strip("[]").lower(), bound_port))
        rules.update(self.allow_hosts)
        return frozenset(rules)


def settings_from_env(host: str, port: int, max_body: int, allow_hosts: Iterable[str] = ()) -> HttpSettings:
    """Settings with the token read from ``$INCIDENT_MCP_TOKEN`` (blank counts as unset)."""
    token = os.environ.get(TOKEN_ENV, "").strip() or None
    return HttpSettings(host=host, port=port, token=token, max_body=max_body,
                        allow_hosts=tuple(parse_allow_host(value) for value in allow_hosts))


def _host_allowed(rule: HostRule | None, rules: frozenset[HostRule], default_port: int) -> bool:
    if rule is None:
        return False
    name, port = rule
    return (name, port if port is not None else default_port) in rules or (name, None) in rules


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


class Refusal(NamedTuple):
    """A response refusing a request: status, one-line text, extra headers."""

    status: int
    text: str
    extra: tuple[tuple[bytes, bytes], ...] = ()


class HttpGuard:
    """ASGI middleware: Host allow-list (421), Origin allow-list (403), bearer token (401), body limit (413),
    body deadline (408), and the shared request slots (503), which only requests that passed every check take.
    """

    def __init__(self, app: ASGIApp, *, host_rules: frozenset[HostRule], token: str | None, max_body: int,
                 max_active: int = MAX_CONCURRENT_REQUESTS, body_timeout: float = BODY_TIMEOUT) -> None:
        self.app = app
        self.host_rules = host_rules
        # Only a digest is kept: comparing digests is constant time and independent of the token's length.
        self._token_digest = _digest(token.encode("utf-8")) if token is not None else None
        self.max_body = max_body
        self.max_active = max_active
        self.body_timeout = body_timeout
        self._active = 0  # one event loop: a plain counter is enough

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await self._guard_http(scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 1008})

    async def _guard_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the headers, buffer the body within its limits, then pass the request on in a free slot."""
        refusal = self._refusal(_headers(scope))
        body = await self._timed_body(receive) if refusal is None else refusal
        if isinstance(body, Refusal):
            await _respond(send, *body)
            return
        if self._active >= self.max_active:
            await _respond(send, 503, f"busy: {self.max_active} requests in progress; retry in a moment",
                           [(b"retry-after", b"1")])
            return
        self._active += 1
        try:
            await self.app(scope, _replay(body, receive), send)
        finally:
            self._active -= 1

    def _refusal(self, headers: dict[str, str]) -> Refusal | None:
        """Why the headers alone refuse the request (host, origin, token, then declared size), if they do."""
        host = headers.get("host", "")
        if not _host_allowed(_split_host(host), self.host_rules, 80):
            log.warning("refused a request for host %r (not in the allow-list; see --allow-host)", host[:100])
            return Refusal(421, "Host not allowed")
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin):
            log.warning("refused a request from origin %r", origin[:100])
            return Refusal(403, "Origin not allowed")
        expected = self._token_digest
        if expected is not None and not self._token_ok(headers.get("authorization", ""), expected):
            log.warning("refused a request without a valid bearer token")
            return Refusal(401, "missing or wrong bearer token",
                           ((b"www-authenticate", b'Bearer realm="incident-mcp"'),))
        return self._declared_size_refusal(headers.get("content-length"))

    def _declared_size_refusal(self, declared: str | None) -> Refusal | None:
        """A malformed Content-Length (400) or one over the limit (413); None when absent or within it."""
        if declared is None:
            return None
        if not declared.isdigit():
            return Refusal(400, "malformed Content-Length")
        return self._too_large() if int(declared) > self.max_body else None

    def _too_large(self) -> Refusal:
        return Refusal(413, f"request body too large (limit {self.max_body} bytes)")

    async def _timed_body(self, receive: Receive) -> list[Message] | Refusal:
        """The request's messages, or a refusal when the body is too large or not received in time."""
        buffered: list[Message] | None = None
        with anyio.move_on_after(self.body_timeout) as reading:
            buffered = await self._read_body(receive)
        if reading.cancelled_caught:
            return Refusal(408, f"request body not received within {self.body_timeout:g} s",
                           ((b"connection", b"close"),))
        return self._too_large() if buffered is None else buffered

    def _origin_allowed(self, origin: str) -> bool:
        try:
            parts = urlsplit(origin)
            port = parts.port
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            return False
        default = 443 if parts.scheme == "https" else 80
        return _host_allowed((parts.hostname.lower(), port), self.host_rules, default)

    def _token_ok(self, authorization: str, expected: bytes) -> bool:
        scheme, _, given = authorization.partition(" ")
        matches = hmac.compare_digest(_digest(given.strip().encode("utf-8")), expected)
        return scheme.lower() == "bearer" and matches

    async def _read_body(self, receive: Receive) -> list[Message] | None:
        """The request's messages, read up to the size limit; None once the body exceeds it."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > self.max_body:
                return None
            if not message.get("more_body", False):
                return messages


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers (lower-case names); a repeated Host/Origin/Authorization header makes the value unusable."""
    seen: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in seen and name in ("host", "origin", "authorization", "content-length"):
            seen[name] = "\x00duplicate"
        else:
            seen[name] = value
    return seen


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _respond(send: Send, status: int, text: str, extra: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = (text + "\n").encode("utf-8")
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
               *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def build_app(server: MCPServer, settings: HttpSettings, bound_port: int) -> ASGIApp:
    """The SDK's Streamable HTTP app (stateless, bounded body) wrapped in :class:`HttpGuard`.

    Stateless: every POST stands alone, so nothing is kept between requests and memory stays flat however
    many clients connect and never say goodbye (measured in bench/http_memory.py: stateful sessions cost
    ~35 kB each until they idle out). Our tools need no server-to-client requests; progress notifications
    still arrive on the POST's own event stream.
    """
    from mcp.server.transport_security import TransportSecuritySettings

    inner = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        max_request_body_size=settings.max_body,
        # Host/Origin are checked by HttpGuard, in one place and for every path; the SDK still checks Content-Type.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        host=settings.host,
    )
    return HttpGuard(inner, host_rules=settings.host_rules(bound_port), token=settings.token,
                     max_body=settings.max_body)


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves, so port 0 works and the real port is known before serving."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise ConfigError(f"--host {host!r} does not resolve: {err.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as err:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve_http(server: MCPServer, settings: HttpSettings, *, read_only: bool = False) -> None:
    """Check the settings, bind, announce the URL on stderr, and serve until interrupted."""
    import uvicorn

    from incident_mcp.server.connections import DeadlineH11Protocol

    settings.check()
    sock = _bind(settings.host, settings.port)
    port = int(sock.getsockname()[1])
    app = build_app(server, settings, port)
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    notes = ", ".join(n for n in ("read-only" if read_only else "", "bearer token required" if settings.token
                                  else "") if n)
    print(f"incident-mcp: serving MCP over HTTP at http://{shown}:{port}{MCP_PATH}"
          + (f" ({notes})" if notes else ""), file=sys.stderr, flush=True)
    config: Any = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,  # access lines would be the only place request headers could leak
        proxy_headers=False,
        server_header=False,
        # No limit_concurrency: uvicorn counts every open connection, authenticated or not, so slow clients
        # filled it; HttpGuard counts requests after their checks, DeadlineH11Protocol bounds the rest.
        http=DeadlineH11Protocol,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=3,
        lifespan="on",
    )
    uv_server = uvicorn.Server(config)
    anyio.run(lambda: uv_server.serve(sockets=[sock]))
