"""Date normalisation shared by the adapters.

Calendar facts (founding, start and end of an interest) keep the date *as written* in the
publisher's local time: ``2016-02-23T00:00:00+08:00`` is 2016-02-23, not the UTC day before.
Timestamps (publication, retrieval) are converted to UTC ``YYYY-MM-DDTHH:MM:SSZ``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def iso_date(value: object) -> str | None:
    """A calendar date from ISO date/datetime or D/M/Y text; None when absent or invalid."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    match = _DATE.match(text)
    if match:
        y, m, d = (int(g) for g in match.groups())
    else:
        dmy = _DMY.match(text)
        if not dmy:
            raise ValueError(f"not a date: {text[:40]!r}")
        d, m, y = (int(g) for g in dmy.groups())
    return dt.date(y, m, d).isoformat()  # raises ValueError on 2023-02-30


def safe_date(value: object) -> str | None:
    """Like iso_date, but an unreadable date is treated as absent."""
    if type(value) is str:
        return _safe_date_text(value)
    try:
        return iso_date(value)
    except ValueError:
        return None


@functools.lru_cache(maxsize=65536)  # registry files repeat a few thousand distinct dates
def _safe_date_text(value: str) -> str | None:
    try:
        return iso_date(value)
    except ValueError:
        return None


def iso_timestamp(value: object) -> str | None:
    """A UTC timestamp ``…Z`` from an ISO datetime (any offset) or date; None if unreadable."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        day = safe_date(text)
        return f"{day}T00:00:00Z" if day else None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def partial_date(value: object) -> str | None:
    """FollowTheMoney-style partial dates: ``2005``/``2005-09`` -> the first day of the span."""
    text = str(value or "").strip()
    if len(text) == 4 and text.isdigit():
        text += "-01-01"
    elif len(text) == 7 and text[:4].isdigit() and text[4] == "-" and text[5:].isdigit():
        text += "-01"
    return iso_date(text)
