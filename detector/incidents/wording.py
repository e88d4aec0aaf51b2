"""How incident facts are said in words: times in a named zone, durations and counts.

Shared by ``report.html`` and the live status page, so both say "14:15 UTC, 18 Nov
2026" and "3 h 5 min" the same way. Times are UTC unless a page is asked for another
zone, and every time shown carries its zone.

>>> import pandas as pd
>>> t = pd.Timestamp("2026-11-18 14:15Z")
>>> Zone().clock(t), Zone("Europe/Berlin").clock(t), Zone("Asia/Dubai").clock(t, date=False)
('14:15 UTC, 18 Nov 2026', '15:15 CET, 18 Nov 2026', '18:15 UTC+04:00')
"""

from __future__ import annotations

import math
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from detector.errors import UsageError


class Zone:
    """The time zone a page speaks in (an IANA name such as ``"Europe/Berlin"``).

    >>> Zone("utc").name, Zone("Europe/Berlin").table(pd.Timestamp("2026-07-01 10:00Z"))
    ('UTC', '2026-07-01 12:00')
    >>> Zone("Mars/Olympus")
    Traceback (most recent call last):
    ...
    detector.errors.UsageError: The 'tz' parameter must be an IANA time zone like ...
    """

    def __init__(self, name: str = "UTC") -> None:
        name = name.strip()
        if name.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
            name = "UTC"
        try:
            ok = bool(name) and len(name) <= 64 and ZoneInfo(name) is not None
        except (ZoneInfoNotFoundError, ValueError, OSError):
            ok = False
        if not ok:
            raise UsageError(
                "The 'tz' parameter must be an IANA time zone like 'Europe/Berlin' or "
                f"'America/New_York'. Got {name[:60]!r} instead."
            )
        self.name = name

    def __repr__(self) -> str:
        return f"Zone({self.name!r})"

    @property
    def is_utc(self) -> bool:
        """Whether this zone is UTC itself."""
        return self.name == "UTC"

    def local(self, ts: pd.Timestamp) -> pd.Timestamp:
        """*ts* (UTC or naive read as UTC) on this zone's clock."""
        ts = pd.Timestamp(ts)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
        return ts.tz_convert(self.name)

    def abbr(self, ts: pd.Timestamp) -> str:
        """The zone's short name at *ts*: ``UTC``, ``CET``, or ``UTC+05:30`` when it has none.

        >>> Zone("America/New_York").abbr(pd.Timestamp("2026-07-01 00:00Z"))
        'EDT'
        """
        if self.is_utc:
            return "UTC"
        local = self.local(ts)
        short = local.strftime("%Z")
        if short and short[0] not in "+-":
            return short
        offset = local.utcoffset() or pd.Timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hours, mins = divmod(abs(minutes), 60)
        return f"UTC{sign}{hours:02d}:{mins:02d}"

    def clock(self, ts: pd.Timestamp | None, *, date: bool = True) -> str:
        """``'14:15 UTC, 18 Nov 2026'`` (or ``'14:15 UTC'``); ``'-'`` for no time."""
        if ts is None:
            return "-"
        local = self.local(ts)
        text = f"{local:%H:%M} {self.abbr(ts)}"
        return f"{text}, {local.day} {local:%b %Y}" if date else text

    def hm(self, ts: pd.Timestamp) -> str:
        """Just the wall-clock time, ``'14:15'``."""
        return f"{self.local(ts):%H:%M}"

    def table(self, ts: pd.Timestamp | None) -> str:
        """``'2026-11-18 14:15'`` for tables whose header names the zone."""
        return "-" if ts is None else self.local(ts).strftime("%Y-%m-%d %H:%M")

    def describe(self, at: pd.Timestamp) -> str:
        """The zone as a page states it: ``'UTC'`` or ``'Europe/Berlin (CET)'``.

        >>> Zone("Europe/Berlin").describe(pd.Timestamp("2026-11-18 00:00Z"))
        'Europe/Berlin (CET)'
        """
        return "UTC" if self.is_utc else f"{self.name} ({self.abbr(at)})"


def span_text(delta: pd.Timedelta) -> str:
    """``'40 min'``, ``'3 h 5 min'``, ``'2 days 4 h'``.

    >>> span_text(pd.Timedelta("3h5min")), span_text(pd.Timedelta("-10min"))
    ('3 h 5 min', '-10 min')
    """
    sign = "-" if delta < pd.Timedelta(0) else ""
    minutes = int(round(abs(delta.total_seconds()) / 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days > 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return sign + " ".join(parts[:2])


def number(value: Any) -> float | None:
    """*value* as a float, ``None`` for missing, NaN or unreadable.

    >>> number("2.5"), number(None), number(float("nan"))
    (2.5, None, None)
    """
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def count(value: Any) -> str:
    """``'1,234'`` for whole numbers, ``'2.5'`` otherwise (``'0.04'`` when small), ``'-'`` for none.

    >>> count(1234), count(2.25), count(0.0437), count(None)
    ('1,234', '2.2', '0.04', '-')
    """
    value = number(value)
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 0.095 else f"{value:,.1f}"


def posts(value: Any, unit: str, kind: str = "") -> str:
    """``'41 outage posts / 5 min'``, ``'1 post / 5 min'``.

    >>> posts(1, "posts / 5 min"), posts(2.25, "posts / 5 min", "outage ")
    ('1 post / 5 min', '2.2 outage posts / 5 min')
    """
    text = count(value)
    if text == "1":
        unit = unit.replace("posts", "post", 1)
    return f"{text} {kind}{unit}"


def clip(text: str, limit: int = 280) -> str:
    """*text* on one line, cut to *limit* characters with an ellipsis.

    >>> clip("a\\n  b"), clip("x" * 5, limit=3)
    ('a b', 'xx…')
    """
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


__all__ = ["Zone", "clip", "count", "number", "posts", "span_text"]
