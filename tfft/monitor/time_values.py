"""Timestamps and durations as the monitor reads them: ISO 8601 or Unix seconds; ``90s``, ``15m``, ``1h``, ``1d``.

Example:

>>> parse_timestamp("2026-03-02T16:05:00Z")
1772467500.0
>>> parse_duration("1h")
3600.0
"""

from __future__ import annotations

import datetime
import re

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_timestamp(value) -> float:
    """Unix seconds of an ISO 8601 string (no zone means UTC) or of a number of seconds; ValueError otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    moment = datetime.datetime.fromisoformat(text)  # raises ValueError with the reason
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def parse_duration(text: str, zero_allowed: bool = False) -> float:
    """Seconds in ``<number><s|m|h|d>`` (or ``0`` where ``zero_allowed``)."""
    if zero_allowed and str(text).strip() == "0":
        return 0.0
    match = _DURATION.match(str(text))
    if not match or (float(match.group(1)) <= 0 and not zero_allowed):
        expected = "a number" if zero_allowed else "a positive number"
        raise ValueError(f"duration '{text}' is not allowed: expected {expected} and a unit, "
                         f"e.g. 90s, 15m, 1h or 1d")
    return float(match.group(1)) * UNITS[match.group(2)]


def iso_time(seconds: float) -> str:
    """``1772467200.0`` → ``2026-03-02T16:00:00+00:00``."""
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).isoformat(timespec="seconds")
