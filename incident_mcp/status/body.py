"""Read a response body with bounded memory: decompress in small steps and stop at a cap.

httpx decompresses each received chunk in one call, so 64 KB of gzip can become 64 MB in memory; here
every zlib call is limited with ``max_length`` and the count is checked after each step, so a gzip bomb
or a 50 MB body costs at most the cap plus one step.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
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
        return await _count(chunks, coding=coding, cap=cap)
    decoder = _Decoder(coding)
    kept = bytearray()
    size = raw_size = 0
    async for chunk in chunks:
        raw_size += len(chunk)
        if raw_size > cap:
            raise BodyTooLargeError(cap, coding)
        for out in decoder.steps(chunk):
            size += len(out)
            if size > cap:
                raise BodyTooLargeError(cap, coding)
            if keep:
                kept += out
    return Body(data=bytes(kept), size=size, decoded=True)


async def _count(chunks: AsyncIterator[bytes], *, coding: str, cap: int) -> Body:
    """A body in a coding we cannot decode: its raw size only, still never over ``cap``."""
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > cap:
            raise BodyTooLargeError(cap, coding)
    return Body(data=b"", size=size, decoded=False)


class _Decoder:
    """Undoes one content coding a step of at most ``STEP`` output bytes at a time."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        # 47: a gzip or zlib header; identity needs no inflater
        self.inflater = zlib.decompressobj(47) if coding not in ("identity", "") else None
        self.fresh = True  # nothing decoded yet: a raw deflate stream may still be recognised

    def steps(self, data: bytes) -> Iterator[bytes]:
        """The decoded output of one received chunk, in steps; the caller counts each before the next."""
        if self.inflater is None:
            if data:
                yield data
            return
        while not self.inflater.eof:  # bytes after the end of the stream are ignored, as browsers do
            try:
                out = self.inflater.decompress(data, STEP)
            except zlib.error as err:
                if self.fresh and self.coding == "deflate":  # some servers send raw deflate without the header
                    self.inflater, self.fresh = zlib.decompressobj(-15), False
                    continue
                raise BodyDecodeError(f"body is not valid {self.coding}: {err}") from None
            self.fresh = False
            data = self.inflater.unconsumed_tail
            yield out
            if not data and len(out) < STEP:
                return  # input used up and no output held back
