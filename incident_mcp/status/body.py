"""Read a response body with bounded memory: decompress in small steps and stop at a cap.

httpx decompresses each received chunk in one call, so 64 KB of gzip can become 64 MB in memory; here
every zlib call is limited with ``max_length`` and the count is checked after each step, so a gzip bomb
or a 50 MB body costs at most the cap plus one step.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

STEP = 64 * 1024
DECODABLE = ("gzip", "x-gzip", "deflate", "identity", "")


class BodyTooLargeError(Exception):
    """The body exceeded the cap (after decompression)."""

    def __init__(self, cap: int, encoding: str) -> None:
        self.cap = cap
        what = f"{encoding}-decoded body" if encoding not in ("", "identity") else "body"
        super().__init__(f"{what} is larger than the {cap:,}-byte cap")


class BodyDecodeError(Exception):
    """The body claims a content coding that it does not follow."""


@dataclass(frozen=True)
class Body:
    """What was read: the decoded bytes (only if kept), their size, and whether decoding was possible."""

    data: bytes
    size: int
    decoded: bool


async def read_body(chunks: AsyncIterator[bytes], *, encoding: str, cap: int, keep: bool) -> Body:
    """Consume ``chunks`` (raw, still content-encoded) and return the decoded body, never over ``cap``.

    ``keep`` False counts the bytes without holding them (nothing needs the text).
    """
    coding = encoding.strip().lower()
    if coding not in DECODABLE:
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > cap:
                raise BodyTooLargeError(cap, coding)
        return Body(data=b"", size=size, decoded=False)
    kept = bytearray()
    size = raw_size = 0
    inflater = zlib.decompressobj(47) if coding not in ("identity", "") else None  # 47: gzip or zlib header
    fresh = True
    async for chunk in chunks:
        raw_size += len(chunk)
        if raw_size > cap:
            raise BodyTooLargeError(cap, coding)
        data = chunk
        while data or inflater is not None:
            if inflater is None:
                out, data = data, b""
            else:
                if inflater.eof:
                    break  # bytes after the end of the stream are ignored, as browsers do
                try:
                    out = inflater.decompress(data, STEP)
                except zlib.error as err:
                    if fresh and coding == "deflate":  # some servers send raw deflate without the header
                        inflater, fresh = zlib.decompressobj(-15), False
                        continue
                    raise BodyDecodeError(f"body is not valid {coding}: {err}") from None
                fresh = False
                data = inflater.unconsumed_tail
            size += len(out)
            if size > cap:
                raise BodyTooLargeError(cap, coding)
            if keep:
                kept += out
            if inflater is not None and not data and len(out) < STEP:
                break  # input used up and no output held back
    return Body(data=bytes(kept), size=size, decoded=True)
