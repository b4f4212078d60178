"""uvicorn's HTTP/1.1 protocol with a deadline for request headers and a cap on open connections.

uvicorn has no header deadline: a client that sends ``POST /mcp HTTP/1.1\\r\\nX-a: b\\r\\n`` and nothing more
holds its connection for ever, and its ``limit_concurrency`` counts such connections, so 64 of them made
every real request a 503 before any authentication. Here a connection that has not sent complete headers
within ``HEADER_TIMEOUT`` seconds (from its start, or from the end of its previous response) is closed, and
when more than ``MAX_OPEN_CONNECTIONS`` are open the one that has waited longest for headers makes room.
The shared request slots are counted by ``HttpGuard``, after authentication.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0
MAX_OPEN_CONNECTIONS = 1024


class DeadlineH11Protocol(H11Protocol):
    """H11Protocol that closes connections slow to send their headers, and evicts the slowest when full."""

    header_timeout: float = HEADER_TIMEOUT
    max_open: int = MAX_OPEN_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._waiting_since = time.monotonic()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()
        if len(self.connections) > self.max_open:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.waiting_for_headers:
            return
        self._cancel_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.waiting_for_headers:
            self._arm_header_deadline()

    @property
    def waiting_for_headers(self) -> bool:
        """Whether no request is in progress and the next one's headers are not complete yet."""
        return self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)

    def _arm_header_deadline(self) -> None:
        self._cancel_header_deadline()
        self._waiting_since = time.monotonic()
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_deadline_passed)

    def _cancel_header_deadline(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_deadline_passed(self) -> None:
        self._header_timer = None
        if self.waiting_for_headers and not self.transport.is_closing():
            self.transport.close()

    def _make_room(self) -> None:
        """Close the connection that has waited longest for headers (this new one if none is waiting)."""
        waiting = [c for c in self.connections
                   if isinstance(c, DeadlineH11Protocol) and c is not self and c.waiting_for_headers]
        victim = min(waiting, key=lambda c: c._waiting_since, default=self)
        victim.transport.close()
