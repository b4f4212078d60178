"""The HTTP transport of a sweep: resolve once, check every address against the policy, then connect to it.

The check happens where the socket is opened, so redirects and DNS answers that change between a check
and the connection (rebinding) cannot slip past it; TLS still verifies the original host name. Every
request gets a fresh connection (no keep-alive), so each check measures what a new visitor gets and a
re-check never reuses the connection that just failed.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import certifi
import httpcore
import httpx

from incident_mcp.errors import TargetError
from incident_mcp.status.addresses import IPAddress, parse_ip
from incident_mcp.status.targets import TargetPolicy

MAX_ADDRESSES_TRIED = 3


class BlockedAddressError(Exception):
    """The policy refused every address a host resolved to."""

    def __init__(self, host: str, reason: str) -> None:
        self.host = host
        self.reason = reason
        super().__init__(reason)


class PeerClosedError(Exception):
    """The server closed the connection before a complete response (httpcore calls that a protocol error)."""


class ResolutionError(Exception):
    """A host name did not resolve; ``temporary`` when the resolver itself failed."""

    def __init__(self, host: str, error: socket.gaierror) -> None:
        self.host = host
        self.temporary = error.errno in (socket.EAI_AGAIN, getattr(socket, "EAI_SYSTEM", None))
        detail = error.strerror or str(error)
        super().__init__(f"{host} does not resolve ({detail})")


class Resolver:
    """getaddrinfo with one lookup per host for the whole sweep (a thousand targets, one name: one query)."""

    def __init__(self) -> None:
        self._lookups: dict[tuple[str, int], asyncio.Future[list[IPAddress] | ResolutionError]] = {}

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """The addresses ``host`` resolves to, IP literals (any spelling) without a query."""
        literal = parse_ip(host)
        if literal is not None:
            return [literal]
        key = (host.lower(), port)
        lookup = self._lookups.get(key)
        if lookup is None:
            lookup = self._lookups[key] = asyncio.ensure_future(self._lookup(host, port))
        found = await asyncio.shield(lookup)  # one waiter's deadline must not cancel everyone's lookup
        if isinstance(found, ResolutionError):
            raise found
        return found

    @staticmethod
    async def _lookup(host: str, port: int) -> list[IPAddress] | ResolutionError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as err:
            return ResolutionError(host, err)
        addresses: list[IPAddress] = []
        for info in infos:
            address = parse_ip(str(info[4][0]))
            if address is not None and address not in addresses:
                addresses.append(address)
        return addresses or ResolutionError(host, socket.gaierror(socket.EAI_NONAME, "no addresses"))


class AsyncioStream(httpcore.AsyncNetworkStream):
    """An httpcore network stream straight on asyncio streams.

    httpcore's own backend goes through anyio's stream layers: measured with ``bench/stream_bench.py``
    (fresh connection per request, 100 at once, on 2 busy cores) it costs 1.3–1.45× the CPU per request
    (about 960 µs against 700 µs). With a thousand checks at once that CPU is what keeps our event loop
    from answering in time; the stream also knows whether the server closed it (``peer_closed``).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.peer_closed = False  # the server ended the stream (a read returned b"")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Up to ``max_bytes``; b"" at end of stream."""
        try:
            async with asyncio.timeout(timeout):
                data = await self._reader.read(max_bytes)
        except TimeoutError as err:
            raise httpcore.ReadTimeout(str(err)) from err
        except OSError as err:
            raise httpcore.ReadError(str(err)) from err
        if not data:
            self.peer_closed = True
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """All of ``buffer``."""
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError as err:
            raise httpcore.WriteTimeout(str(err)) from err
        except (OSError, RuntimeError) as err:  # RuntimeError: writing to a closing transport
            raise httpcore.WriteError(str(err)) from err

    async def aclose(self) -> None:
        """Close without waiting for the peer (a status check owes it no goodbye)."""
        self._writer.transport.abort()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        """Upgrade in place to TLS, verifying ``server_hostname``."""
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as err:
            self._writer.transport.abort()
            raise httpcore.ConnectTimeout(str(err)) from err
        except (OSError, ssl.SSLError) as err:
            self._writer.transport.abort()
            raise httpcore.ConnectError(str(err)) from err
        return self

    def get_extra_info(self, info: str) -> Any:
        """``ssl_object``, ``socket``, ``client_addr``, ``server_addr`` as httpcore names them."""
        names = {"ssl_object": "ssl_object", "socket": "socket", "client_addr": "sockname",
                 "server_addr": "peername"}
        return self._writer.get_extra_info(names[info]) if info in names else None


async def open_asyncio_stream(address: str, port: int, local_address: str | None,
                              socket_options: Iterable[httpcore.SOCKET_OPTION] | None) -> AsyncioStream:
    """A TCP connection to an IP address (never a name: resolution happened before)."""
    try:
        reader, writer = await asyncio.open_connection(
            address, port, local_addr=(local_address, 0) if local_address else None)
    except OSError as err:
        raise httpcore.ConnectError(str(err)) from err
    sock = writer.get_extra_info("socket")
    for option in socket_options or ():
        sock.setsockopt(*option)
    return AsyncioStream(reader, writer)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses the policy allows."""

    def __init__(self, policy: TargetPolicy, resolver: Resolver) -> None:
        self._policy = policy
        self._resolver = resolver

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        """Resolve, drop refused addresses, connect to the first allowed one that answers."""
        return await self.connect_for(None, host, port, local_address, socket_options)

    async def connect_for(self, scheme: str | None, host: str, port: int, local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        """``connect_tcp`` for a request of ``scheme`` (a declared service allows only its own origin)."""
        addresses = await self._resolver.resolve(host, port)
        refusals = [self._policy.refusal(host, address, scheme=scheme, port=port) for address in addresses]
        allowed = [a for a, why in zip(addresses, refusals, strict=True) if why is None]
        if not allowed:
            raise BlockedAddressError(host, next(why for why in refusals if why))
        error: Exception | None = None
        for address in allowed[:MAX_ADDRESSES_TRIED]:
            try:
                return await open_asyncio_stream(str(address), port, local_address, socket_options)
            except httpcore.ConnectError as err:
                error = err
        assert error is not None
        raise error

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        """Never: status checks only speak TCP."""
        raise BlockedAddressError(path, "unix sockets cannot be checked")

    async def sleep(self, seconds: float) -> None:
        """Sleep on asyncio."""
        await asyncio.sleep(seconds)


class _SchemeBackend(httpcore.AsyncNetworkBackend):
    """The guarded backend for one request, knowing the request's scheme (httpcore does not pass it on)."""

    def __init__(self, backend: GuardedBackend, scheme: str) -> None:
        self._backend = backend
        self._scheme = scheme
        self.stream: httpcore.AsyncNetworkStream | None = None

    @property
    def peer_closed(self) -> bool:
        """Whether the server closed the connection this request opened."""
        return isinstance(self.stream, AsyncioStream) and self.stream.peer_closed

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        """Connect through the guarded backend, checking the origin (scheme, host, port)."""
        self.stream = await self._backend.connect_for(self._scheme, host, port, local_address, socket_options)
        return self.stream

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        """As the guarded backend: refused."""
        return await self._backend.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        """As the guarded backend."""
        await self._backend.sleep(seconds)


@contextmanager
def _peer_closed_named(backend: _SchemeBackend) -> Iterator[None]:
    """httpcore's protocol error for a connection the server closed, raised as ``PeerClosedError``."""
    try:
        yield
    except httpcore.RemoteProtocolError as err:
        if backend.peer_closed:
            raise PeerClosedError(str(err)) from err
        raise


class _ResponseStream(httpx.AsyncByteStream):
    """The body stream of one response; closing it aborts its connection and frees its slot.

    Closing never waits (no lock, no goodbye to the server), so it completes even while cancelled.
    """

    def __init__(self, connection: httpcore.AsyncHTTPConnection, slots: asyncio.Semaphore,
                 backend: _SchemeBackend) -> None:
        self._stream: Any = None
        self._connection = connection
        self._backend = backend
        self._slots = slots
        self._open = True

    def attach(self, stream: Any) -> None:
        """The body stream of the response that arrived."""
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._stream is not None:
            with _peer_closed_named(self._backend):
                async for part in self._stream:
                    yield part

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            self._slots.release()
            await self._connection.aclose()


class GuardedTransport(httpx.AsyncBaseTransport):
    """httpx transport: one fresh, policy-checked connection per request, at most ``max_connections`` open.

    A connection per request instead of httpcore's pool: without keep-alive the pool adds nothing but
    bookkeeping that grows with the square of the requests in flight (a thousand at once stalled the loop
    for seconds). The explicit limit is a semaphore held from connect until the body is closed.
    httpcore exceptions pass through unmapped (but for ``PeerClosedError``): the checker classifies them by
    their cause chain.
    Runs on asyncio (as the MCP server and the CLI do).
    """

    def __init__(self, *, policy: TargetPolicy, ssl_context: ssl.SSLContext, max_connections: int,
                 resolver: Resolver | None = None) -> None:
        self._ssl_context = ssl_context
        self._backend = GuardedBackend(policy, resolver or Resolver())
        self._slots = asyncio.Semaphore(max_connections)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on a new connection and return the response with its body unread."""
        assert isinstance(request.stream, httpx.AsyncByteStream)
        url = request.url
        origin = httpcore.Origin(url.raw_scheme, url.raw_host, url.port or (443 if url.scheme == "https" else 80))
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw, content=request.stream, extensions=request.extensions,
        )
        backend = _SchemeBackend(self._backend, url.scheme)
        connection = httpcore.AsyncHTTPConnection(origin, ssl_context=self._ssl_context, http1=True, http2=False,
                                                  retries=0, network_backend=backend)
        await self._slots.acquire()
        stream = _ResponseStream(connection, self._slots, backend)
        try:
            with _peer_closed_named(backend):
                response = await connection.handle_async_request(core_request)
        except BaseException:
            await stream.aclose()
            raise
        stream.attach(response.stream)
        return httpx.Response(status_code=response.status, headers=response.headers, stream=stream,
                              extensions=response.extensions, request=request)

    async def aclose(self) -> None:
        """Nothing pooled: every connection closes with its response."""


def make_ssl_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A verifying TLS context: ``ca_file`` (a private CA), else $SSL_CERT_FILE, else certifi's Mozilla bundle."""
    chosen = ca_file or os.environ.get("SSL_CERT_FILE") or certifi.where()
    try:
        return ssl.create_default_context(cafile=chosen)
    except (OSError, ssl.SSLError) as err:
        raise TargetError(f"cannot load CA file {chosen}: {getattr(err, 'strerror', None) or err}") from None


def _verified_chain(ssl_object: Any) -> list[Any]:
    """The verified certificate chain, leaf first (empty when the runtime cannot tell).

    ``SSLObject.get_verified_chain`` is public from Python 3.13; on 3.11 and 3.12 no public API exposes
    the chain (``getpeercert`` gives the leaf only, and an expiring intermediate is what we must catch), so
    there we read it from the underlying ``_ssl._SSLSocket``, the one private access of this package.
    """
    chain_of = getattr(ssl_object, "get_verified_chain", None)
    if chain_of is None:
        chain_of = getattr(getattr(ssl_object, "_sslobj", None), "get_verified_chain", None)
    return list(chain_of()) if chain_of is not None else []


def tls_chain_days(response: httpx.Response) -> float | None:
    """Days until the earliest certificate of the verified chain expires (None for plain HTTP)."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    expiries: list[float] = []
    try:
        certificates = _verified_chain(ssl_object)
        for certificate in certificates:
            info = certificate.get_info() if hasattr(certificate, "get_info") else {}
            if info.get("notAfter"):
                expiries.append(ssl.cert_time_to_seconds(info["notAfter"]))
        if not expiries:
            leaf = ssl_object.getpeercert() or {}
            if leaf.get("notAfter"):
                expiries.append(ssl.cert_time_to_seconds(leaf["notAfter"]))
    except (ValueError, ssl.SSLError, AttributeError):
        return None
    if not expiries:
        return None
    return round((min(expiries) - time.time()) / 86400, 2)
