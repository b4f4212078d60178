"""Times in incident records: ISO 8601 UTC strings with ``Z``, to the second, and when an event happened.

One home for reading, writing and checking times, used by the record model, the timeline and ``changes``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator

CLOCK_SKEW = dt.timedelta(minutes=5)  # an event may be this far "in the future" (clocks differ)


def parse_timestamp(value: str | dt.datetime) -> dt.datetime:
    """An ISO 8601 time as an aware UTC datetime (seconds precision); a time without offset is UTC."""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = value.strip() if isinstance(value, str) else ""
        try:
            parsed = dt.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 time such as 2026-03-01T02:14:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).replace(microsecond=0)


def format_timestamp(value: dt.datetime) -> str:
    """``2026-03-01T02:14:00Z``."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now(now: dt.datetime | None = None) -> dt.datetime:
    """``now`` (for tests) or the current time, in UTC to the second."""
    return parse_timestamp(now or dt.datetime.now(dt.UTC))


def event_time(at: str | dt.datetime | None, now: dt.datetime, what: str) -> dt.datetime:
    """When something happened: ``at`` (default ``now``), at most CLOCK_SKEW in the future.

    ValueError names ``what`` (the argument) and what is wrong; callers raise it as their own error.
    """
    if at is None or at == "":
        return now
    try:
        when = parse_timestamp(at)
    except ValueError as err:
        raise ValueError(f"{what}: {err}") from None
    if when > now + CLOCK_SKEW:
        raise ValueError(f"{what} {format_timestamp(when)} is in the future (now is {format_timestamp(now)})")
    return when


def _timestamp(value: str) -> str:
    return format_timestamp(parse_timestamp(value))


def _date(value: str) -> str:
    if value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"{value!r} is not a date in YYYY-MM-DD form")
    if value:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a real date") from None
    return value


Timestamp = Annotated[str, AfterValidator(_timestamp)]  # a time a record holds, normalised to ...Z
DateText = Annotated[str, AfterValidator(_date)]  # a YYYY-MM-DD date (or empty)
